// The estimate and the decision, in the user's words: what the note will make, what it
// costs (credits, or the provider's USD on the user's own key), whether it can run, and —
// when the whole note does not fit but a smaller result does — the capped option the
// package's `decide` offered. Every figure comes from the package as a decimal string.

import { setText } from "./dom.js";
import { atLeastZero, compareDecimal, count, decimal, noun, usd } from "./format.js";

const $ = (id) => document.getElementById(id);

/** "about 12 (9–15)", or "exactly 12" when the range is one value. */
function range(r, unit) {
  if (r.low === r.high) return `exactly ${count(r.high, unit)}`;
  return `about ${count(r.expected, unit)} (${decimal(r.low)}–${decimal(r.high)})`;
}

function setData(el, data) {
  for (const key of Object.keys(el.dataset)) if (key !== "testid") delete el.dataset[key];
  for (const [key, value] of Object.entries(data)) el.dataset[key] = value === null || value === undefined ? "" : String(value);
}

/** The figures under the note. */
function renderEstimate(estimate, byok) {
  $("est-cards").textContent = estimate.cards ? range(estimate.cards, "card") : "–";
  if (estimate.operation === "tts") {
    $("size-label").textContent = "Length";
    $("est-size").textContent = count(estimate.characters ?? 0, "character");
  } else {
    $("size-label").textContent = "Reply";
    const out = estimate.outputTokens;
    $("est-size").textContent = `about ${count(out.expected, "token")}, at most ${decimal(out.high)}`;
  }
  const cost = $("est-credits");
  const p = estimate.providerUsd;
  if (byok && p) {
    $("cost-label").textContent = "Provider cost on your key";
    cost.textContent = p.low === p.high ? usd(p.high) : `about ${usd(p.expected)}, at most ${usd(p.high)}`;
    setData(cost, { unit: "usd", low: p.low, expected: p.expected, high: p.high });
  } else {
    const c = estimate.credits;
    $("cost-label").textContent = "Cost";
    cost.textContent = c.low === c.high ? `${count(c.high, "credit")}` : `about ${count(c.expected, "credit")}, at most ${decimal(c.high)}`;
    setData(cost, { unit: "credits", low: c.low, expected: c.expected, high: c.high });
  }
  const overhead = estimate.inputTokens.expected;
  $("est-tokens").textContent = `${estimate.operation}: ${decimal(overhead)} prompt tokens (the note plus fixed instructions), `
    + `${decimal(estimate.outputTokens.expected)} reply tokens expected; credits ${estimate.credits.low} / ${estimate.credits.expected} / ${estimate.credits.high}`;
}

/** What the capped option lets the user do, as a button label. */
function cappedLabel(capped) {
  if (capped.cards !== null) return `Generate up to ${count(capped.cards, "card")} (${count(capped.reserve, "credit")})`;
  return `Send with a shorter reply (up to ${count(capped.maxOutputTokens, "token")})`;
}

/** The ways to fund the whole thing, as a clause. */
function remedies(decision, kind) {
  if (kind === "agent") return "upgrade your plan";
  const ways = [];
  if (decision.options.includes("buyCredits") && decision.package) {
    const p = decision.package;
    ways.push(`buy ${p.quantity > 1 ? `${p.quantity} × ` : ""}the ${p.package.name} package (${count(p.package.total, "credit")})`);
  }
  if (decision.options.includes("useOwnKey")) ways.push("use your own API key");
  return ways.join(" or ") || "add credits";
}

/** How a call paid in an allowance's units is paid for, as a sentence: from the allowance
 * (`free`: its units not yet used or held; null: not known), in credits when it has none
 * left, or both. Message tokens are estimated: "about" goes with the estimate's expected
 * figures (the ones the estimate box shows), "up to" with what is set aside (the high
 * estimate); read-aloud characters are counted exactly. */
