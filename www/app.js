// The demo page: wires the controls to a MeterSession and the ledger client, and
// re-renders after every change. Accounts: `demo` (flashcards, True Recall: packages,
// own key) and `demo-agent` (AI agents, AssistLore: plans, allowances, agents).
// Each view lives in its own module: quote.js (estimate and decision), balance.js,
// messages.js (the one message area), history.js + chart.js (usage from the ledger),
// views.js (connection, packages, agents, activity log), format.js (locale formatting).

import init, { Catalog } from "../pkg/credit_meter.js";
import { CodedError, LedgerClient } from "./ledger.js";
import { MeterSession } from "./session.js";
import { renderBalance, setPackages } from "./balance.js";
import { drawUsageChart } from "./chart.js";
import { compareDecimal, count, date, decimal, failedCallCharge, sumDecimal, usd } from "./format.js";
import { usageFromEntries } from "./history.js";
import { clearMessage, explain, initMessages, readable, showErrorMessage, showMessage } from "./messages.js";
import { expectedTokens, markEstimatePending, renderQuote, renderQuoteError } from "./quote.js";
import * as view from "./views.js";

const $ = (id) => document.getElementById(id);
const PREFIX = "credit-meter-demo";
const DAY_MS = 86_400_000;
/** How often an idle page syncs, to notice a server that went away. */
const IDLE_SYNC_MS = 30_000;
/** A note this long (a 2 MB paste takes 100–170 ms to estimate) is not estimated again at
 * each key, but once typing pauses for ESTIMATE_PAUSE_MS. */
const LONG_NOTE_CHARS = 100_000;
const ESTIMATE_PAUSE_MS = 300;

const SAMPLE_NOTE = `---
tags: [biology]
---
# Cells

The cell is the basic unit of life. Every organism is made of one or more cells.

- Nucleus: holds the genetic material
- Ribosome: builds proteins from amino acids
- Mitochondrion: makes ATP for the cell

%% reminder: check chapter 3 %%
![[cell-diagram.png]]
`;
const SAMPLE_MESSAGE = "Summarise this week's support tickets and draft a friendly reply to the three oldest ones.";

const client = new LedgerClient();
const app = {
  session: null,
  keys: null,
  namespace: PREFIX,
  deviceId: null,
  texts: { demo: SAMPLE_NOTE, "demo-agent": SAMPLE_MESSAGE },
  /** Actions under way (`run`): while any is, the controls that start one are disabled. */
  running: 0,
  /** Set when the page could not start: every control stays disabled. */
  dead: false,
  /** Whether a Generate runs (its button says so). */
  generating: false,
  /** The last decision shown (its capped option backs the "up to N cards" button). */
  decision: null,
  /** What the ledger last said about the account: grant records by id, usage history. */
  ledger: { grants: new Map(), history: [] },
  /** Actions finished so far (successfully or not). */
  actions: 0,
  /** Whether the ledger runs the AI proxy (GET /demo/proxy): credit-paid Generate then
   * calls the AI through it; otherwise the call is simulated, and says so. */
  proxy: false,
  /** The loopback Stripe stand-in's URL when the ledger sells through it (GET
   * /demo/payments): Buy, plan and refund then go through payments. */
  payments: null,
};

const kindOf = (accountId) => (accountId === "demo-agent" ? "agent" : "flashcards");
const accountKind = () => kindOf(app.session?.accountId ?? $("account").value);
const byok = () => $("byok").checked && accountKind() === "flashcards";

/**
 * Runs an action named `source`: the previous message goes (it described the previous
 * action), and a coded error becomes the new one in the user's words (its code in the
 * message's data and in the Details log), never swallowed.
 */
async function run(source, action) {
  app.running++;
  const focused = document.activeElement;
  lockControls();
  try {
    clearMessage();
    await action();
  } catch (error) {
    showErrorMessage(error, source);
    app.session?.note("error", "error", `${error.code ?? "ERROR"}: ${readable(error.message)} (${explain(error)})`);
  } finally {
    app.running--;
    document.body.dataset.actions = String(++app.actions); // tests wait for this
    render();
    // The control that started it was disabled meanwhile, which drops the keyboard focus
    // to the page: give it back — or, when it is gone (a Refund's row), to the message.
    if (document.activeElement === document.body && focused instanceof HTMLElement && focused !== document.body) {
      if (focused.isConnected && !focused.disabled) focused.focus();
      else if (!$("message").hidden) $("message-dismiss").focus();
    }
  }
}

/** Controls that start an action (besides the package and refund buttons). */
const ACTION_CONTROLS = ["account", "generate", "generate-capped", "sync", "tamper", "plan-switch", "tts-convert", "agent-activate"];

/**
 * Disables what starts an action while one runs — no second purchase or conversion from a
 * double click, no account switch under a running Generate — and, in a tab that does not
 * own the meter's sync, everything but the account switch (it can only show the account).
 * Enables them again otherwise; Generate's own state comes from the decision (quote.js).
 */
function lockControls() {
  const busy = app.running > 0 || app.dead;
  const readOnly = app.session !== null && !app.session.isOwner;
  for (const id of ACTION_CONTROLS) {
    // A plan switch waits until the ledger said which plan the account is on (opened
    // offline, the selector's first option would be taken as a choice: Free, a cancel).
    const unknownPlan = id === "plan-switch" && !$("plan-current").dataset.value;
    const locked = busy || unknownPlan || (readOnly && id !== "account");
    if (locked) $(id).disabled = true;
    else if (id !== "generate") $(id).disabled = false;
  }
  for (const b of document.querySelectorAll("#packages button, #grants button")) b.disabled = busy || readOnly;
  // A read-only tab syncs nothing, so it has no connection to switch: toggled there, the
  // switch was saved for the account (the owning tab then reopened offline) and kept this
  // tab from taking over when the other closed.
  $("offline").disabled = readOnly;
  document.querySelector("main").setAttribute("aria-busy", String(app.running > 0));
  if (app.generating) $("generate").textContent = "Working…";
  $("read-only").hidden = !readOnly;
}

