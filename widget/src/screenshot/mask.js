// Privacy masking. Two layers, both always applied:
//  1. in modern-screenshot's cloned DOM (never the live page): a masked element keeps its box but
//     loses its value, its text, its children and its classes (the classes carry ::before/::after
//     content), so the secret is never rendered at all;
//  2. after rendering: an opaque box is painted over each masked element's bounding box.
// The getDisplayMedia fallback has only the second layer.

export const DEFAULT_MASK =
  "input:not([type=button]):not([type=submit]):not([type=reset]):not([type=checkbox]):not([type=radio]):not([type=range]),textarea,select,[contenteditable]:not([contenteditable=false]),[data-bugrelay-mask]";
export const MASK_COLOR = "#1f2937";
// Whatever selector the page configures, these are never shown.
const ALWAYS = "input[type=password]";
// Offscreen images are not fetched: they cannot be seen in a viewport screenshot.
const EMPTY_GIF = "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7";

/** The selector to mask with: the configured one (the default when missing or invalid) plus ALWAYS. */
export function maskSelector(selector) {
  let s = typeof selector === "string" && selector.trim() ? selector : DEFAULT_MASK;
  try {
    document.createDocumentFragment().querySelector(s);
  } catch (e) {
    s = DEFAULT_MASK;
  }
  return `${s},${ALWAYS}`;
}

const offscreen = (r, w, h) => r.bottom < 0 || r.right < 0 || r.top > h || r.left > w;

/**
 * Hooks for modern-screenshot's `filter` and `onCloneEachNode`, and the masked rectangles seen
 * while cloning (viewport coordinates). The library clones depth first: filter(original) runs
 * before a node is cloned, onCloneEachNode(clone) after its subtree, so a stack pairs the two.
 * Text nodes never reach onCloneEachNode; the clone of a same-origin iframe reaches it twice.
 * `drop(node)` says when a node can be left out, `prune(el)` when its children can (see prune.js).
 */
export function cloneMasker(selector, exclude, width, height, drop, prune) {
  const stack = [];
  const seen = new WeakSet();
  const rects = [];
  const pairs = new WeakMap();
  let skipping = false; // inside a masked or pruned element: its descendants are left out

  function filter(node) {
    // Left out as well: the widget, and the content of iframes (their own masked fields could
    // not be found from here).
    if (skipping || node === exclude || node.ownerDocument !== document) return false;
    if (node.nodeType === 3) return true;
    const masked = node.nodeType === 1 && node.matches(selector);
    if (!masked && drop(node)) return false;
    skipping = masked || prune(node);
    stack.push([node, masked, skipping]);
    if (masked) {
      const r = node.getBoundingClientRect();
      if (r.width && r.height) rects.push(r);
    }
    return true;
  }

  function onCloneEachNode(clone) {
    if (!stack.length || seen.has(clone)) return;
    seen.add(clone);
    const [orig, masked, skipped] = stack.pop();
    pairs.set(clone, orig);
    if (skipped) skipping = false;
    if (clone.nodeType !== 1) return;
    if (masked) blank(clone, orig);
    else mirror(clone, orig, width, height);
  }

  return { filter, onCloneEachNode, rects, original: (clone) => pairs.get(clone) };
}

function blank(clone, orig) {
  clone.removeAttribute("class");
  if (/^(INPUT|TEXTAREA|SELECT)$/.test(orig.tagName) || clone.hasAttribute("value")) clone.setAttribute("value", "");
  clone.textContent = "";
  // The library copies the computed width/height, which keeps the box once emptied, except for
  // inline boxes, which have none: those become inline blocks of the same size.
  const s = clone.style;
  if (s && getComputedStyle(orig).display === "inline") {
    const r = orig.getBoundingClientRect();
    s.setProperty("display", "inline-block", "important");
    s.setProperty("box-sizing", "border-box", "important");
    s.setProperty("width", `${r.width}px`, "important");
    s.setProperty("height", `${r.height}px`, "important");
  }
}

/** What the library's clone misses of an unmasked element: live form state; and skips offscreen images. */
function mirror(clone, orig, width, height) {
  const tag = orig.tagName;
  if (tag === "INPUT" && (orig.type === "checkbox" || orig.type === "radio")) {
    clone.toggleAttribute("checked", orig.checked);
  } else if (tag === "TEXTAREA") {
    clone.textContent = orig.value;
  } else if (tag === "SELECT") {
    clone.querySelectorAll("option").forEach((o, i) => o.toggleAttribute("selected", i === orig.selectedIndex));
  }
  const bg = clone.style && clone.style.getPropertyValue("background-image");
  if ((tag === "IMG" || (bg && bg !== "none")) && offscreen(orig.getBoundingClientRect(), width, height)) {
    if (tag === "IMG") {
      clone.removeAttribute("srcset");
      clone.src = EMPTY_GIF;
    } else {
      clone.style.removeProperty("background-image");
    }
  }
}

/**
 * Frames are not rendered (an <iframe> draws nothing in an SVG image; a same-origin frame's clone
 * is its <html>, emptied by the filter): each becomes a grey box of the frame's size and style.
 */
export function frameBoxes(root) {
  for (const el of root.querySelectorAll("iframe,frame,html")) {
    const box = document.createElement("span");
    for (const name of el.style) box.style.setProperty(name, el.style.getPropertyValue(name), el.style.getPropertyPriority(name));
    if (!el.style.display || el.style.display === "inline") box.style.display = "inline-block";
    box.style.backgroundColor = "#e5e7eb";
    el.replaceWith(box);
  }
}

/** Viewport rectangles of the elements matching `selector`, in the document and open shadow roots. */
export function maskedRects(selector, exclude) {
  const out = [];
  (function walk(root) {
    for (const el of root.querySelectorAll(selector)) {
      if (exclude && exclude.contains(el)) continue;
      const r = el.getBoundingClientRect();
      if (r.width && r.height) out.push(r);
    }
    for (const el of root.querySelectorAll("*")) if (el.shadowRoot && el !== exclude) walk(el.shadowRoot);
  })(document);
  return out;
}

/** Paints an opaque box over each rectangle; kx, ky map viewport CSS px to canvas px. */
export function paintMasks(canvas, rects, kx, ky) {
  const g = canvas.getContext("2d");
  g.save();
  g.setTransform(1, 0, 0, 1, 0, 0);
  g.globalAlpha = 1;
  g.globalCompositeOperation = "source-over";
  g.fillStyle = MASK_COLOR;
  for (const r of rects) {
    const x = Math.floor(r.left * kx) - 1;
    const y = Math.floor(r.top * ky) - 1;
    g.fillRect(x, y, Math.ceil(r.right * kx) + 1 - x, Math.ceil(r.bottom * ky) + 1 - y);
  }
  g.restore();
}
