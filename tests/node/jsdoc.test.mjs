// Every exported item of the package's public types carries JSDoc — each function, class,
// method, getter, interface, type and field (properties of object types nested in unions
// included) — and no wasm-bindgen internal name appears in them. Read with the TypeScript
// compiler's parser from .tools (scripts/install.sh).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const ts = createRequire(import.meta.url)(join(root, ".tools", "node_modules", "typescript"));

/** Declarations without JSDoc in a .d.ts, as "line: text". */
function undocumented(file) {
  const text = readFileSync(file, "utf8");
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const missing = [];
  const hasDoc = (node) => (ts.getJSDocCommentsAndTags(node) ?? []).length > 0 || /\/\*\*[\s\S]*\*\/\s*$/.test(text.slice(node.getFullStart(), node.getStart()));
  const needs = (node) =>
    ts.isFunctionDeclaration(node) || ts.isClassDeclaration(node) || ts.isInterfaceDeclaration(node) || ts.isTypeAliasDeclaration(node) ||
    ts.isMethodDeclaration(node) || ts.isMethodSignature(node) || ts.isPropertySignature(node) || ts.isPropertyDeclaration(node) ||
    ts.isGetAccessor(node);
  const visit = (node) => {
    const isPrivateCtor = ts.isConstructorDeclaration(node);
    if (needs(node) && !isPrivateCtor && !hasDoc(node)) {
      const { line } = source.getLineAndCharacterOfPosition(node.getStart());
      missing.push(`${line + 1}: ${node.getText().split("\n")[0].slice(0, 80)}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return missing;
}

for (const [pkg, files] of [["pkg", ["index.d.ts", "credit_meter.d.ts", "credit_meter_bg.wasm.d.ts"]]]) {
  for (const f of files) {
    test(`${pkg}/${f}: every exported item and field has JSDoc, no internal names`, () => {
      const file = join(root, pkg, f);
      assert.deepEqual(undocumented(file), []);
      assert.doesNotMatch(readFileSync(file, "utf8").replace(/__wbg_init/g, ""), /__wbg|__wbindgen|__wasm_bindgen/);
    });
  }
}