/** The estimate request for what is typed, by account kind. */
function request() {
  // A paste can carry half of a UTF-16 pair; no text on disk can, and the package refuses
  // it (BAD_INPUT): send what a file would hold, U+FFFD in its place.
  const typed = $("note").value;
  const text = typeof typed.toWellFormed === "function" ? typed.toWellFormed() : typed;
  if (accountKind() === "agent") return { operation: $("operation").value, text };
  return { operation: "flashcards.generate", note: text };
}

/** Re-renders everything from the meter (cheap: no network). */
function render() {
  const s = app.session;
  if (!s) {
    // Between two accounts (or before the first): nothing of the last one stays on show.
    $("balance").textContent = "–";
    $("balance-note").textContent = "";
    lockControls();
    return;
  }
  let balance = null;
  try {
    balance = s.balance();
    const onRefund = app.payments ? (purchaseId, name) => run("refund", () => refundPurchase(purchaseId, name)) : null;
    renderBalance(balance, {
      kind: accountKind(), offline: client.offline, failing: s.syncFailure !== null, proxy: app.proxy, ledgerGrants: app.ledger.grants, onRefund,
    });
  } catch (error) {
    showErrorMessage(error, "balance");
  }
  drawUsageChart($("chart"), app.ledger.history, $("usage-summary"));
  view.renderConnection(client.offline, balance, s.syncFailure);
  // "The server could not be reached" is untrue once a sync after it was answered: cleared then.
  const shown = $("message").dataset;
  const answeredSince = s.syncFailure === null && s.syncedAt > Number(shown.shownAt ?? Infinity);
  if (!client.offline && answeredSince && shown.level === "error" && UNREACHABLE.has(shown.code)) clearMessage();
  // While a slow note's estimate waits for typing to pause, the last one stays on show
  // (marked as being updated) rather than being worked out again at each re-render.
  if (estimateTimer === null) renderQuoteNow(s, balance);
  view.renderLog(s.log);
  lockControls();
}

/** The estimate and the decision for what is typed, against `balance`. */
function renderQuoteNow(s, balance) {
  try {
    const quote = s.quote(request(), byok());
    app.decision = quote.decision;
    const offlineRoom = client.offline || s.syncFailure !== null ? balance?.room ?? null : null;
    const allowance = quote.decision.unit ? balance?.allowances.find((a) => a.kind === quote.decision.unit) : null;
    renderQuote(quote, {
      byok: byok(), kind: accountKind(), freshness: balance?.freshness ?? "none", offlineRoom,
      allowanceFree: allowance ? Math.max(0, allowance.remaining - (allowance.held ?? 0)) : null,
      // Calls through the AI proxy (all credit-paid ones but read aloud) need the server.
      serverNeeded: !client.offline && s.syncFailure !== null && app.proxy,
      readOnly: !s.isOwner,
    });
  } catch (error) {
    app.decision = null;
    renderQuoteError(error);
  }
}

/** Right-to-left scripts: Hebrew, Arabic, Syriac, Thaana, N'Ko and their presentation forms. */
const RTL = /[\u0590-\u08FF\uFB1D-\uFDFF\uFE70-\uFEFF]/;

/**
 * Sets the note's direction from its first letter, as `dir="auto"` would: the browser's
 * own `auto` lays a 1.2 MB paste out in 3.6 s (Arabic 7.6 s), an explicit direction in
 * 0.24 s (2.9 s), measured in Chromium; the first 4,096 characters decide.
 */
function setNoteDirection() {
  const el = $("note");
  const first = /\p{L}/u.exec(el.value.slice(0, 4096));
  const dir = first && RTL.test(first[0]) ? "rtl" : "ltr";
  if (el.dir !== dir) el.dir = dir;
}

/** The pause timer of a slow note's estimate (null: none waits). */
let estimateTimer = null;

/**
 * The note changed: estimated again at once, or — a long note, whose estimate at each key
 * would freeze the page — once typing pauses; meanwhile the figures say they are being
 * updated (and Generate estimates what is typed first).
 */
function noteChanged() {
  setNoteDirection();
  if (app.session) app.texts[app.session.accountId] = $("note").value;
  if ($("note").value.length < LONG_NOTE_CHARS) {
    estimateNow();
    return;
  }
  clearTimeout(estimateTimer);
  markEstimatePending(true);
  estimateTimer = setTimeout(estimateNow, ESTIMATE_PAUSE_MS);
}

/** Ends a pause a slow estimate waits for, and estimates what is typed now. */
function estimateNow() {
  clearTimeout(estimateTimer);
  estimateTimer = null;
  markEstimatePending(false);
  render();
}

let renderQueued = false;
function scheduleRender() {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    render();
  });
}

/** The codes of an error that says the server could not be reached (cleared once it can). */
const UNREACHABLE = new Set(["TRANSPORT_FAILED", "TIMEOUT", "OFFLINE"]);

/** Reads the ledger's account state: grant records and usage history for every account,
 * plan, agents and allowances for the AssistLore panel. */
