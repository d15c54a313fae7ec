//! A product's credit rules as configuration: one [`Policy`] value, deserialisable from
//! JSON (camelCase, money as decimal strings), with presets for the two seed products.
//! The ledger has no per-product code paths; every difference between True Recall and
//! AssistLore is a field here.

use super::error::LedgerError;
use super::grant::GrantKind;
use super::notice::Threshold;
use crate::money::{Credits, Usd};
use rust_decimal::Decimal;

/// One day in milliseconds.
pub const DAY_MS: i64 = 86_400_000;

/// A product's credit rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// A label (`"trueRecall"`, `"assistLore"`).
    pub name: String,
    /// Whether the user's own API key may pay instead of credits (BYOK).
    pub own_key_allowed: bool,
    /// Whether credits may move between accounts.
    pub transfers_allowed: bool,
    /// Refund terms; `None`: credits are never refunded.
    pub refunds: Option<RefundTerms>,
    /// Credit packages for sale; empty: credits are not sold directly.
    pub packages: Vec<PackageTerms>,
    /// How long purchased credits last; `None`: they never expire.
    pub purchase_expires_after_ms: Option<i64>,
    /// The one free grant at signup; `None`: no signup grant.
    pub signup_grant: Option<SignupTerms>,
    /// Subscription plans; empty: no plans.
    pub plans: Vec<PlanTerms>,
    /// The plan an account starts on.
    pub initial_plan: Option<String>,
    /// What happens to unexpired plan credits when the plan changes.
    pub carry_forward: CarryForward,
    /// Allowances credits can be converted into.
    pub allowances: Vec<AllowanceTerms>,
    /// Agent fees and cycles; `None`: no agents.
    pub agents: Option<AgentTerms>,
    /// Consumption priority per grant kind (higher is drawn first).
    pub priorities: Priorities,
    /// Low-balance thresholds.
    pub low_balance: Vec<Threshold>,
    /// Conversions round the credits they take up to a multiple of this.
    pub credit_step: Credits,
    /// How long a hold lasts when the request gives no expiry.
    pub hold_ttl_ms: i64,
}

/// Refund terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundTerms {
    /// A purchase is refundable while `now < purchased_at + window_ms`.
    pub window_ms: i64,
}

/// A package as the ledger grants it: the catalog's own package definition (the paid
/// credits and the bonus become two grants of the same purchase).
pub type PackageTerms = crate::package::PackageDefinition;

/// The signup grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignupTerms {
    /// Credits granted once.
    pub credits: Credits,
    /// How long they last; `None`: never expire.
    pub expires_after_ms: Option<i64>,
}

/// A subscription plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanTerms {
    /// Id, e.g. `"pro"`.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Higher rank is an upgrade.
    pub rank: u32,
    /// Credits granted per billing cycle, expiring at the cycle's end.
    pub credits_per_cycle: Credits,
    /// Active agents allowed; `None`: no cap.
    pub max_agents: Option<u32>,
}

/// When unexpired plan credits move into the new cycle on a plan change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CarryOn {
    /// Never: old plan credits keep their own expiry.
    #[default]
    Never,
    /// On an upgrade (a plan of higher rank).
    Upgrade,
    /// On any plan change.
    AnyChange,
}

/// The expiry of a carried-forward grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CarryExpiry {
    /// The end of the new plan's cycle.
    #[default]
    NewCycleEnd,
    /// Never.
    Never,
}

/// Carry-forward rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CarryForward {
    /// When credits carry.
    pub on: CarryOn,
    /// Until when carried credits last.
    pub expiry: CarryExpiry,
}

/// An allowance credits convert into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AllowanceKind {
    /// LLM message tokens.
    LlmTokens,
    /// Text-to-speech characters.
    TtsCharacters,
}

/// What a use does when its allowance is short.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnShortfall {
    /// Convert just enough credits (rounded up to the credit step) and go on.
    #[default]
    Convert,
    /// Refuse with `INSUFFICIENT_ALLOWANCE`.
    Refuse,
}

/// Conversion terms of one allowance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowanceTerms {
    /// Which allowance.
    pub kind: AllowanceKind,
    /// Units one credit converts into (a decimal string, > 0; units are floored).
    pub units_per_credit: Decimal,
    /// What a use does when the allowance is short.
    pub on_shortfall: OnShortfall,
}

