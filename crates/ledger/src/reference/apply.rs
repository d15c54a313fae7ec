//! Applying one mutation of one device to an account, under the protocol's rules.
//!
//! - **reserve**: a hold under the policy (`INSUFFICIENT_CREDITS` and the other ledger
//!   errors refuse it). The hold id must start with `"<deviceId>:"` and be new.
//! - **commit** of an open hold: up to the hold is a commit (the rest released); usage
//!   above the hold, and the commit of a hold that expired or whose reserve was refused,
//!   is *charged*: drawn from the balance as far as it covers, the rest recorded as the
//!   device's overdraft — an expired hold's amount whatever the limit (the ledger had
//!   confirmed it), the rest up to its offline limit — anything beyond left unpaid.
//! - **release**: an open hold is released; a refused reserve is forgotten.
//! - Anything else (unknown hold, another device's hold, a closed hold) is refused with
//!   `NOT_FOUND`. Every refusal is permanent: the device's seq still advances.

use super::device::Device;
use super::{AccountRecord, LedgerConfig};
use crate::error::Coded;
use crate::message::{Mutation, MutationResult, ResultStatus};
use crate::model::error::{DUPLICATE_ID, NOT_FOUND};
use crate::model::{DebitRequest, HoldRequest, HoldStatus, Purpose, UnitHoldRequest};
use crate::money::Credits;

fn result(seq: u64, status: ResultStatus, code: Option<crate::error::ErrorCode>) -> MutationResult {
    MutationResult {
        seq,
        id: None,
        status,
        original: None,
        code: code.map(|c| c.as_str().to_string()),
        charged: None,
        overdraft: None,
        unpaid: None,
        settled_by: None,
    }
}

/// What charging usage came to (`charged + overdraft + unpaid` = the usage).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Charge {
    /// Credits drawn from grants.
    pub(super) charged: Credits,
    /// Credits recorded as the device's overdraft.
    pub(super) overdraft: Credits,
    /// Credits beyond the offline limit, not collected.
    pub(super) unpaid: Credits,
}

/// Charges `amount` for a device: drawn from the balance as far as it covers, the rest
/// recorded as overdraft. Up to `vouched` of that rest — credits the ledger itself had
/// confirmed with a hold that then expired or lost its grants — is overdraft whatever
/// the offline limit (a commit made while the hold was open may arrive after it
/// expired); the rest up to the limit's room; both within the account's room (its
/// overdraft limit minus what all its devices owe); anything beyond is unpaid.
pub(super) fn charge(
    rec: &mut AccountRecord,
    device: &mut Device,
    cfg: &LedgerConfig,
    amount: Credits,
    vouched: Credits,
    operation: &str,
    now: i64,
) -> Charge {
    let available = rec.account.available(now).unwrap_or(Credits::ZERO);
    let mut covered = amount.min(available);
    if !covered.is_zero() {
        let req = DebitRequest { amount: covered, operation: operation.to_string(), agent_id: None };
        if rec.account.debit(&req, now).is_err() {
            covered = Credits::ZERO;
        }
    }
    let rest = amount.saturating_sub(covered);
    let limit = device.offline_limit.unwrap_or(cfg.offline_limit);
    // `device` is out of `rec.devices` while its push is applied.
    let account_room = account_room(rec, cfg).saturating_sub(device.overdraft);
    let promised = rest.min(vouched).min(account_room);
    let unvouched =
        rest.saturating_sub(promised).min(limit.saturating_sub(device.own_overdraft())).min(account_room.saturating_sub(promised));
    let overdraft = promised.checked_add(unvouched).unwrap_or(promised);
    device.vouched = device.vouched.checked_add(promised).unwrap_or(device.vouched);
    device.overdraft = device.overdraft.checked_add(overdraft).unwrap_or(device.overdraft);
    device.overdraft_total = device.overdraft_total.checked_add(overdraft).unwrap_or(device.overdraft_total);
    let unpaid = rest.saturating_sub(overdraft);
    device.unpaid_total = device.unpaid_total.checked_add(unpaid).unwrap_or(device.unpaid_total);
    Charge { charged: covered, overdraft, unpaid }
}

