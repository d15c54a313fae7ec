//! The `LedgerAccount` class: the credit ledger (`crate::ledger`) for JavaScript.
//!
//! Arguments are checked here (times must be safe integers, amounts decimal strings,
//! requests plain objects) and results are JSON-compatible plain objects. Errors are
//! `CreditMeterError`s with a `code`; ledger refusals carry their details as extra
//! properties (`needed`, `available`, `remedies`, `reason`, `limit`).

use crate::error::BAD_INPUT;
use crate::json::ToJson;
use crate::model::{
    replay, Account, AllowanceUseRequest, ChargeRequest, ConvertRequest, CycleRequest, DebitRequest, Entry, GrantRequest, HoldRequest,
    LedgerError, PlanChangeRequest, Policy, PurchaseRequest,
};
use crate::money::{Credits, MAX_SAFE_INTEGER};
use credit_meter::convert::{object_arg, string_arg, to_js, type_name};
use credit_meter::js_error::{bad_input, to_js_error};
use js_sys::Reflect;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_LEDGER_TYPES: &'static str = r#"
/** Codes the ledger throws, besides BAD_INPUT and BAD_AMOUNT. */
export type LedgerErrorCode =
  | "INSUFFICIENT_CREDITS" | "INSUFFICIENT_ALLOWANCE" | "NOT_REFUNDABLE" | "AGENT_LIMIT"
  | "AGENT_INACTIVE" | "TRANSFER_FORBIDDEN" | "DUPLICATE_ID" | "NOT_FOUND" | "ALREADY_GRANTED"
  | "CLOCK_BACKWARDS" | "HOLD_EXCEEDED" | "REPLAY_MISMATCH";
/** Milliseconds since the Unix epoch (a safe integer), e.g. Date.now(). */
export type EpochMs = number;
export type GrantKind = "purchase" | "bonus" | "signup" | "planCycle" | "carriedForward" | "promotion" | "adjustment";
export type GrantStatus = "active" | "exhausted" | "expired" | "voided" | "carriedForward";
export type AllowanceKind = "llmTokens" | "ttsCharacters";
export type LedgerRemedy = "buyCredits" | "useOwnKey" | "changePlan";
export type Payer = "free" | "ownKey" | "credits";
export type RefundRefusal = "policyForbids" | "windowClosed" | "alreadyRefunded" | "nothingLeft" | "held";
export type Threshold = { kind: "absolute"; credits: Decimal } | { kind: "percentOfLastTopUp"; percent: Decimal };
/** A product's credit rules (presets: "trueRecall", "assistLore"). */
export interface LedgerPolicy {
  name: string;
  ownKeyAllowed: boolean;
  transfersAllowed?: boolean;
  refunds?: { windowMs: number } | null;
  packages?: { id: string; name: string; credits: Decimal; bonus?: Decimal; priceUsd: Decimal }[];
  purchaseExpiresAfterMs?: number | null;
  signupGrant?: { credits: Decimal; expiresAfterMs?: number | null } | null;
  plans?: { id: string; name: string; rank: number; creditsPerCycle: Decimal; maxAgents?: number | null }[];
  initialPlan?: string | null;
  carryForward?: { on: "never" | "upgrade" | "anyChange"; expiry?: "newCycleEnd" | "never" };
  allowances?: { kind: AllowanceKind; unitsPerCredit: Decimal; onShortfall?: "convert" | "refuse" }[];
  agents?: { activationCredits: Decimal; subscriptionCredits: Decimal; cycleMs: number } | null;
  priorities?: Partial<Record<"purchase" | "bonus" | "signup" | "planCycle" | "carriedForward" | "promotion" | "adjustment", number>>;
  lowBalance?: Threshold[];
  creditStep: Decimal;
  holdTtlMs: number;
}
/** A policy: a preset name, a policy object, or its JSON text. */
export type LedgerPolicyInput = "trueRecall" | "assistLore" | LedgerPolicy | string;
/** One grant of credits; amount = consumed + expired + voided + carried + remaining. */
export interface CreditGrant {
  id: string; kind: GrantKind;
  amount: Decimal; remaining: Decimal; consumed: Decimal; expired: Decimal; voided: Decimal; carried: Decimal;
  effectiveAt: EpochMs;
  /** Unusable from this instant on; null never expires. */
  expiresAt: EpochMs | null;
  priority: number; paid: boolean;
  /** Refundable while now < refundableUntil. */
  refundableUntil: EpochMs | null;
  purchaseId: string | null; priceUsd: Decimal | null;
}
export interface CreditGrantView extends CreditGrant { status: GrantStatus; refundable: boolean; }
export type Purpose =
  | { kind: "operation"; operation: string; agentId: string | null }
  | { kind: "transferOut"; toAccount: string }
  | { kind: "adjustment"; reason: string };
