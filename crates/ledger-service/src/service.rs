//! The ledger service: the store, the signing keys, the ledger's settings and the
//! per-account locks. [`Service::run`] is the one path of every push, pull and admin
//! command: lock the account (in this process), then on a blocking thread load it, run
//! the request and hand the changes to the store, which saves them in one transaction
//! (SQLite and PostgreSQL: on a writer thread, in a group commit) while the request waits
//! without holding a thread — again from the load if another process wrote the account
//! meanwhile — and only then hand back the response. A push on an account this process
//! saved last runs on its copy of that save instead of a load (`account_cache`), and its
//! save then commits only if the copy is still what the database holds.

use crate::account_cache::{AccountCache, CachedAccount};
use crate::engine::{self, Op, Tally};
use crate::keys::KeyRing;
use crate::locks::AccountLocks;
use crate::metrics::Metrics;
use crate::record;
use crate::store::{Pending, Saved, Store};
use credit_meter_base::json::{self, Value};
use credit_meter_ledger_core::reference::LedgerConfig;
use credit_meter_protocol::message::PushRequest;
use std::sync::{Arc, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Saves retried after conflicts before the request fails (only concurrent processes
/// writing the same account conflict).
const MAX_ATTEMPTS: usize = 50;

/// Builds the side rows of a write from the request's response (see [`Service::run_with`]).
pub(crate) type SideRows = Box<dyn Fn(&str) -> Vec<crate::store::side::SideRow> + Send>;

/// Requests that may run their CPU part at once per core: loading the account, running the
/// ledger, signing, building the write. A few per core keep the cores busy while some wait
/// on the database; more only add runnable threads, and the scheduler then shares the
/// cores among all of them — starving the one SQLite writer thread (`store::sqlite`) that
/// every push waits for. A request gives its permit back before it waits for its save.
const WORK_PER_CORE: usize = 2;

/// The semaphore of [`WORK_PER_CORE`] permits per core.
pub(crate) fn work_gate() -> Arc<Semaphore> {
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
    Arc::new(Semaphore::new(cores * WORK_PER_CORE))
}

/// Milliseconds since the Unix epoch by the wall clock.
pub(crate) fn wall_clock_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX)).unwrap_or(0)
}

/// The service's shared parts.
pub(crate) struct Service {
    /// The store.
    pub store: Arc<dyn Store>,
    /// The signing keys (re-read from the key file periodically).
    pub keys: RwLock<KeyRing>,
    /// The ledger's settings.
    pub cfg: LedgerConfig,
    /// Results kept per device to answer duplicates.
    pub retention: u64,
    /// Per-account bounds.
    pub bounds: engine::Bounds,
    /// Per-account locks.
    pub locks: AccountLocks,
    /// Permits to run a request's CPU part ([`work_gate`]).
    pub work: Arc<Semaphore>,
    /// Counters.
    pub metrics: Metrics,
    /// This process's last save of recently pushed accounts (`account_cache`; empty
    /// unless the store checks what a request run on one assumed).
    pub cache: AccountCache,
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service").field("cfg", &self.cfg).field("retention", &self.retention).finish_non_exhaustive()
    }
}

/// A request as the service runs it (moved to each attempt's blocking thread and back).
struct Request {
    op: Op,
    account_id: String,
    body: String,
    push: Option<PushRequest>,
    /// Side rows built from the response (`Service::run_with`).
    side: SideRows,
    /// Where the early response goes (`Service::run_early`).
    early: Option<tokio::sync::oneshot::Sender<String>>,
}

/// How one attempt of a request ended.
enum Step {
    /// Nothing to save: the answer as it is.
    Answered(Answer),
    /// The answer once the save committed (a conflict: run the request again), and the
    /// account as that save leaves it.
    Saving(Answer, Pending, CachedAccount),
    /// Run on this process's copy of the account, the request made no save that would
    /// check the copy (nothing to save, or payment or email rows): run it from a load.
    Unchecked,
}

