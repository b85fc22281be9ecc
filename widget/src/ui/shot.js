// The screenshot part of the form: "Take screenshot" loads the chunk (widget-screenshot.js, with
// the page's nonce) and calls window.__bugrelayScreenshot.capture() with the dialog hidden, then
// its editor (highlight / hide) inside the form; "Upload an image" is the fallback, or the choice.
// S.shot = {toBlob(), destroy()} while there is one.
import { S } from "../state.js";
import { D, h, uid, W } from "../util.js";
import { refresh } from "./preview.js";

let loading;

function chunk() {
  const ready = () => W.__bugrelayScreenshot;
  return ready()
    ? Promise.resolve(ready())
    : (loading ||= new Promise((ok, no) => {
        const s = h("script", { src: S.u.chunk, nonce: S.o.nonce });
        s.onload = () => (ready() ? ok(ready()) : no());
        s.onerror = no;
        (D.head || D.documentElement).append(s);
      }).catch((e) => {
        loading = null; // a later click tries again
        throw e;
      }));
}

const png = (canvas) => new Promise((ok) => canvas.toBlob(ok, "image/png"));

/** An image (file, blob, canvas) drawn on a canvas at `scale`, or so its long side fits 4096 px. */
async function draw(img, scale) {
  const b = await createImageBitmap(img);
  const c = h("canvas");
  scale ||= Math.min(1, 4096 / Math.max(b.width, b.height));
  c.width = b.width * scale;
  c.height = b.height * scale;
  c.getContext("2d").drawImage(b, 0, 0, c.width, c.height);
  return c;
}

/** A PNG the collector takes (at most 5 MiB): scaled down until it fits. */
export async function fit(blob) {
  while (blob && blob.size > 5e6) blob = await png(await draw(blob, 0.7));
  return blob;
}

export function shotPart() {
  const t = S.t;
  const status = h("p", { class: "h", part: "screenshot-status", "aria-live": "polite" });
  const box = h("div", { part: "screenshot-editor" });
  const upId = uid();
  const take = h("button", { part: "screenshot", onclick: capture }, t.take);
  const up = h("input", { type: "file", accept: "image/*", id: upId, class: "s", part: "screenshot-upload", onchange: upload });
  const rm = h("button", { part: "screenshot-remove", hidden: true, onclick: () => (remove(), take.focus()) }, t.remove);
  const say = (text) => (status.textContent = text || "");

  function remove() {
    if (S.shot) S.shot.destroy();
    S.shot = null;
    box.replaceChildren();
    up.value = "";
    rm.hidden = true;
    say();
    refresh();
  }

  async function show(canvas) {
    remove();
    let editor;
    try {
      editor = (await chunk()).editor(canvas, box, { highlight: t.highlight, hide: t.hide, undo: t.undo, clear: t.clear, canvasLabel: t.canvasLabel, toolbar: t.toolbar });
    } catch (e) {
      box.append(h("img", { src: canvas.toDataURL(), alt: t.screenshot }));
    }
    S.shot = editor || { toBlob: () => png(canvas), destroy() {} };
    rm.hidden = false;
    (box.querySelector("button") || rm).focus();
    refresh();
  }

  async function capture() {
    const dlg = S.dlg;
    let canvas;
    say(t.capturing);
    try {
      const c = await chunk();
      S.cap = true;
      dlg.close();
      S.host.hidden = true;
      await new Promise((ok) => requestAnimationFrame(() => requestAnimationFrame(ok)));
      // a capture that hangs (a screen-share prompt left open) gives the form back after 20 s
      canvas = await Promise.race([c.capture({ exclude: S.host, mask: S.mask }), new Promise((_, no) => setTimeout(no, 2e4))]);
    } catch (e) {
      // offered the upload below
    }
    S.host.hidden = S.cap = false;
    if (!dlg.open) dlg.showModal();
    say();
    if (canvas) return show(canvas);
    say(t.shotFailed);
    up.focus();
  }

  async function upload() {
    try {
      if (up.files[0]) await show(await draw(up.files[0]));
    } catch (e) {
      say(t.shotFailed);
    }
  }

  S.clearShot = remove;
  return h("fieldset", { part: "screenshot-section" }, h("legend", {}, t.screenshot), h("div", { class: "row" }, take, up, h("label", { for: upId, class: "u" }, t.upload), rm), box, status);
}
