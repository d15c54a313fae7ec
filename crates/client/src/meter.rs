//! The Meter's rules above the sync machine, shared by every host binding: what `reserve`
//! and `commit` take and how they become machine calls, the spendable balance a decision
//! is made against, and what a refusal for insufficient credits tells the user (the same
//! remedies `decide` offers). The Wasm binding only converts to and from these.

use crate::catalog::{Catalog, CatalogError};
use crate::error::{Coded, ErrorCode, BAD_INPUT};
use crate::estimate::Estimate;
use crate::funding::{self, DecideError, DecideRequest, Decision, PackageSuggestion, Remedies, Remedy};
use crate::machine::{Machine, ReserveRequest};
use crate::money::{Count, Credits};
use crate::pricing::{credits_for, Usage};
use crate::settle::Refused;
use crate::sync_error::SyncError;
use credit_meter_base::quote::quoted;
use std::fmt;

/// What `reserve` takes: a `Decision` from `decide` as is, or `{operation, amount}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReserveArgs {
    /// The operation the credits are for.
    pub operation: String,
    /// Credits to hold (wins over `reserve`).
    pub amount: Option<Credits>,
    /// A decision's `reserve`.
    pub reserve: Option<Credits>,
    /// A decision's `funding`: anything but `"credits"` has nothing to reserve.
    pub funding: Option<String>,
    /// The agent the usage is for (AssistLore).
    pub agent_id: Option<String>,
    /// Reserve in an allowance's units (`"ttsCharacters"`, `"llmTokens"`) instead of
    /// credits: the ledger's allowance first, the shortfall converted (PROTOCOL §12).
    pub unit: Option<String>,
    /// With `unit`: how many units.
    pub units: Option<Count>,
}

/// What `commit` takes: `{credits}`, or the usage of an operation to price with the catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitArgs {
    /// Credits to charge, as is.
    pub credits: Option<Credits>,
    /// The operation whose usage is priced (when `credits` is absent).
    pub operation: Option<String>,
    /// The model it ran on (token-priced operations; the operation's default otherwise).
    pub model: Option<String>,
    /// Flashcards made.
    pub cards: Option<Count>,
    /// Prompt tokens.
    pub input_tokens: Option<Count>,
    /// Completion tokens.
    pub output_tokens: Option<Count>,
    /// TTS characters.
    pub characters: Option<Count>,
    /// The units used, for a hold reserved in units (PROTOCOL §12).
    pub units: Option<Count>,
}

/// What a commit records: credits, or units of the hold's allowance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommitAmount {
    /// Credits used.
    Credits(Credits),
    /// Units used (the hold was reserved in units).
    Units(u64),
}

json_from!(ReserveArgs {
    operation: "operation",
    amount: "amount" = default,
    reserve: "reserve" = default,
    funding: "funding" = default,
    agent_id: "agentId" = default,
    unit: "unit" = default,
    units: "units" = default,
});
json_from!(CommitArgs [deny] {
    credits: "credits" = default,
    operation: "operation" = default,
    model: "model" = default,
    cards: "cards" = default,
    input_tokens: "inputTokens" = default,
    output_tokens: "outputTokens" = default,
    characters: "characters" = default,
    units: "units" = default,
});

/// Not enough credits for a reservation, with the ways out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Insufficient {
    /// Credits asked for.
    pub needed: Credits,
    /// Credits available.
    pub available: Credits,
    /// `needed − available`.
    pub shortfall: Credits,
    /// The cheapest package that covers the shortfall.
    pub package: Option<PackageSuggestion>,
    /// What the user can do.
    pub options: Vec<Remedy>,
}

json_to!(Insufficient { needed: "needed", available: "available", shortfall: "shortfall", package: "package", options: "options" });

/// Why a Meter operation was refused before anything was saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MeterError {
    /// Arguments that do not make a request.
    BadInput(String),
    /// The catalog does not know the operation or model, or pricing overflowed.
    Catalog(CatalogError),
    /// The ledger refused it with this code.
    Ledger(ErrorCode, String),
    /// The machine refused it; `insufficient` has the remedies when credits ran short.
    Sync {
        /// The machine's refusal.
        error: SyncError,
        /// For `INSUFFICIENT_CREDITS`: the shortfall and the ways out.
        insufficient: Option<Box<Insufficient>>,
    },
}

impl fmt::Display for MeterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MeterError::BadInput(m) => f.write_str(m),
            MeterError::Catalog(e) => e.fmt(f),
            MeterError::Ledger(_, m) => f.write_str(m),
            MeterError::Sync { error, .. } => error.fmt(f),
        }
    }
}

