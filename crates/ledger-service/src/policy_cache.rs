//! Account policies parsed once per distinct policy text.
//!
//! Every request on an account loads its policy — about 60% of the stored account — and
//! parsing it again on every push (its JSON value tree, its decimal amounts) was ~11% of
//! the service's CPU per push. Accounts share a few policies (a product's preset, a
//! vendor's own few), so the policy parsed from a text is kept by that text and handed out
//! as a copy. The cache is bounded ([`CAPACITY`] texts; when full it starts over), so its
//! memory does not grow with the number of accounts.

use credit_meter_base::json::{self, FromJson, Value};
use credit_meter_ledger_core::model::Policy;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

/// Most policy texts kept.
const CAPACITY: usize = 64;

/// Parsed policies by their stored text.
static PARSED: Mutex<Option<HashMap<String, Arc<Policy>>>> = Mutex::new(None);

/// The policy a stored policy text holds.
pub(crate) fn parse(text: &str) -> Result<Arc<Policy>, String> {
    if let Some(p) = PARSED.lock().unwrap_or_else(PoisonError::into_inner).as_ref().and_then(|m| m.get(text)) {
        return Ok(Arc::clone(p));
    }
    let v: Value = json::from_str(text).map_err(|e| format!("stored policy: {e}"))?;
    let policy = Arc::new(<Policy as FromJson>::from_json(v).map_err(|e| format!("stored policy: {e}"))?);
    let mut parsed = PARSED.lock().unwrap_or_else(PoisonError::into_inner);
    let map = parsed.get_or_insert_with(HashMap::new);
    if map.len() >= CAPACITY {
        map.clear();
    }
    map.insert(text.to_string(), Arc::clone(&policy));
    Ok(policy)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(name: &str) -> String {
        let mut p = Policy::true_recall();
        p.name = name.to_string();
        json::to_string(&json::to_value(&p))
    }

    #[test]
    fn a_policy_text_is_parsed_once_and_the_cache_stays_bounded() {
        let first = parse(&text("cached-a")).expect("parses");
        assert_eq!(first.name, "cached-a");
        let again = parse(&text("cached-a")).expect("parses");
        assert!(Arc::ptr_eq(&first, &again), "the second parse of the same text is the cached one");
        for n in 0..3 * CAPACITY {
            assert_eq!(parse(&text(&format!("cached-{n}"))).expect("parses").name, format!("cached-{n}"));
        }
        let held = PARSED.lock().unwrap_or_else(PoisonError::into_inner).as_ref().map_or(0, HashMap::len);
        assert!(held <= CAPACITY, "{held} texts kept");
        assert!(parse("{\"name\":1}").is_err());
        assert!(parse("not json").is_err());
    }
}
