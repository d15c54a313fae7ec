// The demo page: wires the controls to a MeterSession and the ledger client, and
// re-renders after every change. Accounts: `demo` (flashcards, True Recall: packages,
// own key) and `demo-agent` (AI agents, AssistLore: plans, allowances, agents).

import init, { Catalog } from "../pkg/credit_meter.js";
import { CodedError, LedgerClient } from "./ledger.js";
import { MeterSession } from "./session.js";
import * as view from "./views.js";

const $ = (id) => document.getElementById(id);
const PREFIX = "credit-meter-demo";
const DAY_MS = 86_400_000;

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
  busy: false,
  /** Actions finished so far (successfully or not). */
  actions: 0,
};

const kindOf = (accountId) => (accountId === "demo-agent" ? "agent" : "flashcards");
const accountKind = () => kindOf(app.session?.accountId ?? $("account").value);

/** Runs an action; a coded error goes to `resultId` (and the log), never swallowed. */
async function run(resultId, action) {
  try {
    view.showError(null);
    await action();
  } catch (error) {
    const text = `${error.code ?? "ERROR"}: ${error.message}`;
    if (resultId) view.setResult(resultId, text, "error");
    else view.showError(error);
    app.session?.note("error", "error", text);
  } finally {
    document.body.dataset.actions = String(++app.actions); // tests wait for this
    render();
  }
}

/** The estimate request for what is typed, by account kind. */
function request() {
  const text = $("note").value;
  if (accountKind() === "agent") return { operation: $("operation").value, text };
  return { operation: "flashcards.generate", note: text };
}

