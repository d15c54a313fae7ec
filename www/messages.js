// The page's one message area: what the last action did, in the user's words. A new
// message replaces the previous one, the next action clears it, and the user can dismiss
// it; messages never carry a balance (the balance panel is the one place for that, so
// nothing here can go stale against it). The area is a polite live region: a screen
// reader hears each message once. Raw error codes stay in `data-code` and the Details log.

import { time } from "./format.js";

const $ = (id) => document.getElementById(id);

/** What an error code means for the user, and what to do. */
const ERROR_TEXTS = {
  OFFLINE: "You're working offline, so this was not sent. Switch off \"Work offline\" and try again.",
  TRANSPORT_FAILED: "The server could not be reached. Check your connection and try again.",
  TIMEOUT: "The server did not answer in time, so nothing was generated. The page keeps trying and settles what it had sent; try again in a moment.",
  INSUFFICIENT_CREDITS: "Not enough credits for this. Buy credits or make it smaller.",
  OFFLINE_LIMIT: "This needs more credits than can still be spent offline. Go online to continue.",
  AI_CALL_FAILED: "The AI service failed. Nothing was charged; try again.",
  HOLD_TOO_SMALL: "This is too long for what the AI call may cost: shorten it and try again. Nothing was charged.",
  UPSTREAM_FAILED: "The AI service failed; try again. If it failed after it had the request, the call's most is charged (see Details).",
  RATE_LIMITED: "Too many requests for this account just now. Wait a moment and try again.",
  UNAUTHORIZED: "The server did not accept this browser's sign-in. Reload the page to sign in again.",
  NOT_OWNER: "Another tab of this page is keeping this account in sync, so this tab can only show it. Close the other tab to use this one.",
  NO_CACHE: "Nothing is stored yet: sync first.",
  SIGN_IN_FAILED: "Signing in failed. Reload the page to try again.",
  NO_SUBSCRIPTION: "This plan was not bought through Stripe, so there is no subscription to cancel.",
  AGENT_LIMIT: "This plan allows no more agents. Upgrade the plan to create more.",
  START_FAILED: "The page could not reach its server. Check that it is running (./scripts/demo.sh), then reload the page.",
};

/**
 * An error message for people: an instant the package writes in milliseconds since 1970
 * ("retrying at 1796496905684") becomes a time of day.
 */
export function readable(message) {
  return String(message).replace(/\b(at|until) (\d{12,14})\b/g, (all, word, ms) => `${word} ${time(Number(ms))}`);
}

/**
 * A coded error as a sentence for the user. A code without a sentence of its own keeps
 * the error's message and shows the code, so that what is on screen can be quoted.
 */
export function explain(error) {
  const code = error?.code;
  return ERROR_TEXTS[code] ?? `Something went wrong: ${readable(error?.message ?? error)}${code ? ` (code ${code})` : ""}`;
}

/**
 * Shows `text` in the message area, replacing what was there. `level`: "ok", "warn" or
 * "error"; `source`: the action it reports (for tests: `data-source`); `facts`: more
 * `data-*` attributes for tests (outcome, hold id, amounts…).
 */
export function showMessage(text, { level = "ok", source = "", facts = {} } = {}) {
  const box = $("message");
  // Where "Dismiss" sends the keyboard back: the control that was focused when the message
  // came (the button that started the action), not the page's start.
  const from = document.activeElement;
  if (from && from !== document.body && !box.contains(from)) returnFocus = from;
  for (const key of Object.keys(box.dataset)) if (key !== "testid") delete box.dataset[key];
  box.dataset.level = level;
  box.dataset.source = source;
  box.dataset.shownAt = String(Date.now());
  for (const [key, value] of Object.entries(facts)) box.dataset[key] = String(value);
  box.className = `message ${level}`;
  $("message-text").textContent = text;
  box.hidden = false;
  // On a phone the message area sits far above the button that was pressed: brought into
  // view, or the result (or the error) would show where nobody looks.
  const at = box.getBoundingClientRect();
  if (at.bottom < 0 || at.top > window.innerHeight) box.scrollIntoView({ block: "nearest" });
}

/** A coded error from `source` in the message area. */
export function showErrorMessage(error, source = "") {
  showMessage(explain(error), { level: "error", source, facts: { code: error?.code ?? "ERROR" } });
}

/** Empties the message area (the next action, or the user's "Dismiss"). */
export function clearMessage() {
  const box = $("message");
  for (const key of Object.keys(box.dataset)) if (key !== "testid") delete box.dataset[key];
  $("message-text").textContent = "";
  box.hidden = true;
}

/** The control focus goes back to when the message is dismissed. */
let returnFocus = null;

/** Wires the dismiss button. */
export function initMessages() {
  $("message-dismiss").addEventListener("click", () => {
    clearMessage();
    const to = returnFocus;
    returnFocus = null;
    if (to?.isConnected && !to.disabled && to.offsetParent !== null) to.focus();
  });
}