async function refreshLedgerState() {
  if (client.offline) return;
  const state = await client.state(app.session.accountId);
  app.ledger = { grants: new Map((state.grants ?? []).map((g) => [g.id, g])), history: usageFromEntries(state.entries) };
  if (accountKind() === "agent") {
    view.renderAgentState(state);
    showPendingPlan(state.plan ?? null);
  }
}

/** Where a plan change waiting for the renewal is remembered (Stripe bills a downgrade from
 * the next renewal; the ledger's plan changes only then), per account: `{planId, name}`. */
const pendingPlanKey = (accountId) => `${PREFIX}:pending-plan:${accountId}`;

/** The plan change waiting for the renewal, or null (forgotten once the plan is that one). */
function pendingPlan(currentPlan) {
  const key = pendingPlanKey(app.session.accountId);
  const pending = JSON.parse(localStorage.getItem(key) ?? "null");
  if (pending && pending.planId === currentPlan) {
    localStorage.removeItem(key);
    return null;
  }
  return pending;
}

/** Says next to the plan which change waits for the renewal, if one does. */
function showPendingPlan(currentPlan) {
  const pending = pendingPlan(currentPlan);
  const note = $("plan-pending");
  note.hidden = !pending;
  note.textContent = pending ? `Moves to ${pending.name} at the next renewal; choose the current plan to stay on it.` : "";
}

/** Syncs until nothing is queued, then refreshes what the ledger says. */
async function syncNow() {
  const b = await app.session.sync();
  await refreshLedgerState();
  return b;
}

/** Closes the current meter and opens `accountId`'s (syncing it when this tab owns it). */
async function openAccount(accountId) {
  app.session?.close();
  app.session = null;
  app.ledger = { grants: new Map(), history: [] };
  view.showAccountKind(kindOf(accountId));
  clearMessage();
  $("note").value = app.texts[accountId];
  setNoteDirection();
  clearTimeout(estimateTimer);
  estimateTimer = null;
  markEstimatePending(false);
  // "Work offline" as the user left it for this account, set before the meter opens (and
  // starts syncing): a reload works on offline, as after the switch, and nothing is sent.
  const offline = localStorage.getItem(offlineKey(accountId)) === "1";
  $("offline").checked = offline;
  client.offline = offline;
  client.signIn(accountId, app.deviceId); // the demo's sign-in: a device token for this account
  app.session = await MeterSession.open({
    client, accountId, deviceId: app.deviceId, keys: app.keys, namespace: app.namespace, proxy: app.proxy, onChange: scheduleRender,
  });
  document.body.dataset.account = accountId;
  const session = app.session;
  if (offline) session.note("warn", "offline", "offline (as you left this account): push and pull fail; changes queue in the outbox");
  if (kindOf(accountId) === "agent") labelAgentCost(session);
  if (!session.isOwner) {
    // Read-only: the usage history and purchase names still come from the ledger.
    refreshLedgerState().then(scheduleRender, () => {});
    session.whenOwner().then(() => {
      if (app.session === session && !client.offline) run("sync", syncNow); // took over from another tab
    });
  } else if (!client.offline) {
    await syncNow();
    await releaseInterrupted(session);
  }
  document.body.dataset.ready = accountId;
}

/** Where the "Work offline" switch is remembered, per account (the forget button drops it). */
const offlineKey = (accountId) => `${PREFIX}:offline:${accountId}`;

/** Releases the holds of calls a reload cut short (they hold credits nothing will commit)
 * and says what became of them; once this tab owns `session` and is online. */
async function releaseInterrupted(session) {
  const interrupted = await session.releaseInterrupted();
  if (!interrupted.length) return;
  await syncNow();
  const answers = interrupted.map((holdId) => session.acks.get(`release:${holdId}`) ?? null);
  showInterrupted(answers);
  // A call still running at the proxy is charged when it ends: sync once it settled.
  const running = interrupted.filter((_, i) => settling(answers[i]));
  if (running.length) {
    session.untilProxySettled(running).then(() => {
      if (app.session === session) run("sync", syncNow);
    });
  }
}

/**
 * Says what became of the generations a reload cut short, from the ledger's answers to
 * their releases (`answers`; null: not answered yet): a hold the AI proxy had settled
 * (its call ran) was charged what the call used; any other was released for nothing.
 */
function showInterrupted(answers) {
  const charged = sumDecimal(answers.filter((a) => a?.settledBy === "proxy").map((a) => a.charged ?? "0"));
  const running = answers.filter(settling).length;
  const facts = { interrupted: answers.length, charged, running };
  const open = answers.some((a) => a === null || a.status === "refused");
  const one = answers.length === 1;
  let text;
  if (running > 0) {
    // Released while the proxy still ran the call: the proxy charges what it used when it
    // ends (its answer carries no amount yet), so "nothing was charged" would be untrue.
    const also = compareDecimal(charged, "0") > 0 ? ` Another was charged ${count(charged, "credit")}.` : "";
    text = `A generation was cut short by a reload while its AI call was still running: the AI proxy charges what the call used when it ends, and the balance shows it then (see Details).${also}`;
  } else if (compareDecimal(charged, "0") > 0) {
    text = `A generation was cut short by a reload after its AI call had run: the AI proxy charged ${count(charged, "credit")} for what the call used (see Details), and nothing more.`;
  } else if (open) {
    text = `A generation was cut short by a reload: ${one ? "its hold is" : "their holds are"} being closed. Nothing is charged unless the AI call had already run (Details shows the server's answer).`;
  } else {
    text = `A generation was cut short by a reload before its AI call finished: ${one ? "its hold was" : "their holds were"} released and nothing was charged.`;
  }
  showMessage(text, { level: "warn", source: "reload", facts });
}

