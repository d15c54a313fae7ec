//! One source of truth per rate where the service holds both sides: the proxy's catalog
//! prices a credit-paid call (`price`), and an account's policy converts credits into an
//! allowance at its `unitsPerCredit`. The policy is the source; a catalog operation that
//! counts an allowance's unit must charge exactly that rate
//! (`Catalog::check_allowance_rate`), or a message paid in credits would cost another
//! price than one paid from the allowance.
//!
//! Checked at load: at startup for the demo's AssistLore account, and on every admin
//! `createAccount` while the proxy runs. A disagreeing pair is refused with
//! `BAD_CATALOG` and never reaches the ledger.

use credit_meter_base::json::{self, Value};
use credit_meter_core::catalog::{Catalog, CatalogError};
use credit_meter_ledger_core::model::Policy;

/// Checks each allowance of `policy` against the operations of `catalog` in its unit.
pub(crate) fn check(catalog: &Catalog, policy: &Policy) -> Result<(), CatalogError> {
    policy.allowances.iter().try_for_each(|a| catalog.check_allowance_rate(a.kind.json_name(), a.units_per_credit))
}

/// The policy an admin `createAccount` command names (a preset's name or a policy
/// object); `None` for other commands and for policies the ledger will refuse anyway.
pub(crate) fn created_policy(body: &str) -> Option<Policy> {
    let v = json::from_str::<Value>(body).ok()?;
    if v.get("op")?.as_str()? != "createAccount" {
        return None;
    }
    match v.get("policy")? {
        Value::String(name) => Policy::preset(name),
        other => Policy::from_json(&json::to_string(other)).ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use credit_meter_ledger_core::model::AllowanceKind;
    use credit_meter_protocol::error::Coded;

    #[test]
    fn the_built_in_catalog_agrees_with_both_presets() {
        let c = Catalog::default_catalog();
        for name in ["assistLore", "trueRecall"] {
            check(&c, &Policy::preset(name).unwrap()).unwrap();
        }
    }

    #[test]
    fn a_policy_converting_llm_tokens_at_another_rate_is_refused() {
        let mut p = Policy::assist_lore();
        p.allowances.iter_mut().filter(|a| a.kind == AllowanceKind::LlmTokens).for_each(|a| a.units_per_credit = 800.into());
        let e = check(&Catalog::default_catalog(), &p).unwrap_err();
        assert_eq!(e.code().as_str(), "BAD_CATALOG");
        assert!(e.to_string().contains("\"message\"") && e.to_string().contains("800"), "{e}");
        // A catalog that prices messages by the model has no rate to agree with.
        let by_model = credit_meter_core::catalog::DEFAULT_CATALOG_JSON.replace(r#""tokensPerCredit": "1000""#, r#""markup": "1""#);
        let e = check(&Catalog::parse(&by_model).unwrap(), &Policy::assist_lore()).unwrap_err();
        assert_eq!(e.code().as_str(), "BAD_CATALOG");
        check(&Catalog::parse(&by_model).unwrap(), &Policy::true_recall()).unwrap();
    }

    #[test]
    fn create_account_commands_name_their_policy() {
        let named = created_policy(r#"{"op":"createAccount","accountId":"a","policy":"assistLore"}"#).unwrap();
        assert_eq!(named.name, "assistLore");
        let object = json::to_string(&json::to_value(&Policy::assist_lore()));
        let inline = created_policy(&format!(r#"{{"op":"createAccount","accountId":"a","policy":{object}}}"#)).unwrap();
        assert_eq!(inline.allowances, Policy::assist_lore().allowances);
        assert!(created_policy(r#"{"op":"signup","accountId":"a"}"#).is_none());
        assert!(created_policy(r#"{"op":"createAccount","accountId":"a","policy":"nope"}"#).is_none());
    }
}
