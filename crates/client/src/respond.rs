//! The network half of the machine: when to push or pull, and applying the ledger's
//! response (verify the snapshot, acknowledge mutations, update holds, back off on
//! failure).

use super::machine::{Action, Event, Flight, Machine, Transport};
use super::message::{Mutation, MutationResult, PullRequest, Response, ResultStatus, MAX_BODY_BYTES, PROTOCOL_VERSION};
use super::state::{HoldState, LocalHold, OutboxEntry};
use super::sync_error::{BAD_RESPONSE, NOT_ACKNOWLEDGED, TIMEOUT, TRANSPORT_FAILED};
use super::view::Totals;
use crate::error::Coded;
use crate::money::Credits;
use crate::snapshot::{check_identity, check_successor_signed, freshness, Freshness, SnapshotHold, Verified};

/// The ledger's acknowledgement of one of this device's mutations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ack {
    /// The mutation's seq.
    pub seq: u64,
    /// `"reserve"`, `"commit"` or `"release"`.
    pub kind: &'static str,
    /// The hold concerned.
    pub hold_id: String,
    /// What the ledger reported (`None` when the response acknowledged it through the
    /// snapshot's `lastMutationSeq` without a result line).
    pub status: Option<ResultStatus>,
    /// For a duplicate: the original status, when known.
    pub original: Option<ResultStatus>,
    /// Why it was refused.
    pub code: Option<String>,
    /// Commit: credits drawn.
    pub charged: Option<Credits>,
    /// Commit: credits recorded as overdraft.
    pub overdraft: Option<Credits>,
    /// Commit: credits beyond the offline limit, not collected.
    pub unpaid: Option<Credits>,
    /// Commit or release of a hold that paid for a call through the ledger's AI proxy:
    /// `"proxy"`. The amounts are then the proxy's settlement from the provider's reported
    /// usage (absent while the call still ran), not this commit's amount (PROTOCOL §6.7).
    pub settled_by: Option<String>,
    /// Reserve: the hold is open on the ledger now (confirmed).
    pub confirmed: bool,
}

/// A push request borrowing the outbox (same JSON as [`super::message::PushRequest`]).
struct PushRef<'a> {
    v: u32,
    account_id: &'a str,
    device_id: &'a str,
    mutations: Vec<&'a Mutation>,
}

fn short_code(code: &str) -> String {
    code.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_').take(64).collect()
}

impl Machine {
    /// Starts whatever is due: a save of changed state, then a push of durable mutations,
    /// or a pull when asked for, when there is no snapshot, or when it is stale.
    pub(super) fn drive(&mut self, now: i64) {
        if !self.opened {
            return;
        }
        self.realign();
        // A renumbering that had to wait (a save or an operation in progress) comes
        // before any send: the old numbers would only meet the same conflict again.
        let can_send = self.request.is_none() && self.retry_at.is_none_or(|t| now >= t) && !self.renumber;
        let pushable = if can_send {
            self.st.outbox.iter().take(self.cfg.max_batch.max(1)).take_while(|e| e.mutation.seq() <= self.durable_seq).count()
        } else {
            0
        };
        // A state changed only by responses need not be saved between two pushes of a
        // long outbox (resending an acknowledged mutation is harmless): save once at the end.
        let defer = pushable > 0 && self.staged.iter().all(|s| s.save.is_some());
        if self.dirty && !defer && self.save.is_none() && self.save_retry_at.is_none_or(|t| now >= t) {
            self.save_retry_at = None;
            self.emit_save();
        }
        if !can_send {
            return;
        }
        self.retry_at = None;
        if pushable > 0 {
            let batch: Vec<&Mutation> = self.st.outbox.iter().take(pushable).map(|e| &e.mutation).collect();
            let last_seq = batch.last().map_or(0, |m| m.seq());
            let req = PushRef { v: PROTOCOL_VERSION, account_id: &self.cfg.account_id, device_id: &self.cfg.device_id, mutations: batch };
            let request = crate::json::to_string(&req);
            let token = self.token();
            self.request = Some(Flight { token, push: true, last_seq });
            self.actions.push_back(Action::Push { token, request });
            return;
        }
        let fresh = freshness(self.st.payload(), now, self.st.latest_seen);
        if self.want_pull || fresh != Freshness::Fresh {
            let req = PullRequest { v: PROTOCOL_VERSION, account_id: self.cfg.account_id.clone(), device_id: self.cfg.device_id.clone() };
            let request = crate::json::to_string(&req);
            let token = self.token();
            self.request = Some(Flight { token, push: false, last_seq: 0 });
            self.actions.push_back(Action::Pull { token, request });
        }
    }