/** Re-renders everything from the meter (cheap: no network). */
function render() {
  const s = app.session;
  if (!s) return;
  let balance = null;
  try {
    balance = s.balance();
    view.renderBalance(balance, s.history(), accountKind());
  } catch (error) {
    view.showError(error);
  }
  view.renderConnection(client.offline, balance);
  try {
    view.renderQuote(s.quote(request(), $("byok").checked && accountKind() === "flashcards"));
  } catch (error) {
    view.renderQuoteError(error);
  }
  view.renderLog(s.log);
  $("generate").disabled = app.busy;
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

/** Reads the ledger's account state (plan, agents, allowances) for the agent panel. */
async function refreshLedgerState() {
  if (accountKind() !== "agent" || client.offline) return;
  view.renderAgentState(await client.state(app.session.accountId));
}

/** Syncs until nothing is queued, then refreshes the ledger-side panel. */
async function syncNow() {
  const b = await app.session.sync();
  await refreshLedgerState();
  return b;
}

/** Closes the current meter and opens `accountId`'s (syncing it when this tab owns it). */
async function openAccount(accountId) {
  app.session?.close();
  app.session = null;
  view.showAccountKind(kindOf(accountId));
  view.showDetection(null);
  for (const id of ["generate-result", "tamper-result", "buy-result", "plan-result"]) view.setResult(id, "");
  $("note").value = app.texts[accountId];
  client.signIn(accountId, app.deviceId); // the demo's sign-in: a device token for this account
  app.session = await MeterSession.open({
    client, accountId, deviceId: app.deviceId, keys: app.keys, namespace: app.namespace, onChange: scheduleRender,
  });
  document.body.dataset.account = accountId;
  const session = app.session;
  if (!session.isOwner) {
    session.whenOwner().then(() => {
      if (app.session === session && !client.offline) run(null, syncNow); // took over from another tab
    });
  } else if (!client.offline) {
    await syncNow();
  }
  document.body.dataset.ready = accountId;
}

/** The Generate button: the whole flow, then a line saying what happened. */
async function generate() {
  app.busy = true;
  render();
  try {
    const s = app.session;
    const agentId = accountKind() === "agent" ? $("agent").value || null : null;
    const r = await s.generate({
      request: request(), byok: $("byok").checked && accountKind() === "flashcards", fail: $("fail").checked, agentId,
    });
    const what = r.estimate.cards ? `${r.estimate.cards.expected} flashcards` : r.estimate.operation === "tts" ? "the audio" : "the reply";
    const facts = { outcome: r.outcome, holdId: r.hold?.holdId ?? "", reserved: r.hold?.amount ?? "0", charged: r.credits ?? "0" };
    switch (r.outcome) {
      case "committed":
        view.setResult("generate-result", `Generated ${what} · reserved ${r.hold.amount}, charged ${r.credits} credits${client.offline ? " (queued: offline)" : ""}`, "ok", facts);
        break;
      case "released":
        view.setResult("generate-result", `AI call failed (${r.error.code}): hold of ${r.hold.amount} released, nothing charged`, "warn", facts);
        break;
      case "byok":
        view.setResult("generate-result", `Generated ${what} with your own API key: no credits charged`, "ok", facts);
        break;
      case "free":
        view.setResult("generate-result", "Nothing to charge: this operation is free", "ok", facts);
        break;
      default:
        view.setResult("generate-result", `Not generated: ${r.decision.reason}`, "error", facts);
    }
    if (!client.offline) await syncNow();
  } finally {
    app.busy = false;
  }
}

/** The offline switch: push/pull fail while on; switching it off flushes the outbox. */
async function setOffline(offline) {
  client.offline = offline;
  const s = app.session;
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
}

/** Forges the stored cache, reopens, shows the detection and resyncs. */
async function tamper() {
  const detection = await app.session.tamper();
  view.showDetection(detection);
  if (!detection) throw new CodedError("NOT_DETECTED", "the forged cache was accepted");
  if (client.offline) {
    view.setResult("tamper-result", `Detected ${detection.code}: the forged snapshot was discarded; go online to pull a fresh one`, "warn");
    return;
  }
  const b = await syncNow();
  view.setResult("tamper-result", `Detected ${detection.code}: the forged balance was discarded; the ledger says ${b.balance} credits`, "warn");
}

/** Buys a package through the admin API (demo: no payment), then syncs. */
async function buy(offer) {
  const purchaseId = `buy-${crypto.randomUUID()}`;
  await client.admin({ op: "purchase", accountId: app.session.accountId, purchaseId, packageId: offer.id });
  const b = await syncNow();
  view.setResult("buy-result", `Bought ${offer.name}: +${offer.total} credits (demo, no payment) · balance ${b.balance}`, "ok", { purchaseId, total: offer.total });
}

/** Moves the AssistLore account to the chosen plan, starting a 30-day cycle now. */
async function switchPlan() {
  const now = Date.now();
  const planId = $("plan").value;
  const out = await client.admin({
    op: "changePlan", accountId: app.session.accountId, planId, startsAt: now, endsAt: now + 30 * DAY_MS,
  });
  await syncNow();
  const parts = [`${out.from ?? "none"} → ${out.to} (${out.upgrade ? "upgrade" : "not an upgrade"})`];
  parts.push(out.cycleGrant ? `+${out.cycleGrant.amount ?? out.cycleGrant.remaining} monthly credits until ${view.when(out.cycleGrant.expiresAt)}` : "no monthly credits");
  parts.push(`carried forward ${out.carried}`);
  view.setResult("plan-result", parts.join(" · "), "ok", { to: out.to, upgrade: out.upgrade, carried: out.carried });
}

/** Converts 10 credits into TTS characters (an allowance that never expires). */
async function convertTts() {
  const out = await client.admin({ op: "convert", accountId: app.session.accountId, allowance: "ttsCharacters", credits: "10" });
  await syncNow();
  view.setResult("plan-result", `Converted ${out.creditsConverted} credits into ${out.unitsAdded} TTS characters (${out.remaining} left; they never expire)`, "ok", { converted: out.creditsConverted, units: out.unitsAdded });
}

/** Creates the next agent: activation plus its first cycle, paid in credits. */
async function activateAgent() {
  const state = await client.state(app.session.accountId);
  const agentId = `agent-${(state.agents ?? []).length + 1}`;
  const agent = await client.admin({ op: "activateAgent", accountId: app.session.accountId, agentId });
  await syncNow();
  $("agent").value = agent.id;
  view.setResult("plan-result", `Created ${agent.id}: activation + first cycle paid (${agent.fees} credits), renews ${view.when(agent.cycleEnd)}`, "ok", { agentId: agent.id, fees: agent.fees });
}

/** Drops this browser's demo state (every meter and the device id) and reloads. */
function forget() {
  app.session?.close();
  for (const k of Object.keys(localStorage)) if (k.startsWith(PREFIX)) localStorage.removeItem(k);
  location.reload();
}

/** Loads the package and the ledger keys, wires the controls, opens the first account. */
async function main() {
  await init();
  app.deviceId = localStorage.getItem(`${PREFIX}:device`) ?? `browser-${crypto.randomUUID().slice(0, 8)}`;
  localStorage.setItem(`${PREFIX}:device`, app.deviceId);
  try {
    app.keys = await client.keys();
  } catch (error) {
    throw new CodedError(error.code, `cannot read the ledger's keys at /v1/keys (serve this page with ./scripts/demo.sh): ${error.message}`);
  }
  // One storage namespace per ledger key: a fresh ledger never meets another's cache.
  app.namespace = `${PREFIX}:${Object.keys(app.keys).sort().join(",")}`;
  view.renderPackages(Catalog.default().packages(), (offer) => run("buy-result", () => buy(offer)));
  $("note").addEventListener("input", () => {
    app.texts[app.session.accountId] = $("note").value;
    render();
  });
  for (const id of ["byok", "operation", "agent"]) $(id).addEventListener("change", render);
  $("generate").addEventListener("click", () => run("generate-result", generate));
  $("offline").addEventListener("change", (e) => run(null, () => setOffline(e.target.checked)));
  $("sync").addEventListener("click", () => run("tamper-result", async () => {
    const b = await syncNow();
    view.setResult("tamper-result", `Synced: ${b.balance} credits, ${b.outbox} queued`);
  }));
  $("tamper").addEventListener("click", () => run("tamper-result", tamper));
  $("plan-switch").addEventListener("click", () => run("plan-result", switchPlan));
  $("tts-convert").addEventListener("click", () => run("plan-result", convertTts));
  $("agent-activate").addEventListener("click", () => run("plan-result", activateAgent));
  $("account").addEventListener("change", (e) => run(null, () => openAccount(e.target.value)));
  $("forget").addEventListener("click", forget);
  setInterval(render, 1000); // freshness and expiries move with the clock
  await openAccount($("account").value);
}

window.addEventListener("unhandledrejection", (e) => view.showError(e.reason));
run(null, main);