impl std::error::Error for MeterError {}

impl Coded for MeterError {
    fn code(&self) -> ErrorCode {
        match self {
            MeterError::BadInput(_) => BAD_INPUT,
            MeterError::Catalog(e) => e.code(),
            MeterError::Ledger(code, _) => *code,
            MeterError::Sync { error, .. } => error.code(),
        }
    }
}

/// The machine's refusal of an operation on `operation`, with the remedies when credits
/// ran short (`buyCredits` only when a package covers the shortfall, `useOwnKey` only
/// where the operation allows keys).
pub fn refusal(catalog: &Catalog, operation: &str, error: SyncError) -> MeterError {
    let insufficient = match &error {
        SyncError::InsufficientCredits { needed, available, shortfall } => {
            let byok = catalog.operation(operation).map(|o| o.byok).unwrap_or(false);
            let Remedies { package, options } = funding::remedies(catalog, byok, *shortfall);
            Some(Box::new(Insufficient { needed: *needed, available: *available, shortfall: *shortfall, package, options }))
        }
        _ => None,
    };
    MeterError::Sync { error, insufficient }
}

/// What a caller sees when the ledger refused its reservation (the ledger's answer to a
/// reserve above the offline room): for `INSUFFICIENT_CREDITS`, the same error with
/// remedies as a local refusal; otherwise the ledger's code. The hold is released here —
/// the caller never got its id — so it ends on the device and the ledger forgets the
/// refused reserve; the second value says whether a release was staged (drive the machine).
pub fn refused_reserve(machine: &mut Machine, catalog: &Catalog, refused: &Refused, now: i64) -> (MeterError, bool) {
    let hold_id = refused.confirm.hold_id.as_str();
    let unit = machine.hold(hold_id).and_then(|h| h.unit.clone()).zip(refused.confirm.units);
    let code = ErrorCode::parse(&refused.code);
    let error = match code {
        Some(ErrorCode::InsufficientCredits | ErrorCode::InsufficientAllowance) if unit.is_some() => {
            let (unit, units) = unit.unwrap_or_default();
            refusal(catalog, &refused.confirm.operation, unit_refusal(machine, hold_id, &unit, units, code, now))
        }
        Some(ErrorCode::InsufficientCredits) => {
            let needed = machine.hold(hold_id).map(|h| h.amount).unwrap_or_default();
            let available = machine.figures(now).available;
            let shortfall = needed.saturating_sub(available);
            refusal(catalog, &refused.confirm.operation, SyncError::InsufficientCredits { needed, available, shortfall })
        }
        Some(code) => MeterError::Ledger(code, "the ledger refused the reservation; do not make the AI call".into()),
        None => MeterError::Ledger(
            ErrorCode::BadResponse,
            format!("the ledger refused the reservation with the unknown code {}; do not make the AI call", refused.code),
        ),
    };
    let released = machine.release(hold_id, now).is_ok();
    (error, released)
}

/// What was short when the ledger refused a reserve of `units` of `unit` (PROTOCOL §12.7):
/// the hold's own figures were the device's guess, so the answer is worked out again from
/// the snapshot that came with the refusal (the allowance as the ledger found it, the
/// refused hold no longer counting). `INSUFFICIENT_ALLOWANCE`: the units asked for and
/// those free. `INSUFFICIENT_CREDITS`: the credits the units beyond the free ones come to
/// — or, should the newer snapshot show them all free (another device released some in
/// between), the credits every unit converted costs, what the ledger may have needed.
fn unit_refusal(machine: &Machine, hold_id: &str, unit: &str, units: u64, code: Option<ErrorCode>, now: i64) -> SyncError {
    let state = machine.state();
    let free = crate::units::free_units(state, unit, now).unwrap_or(0);
    if code == Some(ErrorCode::InsufficientAllowance) {
        return SyncError::InsufficientAllowance { needed: units, available: free };
    }
    let short = crate::units::credits_for(state, unit, units.saturating_sub(free)).unwrap_or_default();
    let needed = if short.is_zero() { machine.hold(hold_id).and_then(|h| h.worst).unwrap_or(short) } else { short };
    let available = machine.figures(now).available;
    SyncError::InsufficientCredits { needed, available, shortfall: needed.saturating_sub(available) }
}

