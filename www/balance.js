// The balance panel: the headline is what the user can spend now (`balance().spendable`:
// the signed balance minus holds and usage not yet synced, bounded by the offline room),
// a line saying why it differs from the ledger's figure when it does, the low-balance
// notice, and where the credits come from — package and date of each purchase, expiry,
// and the refund window. The raw figures go to the Details disclosure.

import { setText } from "./dom.js";
import { atLeastZero, compareDecimal, count, date, dateTime, decimal, noun, proRataUsd, sumDecimal, usd } from "./format.js";

const $ = (id) => document.getElementById(id);

/** The catalog's packages (set once at start) for naming purchases. */
let packages = [];

/** Remembers the catalog's package offers (`Catalog.packages()`). */
export function setPackages(offers) {
  packages = offers;
}

/** The package a purchase grant was bought as: same credits and price. */
function packageOf(grant) {
  if (!grant || grant.kind !== "purchase" || !grant.priceUsd) return null;
  return packages.find((p) => compareDecimal(p.credits, grant.amount) === 0 && compareDecimal(p.priceUsd, grant.priceUsd) === 0) ?? null;
}

/** What a grant is, for people, from the snapshot's grant and the ledger's record of it. */
function describeGrant(g, ledgerGrants) {
  const record = ledgerGrants.get(g.id);
  const bought = record?.effectiveAt ? `, bought ${date(record.effectiveAt)}` : "";
  switch (g.kind) {
    case "purchase": {
      const p = packageOf(record);
      return `${p ? `${p.name} package` : "Credit purchase"}${bought}`;
    }
    case "bonus": {
      const paid = record?.purchaseId ? ledgerGrants.get(record.purchaseId) : null;
      const p = packageOf(paid);
      return `Bonus with the ${p ? `${p.name} package` : "purchase"}${bought}`;
    }
    case "signup":
      return "Welcome credits";
    case "planCycle":
      return "Monthly plan credits";
    case "carriedForward":
      return "Carried over from your previous plan";
    case "promotion":
      return "Promotion";
    default:
      return "Adjustment";
  }
}

function cell(text, className = "") {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

/** An empty table's one row. */
export function emptyRow(span, text) {
  const tr = document.createElement("tr");
  const td = cell(text, "muted");
  td.colSpan = span;
  tr.append(td);
  return tr;
}

/**
 * What refunding purchase `purchaseId` would give back now, as the ledger computes it:
 * what is left of every grant of the purchase (its bonus too) and the price pro rata of
 * that share of all its credits, rounded down to the cent. `grants`: the snapshot's.
 */
function refundOf(purchaseId, grants, ledgerGrants) {
  const members = [...ledgerGrants.values()].filter((r) => r.purchaseId === purchaseId);
  const ids = new Set(members.map((r) => r.id));
  const credits = sumDecimal(grants.filter((g) => ids.has(g.id)).map((g) => g.remaining));
  const bonus = members.some((r) => r.kind === "bonus");
  const price = members.find((r) => r.priceUsd)?.priceUsd ?? null;
  const money = price === null ? null : proRataUsd(price, credits, sumDecimal(members.map((r) => r.amount)));
  return { credits, bonus, money };
}

/** The refund cell: the window, and a Refund button while the purchase can be refunded
 * (inside its window, credits left, and the page can ask: `onRefund`). Its label says
 * what the refund really gives back: the credits left of the purchase, bonus included,
 * and the money. */
function refundCell(g, grants, ledgerGrants, onRefund) {
  const td = cell(g.refundableUntil ? `until ${date(g.refundableUntil)}` : g.kind === "purchase" ? "closed" : "—", "flashcards-only");
  const purchaseId = ledgerGrants.get(g.id)?.purchaseId;
  if (onRefund && purchaseId && g.kind === "purchase" && g.refundableUntil > Date.now() && compareDecimal(g.remaining, "0") > 0) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "link";
    b.textContent = "Refund";
    const name = describeGrant(g, ledgerGrants);
    // The credits left tell two purchases of one package on one day apart.
    const back = refundOf(purchaseId, grants, ledgerGrants);
    const money = back.money === null ? "" : compareDecimal(back.money, "0") > 0 ? `, ${usd(back.money)} back`
      : ", no money back (worth less than a cent)";
    b.setAttribute("aria-label", `Refund the ${count(back.credits, "unused credit")}${back.bonus ? " (bonus included)" : ""} of ${name}${money}`);
    b.title = b.getAttribute("aria-label");
    b.setAttribute("data-testid", `refund-${purchaseId}`);
    b.addEventListener("click", () => onRefund(purchaseId, name));
    td.append(" ", b);
  }
  return td;
}