/** Whether a release's answer is of a hold the AI proxy claimed and has not settled yet:
 * applied "settled by the proxy" without the settlement's amounts. */
function settling(answer) {
  return answer?.settledBy === "proxy" && answer.charged == null;
}

/** What a generation made, in words: "12 flashcards", "the reply", "the audio". */
function made(r) {
  if (r.estimate.cards) return count(r.made?.cards ?? r.estimate.cards.expected, "flashcard");
  return r.estimate.operation === "tts" ? "the audio" : "the reply";
}

/** How the AI call ran, as a sentence: through the ledger's AI proxy with the provider's
 * reported tokens, or simulated and why. */
function callNote(r) {
  if (r.ai === "simulated") return ` (Simulated AI call: ${r.why}.)`;
  if (r.ai !== "proxy") return "";
  const tokens = `${count(r.made.inputTokens, "prompt token")} + ${count(r.made.outputTokens, "reply token")}`;
  // The proxy prices the provider's tokens (PROTOCOL §6.7): a per-card operation by the
  // cards its reply tokens are worth at the catalog's tokens per card.
  const perCard = r.estimate.charge === "perCard" ? " (the reply's tokens priced as cards at the catalog's tokens per card)" : "";
  return ` Charged by the AI proxy from the provider's reported usage: ${tokens}${perCard}.`;
}

/** What a run paid in an allowance's units cost, as a phrase: "70 message tokens from
 * your allowance", or — the allowance had none left — "0.07 credits (70 message tokens,
 * paid in credits: …)". Offline the credits are the Meter's own count, still queued. */
function unitCost(r) {
  const unit = r.unit === "llmTokens" ? "message token" : "read-aloud character";
  const which = r.unit === "llmTokens" ? "message-token" : "read-aloud";
  const units = count(r.units, unit);
  const known = r.credits !== null && !client.offline;
  const covered = Math.min(r.units, r.allowanceFree ?? r.units);
  if (covered === 0) {
    return known
      ? `${count(r.credits, "credit")} (${units}, paid in credits: your ${which} allowance has none left)`
      : `${units}, paid in credits (your ${which} allowance has none left)`;
  }
  if (covered >= r.units) {
    return `${units} from your allowance` + (known && compareDecimal(r.credits, "0") > 0 ? ` (${count(r.credits, "credit")} charged)` : "; no credits charged");
  }
  return `${units}: ${decimal(covered)} from your allowance, the rest paid in credits`
    + (known ? ` (${count(r.credits, "credit")} charged)` : "");
}

/**
 * ", above the estimate of about N credits" when what a generation was charged exceeds
 * the figure its quote gave as "about" (the estimate's expected credits, or, paid in
 * message tokens, its expected tokens), else "". The provider's count decides a charge,
 * so it can be above the estimate: said where the charge is, not left for the user to spot.
 */
function aboveEstimate(r) {
  if (r.units !== undefined) {
    if (r.unit !== "llmTokens") return ""; // characters are counted exactly
    const expected = expectedTokens(r.estimate);
    return r.units > expected ? `, above the estimate of about ${count(expected, "message token")}` : "";
  }
  const expected = r.estimate.credits.expected;
  return r.credits !== null && compareDecimal(r.credits, expected) > 0 ? `, above the estimate of about ${count(expected, "credit")}` : "";
}

/**
 * The message for a committed generation, `{text, level}`. A reply that made no usable
 * flashcards, or was cut off at its token limit, is not a success: it says what happened
 * and what was charged for it — the AI's reply is paid for by the tokens it used, cards
 * or not (the vendor paid the provider for them).
 */
function committedMessage(r, offer, partial) {
  const later = client.offline ? " Saved on this device: it reaches the server when you're back online." : "";
  const cards = r.estimate.cards ? (r.made?.cards ?? r.estimate.cards.expected) : null;
  const cutOff = Boolean(r.made?.cutOff);
  const above = aboveEstimate(r);
  const charged = count(r.credits ?? "0", "credit") + above;
  const tokens = r.made ? count(r.made.outputTokens, "reply token") : "its reply tokens";
  if (cards === 0) {
    const why = cutOff
      ? "was cut off at its length limit before a first card was complete"
      : "held no flashcards the page could read";
    return {
      level: "warn",
      text: `No flashcards made: the AI's reply ${why}. It was still charged ${charged}, because the AI's work is paid for by the `
        + `tokens it used (${tokens}), cards or not. Try a shorter note, or split long passages into shorter sentences.${later}`,
    };
  }
  const from = partial ? " from the first part of your note" : "";
  const most = offer ? (offer.cards !== null ? " (the most your credits allow now)" : " (shortened to fit your credits)") : "";
  const cost = r.units !== undefined ? unitCost(r) + above : charged;
  if (cutOff) {
    const rest = cards !== null
      ? " but the AI's reply was cut off at its length limit, so the rest of your note was not turned into cards. "
        + `The reply is charged by the tokens it used (${tokens}).`
      : " but it was cut off at its length limit.";
    return { level: "warn", text: `Made ${made(r)}${from}${most} for ${cost},${rest}${callNote(r)}${later}` };
  }
  return { level: "ok", text: `Made ${made(r)}${from}${most} for ${cost}.${callNote(r)}${later}` };
}