/// The answer of a request the service ran.
#[derive(Debug)]
pub(crate) struct Answer {
    /// The response body.
    pub body: String,
    /// Mutations by status.
    pub tally: Tally,
}

impl Service {
    /// Runs a request on one account and returns its response once its effect is
    /// committed. `Err` is a storage failure (nothing was applied).
    pub(crate) async fn run(
        self: &Arc<Self>,
        op: Op,
        account_id: String,
        body: String,
        push: Option<PushRequest>,
    ) -> Result<Answer, String> {
        self.run_with(op, account_id, body, push, Box::new(|_| Vec::new())).await
    }

    /// [`Service::run`] that also hands `early` the response as soon as the ledger
    /// computed it, before it is committed (the account still locked, the write being
    /// built and saved). The committed answer is the returned one, which may differ when
    /// another process wrote the account meanwhile (the request is then run again from
    /// the new load), or when nothing could be saved. The AI proxy starts its call to the
    /// provider on the early answer of its claim and forwards nothing before the
    /// committed one (`proxy::ledger`).
    pub(crate) async fn run_early(
        self: &Arc<Self>,
        op: Op,
        account_id: String,
        body: String,
        early: tokio::sync::oneshot::Sender<String>,
    ) -> Result<Answer, String> {
        let none: SideRows = Box::new(|_: &str| Vec::new());
        self.attempts(Request { op, account_id, body, push: None, side: none, early: Some(early) }).await
    }

    /// [`Service::run`], committing also the rows `side` builds from the response (a
    /// payment, a Stripe event, a refund request) when the request changes the account:
    /// in the same transaction, so both or neither are stored.
    pub(crate) async fn run_with(
        self: &Arc<Self>,
        op: Op,
        account_id: String,
        body: String,
        push: Option<PushRequest>,
        side: SideRows,
    ) -> Result<Answer, String> {
        self.attempts(Request { op, account_id, body, push, side, early: None }).await
    }

    /// Runs `req` with its account locked: on a blocking thread, load the account, run the
    /// request and hand the write to the store; then wait for the save without holding a
    /// thread (the store's writer thread answers after the commit) — and run it again from a
    /// new load when another process wrote the account meanwhile.
    ///
    /// A push whose account this process saved last runs on that copy instead of a load
    /// (`account_cache`); the copy is out of the cache while the request runs, and what
    /// goes back is what the request's committed save wrote — nothing after a conflict or a
    /// failure, when the database may hold something else.
    async fn attempts(self: &Arc<Self>, mut req: Request) -> Result<Answer, String> {
        let _lock = self.locks.lock(&req.account_id).await;
        let mut copy = self.cache.for_request(&req.account_id, req.op == Op::Push);
        for _ in 0..MAX_ATTEMPTS {
            let permit = self.permit().await?;
            let this = Arc::clone(self);
            let lent = copy.lend();
            let (back, lent, step) = tokio::task::spawn_blocking(move || {
                let step = this.attempt(&mut req, lent.as_ref(), permit);
                (req, lent, step)
            })
            .await
            .map_err(|e| format!("the request's task failed: {e}"))?;
            req = back;
            copy.returned(lent);
            let (answer, pending, next) = match step? {
                Step::Answered(answer) => {
                    copy.answered();
                    return Ok(answer);
                }
                Step::Unchecked => {
                    copy.unchecked();
                    continue;
                }
                Step::Saving(answer, pending, next) => (answer, pending, next),
            };
            let conflicted = pending.done().await? == Saved::Conflict;
            if copy.on_copy() {
                self.metrics.copy_push(conflicted);
            }
            copy.saved(conflicted, next);
            if !conflicted {
                return Ok(answer);
            }
            self.metrics.conflict();
        }
        Err(format!("account {:?}: too many concurrent writes", req.account_id))
    }

