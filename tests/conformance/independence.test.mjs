// Guards what makes this suite worth having: the conformance ledger reads nothing of ours
// but the document. Only host.js may load the client package under test (pkg/).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = dirname(fileURLToPath(import.meta.url));

test('no conformance file imports the reference ledger, crates/ or anything outside this folder but pkg/', () => {
  const files = readdirSync(dir).filter((f) => /\.(m?js)$/.test(f));
  assert.ok(files.includes('ledger.js') && files.includes('host.js'));
  for (const f of files) {
    const src = readFileSync(join(dir, f), 'utf8');
    const specifiers = [...src.matchAll(/(?:import\s[^'"]*?from\s*|import\s*\(\s*|require\s*\(\s*)(['"])([^'"]+)\1/g)].map((m) => m[2]);
    for (const s of specifiers) {
      assert.ok(s.startsWith('node:') || s.startsWith('./'), `${f} imports ${s}`);
    }
    if (f !== 'host.js') assert.doesNotMatch(src, /['"]pkg['"]/, `${f} loads pkg/ itself`);
  }
});