/** The Generate buttons: the whole flow (capped: the smaller result `decide` offered). */
async function generate(capped) {
  // A note still waiting for its estimate is estimated now: what runs is what is typed.
  if (estimateTimer !== null) estimateNow();
  const label = $("generate").textContent;
  app.generating = true;
  render();
  try {
    const s = app.session;
    const agentId = accountKind() === "agent" ? $("agent").value || null : null;
    const offer = capped ? app.decision?.capped : null;
    if (capped && !offer) throw new CodedError("NO_CAPPED_OPTION", "there is no smaller option for this note now");
    const limited = offer ? s.cappedRequest(request(), offer) : { request: request(), partial: false };
    const r = await s.generate({ request: limited.request, byok: byok(), fail: $("fail").checked, agentId });
    const facts = {
      outcome: r.outcome, holdId: r.hold?.holdId ?? "", reserved: r.hold?.amount ?? "0", charged: r.credits ?? "0",
      cards: r.estimate.cards ? (r.made?.cards ?? r.estimate.cards.expected) : "", capped: Boolean(offer), units: r.units ?? "",
      unit: r.unit ?? "", ai: r.ai ?? "", settledBy: r.settledBy ?? "", inputTokens: r.made?.inputTokens ?? "",
      outputTokens: r.made?.outputTokens ?? "", code: r.error?.code ?? "", releasedBy: r.releasedBy ?? "",
      cutOff: Boolean(r.made?.cutOff), partial: limited.partial, allowanceFree: r.allowanceFree ?? "",
      expected: r.estimate.credits.expected, aboveEstimate: r.outcome === "committed" && aboveEstimate(r) !== "",
    };
    const source = "generate";
    switch (r.outcome) {
      case "committed": {
        const { text, level } = committedMessage(r, offer, limited.partial);
        showMessage(text, { level, source, facts });
        break;
      }
      case "released": {
        // The provider's or the proxy's own words stay in the log (and the code in data-code).
        const paid = failedCallCharge(r.credits, r.units);
        const how = r.ai === "simulated" ? ` (Simulated AI call: ${r.why}.)`
          : r.releasedBy === "proxy" && !paid ? " The AI proxy released the hold before any output." : "";
        // A refusal that trying again cannot fix (too long for the hold) says what to do.
        const failed = ["HOLD_TOO_SMALL", "RATE_LIMITED", "UNAUTHORIZED"].includes(r.error?.code)
          ? explain(r.error)
          : paid ? `The AI service failed after it had the request, so the AI proxy charged ${paid}: the most the call could cost, since the provider may bill for it. Try again.`
          : "The AI service failed, so nothing was charged. Try again.";
        showMessage(`${failed}${how}`, { level: "warn", source, facts });
        break;
      }
      case "byok":
        showMessage(`Made ${made(r)} with your own API key: no credits used.${callNote(r)}`, { source, facts });
        break;
      case "free":
        showMessage("Done. This was free.", { source, facts });
        break;
      default:
        showMessage("Not generated: there are not enough credits for it.", { level: "error", source, facts });
    }
    if (!client.offline) await syncNow();
  } finally {
    app.generating = false;
    $("generate").textContent = label;
  }
}

/** The offline switch: push/pull fail while on; switching it off flushes the outbox. */
async function setOffline(offline) {
  client.offline = offline;
  const s = app.session;
  // Remembered for the account: a reload opens it as the user left it (openAccount).
  const accountId = s?.accountId ?? $("account").value;
  if (offline) localStorage.setItem(offlineKey(accountId), "1");
  else localStorage.removeItem(offlineKey(accountId));
  if (!s) return; // the page never opened an account (it could not start): nothing to sync
  if (offline) {
    s.note("warn", "offline", "offline: push and pull now fail; changes queue in the outbox");
    return;
  }
  const queued = s.balance().outbox;
  s.note("info", "online", `back online: syncing ${queued} queued change(s)`);
  try {
    await syncNow();
  } catch (error) {
    // A retry scheduled while offline may have failed just now; that failure is stale.
    s.note("warn", "online", `${error.code}: the first sync after going online failed; syncing again`);
    await syncNow();
  }
  // Opened offline (remembered), the page could not release what a reload cut short: now.
  if (s.isOwner) await releaseInterrupted(s);
}

/** Forges the stored cache, reopens, reports the detection and resyncs. */
async function tamper() {
  const detection = await app.session.tamper();
  if (!detection) throw new CodedError("NOT_DETECTED", "the forged cache was accepted");
  const facts = { code: detection.code };
  if (client.offline) {
    showMessage("This browser's stored balance had been changed, so it was thrown away. Go online to load the real one.", { level: "warn", source: "tamper", facts });
    return;
  }
  await syncNow();
  showMessage("This browser's stored balance had been changed, so it was thrown away and the real one loaded from the server.", { level: "warn", source: "tamper", facts });
}

/**
 * What a payment or a plan change brought, as sentences, from the ledger's grant records
 * it added (`grants`): "8,000 monthly credits added, until Jan 5, 2027." and "1,990
 * unused plan credits carried over." ("" for none). Amounts are the ledger's decimal
 * strings, summed exactly.
 */
function grantedText(grants) {
  const carried = grants.filter((g) => g.kind === "carriedForward");
  const added = grants.filter((g) => g.kind !== "carriedForward");
  const parts = [];
  if (added.length) {
    const amount = addedCredits(grants);
    const plan = added.every((g) => g.kind === "planCycle");
    const expiries = added.map((g) => g.expiresAt).filter((t) => t !== null && t !== undefined);
    const until = expiries.length ? `, until ${date(Math.min(...expiries))}` : "";
    parts.push(`${count(amount, plan ? "monthly credit" : "credit")} added${until}.`);
  }
  const moved = sumDecimal(carried.map((g) => g.amount));
  if (compareDecimal(moved, "0") > 0) parts.push(`${count(moved, "unused plan credit")} carried over.`);
  return parts.join(" ");
}

