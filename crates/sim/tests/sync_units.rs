//! Usage in allowance units through the sync machine and the reference ledger
//! (PROTOCOL §12), with two devices of an AssistLore account: an offline reserve in
//! units is decided by the same rule as the ledger's, the ledger converts only the
//! shortfall it finds when the mutations arrive, and a refusing policy refuses locally.
#![cfg(not(target_arch = "wasm32"))]

use credit_meter_client::{ReserveRequest, SyncError};
use credit_meter_ledger_core::model::{AllowanceKind, ConvertRequest, OnShortfall, Policy};
use credit_meter_ledger_core::reference::{LedgerConfig, RefLedger};
use credit_meter_sim::harness::*;

fn lore(policy: Policy) -> RefLedger {
    let mut l = RefLedger::new(signer(), LedgerConfig::default());
    l.create_account("a1", policy).unwrap();
    l.with_account("a1", T0, |a, now| a.grant_signup(now)).unwrap();
    l.with_account("a1", T0, |a, now| a.convert(&ConvertRequest { allowance: AllowanceKind::TtsCharacters, credits: c("10") }, now))
        .unwrap();
    l
}

fn chars(n: u64) -> ReserveRequest {
    ReserveRequest { amount: c(&n.to_string()), operation: "tts".into(), agent_id: None, unit: Some("ttsCharacters".into()) }
}

fn tts(l: &RefLedger) -> u64 {
    l.account("a1").unwrap().account.state().allowance(AllowanceKind::TtsCharacters).remaining
}

#[test]
fn two_devices_share_the_allowance_and_only_the_shortfall_is_converted() {
    let mut l = lore(Policy::assist_lore());
    let mut a = Client::new("tablet");
    let mut b = Client::new("phone");
    a.open(&mut l, T0);
    b.open(&mut l, T0);
    // The tablet goes offline and reserves 2,000 characters: all from the allowance.
    a.offline = true;
    let ra = a.m.reserve(&chars(2_000), T0 + 1).unwrap();
    assert_eq!((ra.amount, ra.units), (c("0"), Some(2_000)));
    a.pump(&mut l, T0 + 1);
    // The phone, online, uses 2,000 of the same 3,000.
    let rb = b.m.reserve(&chars(2_000), T0 + 2).unwrap();
    b.pump(&mut l, T0 + 2);
    b.m.commit_units(&rb.hold_id, 2_000, T0 + 3).unwrap();
    b.pump(&mut l, T0 + 3);
    assert_eq!(tts(&l), 1_000);
    // Offline, the tablet commits its 2,000; locally 1,000 are still free.
    a.m.commit_units(&ra.hold_id, 2_000, T0 + 4).unwrap();
    assert_eq!(credit_meter_client::units::free_units(a.m.state(), "ttsCharacters", T0 + 4).unwrap(), 1_000);
    // Back online: the ledger sets aside the 1,000 left, converts 1,000 (3.334 credits).
    a.offline = false;
    a.m.sync(T0 + 5);
    a.pump(&mut l, T0 + 5);
    assert!(a.m.is_idle());
    let rec = l.account("a1").unwrap();
    assert_eq!(tts(&l), 0);
    assert_eq!(rec.account.state().balance(), c("490").saturating_sub(c("3.334")));
    // Resending every push the tablet made changes nothing.
    let before = l.account("a1").unwrap().account.state().balance();
    for p in a.pushes.clone() {
        l.handle_push(&p, T0 + 6);
    }
    assert_eq!(l.account("a1").unwrap().account.state().balance(), before);
    assert_eq!(a.m.figures(T0 + 6).balance, before);
}

#[test]
fn a_refusing_policy_refuses_a_shortfall_locally_and_credits_are_never_held() {
    let mut policy = Policy::assist_lore();
    for t in &mut policy.allowances {
        t.on_shortfall = OnShortfall::Refuse;
    }
    let mut l = lore(policy);
    let mut a = Client::new("tablet");
    a.open(&mut l, T0);
    assert_eq!(a.m.reserve(&chars(3_001), T0 + 1).unwrap_err(), SyncError::InsufficientAllowance { needed: 3_001, available: 3_000 });
    let r = a.m.reserve(&chars(2_500), T0 + 1).unwrap();
    assert_eq!(a.m.reserve(&chars(501), T0 + 1).unwrap_err(), SyncError::InsufficientAllowance { needed: 501, available: 500 });
    a.pump(&mut l, T0 + 1);
    a.m.release(&r.hold_id, T0 + 2).unwrap();
    a.pump(&mut l, T0 + 2);
    assert!(a.m.reserve(&chars(3_000), T0 + 3).is_ok());
    // A credit commit of a unit hold, a fractional unit reserve: refused locally.
    let h = a.m.reserve(&chars(0).clone(), T0 + 3);
    assert!(h.is_err());
    let frac = ReserveRequest { amount: c("1.5"), ..chars(1) };
    assert!(matches!(a.m.reserve(&frac, T0 + 3), Err(SyncError::BadInput(_))));
}

