//! Admin commands as JSON, for demos, tests and bindings: create an account, buy a
//! package, grant credits, give the signup grant, change the plan (subscribe, upgrade,
//! downgrade: starts the new plan's first cycle), activate an agent, convert credits into
//! an allowance, set a device's offline limit, read a balance, refund a purchase (under
//! the policy's refund rule: `Account::refund`), start the current plan's next billing
//! cycle (a renewal: `Account::start_cycle`).
//!
//! ```json
//! {"op":"createAccount","accountId":"a1","policy":"trueRecall"}
//! {"op":"purchase","accountId":"a1","purchaseId":"p1","packageId":"pro"}
//! {"op":"changePlan","accountId":"a2","planId":"starter","startsAt":1700000000000,"endsAt":1702592000000}
//! {"op":"activateAgent","accountId":"a2","agentId":"helper"}
//! {"op":"convert","accountId":"a2","allowance":"ttsCharacters","credits":"10"}
//! {"op":"refund","accountId":"a1","purchaseId":"p1"}
//! {"op":"startCycle","accountId":"a2","startsAt":1702592000000,"endsAt":1705270400000}
//! ```
//! The answer is `{"ok":true,"result":…}` or `{"ok":false,"error":{"code","message"}}`.

use super::RefLedger;
use crate::error::Coded;
use crate::json::{ToJson, Value};
use crate::model::{AllowanceKind, ConvertRequest, CycleRequest, GrantRequest, LedgerError, PlanChangeRequest, Policy, PurchaseRequest};
use crate::money::Credits;

enum AdminRequest {
    CreateAccount { account_id: String, policy: Value },
    Purchase { account_id: String, purchase_id: String, package_id: String },
    Grant { account_id: String, grant: GrantRequest },
    Signup { account_id: String },
    ChangePlan { account_id: String, plan_id: String, starts_at: i64, ends_at: i64, new_cycle: bool },
    ActivateAgent { account_id: String, agent_id: String },
    Convert { account_id: String, allowance: AllowanceKind, credits: Credits },
    SetOfflineLimit { account_id: String, device_id: String, limit: Credits },
    Balance { account_id: String },
    Refund { account_id: String, purchase_id: String },
    StartCycle { account_id: String, starts_at: i64, ends_at: i64 },
}

json_tagged_from!(AdminRequest, "op" {
    CreateAccount "createAccount" { account_id: "accountId", policy: "policy" },
    Purchase "purchase" { account_id: "accountId", purchase_id: "purchaseId", package_id: "packageId" },
    Grant "grant" { account_id: "accountId", grant: "grant" },
    Signup "signup" { account_id: "accountId" },
    ChangePlan "changePlan" { account_id: "accountId", plan_id: "planId", starts_at: "startsAt", ends_at: "endsAt", new_cycle: "newCycle" = default },
    ActivateAgent "activateAgent" { account_id: "accountId", agent_id: "agentId" },
    Convert "convert" { account_id: "accountId", allowance: "allowance", credits: "credits" },
    SetOfflineLimit "setOfflineLimit" { account_id: "accountId", device_id: "deviceId", limit: "limit" },
    Balance "balance" { account_id: "accountId" },
    Refund "refund" { account_id: "accountId", purchase_id: "purchaseId" },
    StartCycle "startCycle" { account_id: "accountId", starts_at: "startsAt", ends_at: "endsAt" },
});

fn policy_from(v: Value) -> Result<Policy, LedgerError> {
    match v.as_str() {
        Some(name) => Policy::preset(name).ok_or_else(|| LedgerError::BadInput(format!("unknown preset policy {name:?}"))),
        None => Policy::from_json(&crate::json::to_string(&v)),
    }
}

impl RefLedger {
    /// Runs one admin command given as JSON at `now`.
    pub fn handle_admin(&mut self, body: &str, now: i64) -> String {
        let out = match crate::json::from_str::<AdminRequest>(body) {
            Ok(req) => self.admin(req, now),
            Err(e) => Err(LedgerError::BadInput(format!("admin request: {e}"))),
        };
        match out {
            Ok(result) => crate::json::to_string(&Value::object([("ok", true.into()), ("result", result)])),
            Err(e) => {
                let error = Value::object([("code", e.code().as_str().into()), ("message", e.to_string().into())]);
                crate::json::to_string(&Value::object([("error", error), ("ok", false.into())]))
            }
        }
    }

    fn admin(&mut self, req: AdminRequest, now: i64) -> Result<Value, LedgerError> {
        let to_value = |v: &dyn ToJson| sorted(crate::json::to_value(v));
        match req {
            AdminRequest::CreateAccount { account_id, policy } => {
                self.create_account(&account_id, policy_from(policy)?)?;
                Ok(Value::Null)
            }
            AdminRequest::Purchase { account_id, purchase_id, package_id } => {
                let grants = self.with_account(&account_id, now, |a, now| a.purchase(&PurchaseRequest { purchase_id, package_id }, now))?;
                Ok(to_value(&grants))
            }
            AdminRequest::Grant { account_id, grant } => {
                let g = self.with_account(&account_id, now, |a, now| a.grant(&grant, now))?;
                Ok(to_value(&g))
            }
            AdminRequest::Signup { account_id } => {
                let g = self.with_account(&account_id, now, |a, now| a.grant_signup(now))?;
                Ok(to_value(&g))
            }
            AdminRequest::ChangePlan { account_id, plan_id, starts_at, ends_at, new_cycle } => {
                let change = PlanChangeRequest { plan_id, starts_at, ends_at, new_cycle };
                let outcome = self.with_account(&account_id, now, |a, now| a.change_plan(&change, now))?;
                Ok(to_value(&outcome))
            }
            AdminRequest::ActivateAgent { account_id, agent_id } => {
                let agent = self.with_account(&account_id, now, |a, now| a.activate_agent(&agent_id, now))?;
                Ok(to_value(&agent))
            }
            AdminRequest::Convert { account_id, allowance, credits } => {
                let req = ConvertRequest { allowance, credits };
                let outcome = self.with_account(&account_id, now, |a, now| a.convert(&req, now))?;
                Ok(to_value(&outcome))
            }
            AdminRequest::SetOfflineLimit { account_id, device_id, limit } => {
                self.set_offline_limit(&account_id, &device_id, limit)?;
                Ok(Value::Null)
            }
            AdminRequest::Balance { account_id } => {
                let view = self.with_account(&account_id, now, |a, now| a.balance(now))?;
                Ok(to_value(&view))
            }
            AdminRequest::Refund { account_id, purchase_id } => {
                let quote = self.with_account(&account_id, now, |a, now| a.refund(&purchase_id, now))?;
                Ok(to_value(&quote))
            }
            AdminRequest::StartCycle { account_id, starts_at, ends_at } => {
                let cycle = CycleRequest { starts_at, ends_at };
                let grant = self.with_account(&account_id, now, |a, now| a.start_cycle(&cycle, now))?;
                Ok(to_value(&grant))
            }
        }
    }
}

/// The value with every object's keys in sorted order (what this answer has always
/// carried: it was built as a sorted map).
fn sorted(v: Value) -> Value {
    match v {
        Value::Object(mut members) => {
            members.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(members.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        v => v,
    }
}