    /// The host's `push` for `token` finished. A malformed or truncated body is a
    /// transient failure (`BAD_RESPONSE`), retried with backoff; an answer for a token
    /// that is not in flight (delivered twice, or late) is ignored.
    pub fn push_done(&mut self, token: u64, outcome: Transport<'_>, now: i64) {
        self.finish(token, true, outcome, now);
    }

    /// The host's `pull` for `token` finished; as [`Machine::push_done`].
    pub fn pull_done(&mut self, token: u64, outcome: Transport<'_>, now: i64) {
        self.finish(token, false, outcome, now);
    }

    fn finish(&mut self, token: u64, push: bool, outcome: Transport<'_>, now: i64) {
        self.observe(now);
        let Some(flight) = self.request.filter(|f| f.token == token && f.push == push) else { return };
        self.request = None;
        let sent_through = if push { Some(flight.last_seq) } else { None };
        let result = match outcome {
            Transport::Failed => Err(TRANSPORT_FAILED.to_string()),
            Transport::Timeout => Err(TIMEOUT.to_string()),
            Transport::Body(body) => self.apply_body(body, sent_through, now),
        };
        match result {
            // A conflict or gap is progress: the outbox is renumbered and pushed again.
            Ok(acked) if push && acked == 0 && flight.last_seq > 0 && !self.renumber => self.fail(NOT_ACKNOWLEDGED.to_string(), now),
            Ok(_) => self.succeed(now),
            Err(code) => self.fail(code, now),
        }
        self.drive(now);
    }

    fn succeed(&mut self, now: i64) {
        self.attempts = 0;
        self.retry_at = None;
        self.want_pull = false;
        let seq = self.st.payload().map_or(0, |p| p.seq);
        self.events.push_back(Event::Synced { seq, outbox: self.st.outbox.len() });
        // A snapshot that is stale (or a clock that is not trusted) right after a pull:
        // do not pull again in a tight loop.
        if freshness(self.st.payload(), now, self.st.latest_seen) != Freshness::Fresh {
            self.retry_at = Some(now.saturating_add(self.cfg.stale_repull_ms));
        }
    }

    fn fail(&mut self, code: String, now: i64) {
        self.attempts = self.attempts.saturating_add(1);
        let shift = self.attempts.saturating_sub(1).min(30);
        let delay = self.cfg.backoff_base_ms.saturating_mul(1i64 << shift).min(self.cfg.backoff_max_ms).max(0);
        let retry_at = now.saturating_add(delay);
        self.retry_at = Some(retry_at);
        self.events.push_back(Event::SyncFailed { code, attempt: self.attempts, retry_at });
    }

