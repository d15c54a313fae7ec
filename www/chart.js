// The usage-history chart: one bar per generation (credits committed), a grey stub for a
// released hold. Inline SVG built with the DOM, no chart library.

const SVG = "http://www.w3.org/2000/svg";
const W = 320;
const H = 120;
const PAD = { top: 14, right: 8, bottom: 18, left: 34 };

function el(name, attrs, text) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Replaces `svg`'s content with a chart of `history` (`[{at, operation, credits, status}]`). */
export function drawUsageChart(svg, history) {
  svg.replaceChildren();
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  svg.setAttribute("role", "img");
  const total = history.reduce((sum, h) => sum + Number(h.credits), 0);
  svg.setAttribute("aria-label", `${history.length} generation(s), ${total} credits in total`);
  const innerW = W - PAD.left - PAD.right;
  const innerH = H - PAD.top - PAD.bottom;
  const max = Math.max(0, ...history.map((h) => Number(h.credits))) || 1;
  svg.append(
    el("line", { x1: PAD.left, y1: PAD.top + innerH, x2: W - PAD.right, y2: PAD.top + innerH, class: "axis" }),
    el("text", { x: PAD.left - 4, y: PAD.top + 4, class: "tick", "text-anchor": "end" }, formatMax(max)),
    el("text", { x: PAD.left - 4, y: PAD.top + innerH, class: "tick", "text-anchor": "end" }, "0"),
  );
  if (history.length === 0) {
    svg.append(el("text", { x: PAD.left + innerW / 2, y: PAD.top + innerH / 2, class: "empty", "text-anchor": "middle" }, "no usage yet"));
    return;
  }
  const slot = innerW / Math.max(history.length, 8);
  history.forEach((h, i) => {
    const value = Number(h.credits);
    const height = h.status === "released" ? 2 : Math.max(2, (value / max) * innerH);
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
    bar.append(el("title", {}, `${new Date(h.at).toLocaleString()} · ${h.operation} · ${h.status === "released" ? "released (failed call)" : `${h.credits} credits`}`));
    svg.append(bar);
  });
  svg.append(el("text", { x: W - PAD.right, y: H - 4, class: "tick", "text-anchor": "end" }, `${total} credits over ${history.length} call(s)`));
}

/** The axis label: a display rounding of the largest bar (the bars' titles are exact). */
function formatMax(n) {
  return Number.isInteger(n) ? String(n) : String(Number(n.toPrecision(2)));
}
