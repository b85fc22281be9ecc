// Small helpers shared by every module: DOM building, text limits, safe formatting, URL scrubbing.
// Nothing here may throw into the page: callers in hooks wrap their use in try/catch.

export const W = window;
export const D = document;
export const iso = () => new Date().toISOString();
export const now = () => performance.now();

let ids = 0;
export const uid = () => "br" + ++ids;

/** `text` as a string of at most `max` characters (an ellipsis marks a cut). */
export const cut = (text, max) => {
  text = text == null ? "" : String(text);
  return text.length > max ? text.slice(0, max - 1) + "…" : text;
};

/** Push onto a bounded buffer, dropping the oldest entry. */
export const push = (list, item, max) => {
  list.push(item);
  if (list.length > max) list.shift();
};

/** The object without its empty values (undefined, null, ""): the wire schema wants no nulls. */
export const clean = (obj) => {
  for (const k in obj) if (obj[k] == null || obj[k] === "") delete obj[k];
  return obj;
};

export const isObj = (v) => v && typeof v == "object";
export const keys = (o) => Object.keys(o || {});

/**
 * Build an element: `h("button", {part: "send", onclick: fn}, "Send", child, ...)`.
 * Functions become listeners, `true` a boolean attribute, every other value an attribute; text
 * children become text nodes (never innerHTML: user data only reaches text nodes and values).
 * A button is type="button" unless told otherwise.
 */
export function h(tag, props, ...kids) {
  const el = D.createElement(tag);
  if (tag == "button") el.type = "button";
  for (const k in props) {
    const v = props[k];
    if (v == null || v === false) continue;
    if (typeof v == "function") el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? "" : v);
  }
  el.append(...kids.flat(9).filter((x) => x != null && x !== false));
  return el;
}

/** One console argument as text: strings as they are, errors with their stack, objects as capped,
 * circular-safe JSON. */
export function fmt(v) {
  if (typeof v == "string") return v;
  if (v instanceof Error) {
    const s = String(v);
    return v.stack ? (v.stack.startsWith(s) ? v.stack : s + "\n" + v.stack) : s;
  }
  if (v instanceof Node) return "<" + (v.nodeName || "").toLowerCase() + ">";
  if (isObj(v)) {
    const seen = new WeakSet();
    let n = 0;
    try {
      const json = JSON.stringify(v, (_k, x) => {
        if (++n > 300) return;
        if (typeof x == "bigint") return String(x);
        if (isObj(x)) {
          if (seen.has(x)) return "[Circular]";
          seen.add(x);
        }
        return x;
      });
      if (json != null) return cut(json, 1000);
    } catch (e) {
      // fall through: String() below
    }
  }
  try {
    return cut(String(v), 1000);
  } catch (e) {
    return "?";
  }
}

const SECRET = /token|key|secret|pass(word)?|auth|session|sig(nature)?|code|jwt|api[-_]?key|access/i;

/** An absolute URL without credentials, the values of secret-looking parameters (query, fragment,
 * `;matrix`) replaced by "[Filtered]", cut to the schema's 2048. */
export function scrubUrl(url) {
  let s = String(url == null ? "" : url);
  try {
    const u = new URL(s, location.href);
    u.username = u.password = "";
    s = u.href;
  } catch (e) {
    // not a URL: scrub the text as it is
  }
  return cut(
    s.replace(/([?&#;])([^=&#;?]*)=([^&#;?]*)/g, (m, p, k) => {
      let name = k;
      try {
        name = decodeURIComponent(k);
      } catch (e) {
        // keep the raw name
      }
      return SECRET.test(name) ? p + k + "=[Filtered]" : m;
    }),
    2048,
  );
}

/** A UUID v4, also outside secure contexts (where crypto.randomUUID is missing). */
export const uuid = () =>
  crypto.randomUUID
    ? crypto.randomUUID()
    : "10000000-1000-4000-8000-100000000000".replace(/[018]/g, (c) =>
        (c ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (c / 4)))).toString(16),
      );

export const fill = (text, vars) => text.replace(/\{(\w+)\}/g, (_m, k) => vars[k] ?? "");

export const later = (fn, ms) => setTimeout(() => {
  try {
    fn();
  } catch (e) {
    // never into the page
  }
}, ms);
