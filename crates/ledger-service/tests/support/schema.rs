//! Databases as an earlier schema wrote them: tests turn a database this build wrote back
//! into schema version 3 (before the account's policy was stored apart from its record),
//! then check that this build opens it and answers as before.

use serde_json::Value;
use std::path::Path;

/// The record text with the policy put back in as its `policy` member.
fn with_policy(record: &str, policy: &str) -> String {
    let mut rec: Value = serde_json::from_str(record).unwrap();
    rec["policy"] = serde_json::from_str(policy).unwrap();
    rec.to_string()
}

/// A PostgreSQL database back to schema version 3: the policy inside each account's record.
pub(crate) fn postgres_to_3(url: &str) {
    let mut c = postgres::Client::connect(url, postgres::NoTls).unwrap();
    let rows = c.query("SELECT a.id, a.record, p.policy FROM accounts a JOIN account_policies p ON p.account_id = a.id", &[]).unwrap();
    for r in rows {
        let (id, record, policy): (String, String, String) = (r.get(0), r.get(1), r.get(2));
        c.execute("UPDATE accounts SET record = $2 WHERE id = $1", &[&id, &with_policy(&record, &policy)]).unwrap();
    }
    // Later migrations' changes go too: the account's policy table, the save stamp, the
    // subscriptions that pay for plans, the refused paid sessions.
    c.batch_execute(
        "DROP TABLE account_policies; ALTER TABLE accounts DROP COLUMN stamp; DROP TABLE account_subscriptions; \
         DROP TABLE refused_payments; DELETE FROM schema_version WHERE version > 3;",
    )
    .unwrap();
}

/// A SQLite database back to schema version 3: the policy inside each account's record.
pub(crate) fn sqlite_to_3(path: &Path) {
    let c = rusqlite::Connection::open(path).unwrap();
    let rows: Vec<(String, String, String)> = {
        let mut s = c.prepare("SELECT id, record, policy FROM accounts WHERE policy IS NOT NULL").unwrap();
        s.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().map(Result::unwrap).collect()
    };
    for (id, record, policy) in rows {
        c.execute("UPDATE accounts SET record = ?2 WHERE id = ?1", [&id, &with_policy(&record, &policy)]).unwrap();
    }
    c.execute_batch(
        "ALTER TABLE accounts DROP COLUMN policy; DROP TABLE account_subscriptions; DROP TABLE refused_payments; \
         DELETE FROM schema_version WHERE version > 3;",
    )
    .unwrap();
}
