//! The checks after a drained run, from the ledger's state (entries, holds, devices)
//! and from what the users were told (acknowledged commits).

use crate::simulate::ledger::{AccountView, SimLedger};
use crate::simulate::report::Counts;
use crate::simulate::world::World;
use credit_meter_ledger_core::model::{replay, EntryKind, HoldStatus, Purpose};
use credit_meter_ledger_core::reference::proxy::ProxyUsage;
use credit_meter_protocol::money::Credits;
use std::collections::BTreeMap;

fn add(a: Credits, b: Credits) -> Credits {
    a.checked_add(b).unwrap_or(a)
}

/// Counts every invariant broken in a drained world; `why` gets a line per failure.
pub(crate) fn check<L: SimLedger>(w: &World<L>, settled: bool, why: &mut Vec<String>) -> Counts {
    let mut n = Counts::default();
    if !settled {
        n.diverged += 1;
        why.push("the drain did not settle (a device still busy)".into());
    }
    commits(w, &mut n, why);
    proxied(w, &mut n, why);
    let views: BTreeMap<&str, AccountView> = w.accounts.iter().filter_map(|(a, _)| Some((a.as_str(), w.ledger.account(a)?))).collect();
    for (account, rec) in &views {
        ledger_account(w, account, rec, &mut n, why);
    }
    clients(w, &views, &mut n, why);
    n
}

/// Each commit applied at most once, each acknowledged one applied with its amount.
fn commits<L: SimLedger>(w: &World<L>, n: &mut Counts, why: &mut Vec<String>) {
    for ((account, hold), list) in &w.net.applied {
        if list.len() > 1 {
            n.double_charges += 1;
            why.push(format!("{account}/{hold}: commit applied {} times", list.len()));
        }
        for a in list {
            let total = add(add(a.charged, a.overdraft), a.unpaid);
            if let Some(unit) = &a.unit {
                // A commit in units costs at most all its units converted (PROTOCOL §12.4);
                // what the allowance covered costs nothing more.
                let units = a.amount.value().trunc().try_into().unwrap_or(u64::MAX);
                let most = credit_meter_protocol::unit_rate::credits_for_units(
                    rust_decimal::Decimal::from(crate::simulate::world::units_per_credit(unit)),
                    units,
                    Credits::parse("0.001").unwrap_or(Credits::ZERO),
                )
                .unwrap_or(Credits::ZERO);
                if total > most {
                    n.double_charges += 1;
                    why.push(format!("{account}/{hold}: {} charged for {units} {unit}", total.to_plain_string()));
                }
                continue;
            }
            if total > a.amount {
                n.double_charges += 1;
                why.push(format!("{account}/{hold}: {} charged for a commit of {}", total.to_plain_string(), a.amount.to_plain_string()));
            } else if total < a.amount {
                n.lost += 1;
                why.push(format!(
                    "{account}/{hold}: only {} charged for a commit of {}",
                    total.to_plain_string(),
                    a.amount.to_plain_string()
                ));
            }
        }
    }
    for a in &w.acked {
        // A commit of a hold the proxy claimed is answered with the proxy's settlement
        // (checked in `proxied`), never applied with its own amount.
        if w.proxy.claimed.contains(&(a.account.clone(), a.hold_id.clone())) {
            continue;
        }
        match w.net.applied.get(&(a.account.clone(), a.hold_id.clone())) {
            Some(list) if list.iter().any(|x| x.amount == a.amount) => {}
            other => {
                n.lost += 1;
                why.push(format!(
                    "{}/{}: acknowledged commit of {} not applied ({:?})",
                    a.account,
                    a.hold_id,
                    a.amount.to_plain_string(),
                    other
                ));
            }
        }
    }
}

