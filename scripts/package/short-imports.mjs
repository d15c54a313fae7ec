// Gives the functions the .wasm imports from its glue short names ("a", "b", … "ba", …),
// and their one module the name "a", in both the module and the glue, in place.
// wasm-bindgen names each import after the JS function plus a 16-hex-digit hash
// (`__wbg_get_2080c49015e35254`), from the module "./credit_meter_bg.js"; the hashes do
// not compress, so the names cost the shipped module 1.7 KB of gzip (the module's name,
// 1.4 KB raw, 0.1 KB gzip). Only the glue reads these names: it passes the imports to
// `WebAssembly.instantiate` itself (no bundler resolves "./credit_meter_bg.js", a file
// the package does not have). The exports keep their names: the glue reads them by name,
// and the typed `credit_meter_bg.wasm.d.ts` lists them.
//
// The glue must be wasm-bindgen's `--target web` output, whose `__wbg_get_imports()` has
// one object literal with a `name: function` member per import and returns it under the
// module's name; anything else stops the build (update this script) rather than leave a
// module whose imports do not resolve.
//
// Usage: node scripts/package/short-imports.mjs <module.wasm> <glue.js>
import { readFileSync, writeFileSync } from "node:fs";
import { lebBytes, uleb } from "./leb128.mjs";

const [wasmPath, gluePath] = process.argv.slice(2);
if (!gluePath) throw new Error("usage: short-imports.mjs <module.wasm> <glue.js>");
const wasm = readFileSync(wasmPath);
let glue = readFileSync(gluePath, "utf8");

/** The n-th short name: a…z, A…Z, then two letters and more. */
function shortName(n) {
  const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  let s = "";
  do {
    s = letters[n % 52] + s;
    n = Math.floor(n / 52);
  } while (n > 0);
  return s;
}

/** Skips an import's description (function, table, memory, global or tag). */
function skipDescription(buf, at) {
  const kind = buf[at++];
  if (kind === 0) return uleb(buf, at)[1];
  if (kind === 1 || kind === 2) {
    if (kind === 1) at++; // the table's element type
    const flags = buf[at++];
    at = uleb(buf, at)[1];
    return flags & 1 ? uleb(buf, at)[1] : at;
  }
  if (kind === 3) return at + 2; // a global: value type, mutability
  if (kind === 4) return uleb(buf, at + 1)[1]; // a tag: attribute, type
  throw new Error(`unknown import kind ${kind}`);
}

if (wasm.readUInt32LE(0) !== 0x6d736100) throw new Error(`${wasmPath} is not a Wasm module`);
const parts = [wasm.subarray(0, 8)];
const renamed = new Map(); // old name -> new name
let importModule; // the one module every import comes from
const MODULE = "a";
let at = 8;
while (at < wasm.length) {
  const start = at;
  const id = wasm[at++];
  const [size, body] = uleb(wasm, at);
  const end = body + size;
  if (id !== 2) {
    parts.push(wasm.subarray(start, end));
    at = end;
    continue;
  }
  let [count, p] = uleb(wasm, body);
  const entries = [lebBytes(count)];
  for (let i = 0; i < count; i++) {
    const [moduleLen, m] = uleb(wasm, p);
    const moduleName = wasm.toString("utf8", m, m + moduleLen);
    if ((importModule ??= moduleName) !== moduleName) throw new Error(`${wasmPath} imports from ${importModule} and ${moduleName}`);
    const [nameLen, n] = uleb(wasm, m + moduleLen);
    const name = wasm.toString("utf8", n, n + nameLen);
    const descEnd = skipDescription(wasm, n + nameLen);
    if (renamed.has(name)) throw new Error(`${wasmPath} imports ${name} twice`);
    const short = shortName(renamed.size);
    renamed.set(name, short);
    entries.push(lebBytes(MODULE.length), Buffer.from(MODULE), lebBytes(short.length), Buffer.from(short), wasm.subarray(n + nameLen, descEnd));
    p = descEnd;
  }
  if (p !== end) throw new Error(`${wasmPath}: the import section did not end where it said`);
  const section = Buffer.concat(entries);
  parts.push(Buffer.from([2]), lebBytes(section.length), section);
  at = end;
}

// Each import is one member of the imports object in the glue, written `        name: `.
for (const [name, short] of renamed) {
  const member = new RegExp(`^( {8})${name.replace(/\$/g, "\\$")}(: )`, "m");
  const hits = glue.split("\n").filter((line) => line.startsWith(`        ${name}: `)).length;
  if (hits !== 1) throw new Error(`${gluePath} has ${hits} members named ${name}: update scripts/package/short-imports.mjs`);
  glue = glue.replace(member, `$1${short}$2`);
}
// The object of imports is returned under the module's name, written `        "name": import0,`.
const moduleKey = `        ${JSON.stringify(importModule)}: import0,`;
if (glue.split(moduleKey).length !== 2) throw new Error(`${gluePath} does not return the imports under ${importModule}: update scripts/package/short-imports.mjs`);
glue = glue.replace(moduleKey, `        ${JSON.stringify(MODULE)}: import0,`);
writeFileSync(wasmPath, Buffer.concat(parts));
writeFileSync(gluePath, glue);