function renderGrants(grants, ledgerGrants, onRefund) {
  // Rebuilt only when something shown changed: the page re-renders every second, and a
  // rebuilt row would take the keyboard focus off its Refund button.
  const shown = JSON.stringify([grants, [...ledgerGrants.values()].map((r) => [r.id, r.purchaseId, r.effectiveAt]), Boolean(onRefund),
    grants.map((g) => g.refundableUntil > Date.now())]);
  if ($("grants").dataset.shown === shown) return;
  $("grants").dataset.shown = shown;
  const rows = grants.map((g) => {
    const tr = document.createElement("tr");
    tr.setAttribute("data-testid", "grant-row");
    Object.assign(tr.dataset, { kind: g.kind, id: g.id, remaining: g.remaining, expiresAt: g.expiresAt ?? "", refundableUntil: g.refundableUntil ?? "" });
    tr.append(
      cell(describeGrant(g, ledgerGrants)),
      cell(decimal(g.remaining), "num"),
      cell(g.expiresAt ? dateTime(g.expiresAt) : "never"),
      refundCell(g, grants, ledgerGrants, onRefund),
    );
    return tr;
  });
  // Grants used up, expired or refunded leave the snapshot: "yet" only for an account
  // the ledger knows no grant of.
  if (rows.length === 0) rows.push(emptyRow(4, ledgerGrants.size > 0 ? "No credits left" : "No credits yet"));
  $("grants").replaceChildren(...rows);
}

/** Why the headline differs from the ledger's figure, in one line (empty when it does not).
 * `proxy`: the ledger runs the AI proxy, so AI calls paid in credits need the server. */
function balanceNote(b, offline, failing, proxy) {
  const unreachable = failing && !offline;
  const parts = [];
  if (compareDecimal(b.pending, "0") > 0) parts.push(`${count(b.pending, "credit")} used ${offline ? "offline" : "just now"} ${noun(b.pending, "is", "are")} already taken off; the server hears of ${noun(b.pending, "it", "them")} when you're online.`);
  if (compareDecimal(b.heldOwn, "0") > 0) parts.push(`${count(b.heldOwn, "credit")} ${noun(b.heldOwn, "is", "are")} set aside for a generation in progress.`);
  if (compareDecimal(b.heldOther, "0") > 0) parts.push(`${count(b.heldOther, "credit")} ${noun(b.heldOther, "is", "are")} set aside by your other devices.`);
  if (compareDecimal(b.spendable, b.available) < 0) parts.push("Offline, only this much can be spent until you reconnect.");
  // While the snapshot is fresh the headline is the whole balance, but without the server
  // only the offline room can be spent (a bigger hold waits for the server to confirm it).
  else if ((offline || (unreachable && !proxy)) && compareDecimal(b.room, b.spendable) < 0) {
    parts.push(`Until you're back online, at most ${count(atLeastZero(b.room), "credit")} of it can be spent.`);
  }
  if (unreachable) {
    parts.push(proxy
      ? "The server can't be reached just now, and generating needs it (the AI call goes through the server); the page keeps trying."
      : "The server can't be reached just now: what you do is counted here and synced once it can.");
  }
  if (b.freshness === "none") return "Not loaded on this device yet: go online to load the balance.";
  if (parts.length === 0) parts.push(offline ? "Offline: spending is counted here and synced later." : "Up to date with the server.");
  return parts.join(" ");
}

/**
 * The balance panel from `meter.status()`; `ledgerGrants`: the ledger's grant records by
 * id (purchase dates and prices), empty until the ledger was read; `onRefund(purchaseId,
 * name)`: what a purchase's Refund button does (no buttons without it).
 */
export function renderBalance(b, { kind, offline, failing = false, proxy = false, ledgerGrants = new Map(), onRefund = null }) {
  const big = $("balance");
  // No signed balance on this device yet (opened offline for the first time): nothing to
  // show, rather than a "0 credits" the account may not have.
  big.textContent = b.freshness === "none" ? "–" : `${decimal(b.spendable)} ${noun(b.spendable, "credit")}`;
  big.dataset.value = b.spendable;
  big.dataset.balance = b.balance;
  // A live region: set only when it changes, or a screen reader re-reads it every second.
  setText($("balance-note"), balanceNote(b, offline, failing, proxy));
  const low = $("low");
  low.hidden = !b.low;
  setText(low, b.low
    ? `Low balance: ${count(b.spendable, "credit")} left. ${kind === "agent" ? "Upgrade your plan to get monthly credits." : "Buy a package or use your own API key."}`
    : "");
  renderGrants(b.grants, ledgerGrants, onRefund);
  for (const a of b.allowances) {
    const el = $(`allowance-${a.kind}`);
    if (el) el.textContent = decimal(a.remaining);
  }
  // The developer's figures.
  $("ledger-balance").textContent = `${b.balance} (signed snapshot, version ${b.seq})`;
  $("available").textContent = `${b.available} (spendable now ${b.spendable}, offline room ${b.room})`;
  $("held").textContent = `${b.heldOwn} by this browser, ${b.heldOther} by other devices`;
  $("pending").textContent = `${b.pending} in unacknowledged commits`;
  $("freshness").textContent = b.freshness;
  $("outbox").textContent = `${b.outbox} queued mutation(s)`;
  $("outbox").dataset.value = String(b.outbox);
}
