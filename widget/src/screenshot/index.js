// The screenshot chunk (widget-screenshot.js): loaded by the core, with the page's nonce, only
// when the user takes a screenshot. It registers the interface the core uses:
//   capture({exclude, mask}) -> Promise<HTMLCanvasElement>   (rejects with error.code "unavailable")
//   editor(canvas, container, strings) -> {toBlob() -> Promise<Blob>, destroy()}
import { capture } from "./capture.js";
import { editor } from "./editor.js";

window.__bugrelayScreenshot = { capture, editor };