    /// Parses, verifies and applies a response body; returns how many mutations it
    /// acknowledged, or the failure code.
    fn apply_body(&mut self, body: &str, sent_through: Option<u64>, now: i64) -> Result<usize, String> {
        if body.len() > MAX_BODY_BYTES {
            return Err(BAD_RESPONSE.to_string());
        }
        let resp: Response = crate::json::from_str(body).map_err(|_| BAD_RESPONSE.to_string())?;
        if resp.v != PROTOCOL_VERSION {
            return Err(BAD_RESPONSE.to_string());
        }
        if let Some(e) = resp.error {
            let code = short_code(&e.code);
            return Err(if code.is_empty() { BAD_RESPONSE.to_string() } else { code });
        }
        let envelope = resp.snapshot.ok_or_else(|| BAD_RESPONSE.to_string())?;
        let verified = envelope.verify(&self.keys).map_err(|e| e.code().to_string())?;
        check_identity(&verified.payload, &self.cfg.account_id, &self.cfg.device_id).map_err(|e| e.code().to_string())?;
        check_successor_signed(self.st.snapshot.as_ref(), &verified).map_err(|e| e.code().to_string())?;
        Ok(self.apply_snapshot(verified, &resp.results, sent_through, now))
    }

    /// Applies a verified snapshot and, for a push (`sent_through`: the last seq sent),
    /// its results. A sent mutation is acknowledged — dropped from the outbox — only by
    /// its own result saying `applied`, `refused` or `duplicate` (the ledger compared its
    /// content); `conflict`, `gap` or no result keep it, to be renumbered after the
    /// snapshot's `lastMutationSeq` and sent again. `lastMutationSeq` alone acknowledges
    /// nothing: after a restored or copied state it counts another copy's mutations.
    fn apply_snapshot(&mut self, verified: Verified, results: &[MutationResult], sent_through: Option<u64>, _now: i64) -> usize {
        let p = &verified.payload;
        let last = p.last_mutation_seq;
        let mut open: Vec<(&str, &SnapshotHold)> = p.holds.iter().map(|h| (h.id.as_str(), h)).collect();
        crate::sort::sort_by(&mut open, |a, b| a.0.cmp(b.0));
        let mut acks = Vec::new();
        let mut kept: Vec<OutboxEntry> = Vec::new();
        let mut r = 0usize;
        let through = sent_through.unwrap_or(0).min(self.durable_seq);
        while let Some(entry) = self.st.outbox.front().filter(|e| e.mutation.seq() <= through) {
            let seq = entry.mutation.seq();
            while results.get(r).is_some_and(|x| x.seq < seq) {
                r += 1;
            }
            // About this mutation: its seq, and its id when both carry one.
            let result = results.get(r).filter(|x| x.seq == seq && (x.id.is_none() || x.id.as_deref() == entry.mutation.id()));
            let Some(entry) = self.st.outbox.pop_front() else { break };
            let Some(result) = result.filter(|x| x.status.acknowledges()) else {
                kept.push(entry);
                continue;
            };
            let OutboxEntry { mutation, .. } = entry;
            let mut ack = Ack {
                seq,
                kind: mutation.kind(),
                hold_id: mutation.hold_id().to_string(),
                status: Some(result.status),
                original: result.original,
                code: result.code.as_deref().map(short_code),
                charged: result.charged,
                overdraft: result.overdraft,
                unpaid: result.unpaid,
                settled_by: result.settled_by.clone(),
                confirmed: false,
            };
            if let Mutation::Reserve { hold_id, .. } = &mutation {
                let on_ledger = listed_on_ledger(&open, hold_id);
                ack.confirmed = on_ledger.is_some();
                let refused = result.status == ResultStatus::Refused || result.original == Some(ResultStatus::Refused);
                if let Some(h) = self.hold_mut(hold_id) {
                    match on_ledger {
                        Some(listed) => {
                            h.state = HoldState::Open;
                            adopt(h, listed);
                        }
                        // A refused reserve reserves nothing on the ledger: it stops
                        // lowering `available` now (its exposure lasts until expiry).
                        None if refused => h.state = HoldState::Refused,
                        None => h.state = HoldState::Detached,
                    }
                }
            }
            acks.push(ack);
        }
        for e in kept.into_iter().rev() {
            self.st.outbox.push_front(e);
        }
        // Renumber (in `realign`) unless the outbox runs last + 1, last + 2, … already.
        let mut expected = last.saturating_add(1);
        for e in &self.st.outbox {
            if e.mutation.seq() != expected {
                self.renumber = true;
                break;
            }
            expected = expected.saturating_add(1);
        }
        // Holds the ledger no longer lists (it let them expire) stop reserving there.
        for h in self.st.holds.iter_mut().filter(|h| h.state == HoldState::Open) {
            match listed_on_ledger(&open, &h.id) {
                Some(listed) => adopt(h, listed),
                None => h.state = HoldState::Detached,
            }
        }
        let acked = acks.len();
        for ack in acks {
            self.events.push_back(Event::Acknowledged(ack));
        }
        self.st.latest_seen = p.issued_at;
        self.st.snapshot = Some(verified);
        self.totals = Totals::of(&self.st);
        self.dirty = true;
        acked
    }

