//! The ledger's side of an AI proxy: the service that makes the AI call settles the hold
//! that pays for it, from the provider's reported usage — never from the client's commit.
//!
//! A proxied call goes through two steps on the account, each one request like a push:
//!
//! 1. **claim** — before anything is sent to the provider: the hold must be an open hold
//!    of the account that the ledger applied (of the calling device, when the caller is
//!    pinned to one) and must not have been claimed before (one call per hold). The claim
//!    is saved; from then on the hold's fate is the proxy's alone.
//! 2. **settle** — after the provider's answer ended: with the usage in credits, the hold
//!    is committed as a commit of its device would be (PROTOCOL §6.4: up to the hold drawn,
//!    any excess charged); a hold reserved in LLM tokens (PROTOCOL §12) is committed in
//!    tokens instead (§12.4: the allowance first, the shortfall converted); without usage
//!    (the proxy refused the call, or the provider never accepted it: it could not be
//!    reached or answered an error status), it is released. A settle of a hold already settled changes nothing and answers the first
//!    settlement: exactly once per hold.
//!
//! The client's own `commit` or `release` of a claimed hold is answered `applied` with
//! `settledBy: "proxy"` and charges nothing: the proxy's settlement amounts when it has
//! settled (see [`client_result`]). A claimed hold that is never settled (the proxy's
//! process died mid-call, after the claim was saved and before the settlement was) is
//! *abandoned*: a ledger that runs a proxy settles it with the hold in full once the claim
//! is older than the longest a proxied call may last ([`RefLedger::settle_abandoned_claims`]),
//! exactly once like any settlement — the provider may have produced up to the hold's
//! worth and nobody can say how much less.
//!
//! String API ([`RefLedger::handle_proxy`]), the admin API's shape:
//!
//! ```json
//! {"op":"claim","accountId":"a1","holdId":"laptop:Yd2c1oX8Qb6sJmZ0rK3wTg","deviceId":"laptop"}
//! → {"ok":true,"result":{"holdId","deviceId","amount","expiresAt","operation"}}, plus
//!   "unit":"llmTokens", "units" and the policy's "unitsPerCredit" for a hold in tokens
//! {"op":"settle","accountId":"a1","holdId":"laptop:Yd2c1oX8Qb6sJmZ0rK3wTg","usage":"0.42"}
//! {"op":"settle","accountId":"a1","holdId":"laptop:Yd2c1oX8Qb6sJmZ0rK3wTg","units":1234}
//! {"op":"settle","accountId":"a1","holdId":"laptop:Yd2c1oX8Qb6sJmZ0rK3wTg"}
//! ```
//! answered `{"ok":true,"result":…}` or `{"ok":false,"error":{"code","message"}}`.

use super::apply::{charge, commit, settle, Charge};
use super::units::commit_units;
use super::RefLedger;
use crate::error::{ErrorCode, HOLD_IN_USE, HOLD_NOT_OPEN, NOT_FOUND, UNKNOWN_ACCOUNT};
use crate::json::Value;
use crate::message::{MutationResult, ResultStatus};
use crate::model::{AllowanceKind, Purpose};
use crate::money::Credits;

/// A hold claimed by the AI proxy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proxied {
    /// The device that placed the hold (the one charged).
    pub device_id: String,
    /// When the proxy claimed it (the ledger's clock).
    pub claimed_at: i64,
    /// The hold's amount when it was claimed (what an abandoned claim is charged; `None`
    /// in records saved before it was kept: the hold's own amount is used).
    pub amount: Option<Credits>,
    /// For a hold reserved in LLM tokens: the tokens it was reserved for (what an
    /// abandoned claim commits); `None` for a credit hold.
    pub units: Option<u64>,
    /// How the proxy settled it (`None`: the call is still running, or the proxy died).
    pub settlement: Option<Settlement>,
}

/// How the proxy settled a hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settlement {
    /// When (the ledger's clock).
    pub at: i64,
    /// The provider's usage in credits (`None` with `units` `None`: released — the
    /// provider produced nothing).
    pub usage: Option<Credits>,
    /// The provider's usage in LLM tokens, for a hold reserved in tokens (its credits
    /// part — any shortfall converted — is in `charged`, `overdraft` and `unpaid`).
    pub units: Option<u64>,
    /// Credits drawn from grants.
    pub charged: Credits,
    /// Credits recorded as the device's overdraft.
    pub overdraft: Credits,
    /// Credits beyond the device's offline limit, not collected.
    pub unpaid: Credits,
}