/** The credits `grants` added: all but carried-forward ones, which move credits. */
function addedCredits(grants) {
  return sumDecimal(grants.filter((g) => g.kind !== "carriedForward").map((g) => g.amount));
}

/** Why a plan change the ledger made added no credits. */
const CYCLE_PAID = "No credits added: this billing cycle's plan credits were already granted, and a cycle is paid once at its highest plan.";

/** What a payment brought (`fresh`: the grant records it added), as sentences: the
 * credits — or, for a plan the ledger has changed to (`planId`) without a new cycle's
 * grant, why none — and the plan credits carried over. */
function broughtText(fresh, planId = null) {
  const added = fresh.some((g) => g.kind !== "carriedForward");
  const none = !added && planId !== null && $("plan-current").dataset.value === planId ? CYCLE_PAID : "";
  return [none, grantedText(fresh)].filter(Boolean).join(" ");
}

/** The ids of the account's grant records on the ledger now (what a payment adds is what
 * is not among them afterwards). */
async function grantIds() {
  return (await client.state(app.session.accountId)).grants?.map((g) => g.id) ?? [];
}

/** The grant records the ledger holds now (after a sync) that were not among `known`. */
function grantsSince(known) {
  const had = new Set(known);
  return [...app.ledger.grants.values()].filter((g) => !had.has(g.id));
}

/** Where a checkout the page started returns to: what was bought, for which account
 * (the stand-in's or Stripe's success page sends the browser back to /www/?checkout=…). */
const PENDING_CHECKOUT = `${PREFIX}:checkout`;

/** Sends the buyer to a Checkout Session for `body` ({packageId} or {planId}) of the open
 * account; the credits arrive with the paid webhook and show after the return. */
async function startCheckout(body, what) {
  // What the account holds before: the credits the payment brings are what is new after.
  const known = await grantIds();
  const session = await client.checkout(body);
  if (session.changed) {
    // The account already paid for a plan: the ledger changed that subscription instead
    // of opening a second one. An upgrade starts a new cycle now (its payment page when
    // the card needs the buyer); a downgrade bills from the next renewal.
    if (session.url) {
      showMessage(`Confirm the payment for ${what}…`, { source: "plan", facts: { subscriptionId: session.subscriptionId } });
      location.assign(session.url);
      return;
    }
    await syncNow();
    // An upgrade's invoice is paid (and its webhook has granted the cycle) before the
    // ledger answers: the credits it brought are on the ledger now.
    const fresh = grantsSince(known);
    const brought = broughtText(fresh, body.planId) || "Its credits come with the payment's webhook and show once it has arrived.";
    const current = $("plan-current").dataset.value;
    const key = pendingPlanKey(app.session.accountId);
    const undone = session.takesEffect !== "now" && body.planId === current;
    if (session.takesEffect === "now" || undone) localStorage.removeItem(key);
    else localStorage.setItem(key, JSON.stringify({ planId: body.planId, name: what.replace(/^the | plan$/g, "") }));
    showPendingPlan(current);
    const text = session.takesEffect === "now"
      ? `Changed your subscription to ${what}: a new monthly cycle starts today, paid in full. ${brought}`
      : undone ? `Your subscription stays on ${what}: the change waiting for the renewal is undone.`
        : `Your subscription moves to ${what} at its next renewal; until then the current plan stays.`;
    const granted = addedCredits(fresh);
    showMessage(text, { source: "plan", facts: { subscriptionId: session.subscriptionId, takesEffect: session.takesEffect, granted } });
    return;
  }
  localStorage.setItem(PENDING_CHECKOUT, JSON.stringify({ accountId: app.session.accountId, what, sessionId: session.sessionId, known, planId: body.planId ?? null }));
  showMessage(`Opening the checkout for ${what}…`, { source: "buy", facts: { sessionId: session.sessionId } });
  location.assign(session.url);
}

/** Back from a checkout (`?checkout=paid|cancelled`): opens the account it was for, syncs
 * (the webhook granted the credits before the checkout page sent the browser back) and
 * says what happened. */
async function finishCheckout(outcome) {
  const pending = JSON.parse(localStorage.getItem(PENDING_CHECKOUT) ?? "null");
  localStorage.removeItem(PENDING_CHECKOUT);
  history.replaceState(null, "", location.pathname);
  if (!pending) return;
  if ($("account").value !== pending.accountId) {
    $("account").value = pending.accountId;
    await openAccount(pending.accountId);
  }
  const facts = { sessionId: pending.sessionId, outcome };
  if (outcome !== "paid") {
    showMessage(`Checkout cancelled: nothing was charged for ${pending.what}.`, { level: "warn", source: "buy", facts });
    return;
  }
  // Another tab may have taken over the sync while this one was on the checkout page: it
  // shows the credits at its next sync; this one reads the ledger's records meanwhile.
  const owner = app.session.isOwner;
  if (owner) await syncNow();
  else await refreshLedgerState().catch(() => {});
  const where = owner ? "" : " The tab keeping this account in sync shows them at its next sync.";
  // What the webhook granted: the ledger's records that were not there before the checkout.
  const fresh = Array.isArray(pending.known) ? grantsSince(pending.known) : [];
  const brought = broughtText(fresh, pending.planId ?? null);
  facts.granted = addedCredits(fresh);
  const text = compareDecimal(facts.granted, "0") > 0 ? `Paid for ${pending.what} (Stripe test mode): ${brought} They came with the payment's webhook.`
    : brought ? `Paid for ${pending.what} (Stripe test mode). ${brought}`
      : `Paid for ${pending.what} (Stripe test mode); the credits came with the payment's webhook.`;
  showMessage(`${text}${where}`, { source: "buy", facts });
}

