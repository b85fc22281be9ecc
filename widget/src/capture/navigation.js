// Navigation: history.pushState/replaceState (wrapped, the original still called), popstate and
// hashchange -> "navigation" actions with from/to (secrets in the query filtered).
import { scrubUrl, W } from "../util.js";
import { action } from "./actions.js";

let last = location.href;

function moved() {
  try {
    const to = location.href;
    if (to == last) return;
    const from = scrubUrl(last);
    last = to;
    action("navigation", scrubUrl(to), "info", { from, to: scrubUrl(to) });
  } catch (e) {
    // never into the page
  }
}

export function hookNavigation() {
  for (const m of ["pushState", "replaceState"]) {
    const orig = history[m];
    if (typeof orig != "function") continue;
    history[m] = function () {
      const r = orig.apply(this, arguments);
      moved();
      return r;
    };
  }
  W.addEventListener("popstate", moved);
  W.addEventListener("hashchange", moved);
}