export interface CreditHold {
  id: string; amount: Decimal; purpose: Purpose; createdAt: EpochMs; expiresAt: EpochMs;
  status: "open" | "committed" | "released" | "expired"; committed: Decimal;
}
export interface Draw { grantId: string; amount: Decimal; }
/** One append-only ledger entry; `balanceAfter` is the balance once it applied. */
export type LedgerEntry = { seq: number; at: EpochMs; balanceAfter: Decimal } & (
  | { type: "grant"; grants: CreditGrant[]; topUp: boolean }
  | { type: "hold"; hold: CreditHold }
  | { type: "debit"; purpose: Purpose; amount: Decimal; draws: Draw[]; holdId: string | null; released: Decimal }
  | { type: "release"; holdId: string; amount: Decimal; reason: "released" | "expired" }
  | { type: "expire"; grantId: string; amount: Decimal }
  | { type: "refund"; purchaseId: string; voided: Draw[]; refundUsd: Decimal }
  | { type: "carryForward"; sources: Draw[]; grant: CreditGrant }
  | { type: "conversion"; allowance: AllowanceKind; credits: Decimal; draws: Draw[]; units: number }
  | { type: "allowanceUse"; allowance: AllowanceKind; units: number; operation: string; agentId: string | null }
  | { type: "activation"; agentId: string; amount: Decimal; draws: Draw[]; cycleEnd: EpochMs }
  | { type: "renewal"; agentId: string; amount: Decimal; draws: Draw[]; cycleEnd: EpochMs }
  | { type: "deactivation"; agentId: string }
  | { type: "planChange"; from: string | null; to: string }
  | { type: "billingCycle"; startsAt: EpochMs; endsAt: EpochMs; fresh?: true });
export interface PreviewDraw { grantId: string; kind: GrantKind; amount: Decimal; remainingAfter: Decimal; expiresAt: EpochMs | null; paid: boolean; }
/** Exactly which grants a debit would draw from, in consumption order. */
export interface DebitPreview { amount: Decimal; available: Decimal; sufficient: boolean; shortfall: Decimal; draws: PreviewDraw[]; }
export interface AllowanceBalance { kind: AllowanceKind; remaining: number; converted: number; used: number; credits: Decimal; }
export interface AgentState {
  id: string; status: "active" | "inactive"; cycleStart: EpochMs; cycleEnd: EpochMs;
  cycleCredits: Decimal; cycleLlmTokens: number; cycleTtsCharacters: number; fees: Decimal; deactivatedAt: EpochMs | null;
}
export interface BalanceView {
  at: EpochMs; balance: Decimal; held: Decimal; available: Decimal; low: boolean;
  grants: CreditGrantView[]; holds: CreditHold[]; allowances: AllowanceBalance[]; plan: string | null; agents: AgentState[];
}
export type LedgerNotice =
  | { kind: "lowBalance"; threshold: number; level: Decimal; balance: Decimal; seq: number; at: EpochMs }
  | { kind: "agentDeactivated"; agentId: string; seq: number; at: EpochMs };
