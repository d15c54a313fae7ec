//! The vendor's AI proxy: `POST /v1/ai/chat/completions`, OpenAI/OpenRouter-compatible,
//! streaming (SSE) or not. The service that makes the AI call is the one that settles
//! it, so a modified client can neither call for free nor under-report:
//!
//! 1. the caller is a device (its token) naming in `X-Credit-Hold` an open hold of its
//!    account that the ledger applied; the hold is **claimed** on the ledger (saved like
//!    a push) before anything is sent, and one hold pays for one call — anything else is
//!    refused with a coded error and the provider is never called ([`route`]);
//! 2. the model must be one of the catalog's — the one the hold's operation names, when it
//!    names one ([`price::pinned_model`]) — and `max_tokens` is capped so that the
//!    worst case at the catalog's rate fits the hold ([`limits`]); the catalog's token rates
//!    agree with the policies' allowance rates ([`rates`]);
//! 3. the provider's reported usage, priced by the catalog ([`price`]), **settles** the
//!    hold on the ledger, exactly once ([`ledger`]); a client that disconnects is still
//!    charged (the proxy keeps reading the provider to its end, within the call's
//!    deadline), one that stops reading is cut at the call's deadline and settled before
//!    its hold expires; only a provider that could not be reached or answered an error
//!    status releases the hold — once the request may have reached it, a call whose usage
//!    the proxy does not learn (an answer without usage, no success status in time, a
//!    whole answer that did not arrive whole, a stream that broke off, went silent, reached
//!    the deadline or carried the provider's error event, output or not) is charged its
//!    worst case (the prompt bound and the forwarded `max_tokens` at the catalog's price,
//!    at most the hold) ([`relay`], [`usage`]); a service told to stop cuts its calls in
//!    flight and settles them the same way before it exits ([`stopping`]).
//!
//! The vendor's key (`--upstream-key-file`) is only ever put in the `Authorization`
//! header of the request to the provider: never logged, never answered.

pub(crate) mod ledger;
pub(crate) mod limits;
pub(crate) mod price;
pub(crate) mod rates;
pub(crate) mod relay;
pub(crate) mod route;
pub(crate) mod stopping;
pub(crate) mod usage;

use credit_meter_core::catalog::Catalog;
use std::time::Duration;

/// The vendor's provider key. `Debug` never shows it.
pub(crate) struct UpstreamKey(String);

impl UpstreamKey {
    /// The key as read from its file (surrounding whitespace dropped).
    pub(crate) fn new(text: &str) -> Result<UpstreamKey, String> {
        let key = text.trim();
        if key.is_empty() || key.bytes().any(|b| !b.is_ascii_graphic()) {
            return Err("the upstream key file must hold one key of printable ASCII characters".into());
        }
        Ok(UpstreamKey(key.to_string()))
    }
}

impl std::fmt::Debug for UpstreamKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UpstreamKey(…)")
    }
}

/// The proxy's settings and its HTTP client.
#[derive(Debug)]
pub(crate) struct Proxy {
    /// `<--upstream-url>/chat/completions`.
    pub endpoint: String,
    /// The vendor's key (`None`: the provider needs none, e.g. a local stand-in).
    key: Option<UpstreamKey>,
    /// The HTTP client (connection pool) to the provider.
    pub client: reqwest::Client,
    /// Models, prices and operations.
    pub catalog: Catalog,
    /// The longest the provider may stay silent (before its headers, or between two reads
    /// of its body) before the call counts as failed.
    pub idle: Duration,
    /// The longest a call may last from its claim: the provider is read no longer (what
    /// it produced by then is settled as if its stream broke off), and a client that does
    /// not read its stream is waited for no longer. A claim unsettled after
    /// [`abandoned_after`] of this is charged its hold in full by the ledger.
    pub call_limit: Duration,
    /// The calls in flight, cut and settled when the service stops.
    pub stopping: stopping::Stopping,
}

/// How long before its hold expires a call stops being read: its settlement (a storage
/// commit) must land while the hold is still open.
pub(crate) const SETTLE_MARGIN: Duration = Duration::from_secs(5);

