// The browser app every bundler builds (its import line is set per bundler by run.sh):
// renders what the package computes into #out, which check-browser.mjs reads.
import { estimate, estimateTokens, addAmounts, formatAmount, noteForModel } from "credit-meter";

const note = "---\ntags: [bio]\n---\n# Cells\n\nA cell is the smallest unit of life.\n\n- nucleus\n- membrane\n";
const e = estimate({ operation: "flashcards.generate", note });
const out = {
  tokens: estimateTokens("Hello world, this is credit-meter.", "o200k_base"),
  credits: e.credits.expected,
  sum: addAmounts("0.1", "0.2"),
  shown: formatAmount("1234.5", { locale: "de-DE" }),
  sent: noteForModel(note),
};
document.getElementById("out").textContent = JSON.stringify(out);