/// Agent fees and cycles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentTerms {
    /// Credits to create or (re)activate an agent.
    pub activation_credits: Credits,
    /// Credits per agent subscription cycle, charged at the start of each cycle.
    pub subscription_credits: Credits,
    /// Length of an agent's cycle (at least one day).
    pub cycle_ms: i64,
}

/// Consumption priority per grant kind (higher is drawn first; default 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Priorities {
    /// Paid purchase credits.
    pub purchase: i32,
    /// Purchase bonus credits.
    pub bonus: i32,
    /// The signup grant.
    pub signup: i32,
    /// Plan-cycle credits.
    pub plan_cycle: i32,
    /// Carried-forward plan credits.
    pub carried_forward: i32,
    /// Promotional credits.
    pub promotion: i32,
    /// Manual adjustments.
    pub adjustment: i32,
}

impl Priorities {
    /// The priority of a kind.
    pub fn of(&self, kind: GrantKind) -> i32 {
        match kind {
            GrantKind::Purchase => self.purchase,
            GrantKind::Bonus => self.bonus,
            GrantKind::Signup => self.signup,
            GrantKind::PlanCycle => self.plan_cycle,
            GrantKind::CarriedForward => self.carried_forward,
            GrantKind::Promotion => self.promotion,
            GrantKind::Adjustment => self.adjustment,
        }
    }
}

/// A way out of an insufficient balance under a policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Remedy {
    /// Buy a credit package.
    BuyCredits,
    /// Configure an own API key.
    UseOwnKey,
    /// Subscribe to or upgrade a plan.
    ChangePlan,
}

/// Who pays for an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payer {
    /// The operation is free.
    Free,
    /// The user's own API key.
    OwnKey,
    /// Credits.
    Credits,
}

fn c(n: u64) -> Credits {
    Credits::from_u64(n).unwrap_or_default()
}

fn usd(cents: u64) -> Usd {
    Usd::new(Decimal::new(cents as i64, 2)).unwrap_or_default()
}

fn package(id: &str, name: &str, credits: u64, bonus: u64, cents: u64) -> PackageTerms {
    PackageTerms { id: id.into(), name: name.into(), credits: c(credits), bonus: c(bonus), price_usd: usd(cents) }
}

fn plan(id: &str, name: &str, rank: u32, credits: u64, max_agents: u32) -> PlanTerms {
    PlanTerms { id: id.into(), name: name.into(), rank, credits_per_cycle: c(credits), max_agents: Some(max_agents) }
}

impl Policy {
    /// True Recall: packages of credits that never expire, refundable (unused) within 14
    /// days of purchase, own API key allowed, free operations cost nothing.
    pub fn true_recall() -> Policy {
        Policy {
            name: "trueRecall".into(),
            own_key_allowed: true,
            transfers_allowed: false,
            refunds: Some(RefundTerms { window_ms: 14 * DAY_MS }),
            packages: vec![
                package("starter", "Starter", 500, 0, 250),
                package("pro", "Pro", 2_500, 500, 1_000),
                package("power", "Power User", 7_000, 1_500, 2_500),
            ],
            purchase_expires_after_ms: None,
            signup_grant: None,
            plans: Vec::new(),
            initial_plan: None,
            carry_forward: CarryForward::default(),
            allowances: Vec::new(),
            agents: None,
            priorities: Priorities::default(),
            low_balance: vec![Threshold::PercentOfLastTopUp { percent: Decimal::TEN }],
            credit_step: Credits::new(Decimal::new(1, 3)).unwrap_or_default(),
            hold_ttl_ms: 10 * 60_000,
        }
    }

    /// The preset named `name` (`"trueRecall"`, `"assistLore"`), as the admin command
    /// `createAccount` names it.
    pub fn preset(name: &str) -> Option<Policy> {
        match name {
            "trueRecall" => Some(Policy::true_recall()),
            "assistLore" => Some(Policy::assist_lore()),
            _ => None,
        }
    }