/// Each claimed hold settled exactly once with the usage it was settled with; every
/// answer the same settlement; the clients told the settlement's amounts.
fn proxied<L: SimLedger>(w: &World<L>, n: &mut Counts, why: &mut Vec<String>) {
    for e in &w.proxy.errors {
        n.diverged += 1;
        why.push(e.clone());
    }
    for ((account, hold), answers) in &w.proxy.settled {
        let firsts = answers.iter().filter(|a| a.first).count();
        if firsts != 1 || answers.iter().any(|a| a.settlement != answers[0].settlement) {
            n.double_charges += 1;
            why.push(format!("{account}/{hold}: settled {firsts} times, answers {answers:?}"));
        }
        let s = &answers[0].settlement;
        let total = add(add(s.charged, s.overdraft), s.unpaid);
        let usage = match answers[0].usage {
            ProxyUsage::Credits(c) => c,
            ProxyUsage::Released => Credits::ZERO,
            // Tokens: the allowance pays first, so the credits depend on what it held then;
            // the settlement must record exactly the tokens the provider used.
            ProxyUsage::Tokens(tokens) => {
                if s.units != Some(tokens) {
                    n.diverged += 1;
                    why.push(format!("{account}/{hold}: settled {:?} tokens for a usage of {tokens}", s.units));
                }
                total
            }
        };
        if total != usage {
            if total > usage {
                n.double_charges += 1;
            } else {
                n.lost += 1;
            }
            why.push(format!("{account}/{hold}: settlement {} for usage {}", total.to_plain_string(), usage.to_plain_string()));
        }
        for told in w.net.proxied.get(&(account.clone(), hold.clone())).into_iter().flatten() {
            if (told.charged, told.overdraft, told.unpaid) != (s.charged, s.overdraft, s.unpaid) {
                n.diverged += 1;
                why.push(format!("{account}/{hold}: the client was told {told:?}, the proxy settled {s:?}"));
            }
        }
    }
    for ((account, hold), told) in &w.net.proxied {
        if !told.is_empty() && !w.proxy.settled.contains_key(&(account.clone(), hold.clone())) {
            n.diverged += 1;
            why.push(format!("{account}/{hold}: the client was told amounts of a settlement that never happened"));
        }
    }
}

/// The settlements of one account: charged, overdraft, unpaid.
fn settlements<L: SimLedger>(w: &World<L>, account: &str) -> (Credits, Credits, Credits) {
    let mut out = (Credits::ZERO, Credits::ZERO, Credits::ZERO);
    for ((acc, _), answers) in &w.proxy.settled {
        if acc == account {
            if let Some(a) = answers.iter().find(|a| a.first) {
                out = (add(out.0, a.settlement.charged), add(out.1, a.settlement.overdraft), add(out.2, a.settlement.unpaid));
            }
        }
    }
    out
}