/// The reservation `args` ask for.
pub fn reserve_request(args: &ReserveArgs) -> Result<ReserveRequest, MeterError> {
    if let Some(f) = args.funding.as_deref().filter(|f| *f != "credits") {
        return Err(MeterError::BadInput(format!("this decision is funded by {}: there is nothing to reserve", quoted(f))));
    }
    // A longer one would be refused by every ledger on every sync (PROTOCOL §1).
    let fits = credit_meter_protocol::ids::valid_label;
    if !fits(&args.operation) || args.agent_id.as_deref().is_some_and(|a| !fits(a)) {
        return Err(MeterError::BadInput("`operation` and `agentId` have at most 200 bytes".into()));
    }
    if let Some(unit) = &args.unit {
        let units = args.units.ok_or_else(|| MeterError::BadInput("a reserve in units needs `units` (a whole number)".into()))?;
        let amount = Credits::from_u64(units.get()).map_err(|e| MeterError::BadInput(e.to_string()))?;
        return Ok(ReserveRequest { amount, operation: args.operation.clone(), agent_id: args.agent_id.clone(), unit: Some(unit.clone()) });
    }
    if args.units.is_some() {
        return Err(MeterError::BadInput("`units` needs the `unit` they count (\"ttsCharacters\" or \"llmTokens\")".into()));
    }
    let amount =
        args.amount.or(args.reserve).ok_or_else(|| MeterError::BadInput("reserve needs `amount` (or a Decision with `reserve`)".into()))?;
    Ok(ReserveRequest { amount, operation: args.operation.clone(), agent_id: args.agent_id.clone(), unit: None })
}

/// What a commit records: `units` as given (a hold reserved in units), or the credits
/// of [`commit_credits`].
pub fn commit_amount(catalog: &Catalog, args: &CommitArgs) -> Result<CommitAmount, MeterError> {
    match args.units {
        Some(u) if args.credits.is_none() => Ok(CommitAmount::Units(u.get())),
        Some(_) => Err(MeterError::BadInput("commit takes `credits` or `units`, not both".into())),
        None => commit_credits(catalog, args).map(CommitAmount::Credits),
    }
}

/// Commits through the machine in credits or units.
pub fn commit(machine: &mut Machine, hold_id: &str, amount: CommitAmount, now: i64) -> Result<crate::machine::Staged, SyncError> {
    match amount {
        CommitAmount::Credits(c) => machine.commit(hold_id, c, now),
        CommitAmount::Units(u) => machine.commit_units(hold_id, u, now),
    }
}

/// The credits a commit charges: `credits` as given, or the usage priced by the catalog
/// (rounded once, up to the catalog's step).
pub fn commit_credits(catalog: &Catalog, args: &CommitArgs) -> Result<Credits, MeterError> {
    if let Some(c) = args.credits {
        return Ok(c);
    }
    let Some(op) = args.operation.as_deref() else {
        return Err(MeterError::BadInput("commit needs `credits` or the `operation` and its usage".into()));
    };
    let op = catalog.operation(op).map_err(MeterError::Catalog)?;
    let model = match args.model.as_deref() {
        Some(m) => Some(catalog.model(m).map_err(MeterError::Catalog)?),
        None => None,
    };
    let get = |c: Option<Count>| c.map(|c| c.get()).unwrap_or(0);
    let usage = Usage {
        cards: get(args.cards),
        input_tokens: get(args.input_tokens),
        output_tokens: get(args.output_tokens),
        characters: get(args.characters),
    };
    credits_for(catalog, op, model, &usage).map_err(MeterError::Catalog)
}

/// Who pays for `estimate`, against what the machine can spend at `now`
/// ([`crate::view::Figures::spendable`]) and, for an operation counted in an allowance's
/// units, the account's allowance first ([`crate::unit_decision`]).
pub fn decide(machine: &Machine, catalog: &Catalog, estimate: Estimate, byok: bool, now: i64) -> Result<Decision, DecideError> {
    let balance = machine.figures(now).spendable();
    let decision = funding::decide(catalog, &DecideRequest { estimate: estimate.clone(), byok, balance: Some(balance) })?;
    Ok(crate::unit_decision::with_allowance(machine, catalog, &estimate, decision, balance, now))
}