    /// AssistLore: a one-time free grant, monthly plan credits expiring at the cycle's
    /// end (carried forward on upgrade), LLM-token and TTS-character allowances that never
    /// expire, paid agents capped per plan with their own cycles, no refunds, no
    /// transfers, no own key.
    pub fn assist_lore() -> Policy {
        Policy {
            name: "assistLore".into(),
            own_key_allowed: false,
            transfers_allowed: false,
            refunds: None,
            packages: Vec::new(),
            purchase_expires_after_ms: None,
            signup_grant: Some(SignupTerms { credits: c(500), expires_after_ms: None }),
            plans: vec![plan("free", "Free", 0, 0, 1), plan("starter", "Starter", 1, 2_000, 3), plan("pro", "Pro", 2, 10_000, 10)],
            initial_plan: Some("free".into()),
            carry_forward: CarryForward { on: CarryOn::Upgrade, expiry: CarryExpiry::NewCycleEnd },
            allowances: vec![
                AllowanceTerms {
                    kind: AllowanceKind::LlmTokens,
                    units_per_credit: Decimal::from(1_000),
                    on_shortfall: OnShortfall::Convert,
                },
                AllowanceTerms {
                    kind: AllowanceKind::TtsCharacters,
                    units_per_credit: Decimal::from(300),
                    on_shortfall: OnShortfall::Convert,
                },
            ],
            agents: Some(AgentTerms { activation_credits: c(100), subscription_credits: c(200), cycle_ms: 30 * DAY_MS }),
            priorities: Priorities::default(),
            low_balance: vec![Threshold::Absolute { credits: c(100) }],
            credit_step: Credits::new(Decimal::new(1, 3)).unwrap_or_default(),
            hold_ttl_ms: 10 * 60_000,
        }
    }

    /// Parses and validates a policy from JSON.
    pub fn from_json(json: &str) -> Result<Policy, LedgerError> {
        let p: Policy = crate::json::from_str(json).map_err(|e| LedgerError::BadInput(format!("policy: {e}")))?;
        p.validate()?;
        Ok(p)
    }

    /// Checks the rules that serde cannot: positive durations and rates, unique ids.
    pub fn validate(&self) -> Result<(), LedgerError> {
        let bad = |m: String| Err(LedgerError::BadInput(format!("policy: {m}")));
        if self.credit_step.is_zero() {
            return bad("creditStep must be greater than zero".into());
        }
        if self.hold_ttl_ms <= 0 {
            return bad("holdTtlMs must be greater than zero".into());
        }
        if self.refunds.as_ref().is_some_and(|r| r.window_ms < 0) {
            return bad("refunds.windowMs must not be negative".into());
        }
        let positive = |d: Option<i64>| d.is_none_or(|d| d > 0);
        if !positive(self.purchase_expires_after_ms) || !positive(self.signup_grant.as_ref().and_then(|s| s.expires_after_ms)) {
            return bad("expiry durations must be greater than zero".into());
        }
        for (i, p) in self.packages.iter().enumerate() {
            if p.credits.is_zero() || self.packages[..i].iter().any(|q| q.id == p.id) {
                return bad(format!("package {:?} is duplicated or has no credits", p.id));
            }
            p.credits.checked_add(p.bonus)?;
        }
        for (i, p) in self.plans.iter().enumerate() {
            if self.plans[..i].iter().any(|q| q.id == p.id) {
                return bad(format!("plan {:?} is duplicated", p.id));
            }
        }
        if let Some(id) = &self.initial_plan {
            if self.plan(id).is_none() {
                return bad(format!("initialPlan {id:?} is not among the plans"));
            }
        }
        for (i, a) in self.allowances.iter().enumerate() {
            if a.units_per_credit <= Decimal::ZERO || self.allowances[..i].iter().any(|b| b.kind == a.kind) {
                return bad("allowance rates must be positive and kinds unique".into());
            }
        }
        // At least a day: catching up on a long offline period records one renewal per
        // cycle, and that must stay a bounded amount of work.
        if self.agents.as_ref().is_some_and(|a| a.cycle_ms < DAY_MS) {
            return bad("agents.cycleMs must be at least one day (86400000)".into());
        }
        for t in &self.low_balance {
            t.validate()?;
        }
        Ok(())
    }

    /// A plan by id.
    pub fn plan(&self, id: &str) -> Option<&PlanTerms> {
        self.plans.iter().find(|p| p.id == id)
    }