function unitDecision(estimate, decision, free) {
  const unit = decision.unit === "llmTokens" ? "message token" : "read-aloud character";
  const which = decision.unit === "llmTokens" ? "message-token" : "read-aloud";
  const units = count(decision.units, unit);
  const credits = compareDecimal(decision.reserve, "0") > 0;
  if (decision.unit !== "llmTokens") {
    if (free === 0 && credits) {
      return `Ready: your ${which} allowance has none left, so this is paid in credits: up to ${count(decision.reserve, "credit")} for up to ${units}.`;
    }
    if (!credits) return `Ready: up to ${units} from your allowance; no credits are used.`;
    const left = free === null ? "" : ` (${decimal(free)} left)`;
    return `Ready: up to ${units}, from your allowance first${left}, and up to ${count(decision.reserve, "credit")} for what it does not cover.`;
  }
  // Message tokens are the provider's count, which the AI proxy charges even where it is
  // above what was set aside (PROTOCOL §6.7).
  const decides = " The provider's count of the tokens decides the charge.";
  const expected = count(expectedTokens(estimate), unit);
  if (free === 0 && credits) {
    return `Ready: your ${which} allowance has none left, so this is paid in credits: about ${count(estimate.credits.expected, "credit")} (up to ${decimal(decision.reserve)} set aside for up to ${units}).${decides}`;
  }
  if (!credits) return `Ready: about ${expected} from your allowance (up to ${decimal(decision.units)} set aside); no credits are used.${decides}`;
  const left = free === null ? "" : ` (${decimal(free)} left)`;
  return `Ready: about ${expected}, from your allowance first${left}, and up to ${count(decision.reserve, "credit")} set aside for what it does not cover.${decides}`;
}

/** The message tokens an estimate expects (prompt and reply): the "about" of a call paid in
 * an LLM-token allowance. */
export function expectedTokens(estimate) {
  return estimate.inputTokens.expected + estimate.outputTokens.expected;
}

/** The decision line and the capped option's button. */
function renderDecision(estimate, decision, { kind, freshness, offlineRoom, allowanceFree, serverNeeded, readOnly }) {
  const line = $("decision");
  const what = kind === "agent" ? "your message" : "your note";
  let text;
  let blocked = false;
  let unreachable = false;
  /** The smaller result offered (the capped option's button), when it can run now. */
  let offer = decision.funding === "insufficient" ? decision.capped : null;
  if (readOnly) {
    // A tab that does not own the meter's sync starts nothing: no "Ready", no offer, and
    // no colour that reads as a go-ahead — it says where the account can be used.
    const verb = kind === "agent" ? (estimate.operation === "tts" ? "Read aloud" : "Send") : "Generate";
    text = `Read-only in this tab: ${verb} works only in the other tab of this page, which keeps this account in sync. Close that tab to use this one.`;
    offer = null;
    blocked = true;
  } else switch (decision.funding) {
    case "free":
      text = "Free: this never uses credits.";
      break;
    case "byok": {
      const p = estimate.providerUsd;
      text = `Your own API key pays the provider directly${p ? ` (about ${usd(p.expected)})` : ""}; no credits are used.`;
      break;
    }
    case "credits":
      if (!decision.proceed) text = `Nothing to send yet: write something in ${what}.`;
      else if (serverNeeded && decision.unit !== "ttsCharacters") {
        // The AI call goes through the ledger's proxy (read aloud is simulated here): it
        // cannot run while the server cannot be reached. Generate tries it again.
        const doing = kind === "agent" ? "sending" : "generating";
        text = `The server can't be reached just now, and ${doing} needs it: the AI call goes through the server. `
          + `${kind === "agent" ? "Send" : "Generate"} tries to reach it again.`;
        unreachable = true;
      } else if (offlineRoom !== null && compareDecimal(decision.reserve, offlineRoom) > 0) {
        // Without the server only the offline room can be held: say so before the click.
        text = `This needs up to ${count(decision.reserve, "credit")}, and without the server only ${decimal(atLeastZero(offlineRoom))} can be spent. Go online to run it.`;
        blocked = true;
      }
      else if (decision.unit) {
        // Metered in the allowance's units: credits only for what the allowance lacks.
        text = unitDecision(estimate, decision, allowanceFree);
      } else {
        // The charge follows the AI's reply (its tokens, at least what the model costs),
        // not the cards it makes: a reply that makes fewer cards is still paid for.
        const reply = kind === "agent" ? "what the AI's reply uses" : "what the AI's reply uses, even if it makes fewer cards than expected";
        text = `Ready: about ${count(decision.expected, "credit")}. Up to ${decimal(decision.reserve)} ${noun(decision.reserve, "is", "are")} set aside while it runs; you pay for ${reply}, and the rest goes back.`;
      }
      break;
    case "insufficient": {
      if (decision.balance === null || freshness === "none") {
        // No signed balance on this device yet (opened offline for the first time): not a
        // shortfall, just nothing known.
        text = "This device has not loaded this account's balance yet. Go online to load it.";
        break;
      }
      const whole = kind === "agent" ? "This" : "The whole note";
      const cost = count(estimate.credits.high, "credit");
      const c = decision.capped;
      // Without the server only the offline room can be spent (what the balance panel
      // says): when it is below the balance, it is the one figure said here, and a smaller
      // result it cannot hold is not offered (its Generate would only be refused).
      const room = offlineRoom !== null && decision.balance !== null && compareDecimal(offlineRoom, decision.balance) < 0
        ? atLeastZero(offlineRoom) : null;
      if (room !== null && !(c && compareDecimal(c.reserve, room) <= 0)) {
        const online = !c ? null : c.cards !== null ? `generate up to ${count(c.cards, "card")}`
          : `send it with a shorter reply (up to ${count(c.maxOutputTokens, "token")})`;
        text = `${whole} could cost up to ${cost}, and without the server only ${decimal(room)} can be spent. `
          + (online ? `Go online to ${online}, or ${remedies(decision, kind)}${c.cards !== null ? " for the whole note" : ""}.` : `Go online, then ${remedies(decision, kind)}.`);
        offer = null;
        blocked = true;
        break;
      }
      const head = `${whole} could cost up to ${cost} and you can spend ${decimal(room ?? decision.balance ?? "0")}.`;
      if (c && c.cards !== null) text = `${head} You can generate up to ${count(c.cards, "card")} now, or ${remedies(decision, kind)} for the whole note.`;
      else if (c) text = `${head} You can send it now with a shorter reply (up to ${count(c.maxOutputTokens, "token")}), or ${remedies(decision, kind)}.`;
      else text = `Not enough credits. ${head} To go ahead, ${remedies(decision, kind)}.`;
      break;
    }
    default:
      text = decision.reason;
  }
  setText(line, text);
  line.className = `decision ${readOnly ? "read-only" : unreachable ? "error" : decision.funding}`;
  line.dataset.funding = decision.funding;
  line.dataset.unreachable = String(unreachable);
  line.dataset.proceed = String(decision.proceed);
  line.dataset.readOnly = String(Boolean(readOnly));
  $("decision-raw").textContent = `${decision.funding}: ${decision.reason}`;
  const capped = $("generate-capped");
  const c = offer;
  capped.hidden = !c;
  capped.textContent = c ? cappedLabel(c) : "";
  setData(capped, c ? { cards: c.cards, maxOutputTokens: c.maxOutputTokens, reserve: c.reserve } : {});
  $("generate").disabled = !decision.proceed || blocked;
  line.dataset.blocked = String(blocked);
  $("generate").textContent = kind === "agent" ? (estimate.operation === "tts" ? "Read aloud" : "Send") : "Generate";
}

