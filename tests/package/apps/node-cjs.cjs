// Node CommonJS, no init call: require, then call.
const assert = require("node:assert/strict");
const { estimateTokens, addAmounts, Catalog } = require("credit-meter");
assert.ok(estimateTokens("Hello world", "o200k_base") > 0);
assert.equal(addAmounts("0.1", "0.2"), "0.3");
assert.ok(Catalog.default().packages().length > 0);
const web = require("credit-meter/web");
assert.equal(typeof web.initSync, "function");
console.log("node CJS ok");
