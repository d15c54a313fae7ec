//! `ReferenceLedger`: the reference ledger (feature `ledger`) for demos and tests in JS.
//! It speaks the wire protocol of docs/PROTOCOL.md as strings, so a host's `push`/`pull`
//! callbacks can hand it the request bodies as they would send them over the network.

use crate::base64url;
use crate::error::BAD_INPUT;
use crate::money::{count_from_f64, Credits};
use crate::reference::{LedgerConfig, RefLedger};
use crate::snapshot::SnapshotSigner;
use credit_meter::convert::{object_arg, string_arg, to_js};
use credit_meter::js_error::bad_input;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS: &'static str = r#"
/** Options of the reference ledger. */
export interface ReferenceLedgerOptions {
  /** Key id of the signing key. */
  kid: string;
  /** The 32-byte Ed25519 seed, base64url. Keep it secret: this is the ledger's key. */
  seed: string;
  /** How long a snapshot stays fresh (ms, default 5 minutes). */
  snapshotTtlMs?: number;
  /** A device's offline spending limit unless set per device (default "50"). */
  offlineLimit?: Decimal;
}
"#;

#[wasm_bindgen]
extern "C" {
    /// `ReferenceLedgerOptions` in TypeScript.
    #[derive(Debug, Clone)]
    #[wasm_bindgen(typescript_type = "ReferenceLedgerOptions")]
    pub type ReferenceLedgerOptionsJs;
    /// `Record<string, string>` in TypeScript.
    #[derive(Debug, Clone)]
    #[wasm_bindgen(typescript_type = "Record<string, string>")]
    pub type KeysJs;
}

struct Options {
    kid: String,
    seed: String,
    snapshot_ttl_ms: Option<crate::money::Count>,
    offline_limit: Option<Credits>,
}

/// The reference ledger, in memory.
#[wasm_bindgen]
pub struct ReferenceLedger {
    inner: RefLedger,
}

fn now_arg(now: &JsValue) -> Result<i64, JsValue> {
    let n = now.as_f64().ok_or_else(|| bad_input("now must be milliseconds since 1970"))?;
    count_from_f64(n).map(|n| n as i64).map_err(|e| bad_input(&format!("now: {e}")))
}

#[wasm_bindgen]
impl ReferenceLedger {
    /// A ledger signing with the given key.
    #[wasm_bindgen(constructor)]
    pub fn new(options: ReferenceLedgerOptionsJs) -> Result<ReferenceLedger, JsValue> {
        let o: Options = object_arg(options.into(), "options", BAD_INPUT)?;
        let seed = base64url::decode(&o.seed).map_err(|_| bad_input("seed must be base64url"))?;
        let seed: [u8; 32] = seed.try_into().map_err(|_| bad_input("seed must be 32 bytes"))?;
        if o.kid.is_empty() || o.kid.len() > 100 {
            return Err(bad_input("kid must be 1..100 characters"));
        }
        let mut cfg = LedgerConfig::default();
        if let Some(ttl) = o.snapshot_ttl_ms {
            cfg.snapshot_ttl_ms = ttl.get().min(1 << 50) as i64;
        }
        if let Some(limit) = o.offline_limit {
            cfg.offline_limit = limit;
        }
        Ok(ReferenceLedger { inner: RefLedger::new(SnapshotSigner::from_seed(&o.kid, &seed), cfg) })
    }

    /// The public keys clients need, `{kid: base64url}`.
    #[wasm_bindgen(js_name = publicKeys)]
    pub fn public_keys(&self) -> Result<KeysJs, JsValue> {
        let s = self.inner.signer();
        let mut map = std::collections::BTreeMap::new();
        map.insert(s.kid().to_string(), s.public_key_base64url());
        to_js(&map)
    }

    /// Answers a push request body at `now` (ms).
    pub fn push(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "string")] body: JsValue,
        #[wasm_bindgen(unchecked_param_type = "number")] now: JsValue,
    ) -> Result<String, JsValue> {
        let body = string_arg(&body, "body")?;
        Ok(self.inner.handle_push(&body, now_arg(&now)?))
    }

    /// Answers a pull request body at `now` (ms).
    pub fn pull(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "string")] body: JsValue,
        #[wasm_bindgen(unchecked_param_type = "number")] now: JsValue,
    ) -> Result<String, JsValue> {
        let body = string_arg(&body, "body")?;
        Ok(self.inner.handle_pull(&body, now_arg(&now)?))
    }

    /// Runs an admin command (`{"op":"createAccount"|"purchase"|"grant"|"signup"|
    /// "setOfflineLimit"|"balance", …}`, see src/server/admin.rs) at `now`; returns
    /// `{"ok":true,"result":…}` or `{"ok":false,"error":{code,message}}` as JSON text.
    pub fn admin(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "string")] body: JsValue,
        #[wasm_bindgen(unchecked_param_type = "number")] now: JsValue,
    ) -> Result<String, JsValue> {
        let body = string_arg(&body, "body")?;
        Ok(self.inner.handle_admin(&body, now_arg(&now)?))
    }
}

json_from!(Options [deny] { kid: "kid", seed: "seed", snapshot_ttl_ms: "snapshotTtlMs" = default, offline_limit: "offlineLimit" = default });
