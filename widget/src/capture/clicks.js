// The click trail: a short CSS selector of what was clicked and a short text of it. Never an
// input's value, and no text at all for masked elements (the mask selector, [data-bugrelay-mask],
// password fields) or elements holding one.
import { S } from "../state.js";
import { cut, D } from "../util.js";
import { action } from "./actions.js";

const TARGET = "a,button,input,select,textarea,label,summary,[role=button],[role=link],[role=tab],[role=menuitem],[role=checkbox],[onclick]";

export function selector(el) {
  const parts = [];
  for (let i = 0; el && el.nodeType == 1 && i < 5; i++, el = el.parentElement) {
    if (el.id) {
      parts.unshift("#" + CSS.escape(el.id));
      break;
    }
    const tag = el.localName;
    let s = tag + [...el.classList].slice(0, 2).map((c) => "." + CSS.escape(c)).join("");
    const p = el.parentElement;
    if (p) {
      const same = [...p.children].filter((x) => x.localName == tag);
      if (same.length > 1) s += `:nth-of-type(${same.indexOf(el) + 1})`;
    }
    parts.unshift(s);
    if (tag == "body") break;
  }
  return cut(parts.join(" > "), 500);
}

export function text(el) {
  const mask = S.mask + ",input[type=password]";
  if (el.closest(mask) || el.querySelector(mask)) return "";
  const t = el.getAttribute("aria-label") || (/^(input|select|textarea)$/.test(el.localName) ? "" : el.textContent);
  return cut((t || "").trim().replace(/\s+/g, " "), 60);
}

export function hookClicks() {
  D.addEventListener(
    "click",
    (e) => {
      try {
        const t = e.target;
        if (!(t instanceof Element) || t == S.host) return;
        const el = t.closest(TARGET) || t;
        const words = text(el);
        action("ui.click", selector(el), "info", words ? { text: words } : null);
      } catch (x) {
        // never into the page
      }
    },
    true,
  );
}
