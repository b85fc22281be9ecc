// The environment at report time: browser, OS, device (client hints when the browser has them,
// the user agent otherwise), viewport, screen, language, time zone, the page's URL and referrer
// (secrets filtered), and the page-load timing.
import { clean, cut, D, scrubUrl, W } from "./util.js";

const N = navigator;
let hints = {};

/** Ask for the high-entropy client hints once, at load; env() uses them once they have come. */
export function fetchHints() {
  N.userAgentData.getHighEntropyValues(["platformVersion", "fullVersionList", "model"]).then((v) => (hints = v), () => {});
}

const BROWSERS = "Edg:Edge OPR:Opera Firefox FxiOS:Firefox CriOS:Chrome Chrome Version:Safari";
const SYSTEMS = [[/(?:iPhone|CPU) OS ([\d_]+)/, "iOS"], [/Android ([\d.]+)/, "Android"], [/Windows NT ([\d.]+)/, "Windows"], [/Mac OS X ([\d_.]+)/, "macOS"], [/CrOS/, "ChromeOS"], [/Linux/, "Linux"]];

export function env() {
  const ua = N.userAgent;
  const d = N.userAgentData;
  const s = (v) => v && cut(v, 100);
  let name, version, engine, os, osv, m;
  if (d) {
    const list = (hints.fullVersionList || d.brands).filter((b) => !/not.?a.?brand/i.test(b.brand));
    const b = list.find((x) => x.brand != "Chromium") || list[0] || {};
    name = b.brand && b.brand.replace(/^(Google|Microsoft) /, "");
    version = b.version;
    engine = (list.find((x) => x.brand == "Chromium") || {}).version;
    os = d.platform;
    osv = hints.platformVersion;
  }
  for (const x of BROWSERS.split(" ")) {
    const [k, v] = x.split(":");
    if (!name && (m = ua.match(k + "/([\\d.]+)"))) (name = v || k), (version = m[1]);
  }
  for (const [re, v] of SYSTEMS) if (!os && (m = ua.match(re))) (os = v), (osv = m[1] && m[1].replace(/_/g, "."));
  let tz;
  try {
    tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (e) {
    // unknown
  }
  return {
    browser: clean({
      name: s(name),
      version: s(version),
      user_agent: cut(ua, 500),
      viewport: { width: W.innerWidth | 0, height: W.innerHeight | 0 },
      screen: { width: screen.width | 0, height: screen.height | 0 },
      pixel_ratio: W.devicePixelRatio || 1,
      language: s(N.language),
      timezone: s(tz),
      url: scrubUrl(location.href),
      referrer: D.referrer && scrubUrl(D.referrer),
    }),
    os: clean({ name: s(os), version: s(osv) }),
    device: clean({
      family: (d && d.mobile) || /Mobi|iPhone/.test(ua) ? "mobile" : /iPad|Tablet|Android/.test(ua) ? "tablet" : "desktop",
      model: s(hints.model),
    }),
    runtime: clean({ name: engine ? "Chrome" : s(name), version: s(engine || version) }),
  };
}

export function pageLoad() {
  const t = performance.getEntriesByType("navigation")[0];
  const r = (v) => (v > 0 ? Math.round(v) : undefined);
  return t && clean({ ttfb_ms: r(t.responseStart), dom_content_loaded_ms: r(t.domContentLoadedEventEnd), load_ms: r(t.loadEventEnd), transfer_size: t.transferSize });
}
