//! Commits in an allowance's units (PROTOCOL §12.4): an open unit hold of the device is
//! closed and the units drawn; the commit of a unit hold that expired, or whose reserve
//! was refused, draws the units without it. Units neither the allowance nor the balance
//! covers are charged in credits (at the policy's rate, rounded up) by the commit rule
//! of credits (§6.4): overdraft within the limits, the rest unpaid.

use super::apply::{charge, operation_of, Charge};
use super::device::Device;
use super::{AccountRecord, LedgerConfig};
use crate::error::{ErrorCode, BAD_INPUT};
use crate::model::error::NOT_FOUND;
use crate::model::{AllowanceKind, HoldStatus, Purpose, UnitDraw};
use crate::money::Credits;
use rust_decimal::prelude::ToPrimitive;

/// The allowance a mutation's `unit` names.
pub fn unit_kind(unit: &str) -> Option<AllowanceKind> {
    [AllowanceKind::LlmTokens, AllowanceKind::TtsCharacters].into_iter().find(|k| k.json_name() == unit)
}

/// A mutation's amount as a whole number of units (≤ 2^53 − 1).
pub fn whole_units(amount: Credits) -> Option<u64> {
    let v = amount.value();
    if !v.fract().is_zero() {
        return None;
    }
    v.to_u64().filter(|&n| n <= crate::money::MAX_SAFE_INTEGER)
}

fn agent_of(purpose: &Purpose) -> Option<&str> {
    match purpose {
        Purpose::Operation { agent_id, .. } => agent_id.as_deref(),
        _ => None,
    }
}

fn settle_draw(
    rec: &mut AccountRecord,
    device: &mut Device,
    cfg: &LedgerConfig,
    d: &UnitDraw,
    vouched: Credits,
    op: &str,
    now: i64,
) -> Charge {
    let mut c = if d.uncovered.is_zero() {
        Charge { charged: Credits::ZERO, overdraft: Credits::ZERO, unpaid: Credits::ZERO }
    } else {
        charge(rec, device, cfg, d.uncovered, vouched, op, now)
    };
    c.charged = c.charged.checked_add(d.credits_converted).unwrap_or(c.charged);
    c
}

/// Commits `amount` units of `unit` on `hold_id` for `device` (`owned`: the device placed
/// it). `Err`: the refusal's code (`NOT_FOUND`: not this device's hold to commit;
/// `BAD_INPUT`: an unknown unit, not a whole number, or not the hold's unit).
#[allow(clippy::too_many_arguments)]
pub(super) fn commit_units(
    rec: &mut AccountRecord,
    device: &mut Device,
    cfg: &LedgerConfig,
    hold_id: &str,
    owned: bool,
    unit: &str,
    amount: Credits,
    now: i64,
) -> Result<Charge, ErrorCode> {
    let (Some(kind), Some(used)) = (unit_kind(unit), whole_units(amount)) else { return Err(BAD_INPUT) };
    let hold = rec.account.state().hold(hold_id).cloned();
    match hold {
        Some(h) if owned && (h.is_open() || h.status == HoldStatus::Expired) => {
            if h.units.map(|u| u.allowance) != Some(kind) {
                return Err(BAD_INPUT);
            }
            let op = operation_of(&h.purpose);
            if h.is_open() {
                let d = rec.account.commit_units(hold_id, used, now).map_err(|_| NOT_FOUND)?;
                Ok(settle_draw(rec, device, cfg, &d, Credits::ZERO, &op, now))
            } else {
                // Charged once, like an expired credit hold (§6.3).
                rec.hold_owner.remove(hold_id);
                let d = rec.account.draw_units(kind, used, &op, agent_of(&h.purpose), now).map_err(|_| BAD_INPUT)?;
                Ok(settle_draw(rec, device, cfg, &d, h.amount, &op, now))
            }
        }
        None => match device.refused_reserves.remove(hold_id) {
            Some(op) => match rec.account.draw_units(kind, used, &op, None, now) {
                Ok(d) => Ok(settle_draw(rec, device, cfg, &d, Credits::ZERO, &op, now)),
                Err(_) => {
                    device.refused_reserves.insert(hold_id.to_string(), op);
                    Err(BAD_INPUT)
                }
            },
            None => Err(NOT_FOUND),
        },
        _ => Err(NOT_FOUND),
    }
}
