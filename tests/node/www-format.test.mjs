// The demo page's number formatting (www/format.js) in Node, in a locale that groups and
// separates differently from English: decimal strings are formatted exactly, never
// through a float, at any size; plurals follow the value.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join, dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
Object.defineProperty(globalThis, "navigator", { value: { language: "de-DE" }, configurable: true });
const f = await import(pathToFileURL(join(root, "www", "format.js")).href);

test("decimal strings keep every digit, grouped for the locale", () => {
  assert.equal(f.decimal("3469"), "3.469");
  assert.equal(f.decimal("3469.500"), "3.469,5");
  assert.equal(f.decimal("0.001"), "0,001");
  // Beyond 2^53 and with more digits than a double holds: still exact.
  assert.equal(f.decimal("12345678901234567890.123456789012"), "12.345.678.901.234.567.890,123456789012");
  assert.equal(f.decimal("-0.000"), "0");
  assert.equal(f.decimal("-2.5"), "-2,5");
  assert.equal(f.decimal(12500), "12.500");
  assert.equal(f.decimal("not a number"), "not a number");
});

test("dollars have at least cents and keep sub-cent digits", () => {
  assert.equal(f.usd("2.5"), "2,50\u00a0$");
  assert.equal(f.usd("0.00084"), "0,00084\u00a0$");
  assert.equal(f.usd("1234"), "1.234,00\u00a0$");
});

test("plurals follow the value", () => {
  assert.equal(f.count(1, "card"), "1 card");
  assert.equal(f.count("1", "credit"), "1 credit");
  assert.equal(f.count("1.000", "credit"), "1 credit");
  assert.equal(f.count("1.5", "credit"), "1,5 credits");
  assert.equal(f.count(0, "card"), "0 cards");
  assert.equal(f.count(2, "change"), "2 changes");
});

test("exact comparison and sums of decimal strings", () => {
  assert.equal(f.compareDecimal("10", "9.999"), 1);
  assert.equal(f.compareDecimal("2.50", "2.5"), 0);
  assert.equal(f.compareDecimal("-1", "0"), -1);
  assert.equal(f.sumDecimal(["0.1", "0.2"]), "0.3", "no 0.30000000000000004");
  assert.equal(f.sumDecimal(["9007199254740993", "1"]), "9007199254740994");
  assert.equal(f.sumDecimal([]), "0");
});

test("a room below zero shows as none, exactly", () => {
  assert.equal(f.atLeastZero("-0.001"), "0");
  assert.equal(f.atLeastZero("12.5"), "12.5");
  assert.equal(f.atLeastZero("0"), "0");
});
