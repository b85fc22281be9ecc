// capture({exclude, mask}) -> Promise<HTMLCanvasElement>: what the user sees, masked.
// First a DOM render with modern-screenshot (the viewport at the current scroll position); when
// that throws, times out or comes back blank or tainted, one frame of the current tab through
// getDisplayMedia; when both fail, an Error with code "unavailable" (the core offers an upload).
import { createContext, destroyContext, domToCanvas } from "modern-screenshot";
import { captureDisplay } from "./display.js";
import { fontCss } from "./fonts.js";
import { cloneMasker, frameBoxes, maskSelector, paintMasks } from "./mask.js";
import { droppable, prunable, visibleEscapees } from "./prune.js";

const RENDER_TIMEOUT_MS = 8000;
const ASSET_TIMEOUT_MS = 4000;
const MAX_SIDE = 4096;
// A light grey pixel stands in for an image that cannot be read (cross-origin without CORS, broken).
const PLACEHOLDER =
  "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR42mN4+vw1AAVsArjs/Cr/AAAAAElFTkSuQmCC";

export async function capture(options) {
  const { exclude = null, mask } = options || {};
  const selector = maskSelector(mask);
  const causes = [];
  try {
    return await withTimeout((job) => renderDom(exclude, selector, job), RENDER_TIMEOUT_MS);
  } catch (e) {
    causes.push(e);
  }
  try {
    return await captureDisplay(exclude, selector);
  } catch (e) {
    causes.push(e);
  }
  const error = new Error(`screenshot unavailable: ${causes.map((e) => (e && e.message) || e).join("; ")}`);
  error.code = "unavailable";
  error.cause = causes[0];
  error.causes = causes;
  throw error;
}

