// The usage history, read from the ledger's journal (GET /v1/state `entries`), so every
// device of the account shows the same history: one item per metered call — a debit for
// a hold (committed usage) or a hold released without a charge (a failed call). A call
// paid in an allowance's units (LLM tokens, TTS characters; PROTOCOL §12.4) is committed
// for 0 credits and its credits are in the entries that follow it in the same commit: a
// `conversion` of credits into the units the allowance lacked (followed by the
// `allowanceUse` of the call's units; a conversion the user asked for has none), and a
// debit without a hold for units neither covered. Those credits are the call's.

import { sumDecimal } from "./format.js";

/** The most calls the history keeps (the latest). */
export const MAX_ITEMS = 40;

/** `[{at, operation, credits, status}]`, oldest first, from the ledger's entries. */
export function usageFromEntries(entries = []) {
  const operations = new Map(); // hold id → operation
  const sorted = [...entries].sort((a, b) => a.seq - b.seq);
  const bySeq = new Map(sorted.map((e) => [e.seq, e]));
  const callAt = new Map(); // seq of an entry of a call's commit → the call's item
  const items = [];
  const add = (item, credits) => {
    item.credits = sumDecimal([item.credits, credits]);
    item.status = "committed"; // charged: a unit hold of an inactive agent is closed by a release
  };
  for (const e of sorted) {
    if (e.type === "hold" && e.hold) operations.set(e.hold.id, e.hold.purpose?.operation);
    const previous = callAt.get(e.seq - 1);
    if (e.type === "debit" && e.holdId && e.purpose?.kind === "operation") {
      const item = { at: e.at, operation: e.purpose.operation, credits: e.amount, status: "committed" };
      items.push(item);
      callAt.set(e.seq, item);
    } else if (e.type === "release" && e.reason === "released") {
      const item = { at: e.at, operation: operations.get(e.holdId) ?? "a call", credits: "0", status: "released" };
      items.push(item);
      callAt.set(e.seq, item);
    } else if (e.type === "conversion") {
      const use = bySeq.get(e.seq + 1);
      if (use?.type !== "allowanceUse") continue; // converted on request, not by a call
      // After the call's hold was closed, or (a hold that expired or was refused) alone.
      const item = previous && previous.at === e.at ? previous : { at: e.at, operation: use.operation, credits: "0", status: "committed" };
      if (item !== previous) items.push(item);
      add(item, e.credits);
      callAt.set(e.seq, item);
      callAt.set(use.seq, item);
    } else if (e.type === "allowanceUse" && previous && previous.at === e.at) {
      previous.status = "committed"; // the call ran: its units were drawn
      callAt.set(e.seq, previous);
    } else if (e.type === "debit" && !e.holdId && e.purpose?.kind === "operation" && previous && previous.at === e.at) {
      add(previous, e.amount); // units neither the allowance nor a conversion covered
      callAt.set(e.seq, previous);
    }
  }
  return items.slice(-MAX_ITEMS);
}
