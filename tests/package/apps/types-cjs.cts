// CommonJS side of the type check (node16/nodenext): require of the package types.
import cm = require("credit-meter");
import web = require("credit-meter/web");
export const n: number = cm.estimateTokens("Hello", "o200k_base");
export const f: typeof web.initSync = web.initSync;