/** Buys a package: through Stripe Checkout when the ledger sells through Stripe (the
 * demo's stand-in), else through the demo's shop route (no payment). */
async function buy(offer) {
  if (app.payments) return startCheckout({ packageId: offer.id }, `the ${offer.name} package`);
  const purchaseId = `buy-${crypto.randomUUID()}`;
  const out = await client.admin({ op: "purchase", accountId: app.session.accountId, purchaseId, packageId: offer.id });
  await syncNow();
  const grants = Array.isArray(out) ? out : out?.grants ?? [];
  const until = grants.find((g) => g.refundableUntil)?.refundableUntil;
  const refund = until ? ` Unused credits are refundable until ${date(until)}.` : "";
  showMessage(`Bought the ${offer.name} package: ${count(offer.total, "credit")} added (demo: no payment).${refund}`, {
    source: "buy", facts: { purchaseId, total: offer.total, refundableUntil: until ?? "" },
  });
}

/** Refunds what is left of a purchase (the account's policy decides; True Recall: the
 * unused credits within 14 days, paid back pro rata). */
async function refundPurchase(purchaseId, name) {
  const out = await client.refund(purchaseId);
  await syncNow();
  // The money is the price pro rata of the credits left, rounded down to the cent: a few
  // credits left can be worth nothing.
  const back = !out.refundUsd ? "" : compareDecimal(out.refundUsd, "0") === 0
    ? " They were worth less than a cent, so no money goes back."
    : out.stripeRefundId
      ? ` ${usd(out.refundUsd)} goes back to the card.`
      : ` ${usd(out.refundUsd)} would go back, but this purchase was not paid through Stripe, so no card refund was sent.`;
  showMessage(`Refunded ${count(out.remaining ?? "0", "unused credit")} of the ${name}.${back}`, {
    source: "refund", facts: { purchaseId, refundUsd: out.refundUsd ?? "", stripeRefundId: out.stripeRefundId ?? "" },
  });
}

/** Ends the AssistLore subscription in the stand-in's customer portal: Stripe then sends
 * `customer.subscription.deleted`, and the ledger moves the account to the Free plan. */
async function cancelSubscription() {
  if (client.offline) throw new CodedError("OFFLINE", "offline (simulated): the customer portal was not called");
  const res = await fetch(`${app.payments}/portal/cancel`, { method: "POST", body: app.session.accountId });
  const answer = await res.json();
  if (!res.ok) throw new CodedError(answer.error?.code ?? "PORTAL_FAILED", answer.error?.message ?? `the portal answered ${res.status}`);
  await syncNow();
  showMessage("Subscription cancelled: the account is on the Free plan. Credits already granted keep their expiry.", {
    source: "plan", facts: { to: "free" },
  });
}

/** Moves the AssistLore account to the chosen plan: through a Stripe subscription when the
 * ledger sells through Stripe (paid plans by checkout, Free by cancelling), else through
 * the demo's shop route (a 30-day cycle from now). */
async function switchPlan() {
  const planId = $("plan").value;
  const name = $("plan").selectedOptions[0].textContent.split(":")[0];
  if (client.offline) throw new CodedError("OFFLINE", "offline (simulated): the plan was not changed");
  const current = $("plan-current").dataset.value;
  // The current plan again undoes a change waiting for the renewal (Stripe keeps the plan).
  if (planId === current && app.payments && pendingPlan(current)) return startCheckout({ planId }, `the ${name} plan`);
  if (planId === current) {
    showMessage(`The account is already on ${name}.`, { level: "warn", source: "plan", facts: { to: planId } });
    return;
  }
  if (app.payments) return planId === "free" ? cancelSubscription() : startCheckout({ planId }, `the ${name} plan`);
  const now = Date.now();
  const out = await client.admin({
    op: "changePlan", accountId: app.session.accountId, planId, startsAt: now, endsAt: now + 30 * DAY_MS,
  });
  await syncNow();
  // What the change brought, from the ledger's answer: the new cycle's credits (the plan's
  // less what this cycle already granted) and the plan credits carried over.
  const brought = grantedText([out.cycleGrant, out.carriedGrant].filter(Boolean));
  const parts = [`Switched to ${name}${out.upgrade ? " (an upgrade)" : ""}.`];
  if (!out.cycleGrant) parts.push(CYCLE_PAID);
  if (brought) parts.push(brought);
  showMessage(parts.join(" "), {
    source: "plan", facts: { to: out.to, upgrade: out.upgrade, carried: out.carried, granted: out.cycleGrant?.amount ?? "0" },
  });
}

/** Converts 10 credits into TTS characters (an allowance that never expires). */
async function convertTts() {
  const out = await client.admin({ op: "convert", accountId: app.session.accountId, allowance: "ttsCharacters", credits: "10" });
  await syncNow();
  showMessage(`Converted ${count(out.creditsConverted, "credit")} into ${count(out.unitsAdded, "read-aloud character")}; they never expire.`, {
    source: "plan", facts: { converted: out.creditsConverted, units: out.unitsAdded },
  });
}

/** Says on "Create an agent" what it costs before the click: the catalog's activation and
 * first cycle (a walk spent 300 credits to learn it from the message afterwards). */
