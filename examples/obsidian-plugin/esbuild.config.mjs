// Bundles src/main.ts into one main.js as Obsidian loads it: CommonJS, ES2018, `obsidian`
// left external. The client package comes from node_modules like any dependency (installed
// from its packed tarball by run-tests.sh); its `credit-meter/inline` entry embeds the .wasm
// and instantiates it synchronously, so main.js is one file with no top-level await and no
// loader or plugin is needed here.
import * as esbuild from "esbuild";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));

await esbuild.build({
  entryPoints: [join(here, "src", "main.ts")],
  outfile: join(here, "main.js"),
  bundle: true,
  format: "cjs",
  platform: "browser",
  target: "es2018",
  external: ["obsidian", "electron", "@codemirror/*"],
  logLevel: "warning",
  legalComments: "none",
  minify: process.argv.includes("--minify"),
  sourcemap: false,
});
