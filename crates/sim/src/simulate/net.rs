//! The network and the host callbacks: every action a machine asks for becomes an answer
//! due at some instant, shaped by the seed's faults (rejections, stalls until the
//! driver's timeout, duplicated or replayed responses, requests delivered twice,
//! partitions). It also logs what the ledger applied, as only the wire can see it.

use crate::simulate::ledger::SimLedger;
use crate::simulate::rng::Rng;
use crate::simulate::storage::SaveFate;
use crate::simulate::swarm::Faults;
use credit_meter_client::{Action, Mutation, PushRequest, Response, ResultStatus};
use credit_meter_protocol::money::Credits;
use std::collections::{BTreeMap, VecDeque};

/// How long the driver waits for a push or pull callback (ms).
pub(crate) const HOST_TIMEOUT_MS: i64 = 30_000;
/// Response bodies kept per device for replays.
const HISTORY: usize = 4;

/// What a push or pull callback produced.
#[derive(Debug, Clone)]
pub(crate) enum Outcome {
    /// A response body.
    Body(String),
    /// Rejected.
    Failed,
    /// Did not answer in time.
    Timeout,
}

/// An answer to deliver to a machine.
#[derive(Debug, Clone)]
pub(crate) enum Answer {
    /// A save finished.
    Save {
        /// The token.
        token: u64,
        /// The bytes.
        state: String,
        /// Whether they land and what is reported.
        fate: SaveFate,
    },
    /// A push (`push: true`) or pull finished.
    Request {
        /// The token.
        token: u64,
        /// Push or pull.
        push: bool,
        /// What came back.
        outcome: Outcome,
    },
}

/// An answer due at an instant, for one owner of one device.
#[derive(Debug, Clone)]
pub(crate) struct Pending {
    /// The device.
    pub device: usize,
    /// The owner it answers (a later owner ignores it; a save still lands).
    pub incarnation: u64,
    /// The answer.
    pub answer: Answer,
}

/// A commit as the ledger applied it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Applied {
    /// The device that sent it.
    pub device: String,
    /// Credits the commit carried (units for a commit in units).
    pub amount: Credits,
    /// The allowance unit of a commit in units (PROTOCOL §12).
    pub unit: Option<String>,
    /// Drawn, recorded as overdraft, left unpaid.
    pub charged: Credits,
    /// Overdraft.
    pub overdraft: Credits,
    /// Unpaid.
    pub unpaid: Credits,
}

/// Who sends a request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sender<'a> {
    /// Device index.
    pub device: usize,
    /// Its owner's incarnation.
    pub incarnation: u64,
    /// Its account.
    pub account: &'a str,
    /// Whether it is partitioned.
    pub offline: bool,
}

/// Answers in flight and the log of applied commits.
#[derive(Debug, Default)]
pub(crate) struct Network {
    queue: BTreeMap<(i64, u64), Pending>,
    order: u64,
    history: BTreeMap<usize, VecDeque<String>>,
    /// Applied commits by (account, hold id).
    pub applied: BTreeMap<(String, String), Vec<Applied>>,
    /// Results of commits and releases of holds the AI proxy claimed (`settledBy`), by
    /// (account, hold id): their amounts, when present, are the proxy's settlement.
    pub proxied: BTreeMap<(String, String), Vec<Applied>>,
}

impl Network {
    fn schedule(&mut self, due: i64, p: Pending) {
        self.order += 1;
        self.queue.insert((due, self.order), p);
    }

    /// The earliest answer due at or before `t`.
    pub(crate) fn pop_due(&mut self, t: i64) -> Option<Pending> {
        let (&key, _) = self.queue.iter().next().filter(|(k, _)| k.0 <= t)?;
        self.queue.remove(&key)
    }

    /// When the next answer is due.
    pub(crate) fn next_due(&self) -> Option<i64> {
        self.queue.keys().next().map(|k| k.0)
    }

    /// Takes every answer for `device` (it crashed).
    pub(crate) fn take_device(&mut self, device: usize) -> Vec<Pending> {
        let keys: Vec<(i64, u64)> = self.queue.iter().filter(|(_, p)| p.device == device).map(|(k, _)| *k).collect();
        keys.into_iter().filter_map(|k| self.queue.remove(&k)).collect()
    }