    /// A permit of [`work_gate`] (waited for without holding a thread).
    async fn permit(&self) -> Result<OwnedSemaphorePermit, String> {
        Arc::clone(&self.work).acquire_owned().await.map_err(|_| "the service is shutting down".to_string())
    }

    /// One attempt of a request, on a blocking thread: load (or take `copy`), run, and hand
    /// the write (if any) to the store; `permit` is given back before the save is waited for.
    fn attempt(&self, req: &mut Request, copy: Option<&CachedAccount>, permit: OwnedSemaphorePermit) -> Result<Step, String> {
        let Request { op, account_id, body, push, side, early } = req;
        let (op, account_id, body, push) = (*op, account_id.as_str(), body.as_str(), push.as_ref());
        let now = wall_clock_ms();
        let signer = self.keys.read().map_err(|_| "the key ring is poisoned".to_string())?.signer(now);
        let mut out = engine::run_on_store(
            &*self.store,
            copy,
            signer,
            &self.cfg,
            op,
            account_id,
            body,
            push,
            now,
            self.retention,
            self.bounds,
            &mut |response: &str| {
                if let Some(tx) = early.take() {
                    let _ = tx.send(response.to_string());
                }
            },
        )?;
        let (Some(mut w), Some(next)) = (out.write.take(), out.next.take()) else {
            // An answer computed on the copy is only as good as a save that checks the copy.
            if copy.is_some() {
                return Ok(Step::Unchecked);
            }
            return Ok(Step::Answered(Answer { body: out.response, tally: out.tally }));
        };
        w.side = side(&out.response);
        w.side.extend(crate::email::outbox::rows(&*self.store, account_id, &out.notices, now)?);
        if copy.is_some() && !w.side.is_empty() {
            return Ok(Step::Unchecked);
        }
        drop(permit);
        let next = CachedAccount { loaded: next, stamp: w.stamp };
        let pending = self.store.submit(w);
        Ok(Step::Saving(Answer { body: out.response, tally: out.tally }, pending, next))
    }

    /// The account's state for `/v1/state`: its balance view at now, account id, policy
    /// name, snapshot version, devices and the latest `entries` journal entries.
    pub(crate) async fn state(self: &Arc<Self>, account_id: String, entries: u32) -> Result<Option<String>, String> {
        let this = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let Some(loaded) = this.store.load(&account_id)? else { return Ok(None) };
            let mut rec = record::from_loaded(&loaded)?;
            let at = wall_clock_ms().max(rec.account.clock().unwrap_or(i64::MIN));
            let view = rec.account.balance(at).map_err(|e| e.to_string())?;
            let Value::Object(mut out) = json::to_value(&view) else { return Ok(None) };
            let limit = this.cfg.offline_limit;
            let devices = rec
                .devices
                .iter()
                .map(|(id, d)| {
                    let v = Value::object([
                        ("lastSeq", json::to_value(&d.last_seq)),
                        ("overdraft", json::to_value(&d.overdraft)),
                        ("overdraftTotal", json::to_value(&d.overdraft_total)),
                        ("unpaidTotal", json::to_value(&d.unpaid_total)),
                        ("offlineLimit", json::to_value(&d.offline_limit.unwrap_or(limit))),
                    ]);
                    (id.clone(), v)
                })
                .collect();
            let journal = this
                .store
                .entries(&account_id, entries)?
                .iter()
                .map(|t| json::from_str::<Value>(t))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| format!("stored entry: {e}"))?;
            let extra = [
                ("accountId", Value::String(account_id.clone())),
                ("policy", rec.account.policy().name.as_str().into()),
                ("version", json::to_value(&rec.version)),
                ("devices", Value::Object(devices)),
                ("entries", Value::Array(journal)),
            ];
            for (key, value) in extra {
                out.retain(|(k, _)| k != key);
                out.push((key.to_string(), value));
            }
            Ok(Some(json::to_string(&Value::Object(out))))
        })
        .await
        .map_err(|e| format!("the request's task failed: {e}"))?
    }
}
