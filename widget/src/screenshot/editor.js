// editor(canvas, container, strings) -> {toBlob(), destroy()}: the screenshot scaled to the
// container's width, a toolbar (Highlight / Hide tools, Undo, Clear; one tab stop, arrow keys
// move within it) and rectangles drawn with any pointer. Shapes are kept in the canvas's own
// pixels; toBlob() flattens them into a PNG at that full resolution. The source canvas is not changed.
import { adoptStyles } from "./styles.js";

const EN = {
  highlight: "Highlight",
  hide: "Hide",
  undo: "Undo",
  clear: "Clear",
  toolbar: "Screenshot tools",
  canvasLabel: "Screenshot preview. Drag on it to draw a rectangle with the selected tool.",
};
const ACCENT = "#f59e0b";
const HIDE = "#000";
const LINE = 3; // highlight outline, in CSS px (of the preview; of the page in the PNG)
const RADIUS = 4;
const MIN_DRAG = 4; // CSS px of the preview: shorter drags are clicks

/** Runs an event handler without ever throwing into the page. */
const guard = (fn) => (e) => {
  try {
    fn(e);
  } catch (err) {
    // a drawing glitch must not become the page's error
  }
};

export function editor(source, container, strings) {
  const t = (key) => (strings && typeof strings[key] === "string" && strings[key]) || EN[key];
  const doc = container.ownerDocument;
  const W = source.width;
  const H = source.height;
  const unit = W / (parseFloat(source.style.width) || W); // canvas px per CSS px of the captured page

  const make = (tag, cls, attrs) => {
    const el = doc.createElement(tag);
    if (cls) el.className = cls;
    for (const k in attrs || {}) el.setAttribute(k, attrs[k]);
    return el;
  };
  const button = (part, cls, label) => {
    const b = make("button", cls, { type: "button", part, tabindex: "-1" });
    b.textContent = label;
    return b;
  };

  const removeStyles = adoptStyles(container);
  const root = make("div", "brs");
  const bar = make("div", "brs-bar", { role: "toolbar", "aria-label": t("toolbar") });
  const tools = {
    highlight: button("tool-highlight", "brs-tool brs-hl", t("highlight")),
    hide: button("tool-hide", "brs-tool brs-hide", t("hide")),
  };
  const undo = button("undo", "", t("undo"));
  const clear = button("clear", "", t("clear"));
  const buttons = [tools.highlight, tools.hide, undo, clear];
  const frame = make("div", "brs-frame");
  const surface = make("canvas", "brs-surface", { part: "surface", role: "img", "aria-label": t("canvasLabel") });
  // The essentials through CSSOM too, for browsers without constructable stylesheets.
  surface.style.width = "100%";
  surface.style.touchAction = "none";
  bar.append(tools.highlight, tools.hide, make("span", "brs-gap"), undo, clear);
  frame.append(surface);
  root.append(bar, frame);
  container.append(root);
  tools.highlight.tabIndex = 0;

  let tool = "highlight";
  let shapes = [];
  let draft = null; // {tool, x0, y0, x1, y1, id} while a pointer draws
  let raf = 0;

  function select(name) {
    tool = name;
    for (const k in tools) tools[k].setAttribute("aria-pressed", String(k === name));
  }

  function sync() {
    for (const b of [undo, clear]) b.setAttribute("aria-disabled", String(!shapes.length));
  }

  function paint(g, list, k, line, radius) {
    for (const s of list) {
      const x = Math.min(s.x0, s.x1) * k;
      const y = Math.min(s.y0, s.y1) * k;
      const w = Math.abs(s.x1 - s.x0) * k;
      const h = Math.abs(s.y1 - s.y0) * k;
      if (s.tool === "hide") {
        g.fillStyle = HIDE;
        g.fillRect(x, y, w, h);
      } else {
        // The outline lies inside the rectangle.
        g.strokeStyle = ACCENT;
        g.lineWidth = line;
        g.lineJoin = "round";
        roundRect(g, x + line / 2, y + line / 2, Math.max(0, w - line), Math.max(0, h - line), radius);
        g.stroke();
      }
    }
  }

  function draw() {
    raf = 0;
    const g = surface.getContext("2d");
    const k = surface.width / W;
    const px = surface.width / (surface.clientWidth || surface.width); // canvas px per CSS px
    g.clearRect(0, 0, surface.width, surface.height);
    g.drawImage(source, 0, 0, surface.width, surface.height);
    paint(g, draft ? [...shapes, draft] : shapes, k, LINE * px, RADIUS * px);
  }

  const redraw = () => {
    if (!raf) raf = requestAnimationFrame(guard(draw));
  };

  function layout() {
    const css = frame.clientWidth;
    if (!css) return;
    const w = Math.max(1, Math.round(css * Math.min(devicePixelRatio || 1, 3)));
    const h = Math.max(1, Math.round((w * H) / W));
    if (surface.width !== w || surface.height !== h) {
      surface.width = w;
      surface.height = h;
    }
    draw();
  }

  function point(e) {
    const r = surface.getBoundingClientRect();
    const clamp = (v) => Math.min(1, Math.max(0, v));
    return [clamp((e.clientX - r.left) / r.width) * W, clamp((e.clientY - r.top) / r.height) * H];
  }

  const listening = new AbortController();
  const on = (el, type, fn) => el.addEventListener(type, guard(fn), { signal: listening.signal });

  on(surface, "pointerdown", (e) => {
    if (draft || (e.pointerType === "mouse" && e.button !== 0)) return;
    e.preventDefault();
    const [x, y] = point(e);
    draft = { tool, x0: x, y0: y, x1: x, y1: y, id: e.pointerId };
    try {
      surface.setPointerCapture(e.pointerId);
    } catch (err) {
      // the pointer is already gone: pointerup / cancel still end the draft
    }
    redraw();
  });
  on(surface, "pointermove", (e) => {
    if (!draft || e.pointerId !== draft.id) return;
    [draft.x1, draft.y1] = point(e);
    redraw();
  });
  const end = (commit) => (e) => {
    if (!draft || e.pointerId !== draft.id) return;
    if (commit) [draft.x1, draft.y1] = point(e);
    const min = (MIN_DRAG * W) / (surface.clientWidth || W);
    if (commit && Math.abs(draft.x1 - draft.x0) >= min && Math.abs(draft.y1 - draft.y0) >= min) shapes.push(draft);
    draft = null;
    sync();
    redraw();
  };
  on(surface, "pointerup", end(true));
  on(surface, "pointercancel", end(false));
  on(surface, "lostpointercapture", end(false));

  on(tools.highlight, "click", () => select("highlight"));
  on(tools.hide, "click", () => select("hide"));
  on(undo, "click", () => {
    shapes.pop();
    sync();
    redraw();
  });
  on(clear, "click", () => {
    shapes = [];
    sync();
    redraw();
  });
  // A toolbar is one tab stop: arrows, Home and End move between its buttons.
  on(bar, "keydown", (e) => {
    const i = buttons.indexOf(e.target);
    const n = buttons.length;
    const to = { ArrowRight: i + 1, ArrowDown: i + 1, ArrowLeft: i - 1, ArrowUp: i - 1, Home: 0, End: n - 1 }[e.key];
    if (i < 0 || to === undefined) return;
    e.preventDefault();
    buttons[(to + n) % n].focus();
  });
  on(bar, "focusin", (e) => {
    if (buttons.includes(e.target)) for (const b of buttons) b.tabIndex = b === e.target ? 0 : -1;
  });

  const observer = typeof ResizeObserver === "function" ? new ResizeObserver(guard(layout)) : null;
  if (observer) observer.observe(frame);
  select("highlight");
  sync();
  layout();

  return {
    toBlob() {
      const c = doc.createElement("canvas");
      c.width = W;
      c.height = H;
      const g = c.getContext("2d");
      g.drawImage(source, 0, 0);
      paint(g, shapes, 1, LINE * unit, RADIUS * unit);
      return new Promise((resolve, reject) =>
        c.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("the PNG could not be encoded"))), "image/png"),
      );
    },
    destroy() {
      listening.abort();
      if (observer) observer.disconnect();
      if (raf) cancelAnimationFrame(raf);
      raf = 0;
      root.remove();
      removeStyles();
    },
  };
}

function roundRect(g, x, y, w, h, r) {
  r = Math.min(r, w / 2, h / 2);
  g.beginPath();
  g.moveTo(x + r, y);
  g.arcTo(x + w, y, x + w, y + h, r);
  g.arcTo(x + w, y + h, x, y + h, r);
  g.arcTo(x, y + h, x, y, r);
  g.arcTo(x, y, x + w, y, r);
  g.closePath();
}