/// What a claim tells the proxy about the hold it may spend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    /// The hold.
    pub hold_id: String,
    /// The device that placed it.
    pub device_id: String,
    /// Credits it reserves: the most the call may cost.
    pub amount: Credits,
    /// When it expires.
    pub expires_at: i64,
    /// The operation it was reserved for.
    pub operation: String,
    /// For a hold reserved in LLM tokens (`"llmTokens"`, PROTOCOL §12): the tokens it was
    /// reserved for — the allowance's part plus what its credits convert — so the most the
    /// call may use. `None` for a credit hold.
    pub units: Option<u64>,
    /// For a hold reserved in LLM tokens: the account's policy rate, `unitsPerCredit` of its
    /// `llmTokens` allowance — what one token is worth in credits when a shortfall is
    /// converted, which a proxy needs to charge a call never less than its cost (PROTOCOL
    /// §6.7). `None` for a credit hold, or when the policy has no such allowance.
    pub units_per_credit: Option<rust_decimal::Decimal>,
}

/// What the provider used, as a settlement commits it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProxyUsage {
    /// Nothing: the hold is released (the proxy refused the call, or the provider never
    /// accepted it: it could not be reached or answered an error status).
    Released,
    /// Credits (a credit hold: the usage priced by the catalog).
    Credits(Credits),
    /// LLM tokens (a hold reserved in `llmTokens`: prompt plus completion tokens).
    Tokens(u64),
}

/// Why a proxy command was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyRefusal {
    /// `UNKNOWN_ACCOUNT`, `HOLD_NOT_OPEN`, `HOLD_IN_USE` or `NOT_FOUND` (settling an unclaimed hold).
    pub code: ErrorCode,
    /// What went wrong.
    pub message: String,
}

fn refuse(code: ErrorCode, message: impl Into<String>) -> ProxyRefusal {
    ProxyRefusal { code, message: message.into() }
}

enum ProxyRequest {
    Claim { account_id: String, hold_id: String, device_id: Option<String> },
    Settle { account_id: String, hold_id: String, usage: Option<Credits>, units: Option<u64> },
}

json_tagged_from!(ProxyRequest, "op" {
    Claim "claim" { account_id: "accountId", hold_id: "holdId", device_id: "deviceId" = default },
    Settle "settle" { account_id: "accountId", hold_id: "holdId", usage: "usage" = default, units: "units" = default },
});

impl RefLedger {
    /// Claims `hold_id` of `account_id` for one proxied call at `now` (see the module doc).
    /// `device_id`: the device the caller is pinned to, if any.
    pub fn claim_hold(&mut self, account_id: &str, hold_id: &str, device_id: Option<&str>, now: i64) -> Result<Claim, ProxyRefusal> {
        let rec = self.accounts.get_mut(account_id).ok_or_else(|| refuse(UNKNOWN_ACCOUNT, "unknown account"))?;
        let now = now.max(rec.account.clock().unwrap_or(i64::MIN));
        let before = rec.account.state().last_seq;
        let _ = rec.account.advance(now);
        if rec.account.state().last_seq != before {
            rec.version = rec.version.saturating_add(1);
        }
        let not_open = || refuse(HOLD_NOT_OPEN, format!("{hold_id:?} is not an open hold of this account"));
        let owner = rec.hold_owner.get(hold_id).cloned().ok_or_else(not_open)?;
        if device_id.is_some_and(|d| d != owner) {
            return Err(refuse(HOLD_NOT_OPEN, format!("{hold_id:?} is another device's hold")));
        }
        if rec.proxied.contains_key(hold_id) {
            return Err(refuse(HOLD_IN_USE, format!("{hold_id:?} already paid for a call; reserve a new hold")));
        }
        let hold = rec.account.state().hold(hold_id).filter(|h| h.is_open()).cloned().ok_or_else(not_open)?;
        // A hold in allowance units (PROTOCOL §12) pays for a chat completion only in
        // LLM tokens: TTS characters are not what the proxy meters.
        let units = match hold.units {
            None => None,
            Some(u) if u.allowance == AllowanceKind::LlmTokens => Some(u.requested),
            Some(u) => {
                let unit = u.allowance.json_name();
                return Err(refuse(
                    HOLD_NOT_OPEN,
                    format!("{hold_id:?} was reserved in {unit}; a proxied call is paid in credits or llmTokens"),
                ));
            }
        };
        let operation = match &hold.purpose {
            Purpose::Operation { operation, .. } => operation.clone(),
            _ => String::new(),
        };
        let units_per_credit =
            units.and_then(|_| rec.account.policy().allowance(AllowanceKind::LlmTokens)).map(|terms| terms.units_per_credit);
        let proxied = Proxied { device_id: owner.clone(), claimed_at: now, amount: Some(hold.amount), units, settlement: None };
        rec.proxied.insert(hold_id.to_string(), proxied);
        Ok(Claim {
            hold_id: hold_id.to_string(),
            device_id: owner,
            amount: hold.amount,
            expires_at: hold.expires_at,
            operation,
            units,
            units_per_credit,
        })
    }

