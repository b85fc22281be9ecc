// The editor's CSS, as a constructable stylesheet appended to the container's root node's
// adoptedStyleSheets (the core's sheets stay): allowed by a strict style-src, no <style>, no
// style attributes. Colours can be themed from the core through the --bugrelay-ss-* properties.
const CSS = `
.brs{display:flex;flex-direction:column;gap:8px;color:var(--bugrelay-ss-fg,#111827)}
.brs-bar{display:flex;flex-wrap:wrap;gap:6px}
.brs-bar button{font:inherit;font-size:13px;line-height:1.2;min-height:32px;padding:6px 10px;margin:0;border:1px solid var(--bugrelay-ss-border,#9ca3af);border-radius:6px;background:var(--bugrelay-ss-bg,#fff);color:inherit;cursor:pointer}
.brs-bar button:hover{border-color:currentColor}
.brs-bar button[aria-pressed=true]{background:var(--bugrelay-ss-fg,#111827);border-color:var(--bugrelay-ss-fg,#111827);color:var(--bugrelay-ss-bg,#fff)}
.brs-bar button[aria-disabled=true]{opacity:.5;cursor:default}
.brs-bar button:focus-visible{outline:2px solid var(--bugrelay-ss-focus,#2563eb);outline-offset:2px}
.brs-tool::before{content:"";display:inline-block;width:12px;height:9px;margin-right:6px;vertical-align:-1px;border-radius:2px;box-sizing:border-box}
.brs-hl::before{border:2px solid #f59e0b}
.brs-hide::before{background:#000;border:1px solid #6b7280}
.brs-gap{flex:1}
.brs-frame{border:1px solid var(--bugrelay-ss-border,#d1d5db);border-radius:6px;overflow:hidden;line-height:0}
.brs-surface{display:block;width:100%;height:auto;touch-action:none;cursor:crosshair;user-select:none;-webkit-user-select:none}
@media (forced-colors:active){.brs-bar button[aria-pressed=true]{outline:3px solid Highlight}}
`;

/** Adds the editor's sheet to the root node of `node`; returns the function that removes it. */
export function adoptStyles(node) {
  const root = node.getRootNode();
  if (!("adoptedStyleSheets" in root) || !("replaceSync" in CSSStyleSheet.prototype)) return () => {};
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(CSS);
  root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
  return () => {
    root.adoptedStyleSheets = root.adoptedStyleSheets.filter((s) => s !== sheet);
  };
}
