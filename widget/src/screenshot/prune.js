// Offscreen pruning: the library copies every element's computed style (about half a
// millisecond each), so a long page would not render in time.
// In block flow nothing depends on what comes after it, and the library pins every box's computed
// width and height, so an element wholly below the viewport is left out of the clone (dropped).
// Elsewhere an element wholly outside the viewport keeps its box but loses its children (pruned).
// Neither happens when something of the subtree could still show in the viewport:
//  - a positioned or transformed descendant that is in the viewport (found up front);
//  - visible overflow (scroll size larger than the box);
//  - above the viewport, a first child's top margin collapsing through it (the box would move);
//  - inline, table and display:contents boxes, whose size depends on their children.

/** The elements (and shadow hosts) that have a positioned or transformed descendant inside the viewport. */
export function visibleEscapees(width, height, exclude) {
  const keep = new Set();
  (function walk(root) {
    for (const el of root.querySelectorAll("*")) {
      if (el === exclude) continue;
      if (el.shadowRoot) walk(el.shadowRoot);
      const cs = getComputedStyle(el);
      if (cs.position === "static" && cs.transform === "none" && cs.translate === "none") continue;
      const r = el.getBoundingClientRect();
      if (r.bottom <= 0 || r.right <= 0 || r.top >= height || r.left >= width) continue;
      for (let a = el.parentNode; a && !keep.has(a); a = a.parentNode || a.host) keep.add(a);
    }
  })(document);
  return keep;
}

/** True when `node` (below the viewport, in a plain block container) can be left out entirely. */
export function droppable(node, keep, height, parents) {
  const parent = node.parentNode;
  if (node.nodeType !== 1 || keep.has(node) || !parent || parent.nodeType !== 1) return false;
  let ok = parents.get(parent);
  if (ok === undefined) {
    const cs = getComputedStyle(parent);
    ok = /^(block|list-item|flow-root|inline-block)$/.test(cs.display) && cs.columnCount === "auto" && cs.writingMode === "horizontal-tb";
    parents.set(parent, ok);
  }
  return ok && node.getBoundingClientRect().top >= height;
}

/** True when `el`'s children can be left out of the clone without changing what the viewport shows. */
export function prunable(el, keep, width, height) {
  if (el.nodeType !== 1 || keep.has(el) || !(el.firstChild || el.shadowRoot)) return false;
  const r = el.getBoundingClientRect();
  const above = r.bottom <= 0;
  if (!(above || r.right <= 0 || r.top >= height || r.left >= width)) return false;
  const cs = getComputedStyle(el);
  const d = cs.display;
  if (d === "inline" || d === "contents" || d.includes("table")) return false;
  const clips = cs.overflowX !== "visible" && cs.overflowY !== "visible";
  if (!clips && (el.scrollHeight > el.clientHeight + 1 || el.scrollWidth > el.clientWidth + 1)) return false;
  if (above && /^(block|list-item)$/.test(d) && !clips && cs.float === "none" && !/absolute|fixed/.test(cs.position)) {
    // A block that is not a formatting-context root lets its first child's margin through
    // unless it has a top border or padding.
    const parent = el.parentElement && getComputedStyle(el.parentElement).display;
    if (!/flex|grid/.test(parent || "") && parseFloat(cs.borderTopWidth) === 0 && parseFloat(cs.paddingTop) === 0) return false;
  }
  return true;
}
