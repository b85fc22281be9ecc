// The reporter loop's memory: the reports this browser sent, in localStorage "bugrelay.reports"
// ([{id, title, sent_at, status, fixed_in, checked_at, rated, dismissed}], the newest 20). On
// later page loads the ones not final are polled (one report at most every statusInterval
// seconds); a fixed or won't-fix one gets a notice asking for a rating.
import { rawFetch } from "./capture/network.js";
import { S } from "./state.js";
import { iso } from "./util.js";

const KEY = "bugrelay.reports";
const FINAL = ["fixed", "wont_fix"];

export function list() {
  try {
    const l = JSON.parse(localStorage.getItem(KEY));
    return Array.isArray(l) ? l : [];
  } catch (e) {
    return [];
  }
}

/** Add (with a title), change, or (patch null) forget one report. */
export function track(id, patch) {
  try {
    const l = list();
    const i = l.findIndex((r) => r.id == id);
    if (patch === null) {
      if (i >= 0) l.splice(i, 1);
    } else if (i >= 0) Object.assign(l[i], patch);
    else if (patch.title != null) l.push({ id, rated: false, ...patch });
    localStorage.setItem(KEY, JSON.stringify(l.slice(-20)));
  } catch (e) {
    // no storage: no reporter loop
  }
}

/** Poll what is due, then return the first report to ask a rating for. */
export async function poll() {
  const every = (S.o.statusInterval ?? 600) * 1000;
  for (const r of list()) {
    if (navigator.onLine === false) break;
    if (FINAL.includes(r.status) || Date.now() - (Date.parse(r.checked_at) || 0) < every) continue;
    try {
      const res = await rawFetch(S.u.status(r.id), { credentials: S.u.cred });
      const patch = { checked_at: iso() };
      if (res.ok) {
        const j = await res.json();
        patch.status = j.status;
        patch.fixed_in = j.fixed_in;
      }
      track(r.id, patch);
    } catch (e) {
      // asked again next time
    }
  }
  return list().find((r) => FINAL.includes(r.status) && !r.rated && !r.dismissed);
}