    /// A package by id.
    pub fn package(&self, id: &str) -> Option<&PackageTerms> {
        self.packages.iter().find(|p| p.id == id)
    }

    /// The conversion terms of an allowance.
    pub fn allowance(&self, kind: AllowanceKind) -> Option<&AllowanceTerms> {
        self.allowances.iter().find(|a| a.kind == kind)
    }

    /// What a user can do about an insufficient balance under this policy.
    pub fn remedies(&self) -> Vec<Remedy> {
        let mut out = Vec::new();
        if !self.packages.is_empty() {
            out.push(Remedy::BuyCredits);
        }
        if self.plans.iter().any(|p| !p.credits_per_cycle.is_zero()) {
            out.push(Remedy::ChangePlan);
        }
        if self.own_key_allowed {
            out.push(Remedy::UseOwnKey);
        }
        out
    }

    /// Whether an own key may be offered: only when the user has one configured, the
    /// operation accepts one, and the policy allows own keys at all.
    pub fn own_key_usable(&self, own_key_configured: bool, operation_allows_own_key: bool) -> bool {
        self.own_key_allowed && own_key_configured && operation_allows_own_key
    }

    /// Who pays: free operations cost nothing; a usable own key is used instead of
    /// credits; otherwise credits.
    pub fn payer(&self, free: bool, own_key_configured: bool, operation_allows_own_key: bool) -> Payer {
        if free {
            Payer::Free
        } else if self.own_key_usable(own_key_configured, operation_allows_own_key) {
            Payer::OwnKey
        } else {
            Payer::Credits
        }
    }
}

json_struct!(Policy [deny] {
    name: "name",
    own_key_allowed: "ownKeyAllowed",
    transfers_allowed: "transfersAllowed" = default,
    refunds: "refunds" = default,
    packages: "packages" = default,
    purchase_expires_after_ms: "purchaseExpiresAfterMs" = default,
    signup_grant: "signupGrant" = default,
    plans: "plans" = default,
    initial_plan: "initialPlan" = default,
    carry_forward: "carryForward" = default,
    allowances: "allowances" = default,
    agents: "agents" = default,
    priorities: "priorities" = default,
    low_balance: "lowBalance" = default,
    credit_step: "creditStep",
    hold_ttl_ms: "holdTtlMs",
});
json_struct!(RefundTerms [deny] { window_ms: "windowMs" });
json_struct!(SignupTerms [deny] { credits: "credits", expires_after_ms: "expiresAfterMs" = default });
json_struct!(PlanTerms [deny] {
    id: "id",
    name: "name",
    rank: "rank",
    credits_per_cycle: "creditsPerCycle",
    max_agents: "maxAgents" = default,
});
json_unit_enum!(CarryOn { Never = "never", Upgrade = "upgrade", AnyChange = "anyChange" });
json_unit_enum!(CarryExpiry { NewCycleEnd = "newCycleEnd", Never = "never" });
json_struct!(CarryForward [deny] { on: "on", expiry: "expiry" = default });
json_unit_enum!(AllowanceKind { LlmTokens = "llmTokens", TtsCharacters = "ttsCharacters" });
json_unit_enum!(OnShortfall { Convert = "convert", Refuse = "refuse" });
json_struct!(AllowanceTerms [deny] { kind: "kind", units_per_credit: "unitsPerCredit", on_shortfall: "onShortfall" = default });
json_struct!(AgentTerms [deny] { activation_credits: "activationCredits", subscription_credits: "subscriptionCredits", cycle_ms: "cycleMs" });
json_struct!(Priorities [deny] {
    purchase: "purchase" = (Priorities::default().purchase),
    bonus: "bonus" = (Priorities::default().bonus),
    signup: "signup" = (Priorities::default().signup),
    plan_cycle: "planCycle" = (Priorities::default().plan_cycle),
    carried_forward: "carriedForward" = (Priorities::default().carried_forward),
    promotion: "promotion" = (Priorities::default().promotion),
    adjustment: "adjustment" = (Priorities::default().adjustment),
});
json_unit_enum!(Remedy { BuyCredits = "buyCredits", UseOwnKey = "useOwnKey", ChangePlan = "changePlan" });
json_unit_enum!(Payer { Free = "free", OwnKey = "ownKey", Credits = "credits" });
