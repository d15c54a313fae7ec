// Rendering: turns the meter's figures, estimates, results and the ledger's account state
// into the page. No logic about credits lives here; every number shown comes from the
// package or the ledger as a decimal string.

import { drawUsageChart } from "./chart.js";

const $ = (id) => document.getElementById(id);

/** `12500` → "12,500"; decimal strings are shown as they are. */
const count = (n) => Number(n).toLocaleString("en-US");

/** A USD decimal string with cents: "2.5" → "2.50". */
const usd = (s) => {
  const [whole, cents = ""] = s.split(".");
  return `${whole}.${cents.padEnd(2, "0")}`;
};

/** What each grant kind means, for people. */
const GRANT_KINDS = {
  purchase: "purchase", bonus: "purchase bonus", signup: "signup grant", planCycle: "monthly plan credits",
  carriedForward: "carried forward", promotion: "promotion", adjustment: "adjustment",
};

/** An instant as a short date, or "never". */
export function when(ms) {
  if (ms === null || ms === undefined) return "never";
  return new Date(ms).toLocaleString("en-US", { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
}

/** Shows or hides the parts for one kind of account. */
export function showAccountKind(kind) {
  document.body.dataset.kind = kind;
  $("input-title").textContent = kind === "agent" ? "Your message" : "Your note";
}

/** The live estimate and the funding decision. */
export function renderQuote({ estimate, decision }) {
  $("est-tokens").textContent = count(estimate.inputTokens.expected);
  $("est-cards").textContent = estimate.cards ? `${estimate.cards.low}–${estimate.cards.high} (≈${estimate.cards.expected})` : "–";
  $("est-characters").textContent = estimate.characters === null ? "–" : count(estimate.characters);
  const c = estimate.credits;
  $("est-credits").textContent = `${c.low} / ${c.expected} / ${c.high}`;
  $("decision").textContent = decision.reason;
  $("decision").className = `decision ${decision.funding}`;
  $("decision").dataset.funding = decision.funding;
}

/** An estimate that could not be made (a coded error). */
export function renderQuoteError(error) {
  for (const id of ["est-tokens", "est-cards", "est-characters", "est-credits"]) $(id).textContent = "–";
  $("decision").textContent = `${error.code ?? "ERROR"}: ${error.message}`;
  $("decision").className = "decision error";
  $("decision").dataset.funding = "";
}

/** The balance panel from `meter.balance()` and the usage history. */
export function renderBalance(b, history, accountKind) {
  $("balance").textContent = `${b.balance} credits`;
  $("balance").dataset.value = b.balance;
  $("available").textContent = `${b.available} (spendable now ${b.spendable})`;
  $("held").textContent = `${b.heldOwn} by this browser, ${b.heldOther} elsewhere`;
  $("pending").textContent = b.pending;
  $("freshness").textContent = b.freshness + (b.stale ? ` — offline room ${b.room}` : "");
  $("outbox").textContent = `${b.outbox} change(s)`;
  $("outbox").dataset.value = String(b.outbox);
  const low = $("low");
  low.hidden = !b.low;
  low.textContent = b.low
    ? `Low balance: ${b.balance} credits left. ${accountKind === "agent" ? "Upgrade your plan to get monthly credits." : "Buy a package or use your own API key."}`
    : "";
  const rows = b.grants.map((g) => {
    const tr = document.createElement("tr");
    tr.setAttribute("data-testid", "grant-row");
    tr.dataset.kind = g.kind;
    tr.dataset.id = g.id;
    tr.dataset.remaining = g.remaining;
    tr.dataset.expiresAt = g.expiresAt ?? "";
    for (const [text, cls] of [[GRANT_KINDS[g.kind] ?? g.kind, ""], [g.remaining, "num"], [when(g.expiresAt), ""]]) {
      const td = document.createElement("td");
      td.textContent = text;
      if (cls) td.className = cls;
      tr.append(td);
    }
    return tr;
  });
  if (rows.length === 0) rows.push(emptyRow(3, "no grants"));
  $("grants").replaceChildren(...rows);
  for (const a of b.allowances) {
    const cell = $(`allowance-${a.kind}`);
    if (cell) cell.textContent = count(a.remaining);
  }
  drawUsageChart($("chart"), history);
}

/** The connection pill. */
export function renderConnection(offline, b) {
  const pill = $("connection");
  const queued = b ? b.outbox : 0;
  pill.textContent = offline ? `offline — ${queued} queued` : queued > 0 ? `online — syncing ${queued}` : "online";
  pill.className = `pill ${offline ? "offline" : "online"}`;
}

/** The ledger's view of an AssistLore account: plan, allowances, agents. */
export function renderAgentState(state) {
  $("plan-current").textContent = state.plan ?? "none";
  $("plan-current").dataset.value = state.plan ?? "";
  for (const kind of ["llmTokens", "ttsCharacters"]) {
    const a = (state.allowances ?? []).find((x) => x.kind === kind);
    $(`allowance-${kind}`).textContent = count(a ? a.remaining : 0);
    $(`allowance-${kind}`).dataset.value = String(a ? a.remaining : 0);
  }
  const agents = state.agents ?? [];
  const rows = agents.map((a) => {
    const tr = document.createElement("tr");
    tr.setAttribute("data-testid", "agent-row");
    tr.dataset.status = a.status;
    for (const [text, cls] of [[a.id, ""], [a.status, ""], [a.cycleCredits, "num"], [when(a.cycleEnd), ""]]) {
      const td = document.createElement("td");
      td.textContent = text;
      if (cls) td.className = cls;
      tr.append(td);
    }
    return tr;
  });
  if (rows.length === 0) rows.push(emptyRow(4, "no agents yet"));
  $("agents").replaceChildren(...rows);
  const select = $("agent");
  const chosen = select.value;
  select.replaceChildren(new Option("— none —", ""), ...agents.filter((a) => a.status === "active").map((a) => new Option(a.id, a.id)));
  select.value = agents.some((a) => a.id === chosen && a.status === "active") ? chosen : "";
}

function emptyRow(span, text) {
  const tr = document.createElement("tr");
  const td = document.createElement("td");
  td.colSpan = span;
  td.className = "muted";
  td.textContent = text;
  tr.append(td);
  return tr;
}

/** The package buttons. */
export function renderPackages(offers, onBuy) {
  $("packages").replaceChildren(...offers.map((p) => {
    const b = document.createElement("button");
    b.setAttribute("data-testid", `buy-${p.id}`);
    b.innerHTML = "<strong></strong><span></span>";
    b.firstChild.textContent = `${p.name} — ${count(p.total)} credits`;
    b.lastChild.textContent = `$${usd(p.priceUsd)}${p.bonus !== "0" ? ` · includes ${count(p.bonus)} bonus` : ""}`;
    b.addEventListener("click", () => onBuy(p));
    return b;
  }));
}

/** The activity log (newest first). */
export function renderLog(lines) {
  $("log").replaceChildren(...lines.map((l) => {
    const li = document.createElement("li");
    li.className = l.level;
    li.dataset.type = l.type;
    const t = document.createElement("time");
    t.textContent = new Date(l.at).toLocaleTimeString();
    li.append(t, document.createTextNode(l.text));
    return li;
  }));
}

/** A result line: text, its level ("ok", "warn", "error") and facts for tests (`data-*`). */
export function setResult(id, text, level = "ok", data = {}) {
  const el = $(id);
  for (const key of Object.keys(el.dataset)) if (key !== "testid") delete el.dataset[key];
  el.textContent = text;
  el.className = `result ${level}`;
  el.dataset.level = level;
  for (const [key, value] of Object.entries(data)) el.dataset[key] = String(value);
}

/** A coded error in the top banner (cleared with `null`). */
export function showError(error) {
  const el = $("error");
  el.hidden = !error;
  el.textContent = error ? `${error.code ?? "ERROR"}: ${error.message}` : "";
}

/** The tamper detection banner. */
export function showDetection(event) {
  const el = $("detected");
  el.hidden = !event;
  el.textContent = event
    ? `Tampering detected (${event.code}): the stored snapshot failed its signature check, was discarded and pulled again from the ledger.`
    : "";
  if (event) el.dataset.code = event.code;
}
