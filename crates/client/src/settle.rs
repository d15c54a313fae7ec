//! Which waiting caller is answered by which machine event, and how: the promise logic of
//! a Meter binding without the promises. A host binding registers a waiter (a promise's
//! two ends, a channel, a test's slot) for each operation and each `sync()` call, feeds
//! every [`Event`] the machine produces to [`Settlements::on_event`], and carries out the
//! [`Settle`] answers it returns, in order.
//!
//! - reserve, commit, release: answered once their save is durable (`OpDurable`); a
//!   reserve that needs the ledger's confirmation waits on until the ledger acknowledges
//!   it, and is refused with the ledger's code (`RESERVE_REFUSED` when it gave none) when
//!   the ledger refuses it; a binding turns a code it does not know into its own. A failed save refuses the operation with the save's code.
//! - `sync()`: answered with the balance once an exchange succeeds and nothing saved
//!   meanwhile is still being pushed; refused with the failure's code when one fails (the
//!   machine retries anyway).

use crate::error::RESERVE_REFUSED;
use crate::machine::{Event, OpId};
use crate::waiting::Waiting;

/// A reservation waiting for the ledger's confirmation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirm {
    /// The hold the ledger must confirm.
    pub hold_id: String,
    /// The operation it is for (the remedies of a refusal depend on it).
    pub operation: String,
    /// A reserve in units: how many units it asked for, so a refusal can say what was
    /// short (the credits the ledger needed for them, or the allowance's units).
    pub units: Option<u64>,
}

/// What to do with the waiters an event answers.
#[derive(Debug, PartialEq, Eq)]
pub enum Settle<W> {
    /// Resolve with the value it was registered with.
    Resolve(W),
    /// Reject with this code and message.
    Reject(W, String, String),
    /// The ledger refused this reservation with this code: reject it as a local refusal
    /// would be ([`crate::meter::refused_reserve`] says how, and ends the hold).
    RefusedReserve(W, Refused),
    /// Resolve these `sync()` callers with the balance now.
    ResolveWithBalance(Vec<W>),
    /// Reject these `sync()` callers with this code and message.
    RejectAll(Vec<W>, String, String),
}

/// A reservation the ledger refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// The hold and its operation.
    pub confirm: Confirm,
    /// The ledger's code (`RESERVE_REFUSED` when it gave none).
    pub code: String,
}

/// An operation's waiter and what it still waits for.
#[derive(Debug)]
struct OpWaiter<W> {
    waiter: W,
    /// The hold whose confirmation by the ledger it waits for after its save, if any.
    confirm: Option<Confirm>,
    /// Whether its save is durable (it then waits only for the confirmation).
    durable: bool,
}

/// The waiters of one meter.
#[derive(Debug)]
pub struct Settlements<W> {
    /// Operations waiting for their save, then (a confirmed reserve) for the ledger.
    ops: Waiting<OpId, OpWaiter<W>>,
    /// `sync()` callers.
    syncs: Vec<W>,
}

impl<W> Default for Settlements<W> {
    fn default() -> Self {
        Settlements { ops: Waiting::new(), syncs: Vec::new() }
    }
}

impl<W> Settlements<W> {
    /// Waits for operation `op`; with `confirm`, also for the ledger to confirm that hold.
    pub fn wait_op(&mut self, op: OpId, waiter: W, confirm: Option<Confirm>) {
        self.ops.insert(op, OpWaiter { waiter, confirm, durable: false });
    }

    /// Waits for the next successful exchange (a `sync()` call).
    pub fn wait_sync(&mut self, waiter: W) {
        self.syncs.push(waiter);
    }