export interface PurchaseRequest { purchaseId: string; packageId: string; }
export interface GrantRequest { id: string; kind: "promotion" | "adjustment"; amount: Decimal; expiresAt?: EpochMs | null; priority?: number | null; }
export interface DebitRequest { amount: Decimal; operation: string; agentId?: string | null; }
export interface ChargeRequest { operation: string; credits: Decimal; free?: boolean; ownKey?: boolean; operationAllowsOwnKey?: boolean; agentId?: string | null; }
export interface ChargeResult { payer: Payer; credits: Decimal; seq: number | null; }
export interface HoldRequest { holdId: string; amount: Decimal; operation: string; agentId?: string | null; expiresAt?: EpochMs | null; }
export interface RefundQuote {
  purchaseId: string; eligible: boolean; refusal: RefundRefusal | null; refundableUntil: EpochMs | null;
  purchased: Decimal; consumed: Decimal; remaining: Decimal; priceUsd: Decimal; refundUsd: Decimal;
}
export interface CycleRequest { startsAt: EpochMs; endsAt: EpochMs; }
export interface PlanChangeRequest { planId: string; startsAt: EpochMs; endsAt: EpochMs; newCycle?: boolean; }
export interface PlanChangeOutcome { from: string | null; to: string; upgrade: boolean; carried: Decimal; carriedGrant: CreditGrant | null; cycleGrant: CreditGrant | null; }
export interface ConvertRequest { allowance: AllowanceKind; credits: Decimal; }
export interface AllowanceUseRequest { allowance: AllowanceKind; units: number; operation: string; agentId?: string | null; }
export interface AllowanceOutcome { allowance: AllowanceKind; creditsConverted: Decimal; unitsAdded: number; unitsUsed: number; remaining: number; }
/** The current billing cycle and the plan credits granted in it (plan changes never grant beyond the highest plan's credits). */
export interface BillingCycle { startsAt: EpochMs; endsAt: EpochMs; granted: Decimal; }
/** The fold of the entries. */
export interface LedgerState {
  lastSeq: number; lastAt: EpochMs | null; grants: CreditGrant[]; holds: CreditHold[]; allowances: AllowanceBalance[];
  agents: AgentState[]; plan: string | null; cycle: BillingCycle | null; signupGranted: boolean; lastTopUp: Decimal; refunded: string[]; armed: boolean[];
}
/** What to save to restore an account: `LedgerAccount.fromJSON(saved)`. */
export interface SavedLedger { policy: LedgerPolicy; entries: LedgerEntry[]; }
"#;

/// The saved form of an account.
struct Saved {
    policy: Policy,
    entries: Vec<Entry>,
}
json_struct!(Saved [deny] { policy: "policy", entries: "entries" });

/// A serialisable detail as a JS value (`undefined` if it cannot be converted).
fn json<T: ToJson>(v: &T) -> JsValue {
    to_js::<T, JsValue>(v).unwrap_or(JsValue::UNDEFINED)
}

fn set(target: &JsValue, key: &str, value: &JsValue) {
    // Setting a property on a fresh Error cannot fail; if it did, the code is still there.
    let _ = Reflect::set(target, &JsValue::from_str(key), value);
}

/// A ledger error as a thrown `CreditMeterError`, with its details as properties.
fn ledger_error(e: LedgerError) -> JsValue {
    let err = to_js_error(e.clone());
    match &e {
        LedgerError::InsufficientCredits { needed, available, remedies } => {
            set(&err, "needed", &needed.to_plain_string().into());
            set(&err, "available", &available.to_plain_string().into());
            set(&err, "remedies", &json(remedies));
        }
        LedgerError::InsufficientAllowance { needed, available } => {
            set(&err, "needed", &JsValue::from_f64(*needed as f64));
            set(&err, "available", &JsValue::from_f64(*available as f64));
        }
        LedgerError::NotRefundable { purchase_id, reason } => {
            set(&err, "purchaseId", &purchase_id.into());
            set(&err, "reason", &json(reason));
        }
        LedgerError::AgentLimit { limit } => set(&err, "limit", &JsValue::from_f64(f64::from(*limit))),
        _ => {}
    }
    err
}