function withTimeout(run, ms) {
  const job = {};
  let timer;
  return Promise.race([
    run(job),
    new Promise((_, reject) => {
      timer = setTimeout(() => {
        if (job.ctx) destroyContext(job.ctx); // stops the render from holding the sandbox iframe
        reject(new Error("DOM render timed out"));
      }, ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

async function renderDom(exclude, selector, job) {
  const root = document.documentElement;
  const width = root.clientWidth || innerWidth;
  const height = root.clientHeight || innerHeight;
  const sx = root.scrollLeft;
  const sy = root.scrollTop;
  const keep = visibleEscapees(width, height, exclude);
  const parents = new Map();
  const masker = cloneMasker(
    selector,
    exclude,
    width,
    height,
    (node) => droppable(node, keep, height, parents),
    (el) => prunable(el, keep, width, height),
  );
  const options = {
    width,
    height,
    scale: Math.min(devicePixelRatio || 1, 2),
    maximumCanvasSize: MAX_SIDE,
    backgroundColor: pageBackground(),
    // createContext first waits for the page's unfinished images (lazy ones never finish); the
    // clone fetches its own copies anyway, so that wait is cut short and the timeout set after.
    timeout: 1,
    filter: masker.filter,
    onCloneEachNode: masker.onCloneEachNode,
    onCloneNode: (clone) => scrollClone(clone, root, sx, sy, masker.original),
    fetchFn: imageFetcher(),
    fetch: { placeholderImage: PLACEHOLDER },
    // Inner scroll containers are drawn at their scroll position (the document's is done by scrollClone).
    features: { restoreScrollPosition: true },
  };
  options.font = await fontCss().catch(() => false);
  const ctx = (job.ctx = await createContext(root, options));
  ctx.timeout = ASSET_TIMEOUT_MS;
  try {
    const canvas = await domToCanvas(ctx);
    if (looksBlank(canvas)) throw new Error("DOM render came back blank");
    paintMasks(canvas, masker.rects, canvas.width / width, canvas.height / height);
    return canvas;
  } finally {
    destroyContext(ctx);
  }
}

/**
 * The clone is laid out unscrolled; the root is shifted up by the document's scroll offset with
 * relative positioning, which keeps it the containing block of absolutely positioned content but
 * not of position:fixed content, so fixed headers and buttons stay where the user sees them.
 */
function scrollClone(clone, root, sx, sy, original) {
  frameBoxes(clone);
  const s = clone.style;
  s.setProperty("position", "relative", "important");
  s.setProperty("left", `${-sx}px`, "important");
  s.setProperty("top", `${-sy}px`, "important");
  s.setProperty("overflow", "visible", "important");
  const visible = /^visible/.test(getComputedStyle(root).overflow);
  for (const child of clone.children) {
    // restoreScrollPosition translated the root's children by the document scroll: undone here.
    if ((sx || sy) && child.style && child.style.transform) {
      const m = new DOMMatrix(child.style.transform);
      m.e += sx;
      m.f += sy;
      if (m.isIdentity) child.style.removeProperty("transform");
      else child.style.setProperty("transform", m.toString());
    }
    // A body's overflow that the live page applies to the viewport must not clip the clone.
    const orig = original(child);
    if (visible && orig === document.body) child.style.setProperty("overflow", "visible", "important");
  }
}

function pageBackground() {
  for (const el of [document.documentElement, document.body]) {
    const c = el && getComputedStyle(el).backgroundColor;
    if (c && c !== "transparent" && !/^rgba\(.*,\s*0\)$/.test(c)) return c;
  }
  return "#fff";
}

/**
 * Images for the clone: same-origin ones the library fetches itself; others (cross-origin, blob:)
 * are loaded as images, which the page's img-src already allows (no connect-src needed), and
 * read back through a canvas; what cannot be read becomes the placeholder. Each URL is tried once.
 */
function imageFetcher() {
  const cache = new Map();
  return (url) => {
    if (!cache.has(url)) cache.set(url, inlineImage(url));
    return cache.get(url);
  };
}

function inlineImage(url) {
  let u;
  try {
    u = new URL(url, document.baseURI);
  } catch (e) {
    return Promise.resolve(PLACEHOLDER);
  }
  if (u.origin === location.origin && /^https?:$/.test(u.protocol)) return Promise.resolve(false);
  // The page's own copy first: no second request, and a broken one is not asked for again.
  const live = [...document.images].find((i) => i.currentSrc === u.href || i.src === u.href);
  if (live && live.complete) {
    if (!live.naturalWidth) return Promise.resolve(PLACEHOLDER);
    const data = readImage(live);
    if (data) return Promise.resolve(data);
  }
  return new Promise((resolve) => {
    const img = new Image();
    const done = (value) => {
      clearTimeout(timer);
      img.onload = img.onerror = null;
      resolve(value || PLACEHOLDER);
    };
    const timer = setTimeout(done, ASSET_TIMEOUT_MS);
    img.onerror = () => done();
    img.onload = () => done(readImage(img));
    if (u.protocol !== "blob:") img.crossOrigin = "anonymous";
    img.src = u.href;
  });
}

/** A data: URL of a loaded image, or null when it cannot be read (a tainted canvas). */
function readImage(img) {
  try {
    const k = Math.min(1, 2048 / Math.max(img.naturalWidth, img.naturalHeight));
    const c = document.createElement("canvas");
    c.width = Math.round(img.naturalWidth * k);
    c.height = Math.round(img.naturalHeight * k);
    if (!c.width || !c.height) return null;
    c.getContext("2d").drawImage(img, 0, 0, c.width, c.height);
    return c.toDataURL("image/webp", 0.9);
  } catch (e) {
    return null;
  }
}

/** True when the render is one flat colour (nothing was drawn); throws when the canvas is tainted. */
function looksBlank(canvas) {
  const c = document.createElement("canvas");
  c.width = c.height = 64;
  const g = c.getContext("2d", { willReadFrequently: true });
  g.drawImage(canvas, 0, 0, 64, 64);
  const d = g.getImageData(0, 0, 64, 64).data;
  for (let i = 4; i < d.length; i++) if (d[i] !== d[i & 3]) return false;
  return true;
}
