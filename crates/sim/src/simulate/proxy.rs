//! The AI proxy as an actor (PROTOCOL §6.7): it claims open holds the ledger applied —
//! racing with the clients' own commits and releases, their crashes and lost responses —
//! and settles each claimed hold later from the "provider's" usage (at most the hold, or
//! nothing: a failure before output; a hold reserved in LLM tokens in tokens, at most the
//! tokens it was reserved for). Its settlement answers are lost now and then (it
//! settles again), it settles twice at once now and then, and it dies mid-call now and
//! then: the ledger then settles the abandoned claim with the hold in full once it is
//! [`ABANDONED_MS`] old (PROTOCOL §6.7), which counts as that hold's one settlement. It
//! has its own generator so that its choices do not shift the rest of the seed's.

use crate::simulate::ledger::SimLedger;
use crate::simulate::rng::Rng;
use credit_meter_ledger_core::reference::proxy::{ProxyUsage, Settlement};
use credit_meter_protocol::money::Credits;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet};

/// How old an unsettled claim is when the ledger settles it as abandoned: twice the
/// longest call below.
pub const ABANDONED_MS: i64 = 240_000;

/// A call in flight.
#[derive(Debug, Clone)]
struct Call {
    account: String,
    hold: String,
    usage: ProxyUsage,
    due: i64,
}

/// One settlement answer the proxy received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Answered {
    /// The usage it settled with (credits, or tokens for a hold reserved in LLM tokens).
    pub usage: ProxyUsage,
    /// The ledger's settlement.
    pub settlement: Settlement,
    /// Whether that settle made it.
    pub first: bool,
}

/// The proxy.
#[derive(Debug)]
pub(crate) struct ProxyActor {
    rng: Rng,
    calls: Vec<Call>,
    /// Holds it claimed, by (account, hold id).
    pub claimed: BTreeSet<(String, String)>,
    /// Every settlement answer, by (account, hold id).
    pub settled: BTreeMap<(String, String), Vec<Answered>>,
    /// Settlements the ledger refused (none may be).
    pub errors: Vec<String>,
    /// Chance that a call dies with the proxy (never settled).
    crash: f64,
}

impl ProxyActor {
    /// The proxy of a seed.
    pub(crate) fn new(seed: u64) -> ProxyActor {
        let mut rng = Rng::new(seed ^ 0x5052_4f58_5900_0000);
        let crash = if rng.chance(0.5) { rng.range(0.0, 0.2) } else { 0.0 };
        ProxyActor { rng, calls: Vec::new(), claimed: BTreeSet::new(), settled: BTreeMap::new(), errors: Vec::new(), crash }
    }

    /// Claims a random open hold of one of `accounts` at `t` (or tries a closed one: the
    /// ledger must refuse it) and starts its call.
    pub(crate) fn start(&mut self, ledger: &mut dyn SimLedger, accounts: &[(String, &'static str)], t: i64) {
        let (account, _) = &accounts[self.rng.below(accounts.len() as u64) as usize];
        let holds = ledger.holds(account);
        if holds.is_empty() {
            return;
        }
        let (hold, amount) = holds[self.rng.below(holds.len() as u64) as usize].clone();
        let Ok(claim) = ledger.claim_hold(account, &hold, t) else { return };
        if crate::simulate::tracing() {
            eprintln!("t={} proxy claims {account}/{hold}", t - crate::simulate::world::T0);
        }
        self.claimed.insert((account.clone(), hold.clone()));
        if self.rng.chance(self.crash) {
            return;
        }
        let usage = if self.rng.chance(0.1) {
            ProxyUsage::Released
        } else if let Some(tokens) = claim.units {
            // A hold reserved in LLM tokens is settled in the provider's tokens.
            ProxyUsage::Tokens(tokens.saturating_mul(self.rng.below(101)) / 100)
        } else {
            let part = amount.value() * Decimal::from(self.rng.below(101)) / Decimal::from(100);
            ProxyUsage::Credits(Credits::new(part.round_dp(3).min(claim.amount.value())).unwrap_or(Credits::ZERO))
        };
        let due = t + self.rng.between(0, 120_000);
        self.calls.push(Call { account: account.clone(), hold, usage, due });
    }

    /// Settles the calls due by `t` (all of them when `all`), then lets the ledger settle
    /// the abandoned claims of `accounts` (the calls whose proxy died).
    pub(crate) fn settle_due(&mut self, ledger: &mut dyn SimLedger, accounts: &[(String, &'static str)], t: i64, all: bool) {
        let (due, later): (Vec<Call>, Vec<Call>) = self.calls.drain(..).partition(|c| all || c.due <= t);
        self.calls = later;
        for c in due {
            // A lost answer is settled again; a settlement now and then runs twice at once.
            let times = if self.rng.chance(0.2) { 2 } else { 1 };
            for _ in 0..times {
                match ledger.settle_hold_with(&c.account, &c.hold, c.usage, t) {
                    Ok((settlement, first)) => {
                        let a = Answered { usage: c.usage, settlement, first };
                        self.settled.entry((c.account.clone(), c.hold.clone())).or_default().push(a);
                    }
                    Err(e) => self.errors.push(format!("{}/{}: settling a claimed hold failed: {e}", c.account, c.hold)),
                }
            }
        }
        for (account, _) in accounts {
            for (hold, settlement) in ledger.settle_abandoned_claims(account, t, ABANDONED_MS) {
                let usage = match (settlement.usage, settlement.units) {
                    (_, Some(tokens)) => ProxyUsage::Tokens(tokens),
                    (Some(credits), None) => ProxyUsage::Credits(credits),
                    (None, None) => ProxyUsage::Released,
                };
                let a = Answered { usage, settlement, first: true };
                self.settled.entry((account.clone(), hold)).or_default().push(a);
            }
        }
    }
}
