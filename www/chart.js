// The usage-history chart: one bar per call (credits charged), a dark marker for a call
// that failed and was not charged. Inline SVG built with the DOM, no chart library. Bars
// and markers have at least 3:1 contrast against the card, labels are 12 units tall (the
// chart is drawn at about its natural width, so about 12 px), and the whole chart has a
// text summary for screen readers.

import { compareDecimal, count, dateTime, decimal, sumDecimal } from "./format.js";
import { MAX_ITEMS } from "./history.js";

const SVG = "http://www.w3.org/2000/svg";
const W = 320;
const H = 130;
const BASE_PAD = { top: 16, right: 8, bottom: 8, left: 28 };

function el(name, attrs, text) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Replaces `svg`'s content with a chart of `history` (`[{at, operation, credits, status}]`);
 * `summary`: the element that gets the chart's one-line summary. */
export function drawUsageChart(svg, history, summary) {
  svg.replaceChildren();
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  svg.setAttribute("role", "img");
  const charged = history.filter((h) => h.status === "committed");
  const failed = history.length - charged.length;
  const totalText = sumDecimal(charged.map((h) => h.credits));
  // The history keeps the latest calls only: a full one is not "all" of them.
  const scope = history.length >= MAX_ITEMS ? `in the last ${history.length} calls` : "in all";
  const text = history.length === 0
    ? "No usage yet."
    : `${count(charged.length, "call")} charged, ${count(totalText, "credit")} ${scope}${failed ? `; ${count(failed, "failed call")} not charged` : ""}.`;
  svg.setAttribute("aria-label", `Usage history: ${text}`);
  if (summary) summary.textContent = history.length === 0 ? "" : text; // the empty chart says so itself
  const largest = history.reduce((m, h) => (compareDecimal(h.credits, m) > 0 ? h.credits : m), "0");
  const maxLabel = decimal(largest === "0" ? "1" : largest);
  // Room for the axis label at 13 units a character of at most ~8 units wide.
  const PAD = { ...BASE_PAD, left: Math.max(BASE_PAD.left, 12 + 8 * maxLabel.length) };
  const innerW = W - PAD.left - PAD.right;
  const innerH = H - PAD.top - PAD.bottom;
  const max = Number(largest) || 1; // bar heights only: graphics, not figures
  svg.append(
    el("line", { x1: PAD.left, y1: PAD.top + innerH, x2: W - PAD.right, y2: PAD.top + innerH, class: "axis" }),
    el("text", { x: PAD.left - 5, y: PAD.top + 4, class: "tick", "text-anchor": "end" }, maxLabel),
    el("text", { x: PAD.left - 5, y: PAD.top + innerH, class: "tick", "text-anchor": "end" }, "0"),
  );
  if (history.length === 0) {
    svg.append(el("text", { x: PAD.left + innerW / 2, y: PAD.top + innerH / 2, class: "empty", "text-anchor": "middle" }, "No usage yet"));
    return;
  }
  const slot = innerW / Math.max(history.length, 8);
  history.forEach((h, i) => {
    const released = h.status === "released";
    const height = released ? 6 : Math.max(3, (Number(h.credits) / max) * innerH);
    const bar = el("rect", {
      x: PAD.left + i * slot + slot * 0.15,
      y: PAD.top + innerH - height,
      width: slot * 0.7,
      height,
      rx: 2,
      class: `bar ${h.status}`,
      "data-testid": "usage-bar",
      "data-status": h.status,
      "data-credits": h.credits,
    });
    bar.append(el("title", {}, `${dateTime(h.at)} · ${h.operation} · ${released ? "failed, not charged" : count(h.credits, "credit")}`));
    svg.append(bar);
  });
}
