// Options: the script tag's data-* attributes (kebab-case -> camelCase) merged with init()'s,
// and the endpoints they lead to (a DSN's collector, or the app's same-origin relay).
import { D } from "./util.js";

/** The <script> that loaded us, read while it runs (document.currentScript is null later). */
const script = D.currentScript || {};
export const selfSrc = String(script.src || "").split(/[?#]/)[0];

export function fromScript() {
  const o = {};
  const data = script.dataset || {};
  for (const k in data) o[k] = { false: false, true: true }[data[k]] ?? data[k];
  if (o.statusInterval) o.statusInterval = +o.statusInterval;
  if (script.nonce) o.nonce = script.nonce;
  return o;
}

/** The report, status and rating URLs, and where the screenshot chunk is; null without dsn/endpoint.
 * dsn "http(s)://KEY@host[:port][/path]/PROJECT" -> <host>[/path]/api/v1/projects/PROJECT/...?key=KEY;
 * endpoint "/_bugrelay" -> /_bugrelay/report, /_bugrelay/reports/{id}/status|rating (no key). */
export function endpoints(o) {
  let base, q = "", dir;
  if (o.endpoint) dir = base = new URL(String(o.endpoint).replace(/\/+$/, ""), location.href).href;
  else if (o.dsn) {
    const u = new URL(o.dsn);
    const path = u.pathname.replace(/\/+$/, "").split("/");
    const project = path.pop();
    dir = selfSrc.replace(/[^/]*$/, "") || u.origin + path.join("/");
    base = `${u.origin}${path.join("/")}/api/v1/projects/${project}`;
    q = "?key=" + u.username;
  } else return null;
  return {
    report: base + (o.endpoint ? "/report" : "/reports" + q),
    status: (id) => `${base}/reports/${id}/status${q}`,
    rating: (id) => `${base}/reports/${id}/rating${q}`,
    clientReport: `${base}/client-report${q}`,
    chunk: dir.replace(/\/?$/, "/") + "widget-screenshot.js",
    // Same-origin, the session cookie goes along (the relay joins the server's trail by it);
    // to a collector on another origin, no cookie ever.
    cred: o.endpoint ? "same-origin" : "omit",
  };
}
