// The fallback: one frame of the current tab through getDisplayMedia (the browser asks the user).
// Only a frame that is this tab's viewport is kept, since the masks are painted from the page's
// own layout (frame scaled to innerWidth x innerHeight); anything else (another tab, a window, the
// screen, or a page inside a frame) could show masked content and is refused.
import { paintMasks, maskedRects } from "./mask.js";

const MAX_SIDE = 4096;
// In a tab capture, frames show whatever they contain: card fields and the like live in iframes.
const OPAQUE = ",iframe,frame,object,embed";

const nextFrame = () => new Promise((ok) => requestAnimationFrame(() => ok()));
const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

export async function captureDisplay(exclude, selector) {
  const media = navigator.mediaDevices;
  if (!media || !media.getDisplayMedia) throw new Error("getDisplayMedia is not supported");
  if (window.top !== window) throw new Error("in a frame, the tab's layout is unknown");
  const stream = await media.getDisplayMedia({
    video: true,
    audio: false,
    preferCurrentTab: true,
    selfBrowserSurface: "include",
    surfaceSwitching: "exclude",
    monitorTypeSurfaces: "exclude",
  });
  const video = document.createElement("video");
  const show = hide(exclude);
  try {
    const track = stream.getVideoTracks()[0];
    const surface = track && track.getSettings && track.getSettings().displaySurface;
    if (surface && surface !== "browser") throw new Error(`a ${surface} was shared, not this tab`);
    video.muted = true;
    video.playsInline = true;
    video.srcObject = stream;
    await video.play();
    // Let the permission prompt go and the "sharing this tab" bar resize the viewport.
    await nextFrame();
    await sleep(300);
    await nextFrame();
    const vw = video.videoWidth;
    const vh = video.videoHeight;
    if (!vw || !vh || Math.abs(vw / vh - innerWidth / innerHeight) > 0.08) throw new Error("the frame is not this viewport");
    const k = Math.min(1, MAX_SIDE / Math.max(vw, vh));
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(vw * k);
    canvas.height = Math.round(vh * k);
    canvas.style.width = `${innerWidth}px`;
    canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
    paintMasks(canvas, maskedRects(selector + OPAQUE, exclude), canvas.width / innerWidth, canvas.height / innerHeight);
    return canvas;
  } finally {
    stream.getTracks().forEach((t) => t.stop());
    video.srcObject = null;
    show();
  }
}

/** Makes the widget transparent for the frame (opacity keeps focus); returns the undo. */
function hide(el) {
  if (!el || !el.style) return () => {};
  const s = el.style;
  const value = s.getPropertyValue("opacity");
  const priority = s.getPropertyPriority("opacity");
  s.setProperty("opacity", "0", "important");
  return () => {
    if (value) s.setProperty("opacity", value, priority);
    else s.removeProperty("opacity");
  };
}
