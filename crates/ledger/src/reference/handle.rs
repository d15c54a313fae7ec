//! The ledger's string API: a push or pull request body in, a response body out.

use super::apply::{apply, settle};
use super::fingerprint::fingerprint;
use super::{AccountRecord, LedgerConfig, RefLedger};
use crate::message::{ErrorBody, MAX_BODY_BYTES, PROTOCOL_VERSION};
use crate::message::{MutationResult, PullRequest, PushRequest, Response, ResultStatus};
use crate::money::Credits;
use crate::snapshot::{SnapshotAgent, SnapshotAllowance, SnapshotGrant, SnapshotHold, SnapshotPayload};
pub use credit_meter_protocol::error::{BAD_REQUEST, UNKNOWN_ACCOUNT};

/// The code of a gap result.
pub use crate::error::{SEQ_CONFLICT, SEQ_GAP};

fn error(code: crate::error::ErrorCode, message: &str) -> String {
    let r = Response {
        v: PROTOCOL_VERSION,
        snapshot: None,
        results: Vec::new(),
        error: Some(ErrorBody { code: code.into(), message: message.into() }),
    };
    crate::json::to_string(&r)
}

fn valid_device(id: &str) -> bool {
    crate::ids::check_device_id(id).is_ok()
}

impl RefLedger {
    /// Applies a push request at `now` and returns the response body (see
    /// `docs/PROTOCOL.md`).
    pub fn handle_push(&mut self, body: &str, now: i64) -> String {
        if body.len() > MAX_BODY_BYTES {
            return error(BAD_REQUEST, "body too large");
        }
        let value: crate::json::Value = match crate::json::from_str(body) {
            Ok(v) => v,
            Err(_) => return error(BAD_REQUEST, "not a push request"),
        };
        if !super::strict::strict_push(&value) {
            return error(
                BAD_REQUEST,
                "a mutation's seq is not an integer in 1..2^53-1 or an amount is not a plain decimal (PROTOCOL.md §1)",
            );
        }
        let req: PushRequest = match crate::json::from_value(value) {
            Ok(r) => r,
            Err(_) => return error(BAD_REQUEST, "not a push request"),
        };
        if req.v != PROTOCOL_VERSION || !valid_device(&req.device_id) || req.mutations.len() > self.cfg.max_batch {
            return error(BAD_REQUEST, "wrong version, bad device id or too many mutations");
        }
        let cfg = self.cfg.clone();
        let Some(rec) = self.accounts.get_mut(&req.account_id) else { return error(UNKNOWN_ACCOUNT, "unknown account") };
        let now = now.max(rec.account.clock().unwrap_or(i64::MIN));
        let before = rec.account.state().last_seq;
        let _ = rec.account.advance(now);
        let mut device = rec.devices.remove(&req.device_id).unwrap_or_default();
        let mut changed = rec.account.state().last_seq != before;
        let mut results = Vec::with_capacity(req.mutations.len());
        // After a conflict or a gap nothing more of the batch is applied: a commit must
        // not overtake the reserve before it.
        let mut blocked = false;
        for m in &req.mutations {
            let seq = m.seq();
            let fp = fingerprint(m);
            let blank = |status, code: Option<crate::error::ErrorCode>| MutationResult {
                seq,
                id: None,
                status,
                original: None,
                code: code.map(String::from),
                charged: None,
                overdraft: None,
                unpaid: None,
                settled_by: None,
            };
            if let Some(first) = device.seen(&fp) {
                // The same mutation again (resent, or renumbered after a conflict).
                let r = match device.result(first) {
                    Some(o) => MutationResult { seq, status: ResultStatus::Duplicate, original: Some(o.status), ..o.clone() },
                    None => blank(ResultStatus::Duplicate, None),
                };
                results.push(r);
            } else if blocked {
                results.push(blank(ResultStatus::Gap, Some(SEQ_GAP)));
            } else if seq <= device.last_seq {
                // A different mutation under a used seq: a restored or copied state.
                blocked = true;
                results.push(blank(ResultStatus::Conflict, Some(SEQ_CONFLICT)));
            } else if Some(seq) == device.last_seq.checked_add(1) {
                let r = apply(rec, &req.device_id, &mut device, &cfg, m, now);
                device.record(fp, r.clone(), cfg.result_history);
                results.push(r);
                changed = true;
            } else {
                blocked = true;
                results.push(blank(ResultStatus::Gap, Some(SEQ_GAP)));
            }
        }
        for (r, m) in results.iter_mut().zip(&req.mutations) {
            r.id = m.id().map(str::to_string);
        }
        rec.devices.insert(req.device_id.clone(), device);
        changed |= settle(rec, now);
        if changed {
            rec.version = rec.version.saturating_add(1);
        }
        let snapshot = self.sign_for(&req.account_id, &req.device_id, now);
        respond(snapshot, results)
    }

    /// Answers a pull request at `now` with a fresh snapshot.
    pub fn handle_pull(&mut self, body: &str, now: i64) -> String {
        if body.len() > MAX_BODY_BYTES {
            return error(BAD_REQUEST, "body too large");
        }
        let req: PullRequest = match crate::json::from_str(body) {
            Ok(r) => r,
            Err(_) => return error(BAD_REQUEST, "not a pull request"),
        };
        if req.v != PROTOCOL_VERSION || !valid_device(&req.device_id) {
            return error(BAD_REQUEST, "wrong version or bad device id");
        }
        let Some(rec) = self.accounts.get_mut(&req.account_id) else { return error(UNKNOWN_ACCOUNT, "unknown account") };
        let now = now.max(rec.account.clock().unwrap_or(i64::MIN));
        let before = rec.account.state().last_seq;
        let _ = rec.account.advance(now);
        rec.devices.entry(req.device_id.clone()).or_default();
        if settle(rec, now) || rec.account.state().last_seq != before {
            rec.version = rec.version.saturating_add(1);
        }
        let snapshot = self.sign_for(&req.account_id, &req.device_id, now);
        respond(snapshot, Vec::new())
    }

