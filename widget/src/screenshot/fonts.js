// Web fonts for the render. The SVG image the page is drawn through cannot load the page's fonts,
// so they are inlined as data: URLs. modern-screenshot's own font embedding parses CSS through a
// <style> in a new document, which a strict style-src blocks (and it then fails); this builds the
// @font-face text it accepts as `font.cssText` instead. Only same-origin font files are fetched
// (connect-src 'self' allows them; a cross-origin fetch could be refused or reported), only for
// families the page has loaded, and within a size budget. The result is false when there is nothing.

const BUDGET = 3e6; // bytes of font files per capture
const TIMEOUT_MS = 3000;
const cache = new Map(); // url -> Promise<dataURL|null>, for later captures

const unquote = (s) => s.trim().replace(/^["']|["']$/g, "").toLowerCase();

export async function fontCss() {
  const loaded = new Set();
  if (document.fonts) document.fonts.forEach((f) => f.status === "loaded" && loaded.add(unquote(f.family)));
  if (!loaded.size) return false;
  const rules = [];
  const collect = (list, base) => {
    for (const rule of list) {
      if (rule.cssRules) collect(rule.cssRules, base);
      if (rule.type === 5 && loaded.has(unquote(rule.style.getPropertyValue("font-family")))) rules.push([rule, base]);
    }
  };
  for (const sheet of document.styleSheets) {
    try {
      collect(sheet.cssRules, sheet.href || document.baseURI);
    } catch (e) {
      // a cross-origin sheet cannot be read
    }
  }
  let spent = 0;
  const parts = await Promise.all(
    rules.map(async ([rule, base]) => {
      const m = /url\(\s*["']?([^"')]+)["']?\s*\)(\s*format\([^)]*\))?/.exec(rule.style.getPropertyValue("src"));
      if (!m) return "";
      const url = new URL(m[1], base);
      if (url.origin !== location.origin) return "";
      if (!cache.has(url.href)) cache.set(url.href, inline(url.href));
      const data = await cache.get(url.href);
      if (!data || (spent += data.length) > BUDGET) return "";
      const s = rule.style;
      const d = (name) => (s.getPropertyValue(name) ? `${name}:${s.getPropertyValue(name)};` : "");
      return `@font-face{${d("font-family")}${d("font-style")}${d("font-weight")}${d("font-stretch")}${d("unicode-range")}src:url("${data}")${m[2] || ""}}`;
    }),
  );
  const css = parts.join("\n");
  return css ? { cssText: css } : false;
}

async function inline(url) {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), TIMEOUT_MS);
  try {
    const res = await fetch(url, { signal: abort.signal, cache: "force-cache", credentials: "same-origin" });
    if (!res.ok) return null;
    const blob = await res.blob();
    return await new Promise((resolve) => {
      const r = new FileReader();
      r.onload = () => resolve(r.result);
      r.onerror = () => resolve(null);
      r.readAsDataURL(blob);
    });
  } catch (e) {
    return null;
  } finally {
    clearTimeout(timer);
  }
}
