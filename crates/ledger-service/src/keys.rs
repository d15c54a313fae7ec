//! The ledger's snapshot signing keys, in their own file (JSON, created `0600`, never in
//! the database and never under a served directory):
//!
//! ```json
//! {"keys":[{"kid":"ledger-1764000000000-AbCdEfGh","seed":"<base64url 32 bytes>","createdAt":1764000000000,"signFrom":1764000000000}]}
//! ```
//!
//! Every key in the file is published on `/v1/keys`; snapshots are signed with the key
//! whose `signFrom` is the latest one not in the future. `keys rotate` appends a new key
//! whose `signFrom` is `overlap` ahead, so clients learn the new key id before any
//! snapshot uses it (docs/PROTOCOL.md §4, key rotation) and the old public key stays
//! published. Key ids sort in creation order. The service re-reads the file
//! periodically, so a rotation needs no restart.

use credit_meter_base::json::{self, Value};
use credit_meter_protocol::base64url;
use credit_meter_protocol::snapshot::SnapshotSigner;
use std::io::Write as _;
use std::path::Path;

/// One key in the file.
#[derive(Clone)]
pub(crate) struct KeyEntry {
    /// The key id.
    pub kid: String,
    seed: [u8; 32],
    /// When it was made (ms).
    pub created_at: i64,
    /// From when it signs (ms).
    pub sign_from: i64,
}

impl std::fmt::Debug for KeyEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyEntry").field("kid", &self.kid).field("sign_from", &self.sign_from).finish_non_exhaustive()
    }
}

/// The keys of the file, each with its signer built once: deriving an Ed25519 key from
/// its seed (a scalar multiplication) on every request was ~5% of a push's CPU. A
/// rotation is picked up by re-reading the file, which builds a new ring, so the cached
/// signers never outlive the file they came from.
#[derive(Debug, Clone)]
pub(crate) struct KeyRing {
    keys: Vec<KeyEntry>,
    /// `signers[i]` signs with `keys[i]`.
    signers: Vec<SnapshotSigner>,
}

impl KeyRing {
    fn new(keys: Vec<KeyEntry>) -> KeyRing {
        let signers = keys.iter().map(|k| SnapshotSigner::from_seed(&k.kid, &k.seed)).collect();
        KeyRing { keys, signers }
    }

    /// The signer to use at `now`: the latest `signFrom` not after `now` (the first key
    /// if all are in the future, which a sane file never has).
    pub(crate) fn signer(&self, now: i64) -> SnapshotSigner {
        let due = self
            .keys
            .iter()
            .enumerate()
            .filter(|(_, k)| k.sign_from <= now)
            .max_by(|(_, a), (_, b)| (a.sign_from, &a.kid).cmp(&(b.sign_from, &b.kid)))
            .map(|(i, _)| i);
        let best = due.unwrap_or(0);
        self.signers[best].clone()
    }

    /// `{kid: base64url public key}` of every key: what `/v1/keys` answers.
    pub(crate) fn public_json(&self) -> String {
        json::to_string(&Value::Object(
            self.signers.iter().map(|s| (s.kid().to_string(), Value::String(s.public_key_base64url()))).collect(),
        ))
    }
}

/// A new key made at `now`, signing from `sign_from`.
fn new_key(now: i64, sign_from: i64) -> Result<KeyEntry, String> {
    let mut bytes = [0u8; 38];
    getrandom::fill(&mut bytes).map_err(|e| format!("no OS randomness: {e}"))?;
    let mut seed = [0u8; 32];
    seed.copy_from_slice(&bytes[..32]);
    Ok(KeyEntry { kid: format!("ledger-{now:013}-{}", base64url::encode(&bytes[32..])), seed, created_at: now, sign_from })
}

fn to_text(keys: &[KeyEntry]) -> String {
    let list = keys
        .iter()
        .map(|k| {
            Value::object([
                ("kid", Value::String(k.kid.clone())),
                ("seed", Value::String(base64url::encode(&k.seed))),
                ("createdAt", json::to_value(&k.created_at)),
                ("signFrom", json::to_value(&k.sign_from)),
            ])
        })
        .collect();
    json::to_string(&Value::object([("keys", Value::Array(list))]))
}