    /// The payload the ledger would sign for a device now.
    pub fn payload_for(&mut self, account_id: &str, device_id: &str, now: i64) -> Option<SnapshotPayload> {
        // Disjoint fields: the settings are read while the account is borrowed mutably.
        let rec = self.accounts.get_mut(account_id)?;
        Some(build_payload(rec, account_id, device_id, now, self.cfg.snapshot_ttl_ms, &self.cfg))
    }

    fn sign_for(&mut self, account_id: &str, device_id: &str, now: i64) -> Option<crate::snapshot::Envelope> {
        let payload = self.payload_for(account_id, device_id, now)?;
        Some(self.signer.sign(&payload))
    }
}

fn respond(snapshot: Option<crate::snapshot::Envelope>, results: Vec<MutationResult>) -> String {
    match snapshot {
        Some(s) => crate::json::to_string(&Response { v: PROTOCOL_VERSION, snapshot: Some(s), results, error: None }),
        None => error(UNKNOWN_ACCOUNT, "unknown account"),
    }
}

fn build_payload(rec: &mut AccountRecord, account_id: &str, device_id: &str, now: i64, ttl: i64, cfg: &LedgerConfig) -> SnapshotPayload {
    let now = now.max(rec.account.clock().unwrap_or(i64::MIN));
    let view = rec.account.balance(now).ok();
    let policy = rec.account.policy().clone();
    let last_top_up = rec.account.state().last_top_up;
    let device = rec.devices.get(device_id).cloned().unwrap_or_default();
    let mut grants = Vec::new();
    let mut balance = Credits::ZERO;
    let mut held = Credits::ZERO;
    let mut holds = Vec::new();
    let mut allowances = Vec::new();
    if let Some(view) = view {
        // Listed in the order the ledger draws them (PROTOCOL §3, §6.4): the client shows
        // them as received, as "in order of use".
        let mut usable: Vec<_> = view.grants.iter().filter(|g| g.grant.is_usable_at(now) && !g.grant.remaining.is_zero()).collect();
        usable.sort_by(|a, b| crate::model::order::consumption_order(&a.grant, &b.grant));
        for g in usable {
            balance = balance.checked_add(g.grant.remaining).unwrap_or(balance);
            grants.push(SnapshotGrant {
                id: g.grant.id.clone(),
                kind: g.grant.kind.json_name().to_string(),
                remaining: g.grant.remaining,
                expires_at: g.grant.expires_at,
                priority: g.grant.priority,
                refundable_until: if g.refundable { g.grant.refundable_until } else { None },
            });
        }
        held = view.held;
        holds = view
            .holds
            .iter()
            .filter(|h| rec.hold_owner.get(&h.id).is_some_and(|d| d == device_id))
            .map(|h| SnapshotHold {
                id: h.id.clone(),
                amount: h.amount,
                expires_at: h.expires_at,
                unit: h.units.map(|u| u.allowance.json_name().to_string()),
                units: h.units.map(|u| crate::money::Count(u.reserved)),
            })
            .collect();
        // Every allowance of the policy, with its terms (PROTOCOL §12), and any other the
        // account holds units of.
        let state = rec.account.state();
        let mut kinds: Vec<_> = policy.allowances.iter().map(|t| t.kind).chain(view.allowances.iter().map(|a| a.kind)).collect();
        kinds.sort();
        kinds.dedup();
        allowances = kinds
            .into_iter()
            .map(|kind| {
                let terms = policy.allowance(kind);
                SnapshotAllowance {
                    kind: kind.json_name().to_string(),
                    remaining: crate::money::Count(state.allowance(kind).remaining),
                    held: crate::money::Count(state.allowance_held(kind)),
                    units_per_credit: terms.map(|t| t.units_per_credit),
                    on_shortfall: terms.map(|t| t.on_shortfall.json_name().to_string()),
                }
            })
            .collect();
    }
    let limit = device.offline_limit.unwrap_or(cfg.offline_limit);
    // What the device may still run up offline: its own room, within the account's.
    let room = limit.saturating_sub(device.own_overdraft()).min(super::apply::account_room(rec, cfg));
    SnapshotPayload {
        account_id: account_id.to_string(),
        device_id: device_id.to_string(),
        seq: rec.version,
        issued_at: now,
        expires_at: now.saturating_add(ttl),
        balance,
        held,
        grants,
        allowances,
        holds,
        last_mutation_seq: device.last_seq,
        offline_limit: room,
        low_balance: policy.low_balance.iter().map(|t| t.level(last_top_up)).collect(),
        hold_ttl_ms: policy.hold_ttl_ms,
        credit_step: Some(policy.credit_step),
        agents: policy.agents.as_ref().map(|_| {
            rec.account
                .state()
                .agents
                .iter()
                .map(|a| SnapshotAgent {
                    id: a.id.clone(),
                    status: a.status.json_name().to_string(),
                    cycle_end: a.cycle_end,
                    cycle_credits: a.cycle_credits,
                    cycle_llm_tokens: crate::money::Count(a.cycle_llm_tokens),
                    cycle_tts_characters: crate::money::Count(a.cycle_tts_characters),
                })
                .collect()
        }),
    }
}
