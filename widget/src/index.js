// BugRelay's "Report a bug" widget, the core (widget.js). At script load, with no page code, it
// starts capturing (console, errors, clicks, navigation, failed requests); with data-dsn or
// data-endpoint on its tag it also initialises itself. window.BugRelay = {init, open, close,
// setUser, attach, version}; every call is guarded: the widget never throws into the page.
import { hookClicks } from "./capture/clicks.js";
import { hookConsole } from "./capture/console.js";
import { hookErrors } from "./capture/errors.js";
import { hookNavigation } from "./capture/navigation.js";
import { hookNetwork } from "./capture/network.js";
import { endpoints, fromScript } from "./config.js";
import { fetchHints } from "./env.js";
import { strings } from "./i18n.js";
import { drain, startOutbox } from "./outbox.js";
import { poll } from "./reports.js";
import { MASK, S } from "./state.js";
import { close, mount, open } from "./ui/dialog.js";
import { notice } from "./ui/notice.js";
import { D, isObj, later, W } from "./util.js";

const guard =
  (fn) =>
  (...args) => {
    try {
      return fn(...args);
    } catch (e) {
      // never into the page
    }
  };

let started = false;
let pending = []; // calls that need the UI, made before it exists

const whenMounted = (fn) => (S.host ? fn() : pending.push(fn));

function shortcut(e) {
  const sc = S.o.shortcut === undefined ? "alt+shift+b" : S.o.shortcut;
  if (!sc || !S.u || e.repeat) return;
  const mods = String(sc).toLowerCase().split("+");
  const key = mods.pop();
  if (["alt", "shift", "ctrl", "meta"].every((m) => e[m + "Key"] == mods.includes(m)) && (e.key.toLowerCase() == key || e.code.toLowerCase() == "key" + key || e.code == "Digit" + key)) {
    e.preventDefault();
    open();
  }
}

function attached(e) {
  const t = e.target;
  if (!(t instanceof Element)) return;
  for (const a of S.att) {
    const el = typeof a == "string" ? t.closest(a) : a && a.contains && a.contains(t) && a;
    if (el) {
      e.preventDefault();
      return open(null, el);
    }
  }
}

function init(opts) {
  const o = (S.o = { ...fromScript(), ...S.o, ...(isObj(opts) ? opts : {}) });
  [S.lang, S.t] = strings(o);
  S.mask = MASK + (o.mask ? "," + o.mask : "");
  if (o.user !== undefined) S.user = isObj(o.user) ? { ...o.user } : null;
  if (o.attach && !S.att.includes(o.attach)) S.att.push(o.attach);
  try {
    S.u = endpoints(o);
  } catch (e) {
    S.u = null;
  }
  if (!S.u) return console.warn("BugRelay: init needs a valid dsn or endpoint");
  if (!started) {
    started = true;
    W.addEventListener("keydown", guard(shortcut), true);
    D.addEventListener("click", guard(attached), true);
    startOutbox();
  } else drain();
  const go = guard(() => {
    mount();
    pending.forEach(guard((fn) => fn()));
    pending = [];
    later(async () => {
      const due = await poll();
      if (due && S.host) notice(due);
    }, 2000);
  });
  if (D.readyState == "loading") D.addEventListener("DOMContentLoaded", go, { once: true });
  else go();
}

if (!(W.BugRelay && W.BugRelay.version)) {
  for (const hook of [hookConsole, hookErrors, hookClicks, hookNavigation, hookNetwork, fetchHints]) guard(hook)();
  W.BugRelay = {
    version: __WIDGET_VERSION__,
    init: guard(init),
    open: guard((prefill) => whenMounted(() => open(prefill))),
    close: guard(close),
    setUser: guard((user) => (S.user = isObj(user) ? { ...user } : null)),
    attach: guard((target) => void (target && S.att.push(target))),
  };
  const o = fromScript();
  if (o.dsn || o.endpoint) W.BugRelay.init({});
}
