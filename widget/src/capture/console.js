// console.log/info/warn/error/debug -> the last 100 lines of the report's logs (logger "console").
// Each method is wrapped and still calls the page's original; our part never throws.
import { S } from "../state.js";
import { cut, fmt, iso, push } from "../util.js";

const LEVELS = { log: "info", info: "info", warn: "warning", error: "error", debug: "debug" };
let busy = false; // formatting an argument may log again (a getter, a toJSON): record once

export function hookConsole() {
  for (const m in LEVELS) {
    const orig = console[m];
    if (typeof orig != "function") continue;
    console[m] = function (...args) {
      if (!busy) {
        busy = true;
        try {
          push(S.logs, { timestamp: iso(), level: LEVELS[m], logger: "console", message: cut(args.map(fmt).join(" "), 2000) }, 100);
        } catch (e) {
          // a line we cannot format is left out
        }
        busy = false;
      }
      return orig.apply(this, args);
    };
  }
}
