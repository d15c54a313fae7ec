//! The client's rules for a verified snapshot: whose it is, whether it is newer than the
//! one held, and whether it (and the clock) can be trusted now.

use super::envelope::Verified;
use super::error::SnapshotError;
use super::payload::SnapshotPayload;

/// How far (ms) the local clock may be behind the ledger's `issuedAt` and still be
/// trusted: five minutes.
pub const CLOCK_SKEW_MS: i64 = 5 * 60_000;

/// Whether the held snapshot can be relied on at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// No snapshot yet: nothing can be spent until a pull succeeds.
    None,
    /// Before `expiresAt`: spending up to the available balance.
    Fresh,
    /// At or past `expiresAt`: spending only up to the offline limit.
    Stale,
    /// The clock is earlier than the snapshot's `issuedAt` (or an instant already seen)
    /// minus [`CLOCK_SKEW_MS`]: treated as stale.
    ClockUntrusted,
}

impl Freshness {
    /// Whether spending is bounded by the offline limit (stale or untrusted clock).
    pub fn is_bounded(self) -> bool {
        !matches!(self, Freshness::Fresh)
    }

    /// The stable string (`"fresh"`, `"stale"`, `"clockUntrusted"`, `"none"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Freshness::None => "none",
            Freshness::Fresh => "fresh",
            Freshness::Stale => "stale",
            Freshness::ClockUntrusted => "clockUntrusted",
        }
    }
}

/// Refuses a snapshot signed for another account or device (`WRONG_ACCOUNT`).
pub fn check_identity(p: &SnapshotPayload, account_id: &str, device_id: &str) -> Result<(), SnapshotError> {
    if p.account_id != account_id || p.device_id != device_id {
        return Err(SnapshotError::WrongAccount);
    }
    Ok(())
}

/// Refuses a snapshot older than the one held (`ROLLBACK`): a lower `seq`, or a lower
/// `lastMutationSeq`. An equal `seq` is accepted (the same answer delivered twice).
pub fn check_successor(held: Option<&SnapshotPayload>, new: &SnapshotPayload) -> Result<(), SnapshotError> {
    if let Some(h) = held {
        if new.seq < h.seq || new.last_mutation_seq < h.last_mutation_seq {
            return Err(SnapshotError::Rollback { held: h.seq, offered: new.seq });
        }
    }
    Ok(())
}

/// Refuses a snapshot older than the one held, across key rotations (`ROLLBACK`).
/// Signed with the held snapshot's key id, [`check_successor`] applies. Signed with a
/// *later* key id (key ids compare as strings, in rotation order) the ledger rotated its
/// key: the new snapshot becomes the baseline even with a lower `seq` or
/// `lastMutationSeq` — TUF's recovery from a fast-forward attack, so that a `seq` pushed
/// far ahead under the old key cannot lock the client out. Signed with an *earlier* key
/// id it is refused: once a client has moved to a new key, the old one cannot roll it back.
pub fn check_successor_signed(held: Option<&Verified>, new: &Verified) -> Result<(), SnapshotError> {
    let Some(h) = held else { return Ok(()) };
    match new.envelope.kid.cmp(&h.envelope.kid) {
        std::cmp::Ordering::Equal => check_successor(Some(&h.payload), &new.payload),
        std::cmp::Ordering::Greater => Ok(()),
        std::cmp::Ordering::Less => Err(SnapshotError::Rollback { held: h.payload.seq, offered: new.payload.seq }),
    }
}

/// The snapshot's freshness at `now`, given the latest instant the client has seen.
pub fn freshness(p: Option<&SnapshotPayload>, now: i64, latest_seen: i64) -> Freshness {
    let Some(p) = p else { return Freshness::None };
    let floor = p.issued_at.max(latest_seen).saturating_sub(CLOCK_SKEW_MS);
    if now < floor {
        Freshness::ClockUntrusted
    } else if now >= p.expires_at {
        Freshness::Stale
    } else {
        Freshness::Fresh
    }
}

json_unit_enum!(Freshness { None = "none", Fresh = "fresh", Stale = "stale", ClockUntrusted = "clockUntrusted" });
