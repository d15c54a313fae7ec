//! Every error code credit-meter reports, as one enum.
//!
//! Each operation has its own small error enum (`MoneyError`, `CatalogError`,
//! `EstimateError`, `DecideError`, `SyncError`, `LedgerError`, …); all of them implement
//! [`Coded`], whose [`ErrorCode`] is the stable string JavaScript sees as `error.code` and
//! the ledger writes into protocol error bodies and mutation results. Codes never change
//! once released: hosts branch on them.
//!
//! [`ErrorCode::TYPESCRIPT`] is the complete TypeScript string-literal union, generated
//! from the same list, so the package's `.d.ts` cannot drift from what the code throws.

/// An error with a stable, machine-readable code.
pub trait Coded: std::fmt::Display {
    /// The stable code.
    fn code(&self) -> ErrorCode;
}

macro_rules! error_codes {
    ($( $(#[doc = $doc:literal])* $variant:ident = $text:literal, )*) => {
        /// A stable error code (`"BAD_INPUT"`, `"INSUFFICIENT_CREDITS"`, …).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum ErrorCode {
            $( $(#[doc = $doc])* $variant, )*
        }

        impl ErrorCode {
            /// Every code, in declaration order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant),*];

            /// The TypeScript declaration of the union of every code's string.
            pub const TYPESCRIPT: &'static str =
                concat!("/** Stable codes of thrown errors (every one the package can throw). */\nexport type ErrorCode =", $(" | \"", $text, "\""),*, ";\n");

            /// The code as written on the wire and in JavaScript (SCREAMING_SNAKE_CASE).
            pub const fn as_str(self) -> &'static str {
                match self {
                    $( ErrorCode::$variant => $text, )*
                }
            }

            /// The code written as `text`, if it is one of ours. (A search of [`Self::ALL`]
            /// rather than a `match` on strings: a few bytes of .wasm instead of a kilobyte.)
            pub fn parse(text: &str) -> Option<ErrorCode> {
                ErrorCode::ALL.iter().copied().find(|c| c.as_str() == text)
            }
        }
    };
}

error_codes! {
    /// Code of `publicKeys` that are not `{kid: base64url Ed25519 key}` (documented for
    /// `Meter.open`; the core reports them as a malformed snapshot key set).
    BadKey = "BAD_KEY",
    /// Code of a change attempted in a tab that does not own the meter's sync.
    NotOwner = "NOT_OWNER",
    /// Input that does not have the expected shape or range.
    BadInput = "BAD_INPUT",
    /// An amount that is not a finite, non-negative decimal within range.
    BadAmount = "BAD_AMOUNT",
    /// A catalog that does not parse or does not validate.
    BadCatalog = "BAD_CATALOG",
    /// A model id that the catalog does not list.
    UnknownModel = "UNKNOWN_MODEL",
    /// An operation id that the catalog does not list.
    UnknownOperation = "UNKNOWN_OPERATION",
    /// An encoding name other than `o200k_base` or `cl100k_base`.
    UnknownEncoding = "UNKNOWN_ENCODING",
    /// The signature does not verify, or the envelope's `v`/`alg` is not one this client knows.
    BadSignature = "BAD_SIGNATURE",
    /// The envelope's key id is not among the public keys supplied at open.
    UnknownKey = "UNKNOWN_KEY",
    /// A validly signed snapshot for another account or another device.
    WrongAccount = "WRONG_ACCOUNT",
    /// A validly signed snapshot older than the one held (lower `seq` or `lastMutationSeq`).
    Rollback = "ROLLBACK",
    /// A malformed envelope or payload (not JSON, wrong shape, out of range, too large).
    BadSnapshot = "BAD_SNAPSHOT",
    /// Not enough spendable credits (balance minus open holds) for a debit, hold or fee.
    InsufficientCredits = "INSUFFICIENT_CREDITS",
    /// An allowance (LLM tokens, TTS characters) that cannot cover a use and may not convert.
    InsufficientAllowance = "INSUFFICIENT_ALLOWANCE",
    /// A refund the policy or the purchase's state does not allow.
    NotRefundable = "NOT_REFUNDABLE",
    /// Activating another agent would exceed the plan's cap.
    AgentLimit = "AGENT_LIMIT",
    /// The agent is inactive (it could not pay its cycle) or unknown to usage.
    AgentInactive = "AGENT_INACTIVE",
    /// The policy forbids moving credits between accounts.
    TransferForbidden = "TRANSFER_FORBIDDEN",
    /// An id (grant, purchase, hold, agent cycle) that was already used.
    DuplicateId = "DUPLICATE_ID",
    /// An id (grant, purchase, hold, agent, plan, package) that does not exist.
    NotFound = "NOT_FOUND",
    /// A one-time grant (the free signup grant) that was already given.
    AlreadyGranted = "ALREADY_GRANTED",
    /// A time earlier than the ledger's clock.
    ClockBackwards = "CLOCK_BACKWARDS",
    /// A commit larger than its hold.
    HoldExceeded = "HOLD_EXCEEDED",
    /// Entries that do not fold into a consistent state (wrong sequence, balance or reference).
    ReplayMismatch = "REPLAY_MISMATCH",
    /// A request that does not parse, has the wrong version, or breaks a limit.
    BadRequest = "BAD_REQUEST",
    /// An account the ledger does not have.
    UnknownAccount = "UNKNOWN_ACCOUNT",
    /// Stable code of a host callback failure.
    HostFailed = "HOST_FAILED",
    /// Stable code of a host callback that did not settle in time.
    HostTimeout = "HOST_TIMEOUT",
    /// Stable code of a failed `save`: the operation that needed it did not happen.
    StorageFailed = "STORAGE_FAILED",
    /// Spending while stale (or with an untrusted clock) beyond the offline limit.
    OfflineLimit = "OFFLINE_LIMIT",
    /// No verified snapshot yet: nothing can be spent until a pull succeeds.
    NoSnapshot = "NO_SNAPSHOT",
    /// An operation before `open`.
    NotOpen = "NOT_OPEN",
    /// A hold id this device does not have open.
    UnknownHold = "UNKNOWN_HOLD",
    /// Too many mutations waiting to be pushed.
    OutboxFull = "OUTBOX_FULL",
    /// The host's `save` failed: the operation did not happen and nothing was sent.
    SaveFailed = "SAVE_FAILED",
    /// A persisted state that did not verify or parse; it was discarded (see the event).
    TamperedCache = "TAMPERED_CACHE",
    /// A push or pull response that is not valid JSON of the expected shape.
    BadResponse = "BAD_RESPONSE",
    /// The host's push or pull failed (rejected, threw, network).
    TransportFailed = "TRANSPORT_FAILED",
    /// The host's push or pull did not answer in time.
    Timeout = "TIMEOUT",
    /// The ledger answered but acknowledged none of the mutations sent.
    NotAcknowledged = "NOT_ACKNOWLEDGED",
    /// The ledger reported a gap in this device's mutation seqs.
    SeqGap = "SEQ_GAP",
    /// The ledger already applied a different mutation under this seq (a restored or copied
    /// client state); the client renumbers.
    SeqConflict = "SEQ_CONFLICT",
    /// The ledger refused a reservation with a code this client does not know.
    ReserveRefused = "RESERVE_REFUSED",
    /// HTTP 401 from a ledger service: no valid credentials (transport level, PROTOCOL §7.1).
    Unauthorized = "UNAUTHORIZED",
    /// HTTP 403 from a ledger service: valid credentials that may not do this (PROTOCOL §7.1).
    Forbidden = "FORBIDDEN",
    /// The ledger service refused a write that would exceed one of the account's bounds
    /// (devices, open holds, live grants); nothing of the request was applied.
    LimitReached = "LIMIT_REACHED",
    /// HTTP 429 from a ledger service: too many pushes for the account; send again later.
    RateLimited = "RATE_LIMITED",
    /// HTTP 503 from a ledger service: payments (Stripe) are not configured on it.
    PaymentsUnavailable = "PAYMENTS_UNAVAILABLE",
    /// HTTP 502 from a ledger service: the payment provider (Stripe) failed or refused a
    /// call; what the ledger already committed stays, and the same request can be sent again.
    PaymentProviderFailed = "PAYMENT_PROVIDER_FAILED",
    /// A function of the npm package called before its WebAssembly was instantiated (the
    /// `credit-meter/web` entry before `await init()`); the message says what to call.
    NotInitialized = "NOT_INITIALIZED",
    /// The AI proxy: `X-Credit-Hold` is missing or names no open hold of the caller's account
    /// (and device) that the ledger applied; nothing was sent to the provider.
    HoldNotOpen = "HOLD_NOT_OPEN",
    /// The AI proxy: the hold already paid for a proxied call (one call per hold); nothing
    /// was sent to the provider.
    HoldInUse = "HOLD_IN_USE",
    /// The AI proxy: the hold cannot pay for the prompt and one completion token at the
    /// catalog's prices; nothing was sent to the provider.
    HoldTooSmall = "HOLD_TOO_SMALL",
    /// The AI proxy: the request's model is not the one the hold's catalog operation runs
    /// on (its `model`); the hold was released and nothing was sent to the provider.
    ModelNotAllowed = "MODEL_NOT_ALLOWED",
    /// The AI proxy: the provider failed or could not be reached.
    UpstreamFailed = "UPSTREAM_FAILED",
    /// The AI proxy is not configured on this ledger service (no `--upstream-url`).
    ProxyUnavailable = "PROXY_UNAVAILABLE",
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl crate::json::ToJson for ErrorCode {
    fn write_json(&self, out: &mut String) {
        crate::json::push_str_literal(out, self.as_str());
    }
}

impl From<ErrorCode> for String {
    fn from(code: ErrorCode) -> String {
        code.as_str().to_string()
    }
}

impl PartialEq<&str> for ErrorCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// [`ErrorCode::BadKey`] under its wire name.
pub const BAD_KEY: ErrorCode = ErrorCode::BadKey;
/// [`ErrorCode::NotOwner`] under its wire name.
pub const NOT_OWNER: ErrorCode = ErrorCode::NotOwner;
/// [`ErrorCode::BadInput`] under its wire name.
pub const BAD_INPUT: ErrorCode = ErrorCode::BadInput;
/// [`ErrorCode::BadAmount`] under its wire name.
pub const BAD_AMOUNT: ErrorCode = ErrorCode::BadAmount;
/// [`ErrorCode::BadCatalog`] under its wire name.
pub const BAD_CATALOG: ErrorCode = ErrorCode::BadCatalog;
/// [`ErrorCode::UnknownModel`] under its wire name.
pub const UNKNOWN_MODEL: ErrorCode = ErrorCode::UnknownModel;
/// [`ErrorCode::UnknownOperation`] under its wire name.
pub const UNKNOWN_OPERATION: ErrorCode = ErrorCode::UnknownOperation;
/// [`ErrorCode::UnknownEncoding`] under its wire name.
pub const UNKNOWN_ENCODING: ErrorCode = ErrorCode::UnknownEncoding;
/// [`ErrorCode::BadSignature`] under its wire name.
pub const BAD_SIGNATURE: ErrorCode = ErrorCode::BadSignature;
/// [`ErrorCode::UnknownKey`] under its wire name.
pub const UNKNOWN_KEY: ErrorCode = ErrorCode::UnknownKey;
/// [`ErrorCode::WrongAccount`] under its wire name.
pub const WRONG_ACCOUNT: ErrorCode = ErrorCode::WrongAccount;
/// [`ErrorCode::Rollback`] under its wire name.
pub const ROLLBACK: ErrorCode = ErrorCode::Rollback;
/// [`ErrorCode::BadSnapshot`] under its wire name.
pub const BAD_SNAPSHOT: ErrorCode = ErrorCode::BadSnapshot;
/// [`ErrorCode::InsufficientCredits`] under its wire name.
pub const INSUFFICIENT_CREDITS: ErrorCode = ErrorCode::InsufficientCredits;
/// [`ErrorCode::InsufficientAllowance`] under its wire name.
pub const INSUFFICIENT_ALLOWANCE: ErrorCode = ErrorCode::InsufficientAllowance;
/// [`ErrorCode::NotRefundable`] under its wire name.
pub const NOT_REFUNDABLE: ErrorCode = ErrorCode::NotRefundable;
/// [`ErrorCode::AgentLimit`] under its wire name.
pub const AGENT_LIMIT: ErrorCode = ErrorCode::AgentLimit;
/// [`ErrorCode::AgentInactive`] under its wire name.
pub const AGENT_INACTIVE: ErrorCode = ErrorCode::AgentInactive;
/// [`ErrorCode::TransferForbidden`] under its wire name.
pub const TRANSFER_FORBIDDEN: ErrorCode = ErrorCode::TransferForbidden;
/// [`ErrorCode::DuplicateId`] under its wire name.
pub const DUPLICATE_ID: ErrorCode = ErrorCode::DuplicateId;
/// [`ErrorCode::NotFound`] under its wire name.
pub const NOT_FOUND: ErrorCode = ErrorCode::NotFound;
/// [`ErrorCode::AlreadyGranted`] under its wire name.
pub const ALREADY_GRANTED: ErrorCode = ErrorCode::AlreadyGranted;
/// [`ErrorCode::ClockBackwards`] under its wire name.
pub const CLOCK_BACKWARDS: ErrorCode = ErrorCode::ClockBackwards;
/// [`ErrorCode::HoldExceeded`] under its wire name.
pub const HOLD_EXCEEDED: ErrorCode = ErrorCode::HoldExceeded;
/// [`ErrorCode::ReplayMismatch`] under its wire name.
pub const REPLAY_MISMATCH: ErrorCode = ErrorCode::ReplayMismatch;
/// [`ErrorCode::BadRequest`] under its wire name.
pub const BAD_REQUEST: ErrorCode = ErrorCode::BadRequest;
/// [`ErrorCode::UnknownAccount`] under its wire name.
pub const UNKNOWN_ACCOUNT: ErrorCode = ErrorCode::UnknownAccount;
/// [`ErrorCode::HostFailed`] under its wire name.
pub const HOST_FAILED: ErrorCode = ErrorCode::HostFailed;
/// [`ErrorCode::HostTimeout`] under its wire name.
pub const HOST_TIMEOUT: ErrorCode = ErrorCode::HostTimeout;
/// [`ErrorCode::StorageFailed`] under its wire name.
pub const STORAGE_FAILED: ErrorCode = ErrorCode::StorageFailed;
/// [`ErrorCode::OfflineLimit`] under its wire name.
pub const OFFLINE_LIMIT: ErrorCode = ErrorCode::OfflineLimit;
/// [`ErrorCode::NoSnapshot`] under its wire name.
pub const NO_SNAPSHOT: ErrorCode = ErrorCode::NoSnapshot;
/// [`ErrorCode::NotOpen`] under its wire name.
pub const NOT_OPEN: ErrorCode = ErrorCode::NotOpen;
/// [`ErrorCode::UnknownHold`] under its wire name.
pub const UNKNOWN_HOLD: ErrorCode = ErrorCode::UnknownHold;
/// [`ErrorCode::OutboxFull`] under its wire name.
pub const OUTBOX_FULL: ErrorCode = ErrorCode::OutboxFull;
/// [`ErrorCode::SaveFailed`] under its wire name.
pub const SAVE_FAILED: ErrorCode = ErrorCode::SaveFailed;
/// [`ErrorCode::TamperedCache`] under its wire name.
pub const TAMPERED_CACHE: ErrorCode = ErrorCode::TamperedCache;
/// [`ErrorCode::BadResponse`] under its wire name.
pub const BAD_RESPONSE: ErrorCode = ErrorCode::BadResponse;
/// [`ErrorCode::TransportFailed`] under its wire name.
pub const TRANSPORT_FAILED: ErrorCode = ErrorCode::TransportFailed;
/// [`ErrorCode::Timeout`] under its wire name.
pub const TIMEOUT: ErrorCode = ErrorCode::Timeout;
/// [`ErrorCode::NotAcknowledged`] under its wire name.
pub const NOT_ACKNOWLEDGED: ErrorCode = ErrorCode::NotAcknowledged;
/// [`ErrorCode::SeqGap`] under its wire name.
pub const SEQ_GAP: ErrorCode = ErrorCode::SeqGap;
/// [`ErrorCode::SeqConflict`] under its wire name.
pub const SEQ_CONFLICT: ErrorCode = ErrorCode::SeqConflict;
/// [`ErrorCode::ReserveRefused`] under its wire name.
pub const RESERVE_REFUSED: ErrorCode = ErrorCode::ReserveRefused;
/// [`ErrorCode::Unauthorized`] under its wire name.
pub const UNAUTHORIZED: ErrorCode = ErrorCode::Unauthorized;
/// [`ErrorCode::Forbidden`] under its wire name.
pub const FORBIDDEN: ErrorCode = ErrorCode::Forbidden;
/// [`ErrorCode::LimitReached`] under its wire name.
pub const LIMIT_REACHED: ErrorCode = ErrorCode::LimitReached;
/// [`ErrorCode::RateLimited`] under its wire name.
pub const RATE_LIMITED: ErrorCode = ErrorCode::RateLimited;
/// [`ErrorCode::NotInitialized`] under its wire name.
pub const NOT_INITIALIZED: ErrorCode = ErrorCode::NotInitialized;
/// [`ErrorCode::HoldNotOpen`] under its wire name.
pub const HOLD_NOT_OPEN: ErrorCode = ErrorCode::HoldNotOpen;
/// [`ErrorCode::HoldInUse`] under its wire name.
pub const HOLD_IN_USE: ErrorCode = ErrorCode::HoldInUse;
/// [`ErrorCode::HoldTooSmall`] under its wire name.
pub const HOLD_TOO_SMALL: ErrorCode = ErrorCode::HoldTooSmall;
/// [`ErrorCode::ModelNotAllowed`] under its wire name.
pub const MODEL_NOT_ALLOWED: ErrorCode = ErrorCode::ModelNotAllowed;
/// [`ErrorCode::UpstreamFailed`] under its wire name.
pub const UPSTREAM_FAILED: ErrorCode = ErrorCode::UpstreamFailed;
/// [`ErrorCode::ProxyUnavailable`] under its wire name.
pub const PROXY_UNAVAILABLE: ErrorCode = ErrorCode::ProxyUnavailable;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips_and_is_in_the_typescript_union() {
        for code in ErrorCode::ALL {
            assert_eq!(ErrorCode::parse(code.as_str()), Some(*code));
            assert!(ErrorCode::TYPESCRIPT.contains(&format!("\"{}\"", code.as_str())), "{code} missing from the union");
        }
        assert_eq!(ErrorCode::parse("NO_SUCH_CODE"), None);
    }

    #[test]
    fn codes_are_unique_screaming_snake_case() {
        let mut seen = std::collections::BTreeSet::new();
        for code in ErrorCode::ALL {
            assert!(seen.insert(code.as_str()), "{code} twice");
            assert!(code.as_str().bytes().all(|b| b.is_ascii_uppercase() || b == b'_'), "{code}");
        }
    }
}