    /// Settles a claimed credit hold at `now`: `usage` credits committed as its device's
    /// commit would be, or (`None`) the hold released. Returns the settlement and whether
    /// this call made it (`false`: it was settled before, nothing changed). See
    /// [`RefLedger::settle_hold_with`] for a hold reserved in tokens.
    pub fn settle_hold(
        &mut self,
        account_id: &str,
        hold_id: &str,
        usage: Option<Credits>,
        now: i64,
    ) -> Result<(Settlement, bool), ProxyRefusal> {
        self.settle_hold_with(account_id, hold_id, usage.map_or(ProxyUsage::Released, ProxyUsage::Credits), now)
    }

    /// Settles a claimed hold at `now` with what the provider used: credits for a credit
    /// hold, LLM tokens for a hold reserved in `llmTokens` (committed in units, PROTOCOL
    /// §12.4), or nothing (released). Usage of the other kind is `BAD_REQUEST`: the
    /// proxy prices a call by the hold it claimed. Returns the settlement and whether this
    /// call made it (`false`: it was settled before, nothing changed).
    pub fn settle_hold_with(
        &mut self,
        account_id: &str,
        hold_id: &str,
        usage: ProxyUsage,
        now: i64,
    ) -> Result<(Settlement, bool), ProxyRefusal> {
        let cfg = &self.cfg;
        let rec = self.accounts.get_mut(account_id).ok_or_else(|| refuse(UNKNOWN_ACCOUNT, "unknown account"))?;
        let proxied = rec.proxied.get(hold_id).cloned().ok_or_else(|| refuse(NOT_FOUND, format!("{hold_id:?} was not claimed")))?;
        if let Some(s) = proxied.settlement {
            return Ok((s, false));
        }
        match (usage, proxied.units) {
            (ProxyUsage::Credits(_), Some(_)) => {
                return Err(refuse(crate::error::BAD_REQUEST, format!("{hold_id:?} was reserved in llmTokens: settle it in tokens")))
            }
            (ProxyUsage::Tokens(_), None) => {
                return Err(refuse(crate::error::BAD_REQUEST, format!("{hold_id:?} was reserved in credits: settle it in credits")))
            }
            _ => {}
        }
        let now = now.max(rec.account.clock().unwrap_or(i64::MIN));
        let _ = rec.account.advance(now);
        let mut device = rec.devices.remove(&proxied.device_id).unwrap_or_default();
        let zero = Charge { charged: Credits::ZERO, overdraft: Credits::ZERO, unpaid: Credits::ZERO };
        let c = match usage {
            ProxyUsage::Released => {
                if rec.account.state().hold(hold_id).is_some_and(|h| h.is_open()) {
                    let _ = rec.account.release(hold_id, now);
                }
                zero
            }
            ProxyUsage::Credits(x) => match commit(rec, &mut device, cfg, hold_id, true, x, now) {
                Some(c) => c,
                // Not open nor expired (cannot happen while claimed): charge it as usage.
                None => charge(rec, &mut device, cfg, x, Credits::ZERO, "proxy", now),
            },
            ProxyUsage::Tokens(n) => {
                let units = Credits::from_u64(n).map_err(|_| refuse(crate::error::BAD_REQUEST, "too many tokens"))?;
                match commit_units(rec, &mut device, cfg, hold_id, true, AllowanceKind::LlmTokens.json_name(), units, now) {
                    Ok(c) => c,
                    Err(code) => {
                        rec.devices.insert(proxied.device_id.clone(), device);
                        return Err(refuse(code, format!("{hold_id:?} could not be committed in tokens")));
                    }
                }
            }
        };
        rec.devices.insert(proxied.device_id.clone(), device);
        settle(rec, now);
        rec.version = rec.version.saturating_add(1);
        let (usage, units) = match usage {
            ProxyUsage::Released => (None, None),
            ProxyUsage::Credits(x) => (Some(x), None),
            ProxyUsage::Tokens(n) => (None, Some(n)),
        };
        let s = Settlement { at: now, usage, units, charged: c.charged, overdraft: c.overdraft, unpaid: c.unpaid };
        if let Some(p) = rec.proxied.get_mut(hold_id) {
            p.settlement = Some(s.clone());
        }
        Ok((s, true))
    }