/// The account's entries fold to its state, its charges match the applied commits, every
/// hold ended once, no device beyond its offline limit.
fn ledger_account<L: SimLedger>(w: &World<L>, account: &str, rec: &AccountView, n: &mut Counts, why: &mut Vec<String>) {
    match replay(&rec.policy, &rec.entries) {
        Ok(s) if s == rec.state => {}
        other => {
            n.diverged += 1;
            why.push(format!("{account}: the entries do not fold to the state ({:?})", other.err()));
        }
    }
    let mut debits = Credits::ZERO;
    let mut closings: BTreeMap<&str, u32> = BTreeMap::new();
    for e in &rec.entries {
        match &e.kind {
            EntryKind::Debit { amount, purpose, hold_id, .. } => {
                if let Some(h) = hold_id {
                    *closings.entry(h).or_default() += 1;
                }
                let settle = matches!(purpose, Purpose::Operation { operation, .. } if operation == "overdraft.settle");
                if !settle {
                    debits = add(debits, *amount);
                }
            }
            EntryKind::Release { hold_id, .. } => *closings.entry(hold_id).or_default() += 1,
            // Commits in units convert their shortfall (PROTOCOL §12.4): credits they charged.
            EntryKind::Conversion { credits, .. } => debits = add(debits, *credits),
            _ => {}
        }
    }
    // Less the conversions the world made at the start (not a commit's).
    if account == "al" {
        let setup = Credits::from_u64(2 * crate::simulate::world::SETUP_CONVERTED).unwrap_or(Credits::ZERO);
        debits = debits.saturating_sub(setup);
    }
    for h in &rec.state.holds {
        let closed = closings.get(h.id.as_str()).copied().unwrap_or(0);
        if h.status == HoldStatus::Open || closed != 1 {
            n.unresolved_holds += 1;
            why.push(format!("{account}/{}: hold {:?}, ended {closed} times", h.id, h.status));
        }
    }
    let (mut charged, mut overdraft, mut unpaid) = settlements(w, account);
    for a in w.net.applied.iter().filter(|((acc, _), _)| acc == account).flat_map(|(_, l)| l) {
        charged = add(charged, a.charged);
        overdraft = add(overdraft, a.overdraft);
        unpaid = add(unpaid, a.unpaid);
    }
    if debits != charged {
        if debits > charged {
            n.double_charges += 1;
        } else {
            n.lost += 1;
        }
        why.push(format!("{account}: debits {} but applied commits charged {}", debits.to_plain_string(), charged.to_plain_string()));
    }
    let (mut od_total, mut unpaid_total) = (Credits::ZERO, Credits::ZERO);
    for (id, dev) in &rec.devices {
        od_total = add(od_total, dev.overdraft_total);
        unpaid_total = add(unpaid_total, dev.unpaid_total);
        let limit = dev.offline_limit.unwrap_or(w.ledger.config().offline_limit);
        // Copies of one saved state on several installations (the clone fault) run under
        // one device id and share its offline limit: offline at the same time, each may
        // spend it, and the ledger records what exceeds the limit as unpaid
        // (docs/PROTOCOL.md §6.5). For those the ledger's own bound is checked; for every
        // other device nothing may be unpaid.
        // A device restarted from an older save likewise holds an older snapshot whose
        // `offlineLimit` predates the overdraft its lost timeline ran up: it shares the
        // limit with that timeline.
        let copies = w.devices.iter().filter(|d| d.account == account && &d.id == id).count();
        let restored = w.devices.iter().any(|d| d.account == account && &d.id == id && d.restored);
        // In a world whose account bound is tight, honest usage past it is unpaid too.
        let tight = w.ledger.config().account_overdraft_limit
            <= Credits::from_u64(crate::simulate::world::TIGHT_ACCOUNT_LIMIT).unwrap_or(Credits::ZERO);
        let unpaid_allowed = copies > 1 || restored || tight;
        // Beyond the limit only by what the ledger itself had reserved (expired holds).
        if (!unpaid_allowed && !dev.unpaid_total.is_zero()) || dev.own_overdraft() > limit {
            n.overspent += 1;
            why.push(format!(
                "{account}/{id}: unpaid {}, overdraft {} (limit {})",
                dev.unpaid_total.to_plain_string(),
                dev.overdraft.to_plain_string(),
                limit.to_plain_string()
            ));
            for ((_, hold), list) in w.net.applied.iter().filter(|((acc, _), _)| acc == account) {
                for a in list.iter().filter(|a| &a.device == id && !a.unpaid.is_zero()) {
                    let h = rec.state.hold(hold);
                    why.push(format!(
                        "    {hold}: {a:?} ledger hold {:?}",
                        h.map(|h| (
                            h.status,
                            h.amount.to_plain_string(),
                            h.created_at - crate::simulate::world::T0,
                            h.expires_at - crate::simulate::world::T0
                        ))
                    ));
                }
            }
        }
    }
    // The account-wide bound (PROTOCOL §6.5): what all its devices owe, vouched included.
    let owed = rec.devices.values().fold(Credits::ZERO, |acc, d| add(acc, d.overdraft));
    if owed > w.ledger.config().account_overdraft_limit {
        n.overspent += 1;
        why.push(format!("{account}: devices owe {} over the account's overdraft limit", owed.to_plain_string()));
    }
    if od_total != overdraft || unpaid_total != unpaid {
        n.diverged += 1;
        why.push(format!("{account}: device overdraft/unpaid totals do not match the applied commits"));
    }
}

/// Every device holds the ledger's latest snapshot with nothing left to send.
fn clients<L: SimLedger>(w: &World<L>, views: &BTreeMap<&str, AccountView>, n: &mut Counts, why: &mut Vec<String>) {
    for dev in &w.devices {
        let Some(rec) = views.get(dev.account.as_str()) else { continue };
        let ledger_dev = rec.devices.get(&dev.id);
        let ok = dev.owner.as_ref().is_some_and(|o| {
            let m = &o.machine;
            let st = m.state();
            m.is_idle()
                && st.payload().is_some_and(|p| {
                    p.seq == rec.version
                        && p.balance == rec.state.balance()
                        && p.held == rec.state.held()
                        && Some(p.last_mutation_seq) == ledger_dev.map(|d| d.last_seq)
                })
        });
        if !ok {
            n.diverged += 1;
            let p = dev.owner.as_ref().and_then(|o| o.machine.state().payload().cloned());
            why.push(format!(
                "{}: did not converge (snapshot seq {:?} vs {}, balance {:?} vs {}, outbox {:?})",
                dev.id,
                p.as_ref().map(|p| p.seq),
                rec.version,
                p.as_ref().map(|p| p.balance.to_plain_string()),
                rec.state.balance().to_plain_string(),
                dev.owner.as_ref().map(|o| o.machine.state().outbox.len()),
            ));
        }
    }
}
