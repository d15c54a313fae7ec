//! Loads of accounts on PostgreSQL combined into one statement when requests load at the
//! same time, as their saves are committed in groups (`group_commit`).
//!
//! Every request first reads its account's row and the history rows it names
//! (`history::LOAD_FOR`): one statement, one round trip, one transaction per request.
//! Besides its few key probes, each such statement costs PostgreSQL what every statement
//! does — the messages, starting the executor for its plan's ten nodes, a snapshot and a
//! transaction, waking the backend — and the service its side of the round trip. So loads
//! that come while one is running are read together: the request that finds no load
//! running leads ([`LEADERS`]); it takes every load waiting (up to [`MAX_BATCH`]), its own
//! included, reads them all with one statement ([`LOAD_MANY`]: the same key probes for
//! each, tagged with its place in the batch) on a pooled connection, and hands each
//! request its rows. Alone, a request runs the one-load statement itself, as before: no
//! thread hand-off and nothing added when the service is quiet.
//!
//! One statement is one snapshot, so each request still gets its account's row and its
//! history rows as of one moment (the save's revision check catches any write after it).
//! A batch whose statement fails is loaded again request by request, so one request's
//! error stays its own.
//!
//! When a leader has answered its batch (its own load in it) and loads are still waiting,
//! it passes the lead to the first of their requests instead of running another batch
//! itself, so a leader's request is not held up by loads that came after it, and there is
//! always a leader while loads wait.

use super::{history, pg, PgStore};
use crate::store::history::{fingerprint_from, ClosedHold, History, HistoryQuery, Seen};
use crate::store::{Loaded, StoreError};
use std::collections::VecDeque;
use std::sync::mpsc;
use std::sync::{Mutex, PoisonError};

/// Most loads one statement takes.
const MAX_BATCH: usize = 64;

/// Most requests running a load statement at once (on a pooled connection). One: the
/// loads that arrive while it runs wait for it and go in the next statement together.
/// Side by side with main at 64 devices (bench/ledger/RESULTS.md, seven runs on a busy
/// machine), PostgreSQL's CPU per push was 4–18% lower in every run and pushes/s −4% to
/// +14%; at 8 devices, where batches are small, no clear gain. With two leaders the batches were
/// smaller and pushes/s lower than main's (one run: −7%).
const LEADERS: usize = 1;

/// The statement: for each load `i` of the batch, its account's row, and one key probe per
/// named closed hold and fingerprint, each row tagged with `i` (a lateral `LIMIT 1`
/// subquery per id, as `history::LOAD_FOR`, so each is a probe of the full primary key
/// whatever the table's statistics say).
pub(super) const LOAD_MANY: &str = "
SELECT q.i, 0::int, a.rev, a.record, NULL::text, NULL::text, NULL::bytea
FROM unnest($1::int[], $2::text[]) AS q(i, id),
LATERAL (SELECT rev, record FROM accounts WHERE id = q.id LIMIT 1) a
UNION ALL
SELECT h.i, 1, NULL::bigint, c.hold_id, c.hold, c.owner, NULL::bytea
FROM unnest($3::int[], $4::text[], $5::text[]) AS h(i, account_id, hold_id),
LATERAL (SELECT hold_id, hold, owner FROM closed_holds WHERE account_id = h.account_id AND hold_id = h.hold_id LIMIT 1) c
UNION ALL
SELECT f.i, 2, s.seq, NULL, NULL, NULL, s.fingerprint
FROM unnest($6::int[], $7::text[], $8::text[], $9::bytea[]) AS f(i, account_id, device_id, fp),
LATERAL (SELECT seq, fingerprint FROM fingerprints WHERE account_id = f.account_id AND device_id = f.device_id AND fingerprint = f.fp LIMIT 1) s";

/// What a load answers.
type Answer = Result<(Option<Loaded>, History), StoreError>;

/// A message to a request waiting for its load.
enum Msg {
    /// Its load, done.
    Done(Answer),
    /// It leads now: its load and the others waiting are its to run.
    Lead,
}

/// One load waiting.
struct Job {
    /// Which request's it is.
    ticket: u64,
    account_id: String,
    query: HistoryQuery,
    /// Whether its request leads (it takes its own load from the queue): never passed the
    /// lead.
    leading: bool,
    answer: mpsc::Sender<Msg>,
}

/// Loads waiting, and how many requests are leading.
#[derive(Default)]
pub(super) struct GroupLoad {
    state: Mutex<Waiting>,
}