    /// Settles every claim of `account_id` still unsettled `older_than_ms` after it was
    /// made with its hold in full (see the module doc): the proxy that claimed it is gone.
    /// Returns the holds settled now (none when the account is unknown).
    pub fn settle_abandoned_claims(&mut self, account_id: &str, now: i64, older_than_ms: i64) -> Vec<(String, Settlement)> {
        let Some(rec) = self.accounts.get(account_id) else { return Vec::new() };
        let abandoned: Vec<(String, ProxyUsage)> = rec
            .proxied
            .iter()
            .filter(|(_, p)| p.settlement.is_none() && p.claimed_at.saturating_add(older_than_ms) <= now)
            .filter_map(|(id, p)| {
                if let Some(tokens) = p.units {
                    return Some((id.clone(), ProxyUsage::Tokens(tokens)));
                }
                let amount = p.amount.or_else(|| rec.account.state().hold(id).map(|h| h.amount))?;
                Some((id.clone(), ProxyUsage::Credits(amount)))
            })
            .collect();
        let mut settled = Vec::new();
        for (hold_id, usage) in abandoned {
            if let Ok((s, true)) = self.settle_hold_with(account_id, &hold_id, usage, now) {
                settled.push((hold_id, s));
            }
        }
        settled
    }

    /// Runs one proxy command given as JSON at `now` (see the module doc).
    pub fn handle_proxy(&mut self, body: &str, now: i64) -> String {
        let out = match crate::json::from_str::<ProxyRequest>(body) {
            Ok(ProxyRequest::Claim { account_id, hold_id, device_id }) => {
                self.claim_hold(&account_id, &hold_id, device_id.as_deref(), now).map(|c| {
                    let Value::Object(mut fields) = Value::object([
                        ("holdId", c.hold_id.into()),
                        ("deviceId", c.device_id.into()),
                        ("amount", crate::json::to_value(&c.amount)),
                        ("expiresAt", crate::json::to_value(&c.expires_at)),
                        ("operation", c.operation.into()),
                    ]) else {
                        return Value::Null;
                    };
                    if let Some(units) = c.units {
                        fields.push(("unit".into(), AllowanceKind::LlmTokens.json_name().into()));
                        fields.push(("units".into(), Value::from_u64(units)));
                    }
                    if let Some(rate) = c.units_per_credit {
                        fields.push(("unitsPerCredit".into(), crate::json::to_value(&rate)));
                    }
                    Value::Object(fields)
                })
            }
            Ok(ProxyRequest::Settle { account_id, hold_id, usage, units }) => {
                let usage = match (usage, units) {
                    (Some(_), Some(_)) => Err(refuse(crate::error::BAD_REQUEST, "a settlement has `usage` or `units`, not both")),
                    (Some(x), None) => Ok(ProxyUsage::Credits(x)),
                    (None, Some(n)) => Ok(ProxyUsage::Tokens(n)),
                    (None, None) => Ok(ProxyUsage::Released),
                };
                usage.and_then(|u| self.settle_hold_with(&account_id, &hold_id, u, now)).map(|(s, first)| {
                    let Value::Object(mut m) = crate::json::to_value(&s) else { return Value::Null };
                    m.push(("first".to_string(), first.into()));
                    Value::Object(m)
                })
            }
            Err(e) => Err(refuse(crate::error::BAD_REQUEST, format!("proxy request: {e}"))),
        };
        match out {
            Ok(result) => crate::json::to_string(&Value::object([("ok", true.into()), ("result", result)])),
            Err(r) => {
                let error = Value::object([("code", r.code.as_str().into()), ("message", r.message.into())]);
                crate::json::to_string(&Value::object([("error", error), ("ok", false.into())]))
            }
        }
    }
}

/// The result of the client's own commit or release of a hold the proxy claimed:
/// `applied`, `settledBy: "proxy"`, nothing charged by it; the proxy's amounts once it
/// settled (while the call still runs, no amounts: the settlement shows in a later
/// snapshot's balance).
pub(super) fn client_result(seq: u64, p: &Proxied) -> MutationResult {
    let s = p.settlement.as_ref();
    MutationResult {
        seq,
        id: None,
        status: ResultStatus::Applied,
        original: None,
        code: None,
        charged: s.map(|s| s.charged),
        overdraft: s.map(|s| s.overdraft),
        unpaid: s.map(|s| s.unpaid),
        settled_by: Some("proxy".to_string()),
    }
}

json_struct!(Proxied {
    device_id: "deviceId",
    claimed_at: "claimedAt",
    amount: "amount" = opt,
    units: "units" = opt,
    settlement: "settlement" = opt
});
json_struct!(Settlement {
    at: "at",
    usage: "usage" = opt,
    units: "units" = opt,
    charged: "charged",
    overdraft: "overdraft",
    unpaid: "unpaid"
});
