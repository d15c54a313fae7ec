// Rendering of the smaller parts: the account kind, the connection pill, the package
// buttons, the AssistLore panel and the developer's activity log. No logic about credits
// lives here; every number shown comes from the package or the ledger as a decimal
// string and is formatted for the reader's locale (format.js). The estimate and decision
// are in quote.js, the balance panel in balance.js, the message area in messages.js.

import { emptyRow } from "./balance.js";
import { count, date, decimal, time, usd } from "./format.js";
import { setText } from "./dom.js";

const $ = (id) => document.getElementById(id);

/** Shows or hides the parts for one kind of account. */
export function showAccountKind(kind) {
  document.body.dataset.kind = kind;
  $("input-title").textContent = kind === "agent" ? "Your message" : "Your note";
}

/**
 * The connection pill: offline by the user's choice, online, or online but failing to
 * reach the server (`failure`: the last failed sync's code, null once one succeeded) —
 * a lost connection shows as such, not as "Online".
 */
export function renderConnection(offline, b, failure = null) {
  const pill = $("connection");
  const queued = b ? b.outbox : 0;
  const waiting = queued > 0 ? ` — ${count(queued, "change")} waiting` : "";
  const down = !offline && failure !== null;
  // A status region: set only when it changes, so only changes are announced.
  setText(pill, offline ? `Offline${waiting}` : down ? `Can't reach the server — retrying${waiting}` : queued > 0 ? "Online — syncing" : "Online");
  pill.className = `pill ${offline || down ? "offline" : "online"}`;
  pill.dataset.queued = String(queued);
  pill.dataset.state = offline ? "offline" : down ? "down" : "online";
  if (down) pill.dataset.code = failure;
  else delete pill.dataset.code;
}

/** The ledger's view of an AssistLore account: plan, allowances, agents. */
export function renderAgentState(state) {
  const plans = { free: "Free", starter: "Starter", pro: "Pro" };
  // The selector starts at the plan the account is on (and follows it when it changes),
  // without undoing a choice the user is about to submit.
  if ($("plan-current").dataset.value !== (state.plan ?? "") && state.plan) $("plan").value = state.plan;
  $("plan-current").textContent = state.plan ? plans[state.plan] ?? state.plan : "none";
  $("plan-current").dataset.value = state.plan ?? "";
  for (const kind of ["llmTokens", "ttsCharacters"]) {
    const a = (state.allowances ?? []).find((x) => x.kind === kind);
    $(`allowance-${kind}`).textContent = decimal(a ? a.remaining : 0);
    $(`allowance-${kind}`).dataset.value = String(a ? a.remaining : 0);
  }
  const agents = state.agents ?? [];
  const rows = agents.map((a) => {
    const tr = document.createElement("tr");
    tr.setAttribute("data-testid", "agent-row");
    tr.dataset.status = a.status;
    for (const [text, cls] of [[a.id, ""], [a.status, ""], [decimal(a.cycleCredits), "num"], [date(a.cycleEnd), ""]]) {
      const td = document.createElement("td");
      td.textContent = text;
      if (cls) td.className = cls;
      tr.append(td);
    }
    return tr;
  });
  if (rows.length === 0) rows.push(emptyRow(4, "No agents yet"));
  $("agents").replaceChildren(...rows);
  const select = $("agent");
  const chosen = select.value;
  select.replaceChildren(new Option("None", ""), ...agents.filter((a) => a.status === "active").map((a) => new Option(a.id, a.id)));
  select.value = agents.some((a) => a.id === chosen && a.status === "active") ? chosen : "";
}

/** The package buttons. */
export function renderPackages(offers, onBuy) {
  $("packages").replaceChildren(...offers.map((p) => {
    const b = document.createElement("button");
    b.setAttribute("data-testid", `buy-${p.id}`);
    b.innerHTML = "<strong></strong><span></span>";
    b.firstChild.textContent = `${p.name}: ${count(p.total, "credit")}`;
    b.lastChild.textContent = `${usd(p.priceUsd)}${p.bonus !== "0" ? ` · includes ${decimal(p.bonus)} bonus` : ""}`;
    b.addEventListener("click", () => onBuy(p));
    return b;
  }));
}

/** The activity log (newest first), for developers. */
export function renderLog(lines) {
  $("log").replaceChildren(...lines.map((l) => {
    const li = document.createElement("li");
    li.className = l.level;
    li.dataset.type = l.type;
    const t = document.createElement("time");
    t.textContent = time(l.at);
    li.append(t, document.createTextNode(l.text));
    return li;
  }));
}
