// Delivery that never loses a report. Send = put the row in the IndexedDB outbox (db "bugrelay",
// store "outbox", keyed by report id), then try it. 200/202 or a permanent 4xx delete the row
// (a permanent failure with a screenshot is tried once more without it); a network error, 408,
// 429 or 5xx keep it with attempts and next_at (2 s·2^n, at most 5 min, jittered; Retry-After
// wins). The outbox drains at load, on "online" and on a timer, under the Web Lock
// "bugrelay-outbox" so that two tabs never send one row at once; the id is the collector's
// idempotency key, so a repeat is a harmless 200. When the page is hidden, pending rows also go
// out as beacons and stay until a drain sees 200/202. Without IndexedDB: memory and beacons.
// At most the newest 50 reports of the last two weeks are kept.
import { rawFetch } from "./capture/network.js";
import { track } from "./reports.js";
import { S } from "./state.js";
import { D, later, W } from "./util.js";

const rows = new Map(); // this tab's view of the outbox (all of it when IndexedDB is missing)
let dbp;
let idb = false;
let timer;
let draining;
const MAX_ROWS = 50;
const MAX_AGE = 14 * 864e5; // two weeks

function open() {
  return (dbp ||= new Promise((ok, no) => {
    const q = indexedDB.open("bugrelay", 1);
    q.onupgradeneeded = () => q.result.createObjectStore("outbox", { keyPath: "id" });
    q.onsuccess = () => ok(q.result);
    q.onerror = () => no(q.error);
  }).then(
    (db) => ((idb = true), db),
    () => null,
  ));
}

/** One request on the store; undefined when IndexedDB is missing or fails. */
async function store(mode, fn) {
  try {
    const db = await open();
    if (!db) return;
    return await new Promise((ok, no) => {
      const t = db.transaction("outbox", mode);
      const q = fn(t.objectStore("outbox"));
      t.oncomplete = () => ok(q.result);
      t.onerror = t.onabort = () => no(t.error);
    });
  } catch (e) {
    // memory only
  }
}

const save = (row) => (rows.set(row.id, row), store("readwrite", (s) => s.put(row)));
const drop = (id) => (rows.delete(id), store("readwrite", (s) => s.delete(id)));

function form(row) {
  const f = new FormData();
  f.append("report", new Blob([row.json], { type: "application/json" }), "report.json");
  if (row.blob) f.append("file", row.blob, "screenshot.png");
  return f;
}

const lock = (fn) => (navigator.locks ? navigator.locks.request("bugrelay-outbox", fn) : fn());

function wait(row, retryAfter) {
  const n = (row.attempts = (row.attempts || 0) + 1);
  let ms = retryAfter && (isNaN(retryAfter) ? Date.parse(retryAfter) - Date.now() : retryAfter * 1000);
  if (!(ms > 0)) ms = Math.min(2000 * 2 ** (n - 1), 3e5) * (0.75 + Math.random() / 2);
  row.next_at = Date.now() + Math.min(ms, 864e5);
}

/** The app's own relay gets the session cookie (it joins the server's trail by it); a
 * collector on another origin never gets a cookie. */
const sameOrigin = (url) => new URL(url, location.href).origin == location.origin;

/** Nothing is lost silently: a report given up is counted on the collector, by reason (its
 * client-report route, as the Python SDK's). Best effort: this count is not queued itself. */
function discarded(reason) {
  try {
    rawFetch(S.u.clientReport, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ discarded: { [reason]: 1 } }),
      credentials: S.u.cred,
      keepalive: true,
    }).catch(() => {});
  } catch (e) {
    // not even counted: nothing more to do
  }
}

/** Try one row now: {ok}, {retry} or {fail: status, error}. */
async function attempt(row) {
  let r;
  const ac = new AbortController();
  const t = setTimeout(() => ac.abort(), 30000);
  try {
    r = await rawFetch(row.url, { method: "POST", body: form(row), credentials: sameOrigin(row.url) ? "same-origin" : "omit", signal: ac.signal });
  } catch (e) {
    // no answer: retried below
  }
  clearTimeout(t);
  const st = r ? r.status : 0;
  if (st == 200 || st == 202) {
    await drop(row.id);
    track(row.id, { status: "received" });
    return { ok: 1 };
  }
  if (st >= 400 && st < 500 && st != 408 && st != 429) {
    if (row.blob) {
      row.blob = null; // an image the collector refused must not cost the report
      return attempt(row);
    }
    await drop(row.id);
    track(row.id, null);
    discarded("rejected");
    let error;
    try {
      const j = await r.json();
      error = j.error && (j.error.code || j.error);
    } catch (e) {
      // no JSON
    }
    return { fail: st, error };
  }
  wait(row, r && r.headers.get("Retry-After"));
  await save(row);
  return { retry: 1 };
}

/** Put a new report in the outbox and try it once (under the lock). */
export async function submit(id, url, json, blob) {
  const row = { id, url, json, blob, attempts: 0, next_at: 0, created_at: Date.now() };
  await save(row);
  let out = { retry: 1 };
  try {
    out = await lock(() => (rows.has(id) ? attempt(row) : { ok: 1 }));
  } catch (e) {
    // kept for the next drain
  }
  schedule();
  return out;
}

/** Send every due row: at load, when back online, on the timer. */
export async function drain() {
  if (draining) return;
  draining = true;
  clearTimeout(timer);
  try {
    await lock(async () => {
      const all = await store("readonly", (s) => s.getAll());
      if (idb && all) {
        rows.clear();
        for (const r of all) rows.set(r.id, r);
      }
      // Bounded: the newest MAX_ROWS reports of at most MAX_AGE; an older one is given up.
      const keep = [...rows.values()].sort((a, b) => b.created_at - a.created_at);
      for (const [i, r] of keep.entries())
        if (i >= MAX_ROWS || Date.now() - r.created_at > MAX_AGE) {
          await drop(r.id);
          discarded(i >= MAX_ROWS ? "spool_full" : "expired");
        }
      for (const r of [...rows.values()])
        if ((r.next_at || 0) <= Date.now() && navigator.onLine !== false) await attempt(r);
    });
  } catch (e) {
    // tried again on the timer
  }
  draining = false;
  schedule();
}

function schedule() {
  clearTimeout(timer);
  if (!rows.size) return;
  const next = Math.min(...[...rows.values()].map((r) => r.next_at || 0));
  timer = later(drain, Math.max(next - Date.now(), 1000));
}

let beaconed = false;
function beacon() {
  if (beaconed || !navigator.sendBeacon) return;
  beaconed = true;
  for (const r of rows.values())
    try {
      navigator.sendBeacon(r.url, form(r));
    } catch (e) {
      // the row stays for the next drain
    }
}

export function startOutbox() {
  W.addEventListener("online", drain);
  W.addEventListener("pagehide", beacon);
  D.addEventListener("visibilitychange", () => (D.visibilityState == "hidden" ? beacon() : (beaconed = false)));
  later(drain, 1000);
}