#[test]
fn offline_a_unit_hold_counts_every_unit_converted_against_the_offline_room() {
    let mut l = lore(Policy::assist_lore());
    let mut a = Client::new("tablet");
    a.open(&mut l, T0);
    a.offline = true;
    // Stale (past the snapshot's 5 minutes): the room (50 credits) bounds what may run.
    let later = T0 + 10 * 60_000;
    // 15,001 characters could cost 50.004 credits should the allowance be gone: refused.
    assert!(matches!(a.m.reserve(&chars(15_001), later), Err(SyncError::OfflineLimit { .. })));
    // 3,000 characters: no credits held, but 10 credits of exposure until confirmed.
    let r = a.m.reserve(&chars(3_000), later).unwrap();
    assert_eq!((r.amount, r.units, r.needs_confirmation), (c("0"), Some(3_000), false));
    assert_eq!(a.m.figures(later).exposure, c("10"));
    a.m.commit_units(&r.hold_id, 3_000, later + 1).unwrap();
    assert_eq!(a.m.figures(later + 1).exposure, c("10"));
    a.offline = false;
    a.m.sync(later + 2);
    a.pump(&mut l, later + 2);
    assert_eq!((a.m.figures(later + 2).exposure, tts(&l)), (c("0"), 0));
    assert_eq!(l.account("a1").unwrap().account.state().balance(), c("490"));
}

#[test]
fn an_agents_usage_counts_in_its_cycle_and_an_inactive_agent_is_refused_locally_and_by_the_ledger() {
    let mut l = lore(Policy::assist_lore());
    // 490 credits: activating costs 100 + the first 200-credit cycle, leaving 190 — not
    // enough to renew it when its 30-day cycle ends.
    l.with_account("a1", T0, |a, now| a.activate_agent("bot", now)).unwrap();
    let mut a = Client::new("tablet");
    a.open(&mut l, T0);
    let agent = |id: &str| ReserveRequest { agent_id: Some(id.into()), ..chars(93) };
    let r = a.m.reserve(&agent("bot"), T0 + 1).unwrap();
    a.pump(&mut l, T0 + 1);
    a.m.commit_units(&r.hold_id, 93, T0 + 2).unwrap();
    a.pump(&mut l, T0 + 2);
    let shown = a.m.state().payload().and_then(|p| p.agents.clone()).unwrap();
    assert_eq!((shown[0].id.as_str(), shown[0].is_active(), shown[0].cycle_tts_characters.get()), ("bot", true, 93));
    // An agent the snapshot does not list is refused before anything is saved.
    assert_eq!(a.m.reserve(&agent("ghost"), T0 + 3).unwrap_err(), SyncError::AgentInactive("ghost".into()));
    // Past its cycle end the agent could not renew: inactive, refused locally…
    let later = T0 + 31 * 86_400_000;
    a.m.sync(later);
    a.pump(&mut l, later);
    assert!(!a.m.state().payload().and_then(|p| p.agents.clone()).unwrap()[0].is_active());
    assert_eq!(a.m.reserve(&agent("bot"), later).unwrap_err(), SyncError::AgentInactive("bot".into()));
    // …and by the ledger (a push from a client that did not know yet).
    let push = r#"{"v":2,"accountId":"a1","deviceId":"other","mutations":[{"type":"reserve","seq":1,"at":0,"holdId":"other:h1","amount":"5","operation":"tts","unit":"ttsCharacters","agentId":"bot"}]}"#;
    assert!(l.handle_push(push, later).contains("AGENT_INACTIVE"));
}

/// The holds the ledger's latest snapshot to `client` lists, as (units, credits).
fn listed(client: &Client) -> Vec<(u64, credit_meter_protocol::money::Credits)> {
    let p = client.m.state().payload().unwrap();
    p.holds.iter().map(|h| (h.units.map_or(0, |u| u.get()), h.amount)).collect()
}