/** The live estimate and the funding decision. `offlineRoom`: what may be spent without
 * the server, when it is not reachable (null otherwise); `allowanceFree`: the units left
 * in the allowance the decision draws on; `serverNeeded`: the server cannot be reached
 * and the ledger runs the AI proxy, so a credit-paid call through it cannot run now;
 * `readOnly`: another tab owns the meter's sync, so this one starts nothing. */
export function renderQuote({ estimate, decision }, { byok, kind, freshness = "fresh", offlineRoom = null, allowanceFree = null, serverNeeded = false, readOnly = false }) {
  renderEstimate(estimate, byok);
  renderDecision(estimate, decision, { kind, freshness, offlineRoom, allowanceFree, serverNeeded, readOnly });
}

/** Marks the figures and the decision as being worked out again (`pending`): a note slow
 * to estimate (a 2 MB paste) is estimated once typing pauses, and until then what shows
 * is the last text's estimate — said so, and busy for assistive technology. */
export function markEstimatePending(pending) {
  const figures = document.querySelector(".figures");
  figures.setAttribute("aria-busy", String(pending));
  figures.classList.toggle("pending", pending);
  $("decision").setAttribute("aria-busy", String(pending)); // announced once it is the new text's
  if (pending) $("est-credits").dataset.pending = "true";
  else delete $("est-credits").dataset.pending;
}

/** An estimate that could not be made (a coded error). */
export function renderQuoteError(error) {
  for (const id of ["est-cards", "est-size", "est-credits"]) $(id).textContent = "–";
  $("decision").textContent = `This note cannot be priced: ${error.message} (code ${error.code ?? "ERROR"})`;
  $("decision").className = "decision error";
  $("decision").dataset.funding = "";
  $("decision-raw").textContent = `${error.code ?? "ERROR"}: ${error.message}`;
  $("generate-capped").hidden = true;
  $("generate").disabled = true;
}