/// A time argument: a safe integer number of milliseconds since the Unix epoch.
fn time_arg(v: &JsValue, name: &str) -> Result<i64, JsValue> {
    match v.as_f64() {
        Some(n) if n.is_finite() && n.fract() == 0.0 && n.abs() <= MAX_SAFE_INTEGER as f64 => Ok(n as i64),
        Some(n) => Err(bad_input(&format!("{name} must be a safe integer of milliseconds, got {n}"))),
        None => Err(bad_input(&format!("{name} must be a number of milliseconds, got {}", type_name(v)))),
    }
}

fn amount_arg(v: &JsValue, name: &str) -> Result<Credits, JsValue> {
    let s = string_arg(v, name)?;
    Credits::parse(&s).map_err(to_js_error)
}

fn policy_arg(v: JsValue) -> Result<Policy, JsValue> {
    if let Some(s) = v.as_string() {
        return match s.as_str() {
            "trueRecall" => Ok(Policy::true_recall()),
            "assistLore" => Ok(Policy::assist_lore()),
            _ if s.trim_start().starts_with('{') => Policy::from_json(&s).map_err(ledger_error),
            _ => Err(bad_input("policy must be \"trueRecall\", \"assistLore\", a policy object or its JSON text")),
        };
    }
    let p: Policy = object_arg(v, "policy", BAD_INPUT)?;
    p.validate().map_err(ledger_error)?;
    Ok(p)
}

/// A preset policy as a plain object, to edit and pass to `new LedgerAccount(policy)`.
#[wasm_bindgen(js_name = ledgerPolicy, unchecked_return_type = "LedgerPolicy")]
pub fn ledger_policy(#[wasm_bindgen(unchecked_param_type = "\"trueRecall\" | \"assistLore\"")] name: JsValue) -> Result<JsValue, JsValue> {
    let name = string_arg(&name, "name")?;
    let p = match name.as_str() {
        "trueRecall" => Policy::true_recall(),
        "assistLore" => Policy::assist_lore(),
        _ => return Err(bad_input("preset must be \"trueRecall\" or \"assistLore\"")),
    };
    to_js(&p)
}

/// Folds saved entries into the state they produce; throws `REPLAY_MISMATCH` for entries
/// that do not fold (forged, reordered, or with a wrong `balanceAfter`).
#[wasm_bindgen(js_name = replayLedger, unchecked_return_type = "LedgerState")]
pub fn replay_ledger(#[wasm_bindgen(unchecked_param_type = "SavedLedger")] saved: JsValue) -> Result<JsValue, JsValue> {
    let saved: Saved = object_arg(saved, "saved ledger", BAD_INPUT)?;
    saved.policy.validate().map_err(ledger_error)?;
    to_js(&replay(&saved.policy, &saved.entries).map_err(ledger_error)?)
}

/// A credit account under a policy: grants, holds, debits, refunds, plans, allowances
/// and agents. Every method that takes `now` first records what fell due by then
/// (expiries, hold expiries, agent renewals); `now` never goes back.
#[wasm_bindgen]
pub struct LedgerAccount {
    inner: Account,
}

#[wasm_bindgen]
impl LedgerAccount {
    /// A new, empty account under a policy (a preset name, an object, or JSON text).
    #[wasm_bindgen(constructor)]
    pub fn new(#[wasm_bindgen(unchecked_param_type = "LedgerPolicyInput")] policy: JsValue) -> Result<LedgerAccount, JsValue> {
        Ok(LedgerAccount { inner: Account::new(policy_arg(policy)?).map_err(ledger_error)? })
    }

    /// Restores an account from what `toJSON` returned, replaying its entries.
    #[wasm_bindgen(js_name = fromJSON)]
    pub fn from_json(#[wasm_bindgen(unchecked_param_type = "SavedLedger | string")] saved: JsValue) -> Result<LedgerAccount, JsValue> {
        let saved: Saved = match saved.as_string() {
            Some(text) => crate::json::from_str(&text).map_err(|e| bad_input(&format!("saved ledger: {e}")))?,
            None => object_arg(saved, "saved ledger", BAD_INPUT)?,
        };
        Ok(LedgerAccount { inner: Account::from_entries(saved.policy, saved.entries).map_err(ledger_error)? })
    }

