// Uncaught errors and unhandled rejections: the latest becomes the report's exception (with
// frames parsed from Chrome's, Firefox's and Safari's stack formats), older ones stay short in
// extra.errors, each also an "error" action.
import { selfSrc } from "../config.js";
import { S } from "../state.js";
import { cut, fmt, iso, isObj, push, scrubUrl, W } from "../util.js";
import { action } from "./actions.js";

const CHROME = /^\s*at (?:async )?(?:(.+?) \()?(.+?):(\d+):\d+\)?$/;
const GECKO = /^(.*?)@(.+?):(\d+):\d+$/; // Firefox and Safari
const bare = (u) => String(u).split(/[?#]/)[0];
const own = bare(selfSrc).replace(/[^/]*$/, "");

const inApp = (file) =>
  file.startsWith(location.origin + "/") && !(own && bare(file).startsWith(own) && /\/widget(-screenshot)?\.js$/.test(bare(file)));

/** Frames of a JS stack, innermost last (the schema's order), at most 100. */
export function frames(stack) {
  const lines = String(stack || "").split("\n");
  const re = lines.some((l) => /^\s+at /.test(l)) ? CHROME : GECKO;
  const out = [];
  for (const l of lines) {
    const m = re.exec(l);
    if (!m) continue;
    const f = { file: cut(scrubUrl(m[2]), 500), line: +m[3], in_app: inApp(m[2]) };
    if (m[1]) f.function = cut(m[1], 500);
    out.push(f);
  }
  return out.reverse().slice(-100);
}

function record(err, message, file, line, rejection) {
  let type = "Error";
  let value;
  let stack = "";
  if (isObj(err) && "message" in err) {
    type = String(err.name || type);
    value = String(err.message);
    stack = String(err.stack || "");
  } else if (rejection) {
    type = "UnhandledRejection";
    value = fmt(err);
  } else value = String(message || fmt(err)).replace(/^Uncaught (\w*Error: )?/, "");
  const exc = { type: cut(type, 100), value: cut(value, 2000), handled: false, frames: frames(stack) };
  if (stack) exc.stack = cut(stack, 2000);
  else if (file) exc.frames = [{ file: cut(scrubUrl(file), 500), line: +line || 0, in_app: inApp(file) }];
  if (S.exc) push(S.errors, { type: S.exc.type, value: cut(S.exc.value, 200), timestamp: S.excAt }, 10);
  S.exc = exc;
  S.excAt = iso();
  action("error", `${exc.type}: ${exc.value}`, "error");
}

export function hookErrors() {
  W.addEventListener("error", (e) => {
    try {
      if (e instanceof ErrorEvent) record(e.error, e.message, e.filename, e.lineno);
    } catch (x) {
      // never into the page
    }
  });
  W.addEventListener("unhandledrejection", (e) => {
    try {
      record(e.reason, "", "", 0, true);
    } catch (x) {
      // never into the page
    }
  });
}
