// Builds the widget into the Python package, so that `pip install` needs no Node.
//   node build.mjs           write sdk/integrations/static/widget.js and widget-screenshot.js
//   node build.mjs --check   build in memory and fail (exit 1) when the committed files differ
// Two separate IIFE bundles: the core, loaded by the page's one tag, and the screenshot chunk,
// which the core loads (as a <script> with the page's nonce) only when the user takes one.
import { readFile, writeFile, mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const outDir = join(here, "..", "sdk", "integrations", "static");
const version = JSON.parse(await readFile(join(here, "package.json"), "utf8")).version;
const entries = {
  "widget.js": join(here, "src", "index.js"),
  "widget-screenshot.js": join(here, "src", "screenshot", "index.js"),
};

async function build(entry) {
  const result = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    format: "iife",
    target: ["chrome100", "firefox100", "safari15"],
    legalComments: "none",
    charset: "utf8",
    write: false,
    define: { __WIDGET_VERSION__: JSON.stringify(version) },
  });
  return result.outputFiles[0].contents;
}

const check = process.argv.includes("--check");
let stale = [];
await mkdir(outDir, { recursive: true });
for (const [name, entry] of Object.entries(entries)) {
  const built = Buffer.from(await build(entry));
  const path = join(outDir, name);
  if (check) {
    const committed = await readFile(path).catch(() => null);
    if (committed === null || !committed.equals(built)) stale.push(name);
  } else {
    await writeFile(path, built);
    console.log(`${name}: ${built.length} bytes`);
  }
}
if (stale.length) {
  console.error(
    `stale: ${stale.join(", ")} differ from widget/src; run 'node widget/build.mjs' and commit`,
  );
  process.exit(1);
}
