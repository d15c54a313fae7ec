// The usage history, read from the ledger's journal (GET /v1/state `entries`), so every
// device of the account shows the same history: one item per metered call — a debit for
// a hold (committed usage) or a hold released without a charge (a failed call).

const MAX_ITEMS = 40;

/** `[{at, operation, credits, status}]`, oldest first, from the ledger's entries. */
export function usageFromEntries(entries = []) {
  const operations = new Map(); // hold id → operation
  const items = [];
  for (const e of [...entries].sort((a, b) => a.seq - b.seq)) {
    if (e.type === "hold" && e.hold) operations.set(e.hold.id, e.hold.purpose?.operation);
    if (e.type === "debit" && e.holdId && e.purpose?.kind === "operation") {
      items.push({ at: e.at, operation: e.purpose.operation, credits: e.amount, status: "committed" });
    } else if (e.type === "release" && e.reason === "released") {
      items.push({ at: e.at, operation: operations.get(e.holdId) ?? "a call", credits: "0", status: "released" });
    }
  }
  return items.slice(-MAX_ITEMS);
}