function labelAgentCost(session) {
  try {
    const credits = ["agent.activate", "agent.subscription"].map((operation) => session.meter.estimate({ operation }).credits.expected);
    $("agent-activate").textContent = `Create an agent (${count(sumDecimal(credits), "credit")})`;
  } catch {
    $("agent-activate").textContent = "Create an agent"; // a catalog without agents: the ledger says why on click
  }
}

/** Creates the next agent: activation plus its first cycle, paid in credits. */
async function activateAgent() {
  const state = await client.state(app.session.accountId);
  const agentId = `agent-${(state.agents ?? []).length + 1}`;
  const agent = await client.admin({ op: "activateAgent", accountId: app.session.accountId, agentId });
  await syncNow();
  $("agent").value = agent.id;
  showMessage(`Created ${agent.id} for ${count(agent.fees, "credit")} (activation and its first month); it renews ${date(agent.cycleEnd)}.`, {
    source: "plan", facts: { agentId: agent.id, fees: agent.fees },
  });
}

/** Drops this browser's demo state (every meter and the device id) and reloads. */
function forget() {
  const queued = app.session?.balance().outbox ?? 0;
  if (queued > 0 && !confirm(`${count(queued, "change")} made on this device ${queued === 1 ? "has" : "have"} not reached the server yet and would be lost. Forget this browser's state anyway?`)) return;
  app.session?.close();
  for (const k of Object.keys(localStorage)) if (k.startsWith(PREFIX)) localStorage.removeItem(k);
  location.reload();
}

/** Loads the package and the ledger keys, wires the controls, opens the first account.
 * A page that cannot reach its server says so and keeps every control disabled (a control
 * that looks usable and does nothing is worse than none). */
async function main() {
  await init();
  initMessages();
  wireControls();
  app.deviceId = localStorage.getItem(`${PREFIX}:device`) ?? `browser-${crypto.randomUUID().slice(0, 8)}`;
  localStorage.setItem(`${PREFIX}:device`, app.deviceId);
  try {
    app.keys = await client.keys();
  } catch (error) {
    app.dead = true;
    $("connection").textContent = "Not connected";
    $("connection").dataset.state = "down";
    throw new CodedError("START_FAILED", `cannot read the ledger's keys at /v1/keys (${error.code}: ${error.message})`);
  }
  // One storage namespace per ledger key: a fresh ledger never meets another's cache.
  app.namespace = `${PREFIX}:${Object.keys(app.keys).sort().join(",")}`;
  try {
    app.payments = (await (await fetch(new URL("/demo/payments", location.href))).json()).standIn ?? null;
  } catch {
    app.payments = null; // no payments route (or no answer): the demo's own shop
  }
  if (app.payments) $("buy-mode").textContent = "Stripe test mode: no real money";
  app.proxy = await client.hasProxy().catch(() => false);
  await openAccount($("account").value);
  const checkout = new URLSearchParams(location.search).get("checkout");
  if (checkout) await finishCheckout(checkout);
}

/** Wires every control (before anything that can fail, so none is left dead). */
function wireControls() {
  const packages = Catalog.default().packages();
  setPackages(packages);
  view.renderPackages(packages, (offer) => run("buy", () => buy(offer)));
  $("note").addEventListener("input", noteChanged);
  for (const id of ["byok", "operation", "agent"]) $(id).addEventListener("change", estimateNow);
  $("generate").addEventListener("click", () => run("generate", () => generate(false)));
  $("generate-capped").addEventListener("click", () => run("generate", () => generate(true)));
  $("offline").addEventListener("change", (e) => run("offline", () => setOffline(e.target.checked)));
  $("sync").addEventListener("click", () => run("sync", async () => {
    if (client.offline) {
      const queued = app.session.balance().outbox;
      showMessage(`You're working offline: ${count(queued, "change")} wait${queued === 1 ? "s" : ""} on this device until you switch off "Work offline".`, { level: "warn", source: "sync" });
      return;
    }
    const b = await syncNow();
    showMessage(b.outbox === 0 ? "Up to date with the server." : `Synced; ${count(b.outbox, "change")} still waiting.`, { source: "sync" });
  }));
  $("tamper").addEventListener("click", () => run("tamper", tamper));
  $("plan-switch").addEventListener("click", () => run("plan", switchPlan));
  $("tts-convert").addEventListener("click", () => run("plan", convertTts));
  $("agent-activate").addEventListener("click", () => run("plan", activateAgent));
  $("account").addEventListener("change", (e) => run("account", () => openAccount(e.target.value)));
  $("forget").addEventListener("click", forget);
  setInterval(render, 1000); // freshness and expiries move with the clock
  // An idle page still learns that the server went away (or came back): a quiet sync every
  // 30 s while nothing else runs; its failure shows in the connection pill.
  setInterval(() => {
    const s = app.session;
    if (!s || !s.isOwner || client.offline || app.running > 0) return;
    s.sync().catch(() => {}).finally(scheduleRender);
  }, IDLE_SYNC_MS);
  // A tab that does not own the sync follows what the owning tab saves.
  let reloading = null;
  window.addEventListener("storage", (e) => {
    const s = app.session;
    if (!s || s.isOwner || e.key !== s.storageKey || reloading) return;
    reloading = setTimeout(() => {
      reloading = null;
      if (app.session === s && !s.isOwner) s.reload().then(() => refreshLedgerState().catch(() => {})).then(scheduleRender, () => {});
    }, 500);
  });
}

window.addEventListener("unhandledrejection", (e) => showErrorMessage(e.reason, "page"));
run("start", main);
