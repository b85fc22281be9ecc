// Failed fetch and XMLHttpRequest calls (status >= 400, or no answer): method, URL (secrets
// filtered), status, duration; never a body. The widget's own requests go through `rawFetch`,
// the fetch we found at load, so they never pass our wrapper.
import { S } from "../state.js";
import { cut, iso, now, push, scrubUrl, W } from "../util.js";
import { action } from "./actions.js";

export const rawFetch = W.fetch && W.fetch.bind(W);

function record(method, url, status, started, error) {
  try {
    const m = cut(String(method || "GET").toUpperCase(), 16);
    const u = scrubUrl(url);
    const n = { timestamp: iso(), method: m, url: u, status, duration_ms: Math.round(now() - started) };
    if (status == null) n.error = cut(error || "network error", 2000);
    push(S.network, n, 50);
    action("http", `${m} ${u} ${status ?? n.error}`, status == null || status >= 500 ? "error" : "warning", { method: m, url: u, status });
  } catch (e) {
    // never into the page
  }
}

export function hookNetwork() {
  const orig = W.fetch;
  if (orig)
    W.fetch = function (input, init) {
      const t = now();
      let method, url;
      try {
        method = (init && init.method) || (input && input.method) || "GET";
        url = input && input.url != null ? input.url : input;
      } catch (e) {
        // recorded without them
      }
      return orig.apply(this, arguments).then(
        (r) => {
          if (r.status >= 400) record(method, url, r.status, t);
          return r;
        },
        (e) => {
          if (!(e && e.name == "AbortError")) record(method, url, null, t, e && (e.message || String(e)));
          throw e;
        },
      );
    };
  const X = W.XMLHttpRequest && XMLHttpRequest.prototype;
  if (!X) return;
  const calls = new WeakMap();
  const open = X.open;
  const send = X.send;
  X.open = function (method, url) {
    try {
      calls.set(this, [method, String(url)]);
    } catch (e) {
      // not recorded
    }
    return open.apply(this, arguments);
  };
  X.send = function () {
    try {
      const x = this;
      const c = calls.get(x);
      if (c) {
        const t = now();
        let why;
        for (const k of ["error", "timeout", "abort"]) x.addEventListener(k, () => (why = k));
        x.addEventListener("loadend", () => {
          if (why != "abort" && (x.status >= 400 || !x.status)) record(c[0], c[1], x.status || null, t, why || "failed");
        });
      }
    } catch (e) {
      // not recorded
    }
    return send.apply(this, arguments);
  };
}