/// PROTOCOL §12.5: the ledger set aside MORE units for a hold than the device had (another
/// device released some meanwhile); once confirmed, the hold counts the ledger's units, so
/// the device does not see units free that the ledger does not have.
#[test]
fn a_confirmed_unit_hold_counts_the_ledgers_units_when_it_set_aside_more() {
    let mut l = lore(Policy::assist_lore());
    let mut a = Client::new("laptop");
    let mut b = Client::new("phone");
    a.open(&mut l, T0);
    b.open(&mut l, T0);
    let rb = b.m.reserve(&chars(2_000), T0 + 1).unwrap();
    b.pump(&mut l, T0 + 1);
    a.m.sync(T0 + 2);
    a.pump(&mut l, T0 + 2); // the laptop sees 2,000 of 3,000 held
    b.m.release(&rb.hold_id, T0 + 3).unwrap();
    b.pump(&mut l, T0 + 3); // given back; the laptop does not know yet
    a.offline = true;
    let ra = a.m.reserve(&chars(3_000), T0 + 4).unwrap();
    let short = credit_meter_client::units::credits_for(a.m.state(), "ttsCharacters", 2_000).unwrap();
    assert_eq!((ra.units, ra.amount), (Some(1_000), short), "the device's own cautious view");
    a.offline = false;
    a.m.sync(T0 + 5);
    a.pump(&mut l, T0 + 5);
    assert_eq!(listed(&a), vec![(3_000, c("0"))]);
    let h = a.m.hold(&ra.hold_id).unwrap();
    assert_eq!((h.units, h.amount), (Some(3_000), c("0")));
    assert_eq!(credit_meter_client::units::free_units(a.m.state(), "ttsCharacters", T0 + 5).unwrap(), 0);
    // No unit is free on the ledger: the next reserve is all credits.
    a.offline = true;
    let r2 = a.m.reserve(&chars(10), T0 + 6).unwrap();
    let ten = credit_meter_client::units::credits_for(a.m.state(), "ttsCharacters", 10).unwrap();
    assert_eq!((r2.units, r2.amount), (Some(0), ten));
}

/// PROTOCOL §4, §12.5: the ledger set aside FEWER units (another device took some) and
/// holds credits for the shortfall; once confirmed, the device counts those credits.
#[test]
fn a_confirmed_unit_hold_counts_the_ledgers_credits_when_it_set_aside_fewer() {
    let mut l = lore(Policy::assist_lore());
    let mut a = Client::new("laptop");
    let mut b = Client::new("phone");
    a.open(&mut l, T0);
    b.open(&mut l, T0);
    b.m.reserve(&chars(2_500), T0 + 1).unwrap();
    b.pump(&mut l, T0 + 1);
    let ra = a.m.reserve(&chars(3_000), T0 + 2).unwrap(); // its snapshot still says 3,000 free
    assert_eq!((ra.units, ra.amount), (Some(3_000), c("0")));
    a.pump(&mut l, T0 + 2);
    let short = credit_meter_client::units::credits_for(a.m.state(), "ttsCharacters", 2_500).unwrap();
    assert_eq!(listed(&a), vec![(500, short)]);
    let h = a.m.hold(&ra.hold_id).unwrap();
    assert_eq!((h.units, h.amount), (Some(500), short));
    let f = a.m.figures(T0 + 3);
    assert_eq!(f.available, f.balance.saturating_sub(f.held_other).saturating_sub(short));
    assert_eq!(f.available, c("490").saturating_sub(short));
    // Committing all 3,000 draws the 500 set aside; the rest costs what the hold holds.
    a.m.commit_units(&ra.hold_id, 3_000, T0 + 4).unwrap();
    assert_eq!(a.m.figures(T0 + 4).pending, short);
    a.pump(&mut l, T0 + 4);
    assert_eq!(l.account("a1").unwrap().account.state().balance(), c("490").saturating_sub(short));
}

#[test]
fn a_copy_counts_the_units_the_other_copys_holds_set_aside() {
    // Two installations of one saved state (one device id): the snapshot lists the other
    // copy's unit hold under this device id, and its units are not free here.
    let mut l = lore(Policy::assist_lore()); // 3,000 characters
    let mut a = Client::installation("tablet", 1, None);
    a.open(&mut l, T0);
    let mut b = Client::installation("tablet", 2, a.storage.clone());
    b.open(&mut l, T0);
    let ra = a.m.reserve(&chars(2_000), T0 + 1).unwrap();
    a.pump(&mut l, T0 + 1);
    assert_eq!(ra.units, Some(2_000));
    b.sync(&mut l, T0 + 2);
    let free = |cl: &Client, now| credit_meter_client::units::free_units(cl.m.state(), "ttsCharacters", now).unwrap();
    assert_eq!(free(&b, T0 + 2), 1_000, "the other copy's 2,000 are set aside");
    assert_eq!(free(&a, T0 + 2), 1_000);
    // The copy plans what the ledger then applies: 1,000 from the allowance, the rest in
    // credits (1,000 characters at 300 a credit, in steps of 0.001: 3.334).
    let rb = b.m.reserve(&chars(2_000), T0 + 3).unwrap();
    assert_eq!((rb.units, rb.amount), (Some(1_000), c("3.334")));
    b.pump(&mut l, T0 + 3);
    assert_eq!(b.m.hold(&rb.hold_id).map(|h| h.units), Some(Some(1_000)));
    assert_eq!(tts(&l), 3_000, "nothing used yet");
    assert_eq!(free(&b, T0 + 4), 0);
}