/// Reserves through the machine, refusing with the remedies on insufficient credits.
pub fn reserve(machine: &mut Machine, catalog: &Catalog, args: &ReserveArgs, now: i64) -> Result<crate::machine::Reserved, MeterError> {
    let req = reserve_request(args)?;
    machine.reserve(&req, now).map_err(|e| refusal(catalog, &args.operation, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> Catalog {
        Catalog::default_catalog()
    }

    #[test]
    fn a_refusal_offers_to_buy_only_when_a_package_covers_it() {
        let c = catalog();
        let small = SyncError::InsufficientCredits {
            needed: Credits::from_u64(12).unwrap(),
            available: Credits::from_u64(2).unwrap(),
            shortfall: Credits::from_u64(10).unwrap(),
        };
        let MeterError::Sync { insufficient: Some(i), .. } = refusal(&c, "flashcards.generate", small) else { panic!("no details") };
        assert!(i.package.is_some());
        assert_eq!(i.options, vec![Remedy::BuyCredits, Remedy::UseOwnKey]);
        let mut def = c.definition().clone();
        def.packages.clear();
        let no_packages = Catalog::from_definition(def).unwrap();
        let short = SyncError::InsufficientCredits {
            needed: Credits::from_u64(12).unwrap(),
            available: Credits::from_u64(2).unwrap(),
            shortfall: Credits::from_u64(10).unwrap(),
        };
        let MeterError::Sync { insufficient: Some(i), .. } = refusal(&no_packages, "flashcards.generate", short) else {
            panic!("no details")
        };
        assert_eq!(i.package, None, "no package for sale");
        assert_eq!(i.options, vec![Remedy::UseOwnKey]);
    }

    #[test]
    fn a_refusal_offers_an_own_key_only_where_the_operation_allows_it() {
        let c = catalog();
        let op =
            c.definition().operations.iter().find(|o| !o.byok && !matches!(o.charge, crate::catalog::Charge::Free)).map(|o| o.id.clone());
        let op = op.expect("the default catalog has a paid operation closed to own keys");
        let e = SyncError::InsufficientCredits {
            needed: Credits::from_u64(5).unwrap(),
            available: Credits::ZERO,
            shortfall: Credits::from_u64(5).unwrap(),
        };
        let MeterError::Sync { insufficient: Some(i), .. } = refusal(&c, &op, e) else { panic!("no details") };
        assert!(!i.options.contains(&Remedy::UseOwnKey));
    }

    #[test]
    fn reserve_requests_need_credits_funding_and_an_amount() {
        let base = ReserveArgs {
            operation: "message".into(),
            amount: None,
            reserve: None,
            funding: None,
            agent_id: None,
            unit: None,
            units: None,
        };
        assert!(matches!(reserve_request(&base), Err(MeterError::BadInput(_))));
        let byok = ReserveArgs { funding: Some("byok".into()), amount: Some(Credits::from_u64(1).unwrap()), ..base.clone() };
        assert!(matches!(reserve_request(&byok), Err(MeterError::BadInput(m)) if m.contains("byok")));
        let both = ReserveArgs { amount: Some(Credits::from_u64(3).unwrap()), reserve: Some(Credits::from_u64(9).unwrap()), ..base };
        assert_eq!(reserve_request(&both).unwrap().amount, Credits::from_u64(3).unwrap());
    }

    /// The client refuses what every ledger would refuse on every sync (PROTOCOL §1): an
    /// `operation` or `agentId` over 200 bytes, counted in bytes, not characters.
    #[test]
    fn reserve_requests_refuse_an_operation_or_agent_over_200_bytes() {
        let args = |operation: String, agent_id: Option<String>| ReserveArgs {
            operation,
            amount: Some(Credits::from_u64(1).unwrap()),
            reserve: None,
            funding: None,
            agent_id,
            unit: None,
            units: None,
        };
        assert!(reserve_request(&args("o".repeat(200), Some("a".repeat(200)))).is_ok());
        let too_long = [args("o".repeat(201), None), args("€".repeat(67), None), args("tts".into(), Some("a".repeat(201)))];
        for a in too_long {
            assert!(matches!(reserve_request(&a), Err(MeterError::BadInput(m)) if m.contains("200 bytes")), "{a:?}");
        }
    }

    #[test]
    fn commits_price_usage_with_the_catalog_or_take_credits() {
        let c = catalog();
        let none = CommitArgs {
            credits: None,
            operation: None,
            model: None,
            cards: None,
            input_tokens: None,
            output_tokens: None,
            characters: None,
            units: None,
        };
        assert!(matches!(commit_credits(&c, &none), Err(MeterError::BadInput(_))));
        let cards = CommitArgs { operation: Some("flashcards.generate".into()), cards: Some(Count(12)), ..none.clone() };
        assert_eq!(commit_credits(&c, &cards).unwrap(), Credits::from_u64(12).unwrap());
        let unknown = CommitArgs { operation: Some("no.such".into()), ..none.clone() };
        assert_eq!(commit_credits(&c, &unknown).unwrap_err().code(), ErrorCode::UnknownOperation);
        let given = CommitArgs { credits: Some(Credits::from_u64(7).unwrap()), operation: Some("no.such".into()), ..none };
        assert_eq!(commit_credits(&c, &given).unwrap(), Credits::from_u64(7).unwrap());
    }
}