    /// The answer `event` gives, if any. `still_sending` is whether the machine is
    /// pushing again (what was saved during the exchange): then `sync()` callers keep
    /// waiting. Call it for every event the machine produces, in order, and carry each
    /// answer out before the next call.
    #[must_use]
    pub fn on_event(&mut self, event: &Event, still_sending: bool) -> Option<Settle<W>> {
        match event {
            Event::OpDurable { op } => match self.ops.remove(op) {
                Some(OpWaiter { waiter, confirm: Some(confirm), .. }) => {
                    self.ops.insert(*op, OpWaiter { waiter, confirm: Some(confirm), durable: true });
                    None
                }
                Some(w) => Some(Settle::Resolve(w.waiter)),
                None => None,
            },
            Event::OpFailed { op, code } => self.ops.remove(op).map(|w| {
                Settle::Reject(w.waiter, code.as_str().into(), "host.save failed: the operation did not happen and nothing was sent".into())
            }),
            Event::Acknowledged(ack) if ack.kind == "reserve" => {
                let mut confirmed_hold =
                    |_: &OpId, w: &OpWaiter<W>| w.durable && w.confirm.as_ref().is_some_and(|c| c.hold_id == ack.hold_id);
                let OpWaiter { waiter: w, confirm, .. } = self.ops.take(&mut confirmed_hold)?;
                if ack.confirmed {
                    return Some(Settle::Resolve(w));
                }
                let code = ack.code.clone().unwrap_or_else(|| RESERVE_REFUSED.into());
                Some(Settle::RefusedReserve(w, Refused { confirm: confirm?, code }))
            }
            Event::Synced { outbox, .. } if !self.syncs.is_empty() && (*outbox == 0 || !still_sending) => {
                Some(Settle::ResolveWithBalance(std::mem::take(&mut self.syncs)))
            }
            Event::SyncFailed { code, retry_at, .. } if !self.syncs.is_empty() => {
                let mut message = ["sync failed (", code, "); retrying at "].concat();
                crate::json::push_i64(&mut message, *retry_at);
                Some(Settle::RejectAll(std::mem::take(&mut self.syncs), code.clone(), message))
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;
    use crate::respond::Ack;

    fn confirm(hold: &str) -> Confirm {
        Confirm { hold_id: hold.into(), operation: "flashcards.generate".into(), units: None }
    }

    fn ack(hold: &str, confirmed: bool, code: Option<&str>) -> Event {
        Event::Acknowledged(Ack {
            seq: 1,
            kind: "reserve",
            hold_id: hold.into(),
            status: None,
            original: None,
            code: code.map(str::to_string),
            charged: None,
            overdraft: None,
            unpaid: None,
            settled_by: None,
            confirmed,
        })
    }

    #[test]
    fn an_operation_settles_on_its_save_and_a_confirmed_reserve_on_the_ledger() {
        let mut s = Settlements::default();
        s.wait_op(1, "commit", None);
        s.wait_op(2, "reserve", Some(confirm("d:2")));
        assert_eq!(s.on_event(&ack("d:2", true, None), false), None, "not before its save is durable");
        assert_eq!(s.on_event(&Event::OpDurable { op: 2 }, false), None);
        assert_eq!(s.on_event(&Event::OpDurable { op: 1 }, false), Some(Settle::Resolve("commit")));
        assert_eq!(s.on_event(&ack("d:9", true, None), false), None);
        assert_eq!(s.on_event(&ack("d:2", true, None), false), Some(Settle::Resolve("reserve")));
    }

    #[test]
    fn a_refused_reserve_carries_the_ledgers_code_or_reserve_refused() {
        let mut s = Settlements::default();
        s.wait_op(1, 1, Some(confirm("d:1")));
        s.wait_op(2, 2, Some(confirm("d:2")));
        let _ = s.on_event(&Event::OpDurable { op: 1 }, false);
        let _ = s.on_event(&Event::OpDurable { op: 2 }, false);
        let a = s.on_event(&ack("d:1", false, Some("INSUFFICIENT_CREDITS")), false);
        assert!(matches!(&a, Some(Settle::RefusedReserve(1, r)) if r.code == "INSUFFICIENT_CREDITS" && r.confirm == confirm("d:1")));
        let b = s.on_event(&ack("d:2", false, None), false);
        assert!(matches!(&b, Some(Settle::RefusedReserve(2, r)) if r.code == "RESERVE_REFUSED"));
    }

    #[test]
    fn a_failed_save_refuses_the_operation() {
        let mut s = Settlements::default();
        s.wait_op(4, "x", None);
        let out = s.on_event(&Event::OpFailed { op: 4, code: ErrorCode::SaveFailed }, false);
        assert!(matches!(&out, Some(Settle::Reject("x", c, _)) if c == "SAVE_FAILED"));
    }

    #[test]
    fn sync_callers_wait_while_the_machine_pushes_again_and_fail_together() {
        let mut s = Settlements::default();
        s.wait_sync(1);
        s.wait_sync(2);
        assert_eq!(s.on_event(&Event::Synced { seq: 3, outbox: 2 }, true), None);
        assert_eq!(s.on_event(&Event::Synced { seq: 4, outbox: 0 }, false), Some(Settle::ResolveWithBalance(vec![1, 2])));
        assert_eq!(s.on_event(&Event::Synced { seq: 5, outbox: 0 }, false), None, "no one left waiting");
        s.wait_sync(3);
        let out = s.on_event(&Event::SyncFailed { code: "TIMEOUT".into(), attempt: 1, retry_at: 99 }, false);
        assert!(matches!(&out, Some(Settle::RejectAll(w, c, m)) if w == &vec![3] && c == "TIMEOUT" && m.contains("99")));
    }
}