#[derive(Default)]
struct Waiting {
    jobs: VecDeque<Job>,
    leaders: usize,
    /// The next job's ticket.
    tickets: u64,
}

impl std::fmt::Debug for GroupLoad {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("GroupLoad")
    }
}

impl GroupLoad {
    fn lock(&self) -> std::sync::MutexGuard<'_, Waiting> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// `Store::load_for` on PostgreSQL: the account's row and the history rows `query` names,
/// one snapshot, loaded together with those of the requests loading at the same time.
pub(super) fn load_for(store: &PgStore, account_id: &str, query: &HistoryQuery) -> Answer {
    let (answer, answered) = mpsc::channel();
    let lead = {
        let mut w = store.loads.lock();
        let lead = w.leaders < LEADERS;
        if lead {
            w.leaders += 1;
        }
        w.tickets += 1;
        let ticket = w.tickets;
        w.jobs.push_back(Job { ticket, account_id: account_id.to_string(), query: query.clone(), leading: lead, answer });
        (lead, ticket)
    };
    let (lead, ticket) = lead;
    if lead {
        lead_batches(store, ticket);
    }
    loop {
        match answered.recv() {
            Ok(Msg::Done(out)) => return out,
            Ok(Msg::Lead) => lead_batches(store, ticket),
            Err(_) => return Err("a PostgreSQL load was dropped unanswered".to_string()),
        }
    }
}

/// As the leader of request `ticket`: takes the loads waiting and answers them — again
/// while its own is still waiting (more than [`MAX_BATCH`] were) —, then passes the lead on
/// to the first request still waiting that does not lead, or steps down when none is.
fn lead_batches(store: &PgStore, ticket: u64) {
    loop {
        let batch: Vec<Job> = {
            let mut w = store.loads.lock();
            let n = w.jobs.len().min(MAX_BATCH);
            w.jobs.drain(..n).collect()
        };
        if !batch.is_empty() {
            let answers = load_batch(store, &batch);
            for (job, out) in batch.into_iter().zip(answers) {
                // A request whose thread is gone needs no answer.
                let _ = job.answer.send(Msg::Done(out));
            }
        }
        let mut w = store.loads.lock();
        if w.jobs.iter().any(|j| j.ticket == ticket) {
            continue;
        }
        while let Some(at) = w.jobs.iter().position(|j| !j.leading) {
            w.jobs[at].leading = true;
            if w.jobs[at].answer.send(Msg::Lead).is_ok() {
                return;
            }
            // Its request is gone: nobody to answer, nobody to lead.
            w.jobs.remove(at);
        }
        w.leaders -= 1;
        return;
    }
}

/// The loads of `batch`: one statement for all; alone, or after that statement failed,
/// each with the one-load statement.
fn load_batch(store: &PgStore, batch: &[Job]) -> Vec<Answer> {
    if batch.len() > 1 {
        if let Ok(out) = load_many(store, batch) {
            return out;
        }
    }
    batch.iter().map(|j| history::load_for(store, &j.account_id, &j.query)).collect()
}

/// Runs [`LOAD_MANY`] for `batch`.
fn load_many(store: &PgStore, batch: &[Job]) -> Result<Vec<Answer>, StoreError> {
    let index = |i: usize| i32::try_from(i).unwrap_or(i32::MAX);
    let named: Vec<(&str, Vec<&[u8]>)> = batch.iter().map(|j| history::named_fingerprints(&j.query)).collect();
    let a_i: Vec<i32> = (0..batch.len()).map(index).collect();
    let a_id: Vec<&str> = batch.iter().map(|j| j.account_id.as_str()).collect();
    let (mut h_i, mut h_acc, mut h_id) = (Vec::new(), Vec::new(), Vec::new());
    let (mut f_i, mut f_acc, mut f_device, mut f_fp) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (i, (j, (device, fps))) in batch.iter().zip(&named).enumerate() {
        for id in &j.query.hold_ids {
            h_i.push(index(i));
            h_acc.push(j.account_id.as_str());
            h_id.push(id.as_str());
        }
        for fp in fps {
            f_i.push(index(i));
            f_acc.push(j.account_id.as_str());
            f_device.push(*device);
            f_fp.push(*fp);
        }
    }
    let rows = store.with_prepared(LOAD_MANY, |c, statement| {
        c.query(statement, &[&a_i, &a_id, &h_i, &h_acc, &h_id, &f_i, &f_acc, &f_device, &f_fp]).map_err(pg)
    })?;
    let mut out: Vec<(Option<Loaded>, History)> = batch.iter().map(|_| (None, History::default())).collect();
    for r in rows {
        let Some(i) = usize::try_from(r.get::<_, i32>(0)).ok().filter(|&i| i < out.len()) else { continue };
        let (loaded, history) = &mut out[i];
        match r.get::<_, i32>(1) {
            0 => *loaded = Some(Loaded { rev: r.get(2), record: r.get(3) }),
            1 => history.closed_holds.push(ClosedHold { hold_id: r.get(3), hold: r.get(4), owner: r.get(5) }),
            _ => {
                if let Some(fingerprint) = r.get::<_, Option<Vec<u8>>>(6).as_deref().and_then(fingerprint_from) {
                    let seq: i64 = r.get(2);
                    let device_id = named[i].0.to_string();
                    history.fingerprints.push(Seen { device_id, fingerprint, seq: u64::try_from(seq).unwrap_or(0) });
                }
            }
        }
    }
    Ok(out
        .into_iter()
        .map(|(loaded, history)| match loaded {
            // No account, no history (as the one-load statement).
            None => Ok((None, History::default())),
            Some(l) => Ok((Some(l), history)),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Saved, Store, Write};

    /// Requests loading at the same time from many threads (so in batches, whatever the
    /// timing) each get their own account's row and history rows, as the one-load
    /// statement reads them; an account that does not exist loads as none.
    #[test]
    fn loads_together_answer_each_request_its_own_rows() {
        let Some(url) = super::super::test_database("group_load") else { return };
        let store = PgStore::open(&url, 4).expect("open");
        let accounts = 12;
        for a in 0..accounts {
            let id = format!("a{a}");
            assert_eq!(store.submit(Write::bare(&id, None, &[1])).wait(), Ok(Saved::Committed));
            let mut w = Write::bare(&id, Some(1), &[2]);
            w.history.closed_holds.push(ClosedHold { hold_id: format!("h{a}"), hold: format!("{{\"n\":{a}}}"), owner: None });
            w.history.fingerprints.push(Seen { device_id: "d".into(), fingerprint: [u8::try_from(a).unwrap_or(0); 16], seq: 7 });
            assert_eq!(store.submit(w).wait(), Ok(Saved::Committed));
        }
        let query = |a: usize| HistoryQuery {
            hold_ids: vec![format!("h{a}"), "missing".into()],
            fingerprints: Some(("d".into(), vec![[u8::try_from(a).unwrap_or(0); 16], [0xEE; 16]])),
        };
        std::thread::scope(|s| {
            for t in 0..16 {
                let store = &store;
                s.spawn(move || {
                    for n in 0..40 {
                        let a = (t * 7 + n) % (accounts + 1);
                        let id = format!("a{a}");
                        let got = store.load_for(&id, &query(a)).expect("load");
                        let alone = history::load_for(store, &id, &query(a)).expect("one load");
                        assert_eq!(got.0.as_ref().map(|l| (l.rev, &l.record)), alone.0.as_ref().map(|l| (l.rev, &l.record)));
                        assert_eq!(got.1, alone.1);
                        if a < accounts {
                            let (loaded, rows) = got;
                            assert_eq!(loaded.map(|l| l.rev), Some(2));
                            assert_eq!(rows.closed_holds.len(), 1);
                            assert_eq!(rows.closed_holds[0].hold_id, format!("h{a}"));
                            assert_eq!(rows.fingerprints.len(), 1);
                            assert_eq!(rows.fingerprints[0].seq, 7);
                        } else {
                            assert!(got.0.is_none() && got.1 == History::default());
                        }
                    }
                });
            }
        });
        let w = store.loads.lock();
        assert!(w.jobs.is_empty() && w.leaders == 0, "no load left waiting, no leader left");
        drop(w);
        // One batch of every account (and one that does not exist) through the one
        // statement, whatever the timing: the same rows as each loaded alone.
        let batch: Vec<Job> = (0..=accounts)
            .map(|a| Job { ticket: 0, account_id: format!("a{a}"), query: query(a), leading: false, answer: mpsc::channel().0 })
            .collect();
        let together = load_many(&store, &batch).expect("one statement");
        for (job, got) in batch.iter().zip(together) {
            let got = got.expect("load");
            let alone = history::load_for(&store, &job.account_id, &job.query).expect("one load");
            assert_eq!(got.0.as_ref().map(|l| (l.rev, &l.record)), alone.0.as_ref().map(|l| (l.rev, &l.record)));
            assert_eq!(got.1, alone.1, "{}", job.account_id);
        }
    }
}
