//! The credit ledger: grants, the consumption order, holds, expiry, refunds, plans,
//! allowances and agents — a pure core (no clock, no I/O), configured per product by a
//! [`Policy`].
//!
//! - Every credit belongs to a [`Grant`] with its own kind, expiry, priority, paid flag,
//!   refund window and purchase ([`grant`]).
//! - Debits draw from grants in one documented strict total order ([`order`]);
//!   [`Account::preview_debit`] shows exactly which grants a debit would draw from.
//! - Every change is an [`Entry`] appended to the account; the state is the fold of the
//!   entries ([`replay`]), and each entry carries the balance after it.
//! - Holds reserve credits; a commit draws at commit time ([`hold`]).
//! - Time is `i64` milliseconds since the Unix epoch, always passed in. A grant (or a
//!   hold) expiring at `T` is unusable at `T`.
//! - Money is [`crate::money::Credits`] (exact decimals); no arithmetic on input can
//!   panic: sums are checked and refused above 10^15.
//!
//! Errors are [`LedgerError`]s with stable codes ([`crate::error::Coded`]).
//!
//! ```
//! use credit_meter_ledger_core::model::{Account, Policy, PurchaseRequest, DebitRequest};
//! use credit_meter_protocol::money::Credits;
//!
//! let mut account = Account::new(Policy::true_recall()).unwrap();
//! let day = 86_400_000;
//! account.purchase(&PurchaseRequest { purchase_id: "p1".into(), package_id: "pro".into() }, 0).unwrap();
//! let preview = account.preview_debit(Credits::from_u64(12).unwrap(), day).unwrap();
//! assert_eq!(preview.draws[0].grant_id, "p1:bonus"); // granted before paid
//! account.debit(&DebitRequest { amount: Credits::from_u64(12).unwrap(), operation: "flashcards.generate".into(), agent_id: None }, day).unwrap();
//! assert_eq!(account.balance(day).unwrap().balance, Credits::from_u64(2_988).unwrap());
//! ```

pub mod account;
pub mod agent;
pub mod allowance;
pub mod entry;
pub mod error;
pub mod grant;
pub mod hold;
pub mod notice;
pub mod order;
pub mod plan;
pub mod policy;
pub mod refund;
pub mod state;
pub mod unit_hold;

pub use account::{Account, BalanceView, ChargeRequest, Charged, DebitRequest, GrantRequest, PurchaseRequest};
pub use agent::{Agent, AgentStatus};
pub use allowance::{AllowanceBalance, AllowanceOutcome, AllowanceUseRequest, ConvertRequest};
pub use entry::{Entry, EntryKind, Purpose, ReleaseReason};
pub use error::{LedgerError, RefundRefusal};
pub use grant::{Grant, GrantKind, GrantStatus, GrantView};
pub use hold::{HeldUnits, Hold, HoldRequest, HoldStatus};
pub use notice::{Notice, Threshold};
pub use order::{consumption_order, draw_plan, DebitPreview, Draw, DrawPlan, PreviewDraw};
pub use plan::{BillingCycle, CycleRequest, PlanChangeOutcome, PlanChangeRequest};
pub use policy::{
    AgentTerms, AllowanceKind, AllowanceTerms, CarryExpiry, CarryForward, CarryOn, OnShortfall, PackageTerms, Payer, PlanTerms, Policy,
    Priorities, RefundTerms, Remedy, SignupTerms,
};
pub use refund::RefundQuote;
pub use state::{replay, LedgerState};
pub use unit_hold::{UnitDraw, UnitHoldRequest};
