// The widget's CSS, adopted by its shadow root as a constructable stylesheet (allowed by a strict
// style-src); a <style nonce> only where adoptedStyleSheets is missing. Theming through CSS
// variables on the host or any ancestor: --bugrelay-accent, --bugrelay-accent-fg, --bugrelay-bg,
// --bugrelay-fg, --bugrelay-radius, --bugrelay-font, --bugrelay-z.
import { h } from "./util.js";

const CSS = `
:host{all:initial;--a:var(--bugrelay-accent,#1d4ed8);--o:var(--bugrelay-accent-fg,#fff);--b:var(--bugrelay-bg,#fff);--f:var(--bugrelay-fg,#1b1b1f);--m:#595962;--e:#b3261e;--r:var(--bugrelay-radius,10px);font:15px/1.45 var(--bugrelay-font,system-ui,sans-serif);color:var(--f)}
@media (prefers-color-scheme:dark){:host{--a:var(--bugrelay-accent,#9ab8ff);--o:var(--bugrelay-accent-fg,#0b1530);--b:var(--bugrelay-bg,#1d1e22);--f:var(--bugrelay-fg,#ececf1);--m:#b4b4bd;--e:#ffb4ab}}
:host([hidden]),[hidden],.e:empty{display:none!important}
*{box-sizing:border-box;font:inherit;color:inherit}
dialog,.n{color-scheme:light dark;background:var(--b);border:1px solid var(--m);border-radius:var(--r);box-shadow:0 8px 32px #0005;padding:20px}
dialog{width:min(34rem,100vw - 1rem);max-height:calc(100vh - 1rem)}
dialog::backdrop{background:#0008}
h2{font-size:19px;font-weight:700;margin:0}
label,legend{display:block;padding:0}
label,legend,summary{font-weight:600;margin:14px 0 4px}
legend{margin-top:0}
summary{cursor:pointer}
fieldset{border:0;padding:0;margin:14px 0 0;min-width:0}
.o,.row,.f,.st{display:flex;flex-wrap:wrap;gap:8px 16px;align-items:center}
.o label,li label,.row label{display:inline;font-weight:400;margin:0 0 0 6px}
.row .u{font-weight:600;margin:0}
.h,.q,.v{color:var(--m);font-size:13px;font-weight:400;margin:2px 0}
.e{color:var(--e);margin:4px 0 0}
input,textarea,select{width:100%;padding:8px;background:var(--b);border:1px solid var(--m);border-radius:calc(var(--r)/2)}
[type=checkbox],[type=radio]{accent-color:var(--a);width:18px;height:18px;margin:0}
[aria-invalid=true]{border:2px solid var(--e)}
button,.u{padding:8px 14px;border:1px solid var(--m);border-radius:calc(var(--r)/2);background:var(--b);cursor:pointer;font-weight:600;margin:0}
.p{background:var(--a);border-color:var(--a);color:var(--o)}
:focus-visible,.s:focus-visible+label{outline:3px solid var(--a);outline-offset:2px}
.s{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
.f{justify-content:flex-end;margin-top:16px}
img,canvas{max-width:100%;display:block}
ul{list-style:none;margin:0;padding:0}
.v{margin-left:24px;overflow-wrap:anywhere}
pre{white-space:pre-wrap;max-height:12em;overflow:auto;font:12px ui-monospace,monospace}
.v img{max-height:100px}
.l,.n{position:fixed;right:16px;bottom:16px;z-index:var(--bugrelay-z,2147483000)}
.l{border-radius:99px}
.n{bottom:72px;width:min(24rem,100vw - 2rem);padding-right:44px}
.n h2{font-size:16px}
.x{position:absolute;top:8px;right:8px;border:0;font-size:20px;padding:0 8px}
.st label{margin:0;font-size:28px;color:var(--m)}
.st .on{color:var(--a)}
`;

/** Style the shadow root: adoptedStyleSheets, else a <style> carrying the page's nonce. */
export function style(root, nonce) {
  try {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
  } catch (e) {
    root.append(h("style", { nonce }, CSS));
  }
}