/// The shortest call worth starting: a hold that leaves less is refused at its claim.
pub(crate) const MIN_CALL: Duration = Duration::from_secs(10);

/// How long a call claimed at `now_ms` on a hold expiring at `expires_at` (ms) may be read:
/// `call_limit`, but ending [`SETTLE_MARGIN`] before the hold expires. A claimed hold must
/// stay open until it is settled (PROTOCOL §6.7): one that expired during its call would
/// have given its credits back for other holds to spend while the provider was still
/// producing what they pay for. `None` when that leaves less than [`MIN_CALL`] (or than
/// `call_limit`, when that is shorter).
pub(crate) fn call_time(call_limit: Duration, now_ms: i64, expires_at: i64) -> Option<Duration> {
    let left = u64::try_from(expires_at.saturating_sub(now_ms)).ok().map(Duration::from_millis)?;
    let time = call_limit.min(left.checked_sub(SETTLE_MARGIN)?);
    (time >= MIN_CALL.min(call_limit)).then_some(time)
}

/// How old (ms) an unsettled claim is when the ledger settles it as abandoned: twice the
/// longest call, so a running call (and its settlement's retries) is never taken for one.
pub(crate) fn abandoned_after(call_limit: Duration) -> i64 {
    i64::try_from(call_limit.as_millis().saturating_mul(2)).unwrap_or(i64::MAX)
}

impl Proxy {
    /// A proxy to the OpenAI-compatible base `upstream_url` (e.g.
    /// `https://openrouter.ai/api/v1`).
    pub(crate) fn new(
        upstream_url: &str,
        key: Option<UpstreamKey>,
        catalog: Catalog,
        idle: Duration,
        call_limit: Duration,
    ) -> Result<Proxy, String> {
        let base = upstream_url.trim_end_matches('/');
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(format!("--upstream-url {upstream_url:?}: use an http:// or https:// URL"));
        }
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .read_timeout(idle)
            .build()
            .map_err(|e| format!("cannot build the upstream HTTP client: {e}"))?;
        Ok(Proxy {
            endpoint: format!("{base}/chat/completions"),
            key,
            client,
            catalog,
            idle,
            call_limit,
            stopping: stopping::Stopping::default(),
        })
    }

    /// A POST of `body` to the provider, with the vendor's key.
    pub(crate) fn request(&self, body: Vec<u8>) -> reqwest::RequestBuilder {
        let r = self.client.post(&self.endpoint).header(reqwest::header::CONTENT_TYPE, "application/json").body(body);
        match &self.key {
            Some(k) => r.bearer_auth(&k.0),
            None => r,
        }
    }
}

#[cfg(test)]
mod call_time_tests {
    use super::*;

    #[test]
    fn a_call_ends_before_its_hold_expires_and_a_hold_about_to_expire_pays_for_none() {
        let limit = Duration::from_secs(600);
        let now = 1_700_000_000_000;
        // A fresh hold (10 min TTL): the call limit, or 5 s before expiry if that is sooner.
        assert_eq!(call_time(limit, now, now + 3_600_000), Some(limit));
        assert_eq!(call_time(limit, now, now + 600_000), Some(Duration::from_secs(595)));
        assert_eq!(call_time(limit, now, now + 60_000), Some(Duration::from_secs(55)));
        assert_eq!(call_time(limit, now, now + 15_000), Some(Duration::from_secs(10)));
        // Less than 10 s of call left, already past its margin, or expired: none.
        assert_eq!(call_time(limit, now, now + 14_999), None);
        assert_eq!(call_time(limit, now, now + 3_000), None);
        assert_eq!(call_time(limit, now, now - 1), None);
        assert_eq!(call_time(limit, i64::MIN, i64::MAX), Some(limit));
        assert_eq!(call_time(limit, i64::MAX, i64::MIN), None);
        // A call limit below 10 s: the whole limit before the margin is enough.
        let short = Duration::from_secs(1);
        assert_eq!(call_time(short, now, now + 6_000), Some(short));
        assert_eq!(call_time(short, now, now + 5_999), None);
    }
}
