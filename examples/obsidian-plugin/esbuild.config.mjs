// Bundles src/main.ts into one main.js as Obsidian loads it: CommonJS, ES2018, `obsidian`
// left external, and the client package's .wasm inlined as bytes (loader "binary"), so
// the plugin is a single file. The package is instantiated lazily (initSync on first use):
// main.js has no top-level await.
import * as esbuild from "esbuild";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
// The client package as built by scripts/build.sh (wasm-pack --target web).
const pkg = join(here, "..", "..", "pkg");

/** `credit-meter` and `credit-meter/<file>` → the built package in ../../pkg. */
const creditMeter = {
  name: "credit-meter",
  setup(build) {
    build.onResolve({ filter: /^credit-meter(\/.*)?$/ }, (args) => ({
      path: args.path === "credit-meter" ? join(pkg, "credit_meter.js") : join(pkg, args.path.slice("credit-meter/".length)),
    }));
  },
};

await esbuild.build({
  entryPoints: [join(here, "src", "main.ts")],
  outfile: join(here, "main.js"),
  bundle: true,
  format: "cjs",
  platform: "browser",
  target: "es2018",
  external: ["obsidian", "electron", "@codemirror/*"],
  loader: { ".wasm": "binary" },
  plugins: [creditMeter],
  // The package's async init() derives the .wasm URL from import.meta.url; this plugin
  // only calls initSync with the inlined bytes, so that path is never taken.
  logOverride: { "empty-import-meta": "silent" },
  logLevel: "warning",
  legalComments: "none",
  minify: process.argv.includes("--minify"),
  sourcemap: false,
});