fn from_text(text: &str) -> Result<Vec<KeyEntry>, String> {
    let v: Value = json::from_str(text).map_err(|e| format!("key file: {e}"))?;
    let list = match v.get("keys") {
        Some(Value::Array(a)) => a.clone(),
        _ => return Err("key file: no \"keys\" list".into()),
    };
    let mut out = Vec::new();
    for k in list {
        let s =
            |name: &str| k.get(name).and_then(Value::as_str).map(str::to_string).ok_or_else(|| format!("key file: a key without {name:?}"));
        let n = |name: &str| -> Result<i64, String> {
            k.get(name)
                .cloned()
                .map(json::from_value::<i64>)
                .transpose()
                .map_err(|e| format!("key file: {e}"))?
                .ok_or_else(|| format!("key file: a key without {name:?}"))
        };
        let kid = s("kid")?;
        let seed: [u8; 32] = base64url::decode(&s("seed")?)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| format!("key file: key {kid:?}: the seed is not 32 bytes of base64url"))?;
        out.push(KeyEntry { kid, seed, created_at: n("createdAt")?, sign_from: n("signFrom")? });
    }
    if out.is_empty() {
        return Err("key file: no keys".into());
    }
    if out.len() > MAX_KEYS {
        return Err(too_many(out.len()));
    }
    Ok(out)
}

/// The most keys the file may hold: every one is published, and a client refuses to open
/// with more (`Meter.open` throws `BAD_KEY`, PROTOCOL §2).
const MAX_KEYS: usize = credit_meter_protocol::snapshot::MAX_KEYS;

/// Why a key file with `n` keys is refused.
fn too_many(n: usize) -> String {
    format!(
        "key file: {n} keys, and a client opens with at most {MAX_KEYS} (PROTOCOL §2): remove from the file the keys \
         no cached snapshot may still carry (the oldest, signing before the last rotation's overlap)"
    )
}

/// Writes the file atomically (a temp file beside it, `0600`, renamed over it).
fn write(path: &Path, keys: &[KeyEntry]) -> Result<(), String> {
    let tmp = path.with_extension("tmp");
    let _ = std::fs::remove_file(&tmp);
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(&tmp).map_err(|e| format!("cannot create {}: {e}", tmp.display()))?;
    f.write_all(to_text(keys).as_bytes()).and_then(|()| f.sync_all()).map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Reads the key file, creating it with one new key when it does not exist.
pub(crate) fn load_or_create(path: &Path, now: i64) -> Result<(KeyRing, bool), String> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok((KeyRing::new(from_text(&text)?), false)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
            }
            let keys = vec![new_key(now, now)?];
            write(path, &keys)?;
            Ok((KeyRing::new(keys), true))
        }
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

/// Reads the key file (it must exist).
pub(crate) fn load(path: &Path) -> Result<KeyRing, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Ok(KeyRing::new(from_text(&text)?))
}

/// `keys rotate`: appends a key that signs from `now + overlap_ms`. Returns its id.
pub(crate) fn rotate(path: &Path, now: i64, overlap_ms: i64) -> Result<String, String> {
    let mut keys = load(path)?.keys;
    if keys.len() >= MAX_KEYS {
        return Err(too_many(keys.len() + 1));
    }
    let key = new_key(now, now.saturating_add(overlap_ms))?;
    let kid = key.kid.clone();
    keys.push(key);
    write(path, &keys)?;
    Ok(kid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotation_publishes_the_next_key_first_and_signs_with_it_after_the_overlap() {
        let dir = std::env::temp_dir().join(format!("cm-keys-{}-{}", std::process::id(), line!()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = dir.join("keys.json");
        let (ring, created) = load_or_create(&path, 1_000).expect("created");
        assert!(created);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777, 0o600);
        }
        let first = ring.signer(1_000).kid().to_string();
        let next = rotate(&path, 2_000, 10_000).expect("rotated");
        let ring = load(&path).expect("reloaded");
        assert!(ring.public_json().contains(&first) && ring.public_json().contains(&next), "both published");
        assert_eq!(ring.signer(11_999).kid(), first, "the old key signs during the overlap");
        assert_eq!(ring.signer(12_000).kid(), next, "the new key signs after it");
        assert!(next > first, "key ids sort in rotation order");
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A client opens with at most 64 public keys: the 64th rotation is refused with the
    /// reason, the file unchanged, and a file that holds more is refused on loading.
    #[test]
    fn no_rotation_publishes_more_keys_than_a_client_accepts() {
        let dir = std::env::temp_dir().join(format!("cm-keys-{}-{}", std::process::id(), line!()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = dir.join("keys.json");
        load_or_create(&path, 1_000).expect("created");
        for i in 1..MAX_KEYS {
            rotate(&path, 1_000 + i as i64, 10).expect("within the bound");
        }
        let before = std::fs::read_to_string(&path).expect("read");
        let refused = rotate(&path, 5_000, 10).expect_err("a 65th key");
        assert!(refused.contains("at most 64"), "{refused}");
        assert_eq!(std::fs::read_to_string(&path).expect("read"), before, "the file is unchanged");
        let mut keys = load(&path).expect("64 load").keys;
        keys.push(new_key(6_000, 6_000).expect("key"));
        write(&path, &keys).expect("written");
        assert!(load(&path).expect_err("65 keys").contains("65 keys"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