/// The account's overdraft limit minus the outstanding overdraft (vouched included) of
/// the devices in `rec.devices`.
pub(super) fn account_room(rec: &AccountRecord, cfg: &LedgerConfig) -> Credits {
    let owed = rec.devices.values().fold(Credits::ZERO, |acc, d| acc.checked_add(d.overdraft).unwrap_or(acc));
    cfg.account_overdraft_limit.saturating_sub(owed)
}

pub(super) fn operation_of(purpose: &Purpose) -> String {
    match purpose {
        Purpose::Operation { operation, .. } => operation.clone(),
        _ => "commit".to_string(),
    }
}

/// Applies `m` (whose seq is the device's next) and returns its result.
pub(super) fn apply(
    rec: &mut AccountRecord,
    device_id: &str,
    device: &mut Device,
    cfg: &LedgerConfig,
    m: &Mutation,
    now: i64,
) -> MutationResult {
    let seq = m.seq();
    let hold_id = m.hold_id();
    if m.id().is_some_and(|id| !crate::ids::valid_nonce(id)) {
        return result(seq, ResultStatus::Refused, Some(crate::error::BAD_INPUT));
    }
    let owned = rec.hold_owner.get(hold_id).is_some_and(|d| d == device_id);
    if owned && !matches!(m, Mutation::Reserve { .. }) {
        // A hold that paid for a call through the AI proxy is settled by the proxy alone.
        if let Some(p) = rec.proxied.get(hold_id) {
            return super::proxy::client_result(seq, p);
        }
    }
    let hold = rec.account.state().hold(hold_id).cloned();
    match m {
        Mutation::Reserve { amount, operation, agent_id, unit, .. } => {
            let prefixed = hold_id.strip_prefix(device_id).and_then(|rest| rest.strip_prefix(':')).is_some_and(crate::ids::valid_nonce);
            let labels_fit = crate::ids::valid_label(operation) && agent_id.as_deref().is_none_or(crate::ids::valid_label);
            if !prefixed || !labels_fit {
                return result(seq, ResultStatus::Refused, Some(crate::error::BAD_INPUT));
            }
            if hold.is_some() || device.refused_reserves.contains_key(hold_id) {
                return result(seq, ResultStatus::Refused, Some(DUPLICATE_ID));
            }
            let placed = match unit {
                None => {
                    let req = HoldRequest {
                        hold_id: hold_id.to_string(),
                        amount: *amount,
                        operation: operation.clone(),
                        agent_id: agent_id.clone(),
                        expires_at: None,
                    };
                    rec.account.reserve(&req, now).map(drop)
                }
                Some(u) => match (super::units::unit_kind(u), super::units::whole_units(*amount)) {
                    (Some(allowance), Some(units)) => {
                        let req = UnitHoldRequest {
                            hold_id: hold_id.to_string(),
                            allowance,
                            units,
                            operation: operation.clone(),
                            agent_id: agent_id.clone(),
                        };
                        rec.account.reserve_units(&req, now).map(drop)
                    }
                    _ => Err(crate::model::LedgerError::BadInput("unknown unit or not a whole number of units".into())),
                },
            };
            match placed {
                Ok(_) => {
                    rec.hold_owner.insert(hold_id.to_string(), device_id.to_string());
                    result(seq, ResultStatus::Applied, None)
                }
                Err(e) => {
                    device.refused_reserves.insert(hold_id.to_string(), operation.clone());
                    result(seq, ResultStatus::Refused, Some(e.code()))
                }
            }
        }
        Mutation::Commit { amount, unit, .. } => {
            let charged = match unit {
                Some(u) => super::units::commit_units(rec, device, cfg, hold_id, owned, u, *amount, now),
                // A hold reserved in units is committed in units.
                None if hold.as_ref().is_some_and(|h| owned && h.units.is_some()) => Err(crate::error::BAD_INPUT),
                None => commit(rec, device, cfg, hold_id, owned, *amount, now).ok_or(NOT_FOUND),
            };
            let charged = match charged {
                Ok(c) => c,
                Err(code) => return result(seq, ResultStatus::Refused, Some(code)),
            };
            MutationResult {
                seq,
                id: None,
                status: ResultStatus::Applied,
                original: None,
                code: None,
                charged: Some(charged.charged),
                overdraft: Some(charged.overdraft),
                unpaid: Some(charged.unpaid),
                settled_by: None,
            }
        }
        Mutation::Release { .. } => match hold {
            Some(h) if owned && h.is_open() => match rec.account.release(hold_id, now) {
                Ok(_) => result(seq, ResultStatus::Applied, None),
                Err(e) => result(seq, ResultStatus::Refused, Some(e.code())),
            },
            Some(h) if owned && h.status == HoldStatus::Expired => result(seq, ResultStatus::Applied, None),
            None if device.refused_reserves.remove(hold_id).is_some() => result(seq, ResultStatus::Applied, None),
            _ => result(seq, ResultStatus::Refused, Some(NOT_FOUND)),
        },
    }
}