    /// Keeps the outbox numbered right after the ledger's last applied seq: after a
    /// conflict (a restored or copied state: another copy used these seqs), a gap, or an
    /// acknowledgement out of order, the unacknowledged mutations are renumbered from
    /// `lastMutationSeq + 1` in their order. Safe because the ledger recognises a mutation
    /// it already applied by its content whatever its seq (`docs/PROTOCOL.md` §6.1). Only
    /// when nothing is in flight and every operation is durable; renumbered mutations
    /// are saved again before they are pushed.
    pub(super) fn realign(&mut self) {
        if !self.staged.is_empty() || self.save.is_some() || self.request.is_some() {
            return;
        }
        let renumber = std::mem::take(&mut self.renumber);
        let Some(last) = self.st.payload().map(|p| p.last_mutation_seq) else { return };
        let first = last.saturating_add(1);
        let front = self.st.outbox.front().map(|e| e.mutation.seq());
        match front {
            None => {
                if self.st.next_seq != first {
                    self.st.next_seq = first;
                    self.st.next_hold = self.st.next_hold.max(first);
                    self.durable_seq = last;
                    self.dirty = true;
                }
            }
            Some(front) if front != first || renumber => {
                let mut seq = first;
                let mut changed = false;
                for e in self.st.outbox.iter_mut() {
                    changed |= e.mutation.seq() != seq;
                    e.mutation.set_seq(seq);
                    seq = seq.saturating_add(1);
                }
                if !changed {
                    return;
                }
                self.st.next_hold = self.st.next_hold.max(self.st.next_seq).max(seq);
                self.st.next_seq = seq;
                self.durable_seq = last;
                self.dirty = true;
                self.save_retry_at = None;
            }
            Some(_) => {}
        }
    }
}

json_to!(impl ['a] PushRef<'a> { v: "v", account_id: "accountId", device_id: "deviceId", mutations: "mutations" });

/// The snapshot's entry for hold `id` in `open` (sorted by id); the last one when the
/// snapshot lists an id twice.
fn listed_on_ledger<'a>(open: &[(&str, &'a SnapshotHold)], id: &str) -> Option<&'a SnapshotHold> {
    let end = open.partition_point(|&(k, _)| k <= id);
    open.get(..end).and_then(<[_]>::last).filter(|&&(k, _)| k == id).map(|&(_, h)| h)
}

/// Makes a hold the ledger lists what the ledger holds (PROTOCOL §12.5: the device's view
/// is never more generous than the ledger's): its expiry, its credits and, for a hold in
/// units, the units it sets aside. A unit hold's own figures were the device's guess from
/// an older snapshot; the ledger decides it against the allowance as it stood when the
/// reserve arrived — more units set aside when another device released some meanwhile,
/// fewer (and credits for the shortfall) when another took some — and `allowances[].held`
/// and `held` count the listed figures, so the device must too, or units would be free
/// (or credits held) in its view that are not on the ledger.
fn adopt(h: &mut LocalHold, listed: &SnapshotHold) {
    h.expires_at = listed.expires_at;
    h.amount = listed.amount;
    if h.unit.is_some() {
        h.units = Some(listed.units.map_or(0, |u| u.get()));
    }
}