    /// `{ policy, entries }`: everything needed to restore the account.
    #[wasm_bindgen(js_name = toJSON, unchecked_return_type = "SavedLedger")]
    pub fn to_json(&self) -> Result<JsValue, JsValue> {
        to_js(&Saved { policy: self.inner.policy().clone(), entries: self.inner.entries().to_vec() })
    }

    /// The policy.
    #[wasm_bindgen(unchecked_return_type = "LedgerPolicy")]
    pub fn policy(&self) -> Result<JsValue, JsValue> {
        to_js(self.inner.policy())
    }

    /// The state (the fold of the entries).
    #[wasm_bindgen(unchecked_return_type = "LedgerState")]
    pub fn state(&self) -> Result<JsValue, JsValue> {
        to_js(self.inner.state())
    }

    /// Entries after `sinceSeq` (all when absent), oldest first.
    #[wasm_bindgen(unchecked_return_type = "LedgerEntry[]")]
    pub fn entries(
        &self,
        #[wasm_bindgen(js_name = sinceSeq, unchecked_optional_param_type = "number")] since_seq: JsValue,
    ) -> Result<JsValue, JsValue> {
        let since = if since_seq.is_undefined() || since_seq.is_null() { 0 } else { time_arg(&since_seq, "sinceSeq")?.max(0) as u64 };
        to_js(&self.inner.entries_since(since))
    }

    /// Notices raised since the last call (low balance, agent deactivated).
    #[wasm_bindgen(js_name = takeNotices, unchecked_return_type = "LedgerNotice[]")]
    pub fn take_notices(&mut self) -> Result<JsValue, JsValue> {
        to_js(&self.inner.take_notices())
    }

    /// Records everything due at or before `now`.
    pub fn advance(&mut self, #[wasm_bindgen(unchecked_param_type = "EpochMs")] now: JsValue) -> Result<(), JsValue> {
        self.inner.advance(time_arg(&now, "now")?).map_err(ledger_error)
    }

    /// Balance, held, available, grants (with expiry and refundability), holds,
    /// allowances, plan and agents at `now`.
    #[wasm_bindgen(unchecked_return_type = "BalanceView")]
    pub fn balance(&mut self, #[wasm_bindgen(unchecked_param_type = "EpochMs")] now: JsValue) -> Result<JsValue, JsValue> {
        to_js(&self.inner.balance(time_arg(&now, "now")?).map_err(ledger_error)?)
    }

    /// Exactly which grants a debit of `amount` would draw from at `now`.
    #[wasm_bindgen(js_name = previewDebit, unchecked_return_type = "DebitPreview")]
    pub fn preview_debit(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Decimal")] amount: JsValue,
        #[wasm_bindgen(unchecked_param_type = "EpochMs")] now: JsValue,
    ) -> Result<JsValue, JsValue> {
        let amount = amount_arg(&amount, "amount")?;
        to_js(&self.inner.preview_debit(amount, time_arg(&now, "now")?).map_err(ledger_error)?)
    }

