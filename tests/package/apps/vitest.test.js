// Vitest in Node: the package initialises itself on import.
import { test, expect } from "vitest";
import { estimateTokens, subtractAmounts, noteForModel } from "credit-meter";
test("the package works under Vitest with no init call", () => {
  expect(estimateTokens("Hello world", "o200k_base")).toBeGreaterThan(0);
  expect(subtractAmounts("1", "1.25")).toBe("-0.25");
  expect(noteForModel("%% hidden %%\nshown")).toBe("shown");
});