    /// Runs one action at true time `t`.
    pub(crate) fn dispatch(
        &mut self,
        from: Sender<'_>,
        action: Action,
        ledger: &mut dyn SimLedger,
        rng: &mut Rng,
        faults: &Faults,
        t: i64,
    ) {
        let due = t + rng.between(0, faults.latency_ms.max(1));
        let pending = |answer| Pending { device: from.device, incarnation: from.incarnation, answer };
        let (token, push, request) = match action {
            Action::Save { token, state } => {
                let fate = SaveFate::draw(rng, faults);
                self.schedule(t + rng.between(0, 50), pending(Answer::Save { token, state, fate }));
                return;
            }
            Action::Push { token, request } => (token, true, request),
            Action::Pull { token, request } => (token, false, request),
        };
        let answer = |outcome| pending(Answer::Request { token, push, outcome });
        if from.offline {
            self.schedule(due, answer(Outcome::Failed));
        } else if rng.chance(faults.stall) {
            if rng.chance(0.5) {
                let body = self.deliver(from, push, &request, ledger, t);
                // The answer arrives after the driver gave up: ignored.
                self.schedule(t + HOST_TIMEOUT_MS + 1, answer(Outcome::Body(body)));
            }
            self.schedule(t + HOST_TIMEOUT_MS, answer(Outcome::Timeout));
        } else if rng.chance(faults.reject) {
            if rng.chance(0.5) {
                self.deliver(from, push, &request, ledger, t);
            }
            self.schedule(due, answer(Outcome::Failed));
        } else {
            let mut body = self.deliver(from, push, &request, ledger, t);
            if rng.chance(faults.redeliver) {
                let again = self.deliver(from, push, &request, ledger, t + rng.between(0, 1_000));
                if rng.chance(0.5) {
                    body = again;
                }
            }
            if rng.chance(faults.duplicate) {
                let old = self.history.get(&from.device).and_then(|h| h.front().cloned());
                match old {
                    // An older response replayed in place of this one.
                    Some(old) if rng.chance(0.5) => body = old,
                    _ => self.schedule(due + rng.between(0, 2_000), answer(Outcome::Body(body.clone()))),
                }
            }
            self.schedule(due, answer(Outcome::Body(body)));
        }
    }

    fn deliver(&mut self, from: Sender<'_>, push: bool, request: &str, ledger: &mut dyn SimLedger, t: i64) -> String {
        let body = if push { ledger.handle_push(request, t) } else { ledger.handle_pull(request, t) };
        if crate::simulate::tracing() {
            let short = |s: &str| s.chars().take(300).collect::<String>();
            eprintln!(
                "t={} {} dev{} {} -> {}",
                t - crate::simulate::world::T0,
                if push { "push" } else { "pull" },
                from.device,
                short(request),
                short(body.split("\"results\"").nth(1).unwrap_or(""))
            );
        }
        if push {
            self.log(from.account, request, &body);
        }
        let h = self.history.entry(from.device).or_default();
        h.push_back(body.clone());
        if h.len() > HISTORY {
            h.pop_front();
        }
        body
    }

    fn log(&mut self, account: &str, request: &str, response: &str) {
        let (Ok(req), Ok(resp)) =
            (credit_meter_base::json::from_str::<PushRequest>(request), credit_meter_base::json::from_str::<Response>(response))
        else {
            return;
        };
        for r in resp.results.iter().filter(|r| r.status == ResultStatus::Applied) {
            if r.settled_by.is_some() {
                let Some(m) = req.mutations.iter().find(|m| m.seq() == r.seq) else { continue };
                if let Some(charged) = r.charged {
                    let z = Credits::ZERO;
                    let a = Applied {
                        device: req.device_id.clone(),
                        amount: z,
                        unit: None,
                        charged,
                        overdraft: r.overdraft.unwrap_or(z),
                        unpaid: r.unpaid.unwrap_or(z),
                    };
                    self.proxied.entry((account.to_string(), m.hold_id().to_string())).or_default().push(a);
                }
                continue;
            }
            let Some(Mutation::Commit { hold_id, amount, unit, .. }) = req.mutations.iter().find(|m| m.seq() == r.seq) else { continue };
            let z = Credits::ZERO;
            let a = Applied {
                device: req.device_id.clone(),
                amount: *amount,
                unit: unit.clone(),
                charged: r.charged.unwrap_or(z),
                overdraft: r.overdraft.unwrap_or(z),
                unpaid: r.unpaid.unwrap_or(z),
            };
            if crate::simulate::tracing() {
                eprintln!("applied {hold_id}: {a:?}");
            }
            self.applied.entry((account.to_string(), hold_id.clone())).or_default().push(a);
        }
    }
}