    /// Buys a package (its credits and bonus as grants of one purchase).
    #[wasm_bindgen(unchecked_return_type = "CreditGrant[]")]
    pub fn purchase(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "PurchaseRequest")] request: JsValue,
        #[wasm_bindgen(unchecked_param_type = "EpochMs")] now: JsValue,
    ) -> Result<JsValue, JsValue> {
        let req: PurchaseRequest = object_arg(request, "purchase request", BAD_INPUT)?;
        to_js(&self.inner.purchase(&req, time_arg(&now, "now")?).map_err(ledger_error)?)
    }

    /// The one free signup grant (`ALREADY_GRANTED` the second time).
    #[wasm_bindgen(js_name = grantSignup, unchecked_return_type = "CreditGrant")]
    pub fn grant_signup(&mut self, #[wasm_bindgen(unchecked_param_type = "EpochMs")] now: JsValue) -> Result<JsValue, JsValue> {
        to_js(&self.inner.grant_signup(time_arg(&now, "now")?).map_err(ledger_error)?)
    }

    /// A promotional or manual grant.
    #[wasm_bindgen(unchecked_return_type = "CreditGrant")]
    pub fn grant(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "GrantRequest")] request: JsValue,
        #[wasm_bindgen(unchecked_param_type = "EpochMs")] now: JsValue,
    ) -> Result<JsValue, JsValue> {
        let req: GrantRequest = object_arg(request, "grant request", BAD_INPUT)?;
        to_js(&self.inner.grant(&req, time_arg(&now, "now")?).map_err(ledger_error)?)
    }

    /// Draws credits now, in consumption order.
    #[wasm_bindgen(unchecked_return_type = "LedgerEntry")]
    pub fn debit(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "DebitRequest")] request: JsValue,
        #[wasm_bindgen(unchecked_param_type = "EpochMs")] now: JsValue,
    ) -> Result<JsValue, JsValue> {
        let req: DebitRequest = object_arg(request, "debit request", BAD_INPUT)?;
        to_js(&self.inner.debit(&req, time_arg(&now, "now")?).map_err(ledger_error)?)
    }

    /// Charges an operation: free operations and a usable own key cost nothing.
    #[wasm_bindgen(unchecked_return_type = "ChargeResult")]
    pub fn charge(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "ChargeRequest")] request: JsValue,
        #[wasm_bindgen(unchecked_param_type = "EpochMs")] now: JsValue,
    ) -> Result<JsValue, JsValue> {
        let req: ChargeRequest = object_arg(request, "charge request", BAD_INPUT)?;
        to_js(&self.inner.charge(&req, time_arg(&now, "now")?).map_err(ledger_error)?)
    }

    /// Reserves credits (`INSUFFICIENT_CREDITS` when they are not available).
    #[wasm_bindgen(unchecked_return_type = "CreditHold")]
    pub fn reserve(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "HoldRequest")] request: JsValue,
        #[wasm_bindgen(unchecked_param_type = "EpochMs")] now: JsValue,
    ) -> Result<JsValue, JsValue> {
        let req: HoldRequest = object_arg(request, "hold request", BAD_INPUT)?;
        to_js(&self.inner.reserve(&req, time_arg(&now, "now")?).map_err(ledger_error)?)
    }

    /// Commits at most the held amount; the rest of the hold is released.
    #[wasm_bindgen(unchecked_return_type = "LedgerEntry")]
    pub fn commit(
        &mut self,
        #[wasm_bindgen(js_name = holdId, unchecked_param_type = "string")] hold_id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Decimal")] amount: JsValue,
        #[wasm_bindgen(unchecked_param_type = "EpochMs")] now: JsValue,
    ) -> Result<JsValue, JsValue> {
        let id = string_arg(&hold_id, "holdId")?;
        let amount = amount_arg(&amount, "amount")?;
        to_js(&self.inner.commit(&id, amount, time_arg(&now, "now")?).map_err(ledger_error)?)
    }

    /// Releases a hold in full.
    #[wasm_bindgen(unchecked_return_type = "LedgerEntry")]
    pub fn release(
        &mut self,
        #[wasm_bindgen(js_name = holdId, unchecked_param_type = "string")] hold_id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "EpochMs")] now: JsValue,
    ) -> Result<JsValue, JsValue> {
        let id = string_arg(&hold_id, "holdId")?;
        to_js(&self.inner.release(&id, time_arg(&now, "now")?).map_err(ledger_error)?)
    }

    /// Whether a purchase can be refunded now, and for how much.
    #[wasm_bindgen(js_name = refundQuote, unchecked_return_type = "RefundQuote")]
    pub fn refund_quote(
        &mut self,
        #[wasm_bindgen(js_name = purchaseId, unchecked_param_type = "string")] purchase_id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "EpochMs")] now: JsValue,
    ) -> Result<JsValue, JsValue> {
        let id = string_arg(&purchase_id, "purchaseId")?;
        to_js(&self.inner.refund_quote(&id, time_arg(&now, "now")?).map_err(ledger_error)?)
    }

    /// Refunds a purchase: voids what is left of it (bonus included); `NOT_REFUNDABLE`
    /// with a `reason` otherwise.
    #[wasm_bindgen(unchecked_return_type = "RefundQuote")]
    pub fn refund(
        &mut self,
        #[wasm_bindgen(js_name = purchaseId, unchecked_param_type = "string")] purchase_id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "EpochMs")] now: JsValue,
    ) -> Result<JsValue, JsValue> {
        let id = string_arg(&purchase_id, "purchaseId")?;
        to_js(&self.inner.refund(&id, time_arg(&now, "now")?).map_err(ledger_error)?)
    }

    /// Moves to another plan and starts its first cycle (carrying credits forward per policy).
    #[wasm_bindgen(js_name = changePlan, unchecked_return_type = "PlanChangeOutcome")]
    pub fn change_plan(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "PlanChangeRequest")] request: JsValue,
        #[wasm_bindgen(unchecked_param_type = "EpochMs")] now: JsValue,
    ) -> Result<JsValue, JsValue> {
        let req: PlanChangeRequest = object_arg(request, "plan change request", BAD_INPUT)?;
        to_js(&self.inner.change_plan(&req, time_arg(&now, "now")?).map_err(ledger_error)?)
    }

    /// Grants the current plan's credits for a new billing cycle.
    #[wasm_bindgen(js_name = startCycle, unchecked_return_type = "CreditGrant | null")]
    pub fn start_cycle(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "CycleRequest")] request: JsValue,
        #[wasm_bindgen(unchecked_param_type = "EpochMs")] now: JsValue,
    ) -> Result<JsValue, JsValue> {
        let req: CycleRequest = object_arg(request, "cycle request", BAD_INPUT)?;
        to_js(&self.inner.start_cycle(&req, time_arg(&now, "now")?).map_err(ledger_error)?)
    }

    /// Converts credits into an allowance (LLM tokens or TTS characters).
    #[wasm_bindgen(unchecked_return_type = "AllowanceOutcome")]
    pub fn convert(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "ConvertRequest")] request: JsValue,
        #[wasm_bindgen(unchecked_param_type = "EpochMs")] now: JsValue,
    ) -> Result<JsValue, JsValue> {
        let req: ConvertRequest = object_arg(request, "convert request", BAD_INPUT)?;
        to_js(&self.inner.convert(&req, time_arg(&now, "now")?).map_err(ledger_error)?)
    }

    /// Uses allowance units, converting credits for a shortfall where the policy says so.
    #[wasm_bindgen(js_name = useAllowance, unchecked_return_type = "AllowanceOutcome")]
    pub fn use_allowance(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "AllowanceUseRequest")] request: JsValue,
        #[wasm_bindgen(unchecked_param_type = "EpochMs")] now: JsValue,
    ) -> Result<JsValue, JsValue> {
        let req: AllowanceUseRequest = object_arg(request, "allowance use request", BAD_INPUT)?;
        to_js(&self.inner.use_allowance(&req, time_arg(&now, "now")?).map_err(ledger_error)?)
    }

    /// Creates or reactivates an agent (fee + first cycle; `AGENT_LIMIT` beyond the plan's cap).
    #[wasm_bindgen(js_name = activateAgent, unchecked_return_type = "AgentState")]
    pub fn activate_agent(
        &mut self,
        #[wasm_bindgen(js_name = agentId, unchecked_param_type = "string")] agent_id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "EpochMs")] now: JsValue,
    ) -> Result<JsValue, JsValue> {
        let id = string_arg(&agent_id, "agentId")?;
        to_js(&self.inner.activate_agent(&id, time_arg(&now, "now")?).map_err(ledger_error)?)
    }

    /// The agents at `now`.
    #[wasm_bindgen(unchecked_return_type = "AgentState[]")]
    pub fn agents(&mut self, #[wasm_bindgen(unchecked_param_type = "EpochMs")] now: JsValue) -> Result<JsValue, JsValue> {
        to_js(&self.inner.agents(time_arg(&now, "now")?).map_err(ledger_error)?)
    }
}