/// Commits `amount` on `hold_id` for `device` (`owned`: the device placed it) under §6.4:
/// an open hold is committed up to its amount and the excess charged; an expired hold or
/// a refused reserve is charged. `None`: not this device's hold to commit (`NOT_FOUND`).
pub(super) fn commit(
    rec: &mut AccountRecord,
    device: &mut Device,
    cfg: &LedgerConfig,
    hold_id: &str,
    owned: bool,
    amount: Credits,
    now: i64,
) -> Option<Charge> {
    let hold = rec.account.state().hold(hold_id).cloned();
    Some(match hold {
        Some(h) if owned && h.is_open() => {
            let part = amount.min(h.amount);
            match rec.account.commit(hold_id, part, now) {
                Ok(_) => {
                    let extra = amount.saturating_sub(part);
                    let mut c = if extra.is_zero() {
                        Charge { charged: Credits::ZERO, overdraft: Credits::ZERO, unpaid: Credits::ZERO }
                    } else {
                        charge(rec, device, cfg, extra, Credits::ZERO, &operation_of(&h.purpose), now)
                    };
                    c.charged = c.charged.checked_add(part).unwrap_or(c.charged);
                    c
                }
                Err(_) => {
                    // The grants behind the hold expired meanwhile: release it and
                    // charge the usage like any uncovered usage.
                    let _ = rec.account.release(hold_id, now);
                    charge(rec, device, cfg, amount, h.amount, &operation_of(&h.purpose), now)
                }
            }
        }
        Some(h) if owned && h.status == HoldStatus::Expired => {
            // Charged once: the ledger forgets which device placed it, so a later commit or
            // release of it — another commit mutation of the same usage from a restored or
            // copied state — is NOT_FOUND, never charged again (PROTOCOL §6.3, §6.4).
            rec.hold_owner.remove(hold_id);
            charge(rec, device, cfg, amount, h.amount, &operation_of(&h.purpose), now)
        }
        None => match device.refused_reserves.remove(hold_id) {
            Some(op) => charge(rec, device, cfg, amount, Credits::ZERO, &op, now),
            None => return None,
        },
        _ => return None,
    })
}

/// Pays devices' overdrafts from whatever credits are available, oldest device id first.
pub(super) fn settle(rec: &mut AccountRecord, now: i64) -> bool {
    let mut changed = false;
    let ids: Vec<String> = rec.devices.iter().filter(|(_, d)| !d.overdraft.is_zero()).map(|(k, _)| k.clone()).collect();
    for id in ids {
        let available = rec.account.available(now).unwrap_or(Credits::ZERO);
        let Some(device) = rec.devices.get_mut(&id) else { continue };
        let pay = device.overdraft.min(available);
        if pay.is_zero() {
            continue;
        }
        let req = DebitRequest { amount: pay, operation: "overdraft.settle".into(), agent_id: None };
        if rec.account.debit(&req, now).is_ok() {
            device.overdraft = device.overdraft.saturating_sub(pay);
            device.vouched = device.vouched.saturating_sub(pay);
            changed = true;
        }
    }
    changed
}
