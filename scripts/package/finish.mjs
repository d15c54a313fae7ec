// Turns wasm-bindgen's `--target web` output (credit_meter.js, credit_meter.d.ts,
// credit_meter_bg.wasm) into the publishable npm package, in place:
//
//   .                      browser and bundlers: index.js (the .wasm loaded as an asset through
//                          `new URL("./credit_meter_bg.wasm", import.meta.url)`, top-level await),
//                          Node/Deno/Bun: node.js (ESM) and node.cjs (CommonJS), both
//                          initialised synchronously from the .wasm next to them.
//   ./web                  credit_meter.js: manual `await init()` / `initSync({ module })`.
//   ./inline               inline.js: the .wasm embedded as base64, initialised synchronously.
//   ./credit_meter_bg.wasm the module itself, typed.
//
// The glue gets a guard: before initialisation every call throws a CreditMeterError with the
// code NOT_INITIALIZED saying what to call. The .d.ts loses what breaks `skipLibCheck: false`
// on the default lib (`[Symbol.dispose]`) and the internal names (`InitOutput`'s exports).
//
// Usage: node scripts/package/finish.mjs <package dir> <npm name> <npm README> <description>
import { readFileSync, writeFileSync, copyFileSync, rmSync, existsSync, mkdirSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const [dir, name, readme, description] = process.argv.slice(2);
if (!description) throw new Error("usage: finish.mjs <dir> <name> <readme> <description>");
const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const read = (f) => readFileSync(join(dir, f), "utf8");
const write = (f, text) => writeFileSync(join(dir, f), text);
const cargo = readFileSync(join(root, "Cargo.toml"), "utf8");
const field = (key) => cargo.match(new RegExp(`^${key} = "([^"]*)"`, "m"))?.[1];
const version = field("version");
const repository = field("repository");

// --- the web glue: the NOT_INITIALIZED guard -------------------------------------------
if (read("credit_meter.d.ts").startsWith("export * from")) {
  throw new Error(`${dir} is already finished: run wasm-bindgen first (scripts/build.sh)`);
}
let glue = read("credit_meter.js");
if (!glue.includes("CREDIT_METER_NOT_READY")) {
  const declaration = "let wasmModule, wasmInstance, wasm;";
  const check = "if (wasm !== undefined) return wasm;";
  if (!glue.includes(declaration) || glue.split(check).length !== 3) {
    throw new Error("the wasm-bindgen glue changed shape: update scripts/package/finish.mjs");
  }
  glue = glue
    .replace(
      declaration,
      `/** Stands for the instance until init: any use throws NOT_INITIALIZED. */
const CREDIT_METER_NOT_READY = new Proxy({}, {
    get() {
        const e = new Error("${name} is not initialised yet: call \`await init()\` (or \`initSync({ module })\`) from \\"${name}/web\\" first, or import \\"${name}\\" (initialised on import) instead");
        e.name = "CreditMeterError";
        e.code = "NOT_INITIALIZED";
        throw e;
    },
});
let wasmModule, wasmInstance, wasm = CREDIT_METER_NOT_READY;`,
    )
    .replaceAll(check, "if (wasm !== CREDIT_METER_NOT_READY) return wasm;");
  write("credit_meter.js", glue);
}

// --- CommonJS: the same glue as a CommonJS module --------------------------------------
const exported = [];
let cjs = glue.replace(/^export (function|class) ([A-Za-z_$][\w$]*)/gm, (_, kind, id) => {
  exported.push(id);
  return `${kind} ${id}`;
});
const tail = "export { initSync, __wbg_init as default };";
if (!cjs.includes(tail) || /^(export|import) /m.test(cjs.replace(tail, ""))) {
  throw new Error("the wasm-bindgen glue has exports or imports finish.mjs does not know");
}
cjs = cjs
  .replace(tail, "")
  .replaceAll("import.meta.url", 'require("node:url").pathToFileURL(__filename)');
cjs = `"use strict";\n${cjs}
exports.initSync = initSync;
exports.default = __wbg_init;
${exported.map((id) => `exports.${id} = ${id};`).join("\n")}
`;
write("credit_meter.cjs", cjs);
// Every export of the glue but the loader, re-exported by a CommonJS entry.
// (One line per name, so that Node's CommonJS lexer sees every name when ESM imports this.)
const reexport = exported.map((id) => `exports.${id} = glue.${id};`).join("\n") + "\n";
write(
  "node.cjs",
  `"use strict";
// The CommonJS entry for Node: initialised synchronously from the .wasm next to this file.
const glue = require("./credit_meter.cjs");
glue.initSync({ module: require("node:fs").readFileSync(require("node:path").join(__dirname, "credit_meter_bg.wasm")) });
${reexport}`,
);

// --- the ESM entries --------------------------------------------------------------------
write(
  "index.js",
  `// The browser and bundler entry: the .wasm is an asset next to this file (bundlers that
// understand \`new URL(..., import.meta.url)\` copy it: Vite, webpack 5, Parcel), fetched and
// compiled while the importing module waits (top-level await).
import init from "./credit_meter.js";
await init({ module_or_path: new URL("./credit_meter_bg.wasm", import.meta.url) });
export * from "./credit_meter.js";
`,
);
write(
  "node.js",
  `// The Node, Deno and Bun entry: initialised synchronously from the .wasm next to this file.
import { readFileSync } from "node:fs";
import { initSync } from "./credit_meter.js";
initSync({ module: readFileSync(new URL("./credit_meter_bg.wasm", import.meta.url)) });
export * from "./credit_meter.js";
`,
);
const wasmBytes = readFileSync(join(dir, "credit_meter_bg.wasm"));
const decode = `const text = atob(base64);
const bytes = new Uint8Array(text.length);
for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);`;
const inlineNote = `// The .wasm embedded (base64), initialised synchronously on import: one file for Obsidian
// plugins and single-file bundles, no loader or asset needed.`;
write(
  "inline.js",
  `${inlineNote}
import { initSync } from "./credit_meter.js";
const base64 = "${wasmBytes.toString("base64")}";
${decode}
initSync({ module: bytes });
export * from "./credit_meter.js";
`,
);

// --- types ------------------------------------------------------------------------------
let dts = read("credit_meter.d.ts");
const initAt = dts.indexOf("export type InitInput");
if (initAt < 0) throw new Error("no InitInput in credit_meter.d.ts");
let api = dts.slice(0, initAt);
const initPart = dts.slice(initAt);
// `[Symbol.dispose]` needs lib esnext.disposable; `free()` says what it does.
api = api
  .replace(/^\s*\[Symbol\.dispose\]\(\): void;\n/gm, "")
  .replace(
    /^(\s*)free\(\): void;\n/gm,
    "$1/**\n$1 * Frees the Wasm memory behind this object now rather than when it is garbage-collected;\n$1 * the object is unusable afterwards.\n$1 */\n$1free(): void;\n",
  );
// On Meter, `close()` is the one way to end it (it also stops the timer): `free()` is deprecated.
const meterAt = api.indexOf("export class Meter {");
if (meterAt >= 0) {
  api = api.slice(0, meterAt) + api.slice(meterAt).replace(
    /\/\*\*\n(\s*) \* Frees the Wasm memory[\s\S]*?\*\/\n(\s*)free\(\): void;/,
    "/**\n$1 * @deprecated Use `close()`, which also stops the sync timer; `free()` is removed in the\n$1 * next release.\n$1 */\n$2free(): void;",
  );
}
if (/__wbg|__wbindgen|__wasm_bindgen/.test(api)) throw new Error("internal names in the public types");
write("index.d.ts", api);
write("index.d.cts", api);
write("inline.d.ts", `export * from "./index.js";\n`);
// The manual-init entry: the API, and init/initSync with an opaque InitOutput.
const sanitizedInit = initPart
  .replace("export type InitInput", "/** What `init` instantiates from: a URL or path to fetch, a response, the bytes, or a compiled module. */\nexport type InitInput")
  .replace("initSync(module: { module: SyncInitInput }", "initSync(module: { /** The bytes or a compiled module. */ module: SyncInitInput }")
  .replace(
    "(module_or_path?: { module_or_path: InitInput | Promise<InitInput> }",
    "(module_or_path?: { /** Where to load the module from (default: the .wasm next to this file). */ module_or_path: InitInput | Promise<InitInput> }",
  )
  .replace("export type SyncInitInput", "/** What `initSync` instantiates from: the bytes or a compiled module. */\nexport type SyncInitInput")
  .replace(
  /export interface InitOutput \{[\s\S]*?\n\}\n/,
  "/** The instantiated module (only its memory is public). */\nexport interface InitOutput {\n    /** The module's linear memory. */\n    readonly memory: WebAssembly.Memory;\n}\n",
);
if (/__wbg_|__wbindgen|__wasm_bindgen/.test(sanitizedInit.replace(/__wbg_init/g, ""))) {
  throw new Error("internal names left in the init types");
}
write("credit_meter.d.ts", `export * from "./index.js";\n\n${sanitizedInit}`);
write("credit_meter.d.cts", `${api}\n${sanitizedInit}`);
const wasmTypes = `/**
 * The package's WebAssembly module. What importing it gives depends on your bundler's rule
 * for .wasm files: a URL string (esbuild's "file" loader, Vite's \`?url\`, webpack's
 * \`asset/resource\`) or the bytes (esbuild's "binary" loader). \`init({ module_or_path })\`
 * from "${name}/web" takes any of them.
 */
declare const wasm: string | URL | Uint8Array | ArrayBuffer | WebAssembly.Module;
export default wasm;
`;
write("credit_meter_bg.wasm.d.ts", wasmTypes);
write("credit_meter_bg.wasm.d.cts", wasmTypes);
// Resolvers without `exports` (TypeScript's node10, old bundlers) find the subpaths here.
for (const [sub, js, types] of [["web", "credit_meter.cjs", "credit_meter.d.cts"], ["inline", "node.cjs", "index.d.cts"]]) {
  mkdirSync(join(dir, sub), { recursive: true });
  write(`${sub}/package.json`, JSON.stringify({ main: `../${js}`, types: `../${types}` }, null, 2) + "\n");
}

// --- package.json, README, licences ------------------------------------------------------
copyFileSync(readme, join(dir, "README.md"));
for (const f of ["LICENSE-MIT", "LICENSE-APACHE"]) copyFileSync(join(root, f), join(dir, f));
const files = [
  "credit_meter_bg.wasm", "credit_meter_bg.wasm.d.ts", "credit_meter.js", "credit_meter.d.ts",
  "credit_meter.cjs", "credit_meter.d.cts", "credit_meter_bg.wasm.d.cts",
  "index.js", "index.d.ts", "index.d.cts", "node.js", "node.cjs", "inline.js", "inline.d.ts",
  "web/package.json", "inline/package.json",
  "README.md", "LICENSE-MIT", "LICENSE-APACHE",
];
for (const f of files) if (!existsSync(join(dir, f))) throw new Error(`${dir}/${f} missing`);
rmSync(join(dir, ".gitignore"), { force: true });
const pkg = {
  name,
  version,
  description,
  license: "MIT OR Apache-2.0",
  repository: { type: "git", url: `git+${repository}.git` },
  homepage: `${repository}#readme`,
  bugs: { url: `${repository}/issues` },
  keywords: ["ai", "credits", "metering", "billing", "prepaid", "tokens", "llm", "wasm", "webassembly", "obsidian"],
  type: "module",
  engines: { node: ">=18" },
  files,
  main: "./node.cjs",
  module: "./index.js",
  types: "./index.d.cts",
  exports: {
    ".": {
      types: { require: "./index.d.cts", default: "./index.d.ts" },
      node: { require: "./node.cjs", default: "./node.js" },
      deno: "./node.js",
      bun: "./node.js",
      require: "./node.cjs",
      default: "./index.js",
    },
    "./web": {
      import: { types: "./credit_meter.d.ts", default: "./credit_meter.js" },
      require: { types: "./credit_meter.d.cts", default: "./credit_meter.cjs" },
    },
    "./inline": {
      import: { types: "./inline.d.ts", default: "./inline.js" },
      // CommonJS means Node here (bundlers import): the Node entry, which reads the .wasm
      // file synchronously, rather than a second copy of the base64 in the tarball.
      require: { types: "./index.d.cts", default: "./node.cjs" },
    },
    "./credit_meter_bg.wasm": {
      types: { require: "./credit_meter_bg.wasm.d.cts", default: "./credit_meter_bg.wasm.d.ts" },
      default: "./credit_meter_bg.wasm",
    },
    "./package.json": "./package.json",
  },
  sideEffects: ["./index.js", "./node.js", "./node.cjs", "./inline.js"],
};
write("package.json", JSON.stringify(pkg, null, 2) + "\n");
