// The whole conformance suite in one Node process: `node --test tests/conformance/suite.mjs`
// (scripts/test.sh). `node --test tests/conformance/` runs the same files one process
// each; both are equivalent, this one starts the client package once instead of once
// per file.
//
// Why CI uses it: twice a CI run hung for good in a conformance file that had not
// reported a single test (units.test.mjs, then ledger.test.mjs, each a process that
// compiles the 420 KB .wasm and exits within a few hundred milliseconds). Neither hang
// came back in 118 local runs of the suite under load or 1,500 short processes that
// compile the .wasm and exit; the likeliest cause is Node's known, intermittent deadlock
// when a process exits while V8 still has background work in flight (nodejs/node#54918,
// fixed upstream after Node 20). One process exits once instead of thirteen times, and
// scripts/test.sh gives every test and the file a timeout so a hang fails by name.
import { readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = dirname(fileURLToPath(import.meta.url));
const files = readdirSync(dir).filter((f) => f.endsWith('.test.mjs')).sort();
if (files.length === 0) throw new Error(`no conformance tests found in ${dir}`);
for (const f of files) await import(`./${f}`);
