//! A database written with the previous schema (version 3) opens, migrates and answers
//! exactly as before; and this schema's shape is what a push writes. Since version 3 the
//! account's policy is stored apart from its record (SQLite: a column of `accounts`;
//! PostgreSQL: `account_policies`, so that the account row every push updates does not
//! carry it), written only when it changes, where the record held it.
//!
//! Checked on the old database, with data: re-sent pushes are duplicates with their
//! original results (a refusal with its code), `/v1/state` is unchanged, the journal goes
//! on from where it was, and the account's next write moves the policy out of its record.
//! On SQLite, and on PostgreSQL when `CREDIT_METER_TEST_POSTGRES_URL` is set.

mod support;
use credit_meter_protocol::message::{MutationResult, ResultStatus};
use serde_json::{json, Value};
use support::*;

/// The database under test, opened directly by the test.
enum Db {
    Sqlite(std::path::PathBuf),
    Postgres(String),
}

impl Db {
    fn one<T>(&self, q: &str) -> T
    where
        T: rusqlite::types::FromSql + for<'a> postgres::types::FromSql<'a>,
    {
        match self {
            Db::Sqlite(p) => rusqlite::Connection::open(p).unwrap().query_row(q, [], |r| r.get(0)).unwrap(),
            Db::Postgres(u) => pg(u).query_one(q, &[]).unwrap().get(0),
        }
    }

    fn record(&self) -> Value {
        serde_json::from_str(&self.one::<String>("SELECT record FROM accounts WHERE id = 'demo'")).unwrap()
    }

    /// The account's policy as stored apart from its record (`None`: not stored apart).
    fn policy(&self) -> Option<Value> {
        let text: Option<String> = match self {
            Db::Sqlite(_) => self.one("SELECT policy FROM accounts WHERE id = 'demo'"),
            Db::Postgres(_) => self.one("SELECT (SELECT policy FROM account_policies WHERE account_id = 'demo')"),
        };
        text.map(|t| serde_json::from_str(&t).unwrap())
    }

    /// The schema version this build migrates to (PostgreSQL's 5th adds the save stamp,
    /// `account_cache`, which SQLite does not use; the next, each backend's, the
    /// subscriptions that pay for plans; the last, the paid sessions the webhook refused).
    fn latest(&self) -> i64 {
        match self {
            Db::Sqlite(_) => 6,
            Db::Postgres(_) => 7,
        }
    }

    fn downgrade(&self) {
        match self {
            Db::Sqlite(p) => schema::sqlite_to_3(p),
            Db::Postgres(u) => schema::postgres_to_3(u),
        }
    }
}

fn pg(url: &str) -> postgres::Client {
    postgres::Client::connect(url, postgres::NoTls).unwrap()
}

fn pushes() -> [Value; 2] {
    [
        json!([reserve(1, "d1:1", "10"), commit(2, "d1:1", "7"), reserve(3, "d1:2", "4")]),
        // The last one is refused: a duplicate of it answers with its code.
        json!([release(4, "d1:2"), reserve(5, "d1:3", "2"), commit(6, "zz:9", "1")]),
    ]
}

/// What a duplicate of a result must answer: seq, status, code and amounts.
fn answer(r: &MutationResult) -> (u64, Option<ResultStatus>, Option<String>, String) {
    let original = if r.status == ResultStatus::Duplicate { r.original } else { Some(r.status) };
    (r.seq, original, r.code.clone(), format!("{:?}/{:?}/{:?}", r.charged, r.overdraft, r.unpaid))
}

/// Every push re-sent is a duplicate answering its original results.
fn resend_answers(s: &Server, sent: &[(Value, Vec<MutationResult>)]) {
    for (mutations, first) in sent {
        let (r, _) = s.push("demo", "d1", mutations.clone());
        assert!(r.results.iter().all(|x| x.status == ResultStatus::Duplicate), "{r:?}");
        let again: Vec<_> = r.results.iter().map(answer).collect();
        let want: Vec<_> = first.iter().map(answer).collect();
        assert_eq!(again, want);
    }
}

fn previous_schema_still_answers(dir: &std::path::Path, url: &str, db: Db) {
    let s = Server::start_db(dir, url, &[]);
    let mut sent = Vec::new();
    for (n, p) in pushes().into_iter().enumerate() {
        let (r, _) = s.push("demo", "d1", p.clone());
        assert_eq!(r.results.iter().filter(|x| x.status == ResultStatus::Applied).count(), [3, 2][n], "{r:?}");
        sent.push((p, r.results));
    }
    assert_eq!(sent[1].1[2].code.as_deref(), Some("NOT_FOUND"));
    // The policy is apart from the record.
    let policy = db.policy().expect("the policy stored apart");
    assert_eq!(policy["name"], s.state("demo")["policy"]);
    assert!(db.record().get("policy").is_none(), "{}", db.record());
    resend_answers(&s, &sent);
    let state = s.state("demo");
    assert!(state["entries"].as_array().unwrap().len() >= 4, "{state}");
    s.kill();

    // The same database as the previous schema wrote it.
    db.downgrade();
    assert_eq!(db.record()["policy"], policy);
    let s = Server::start_db(dir, url, &[]);
    let version: i64 = db.one("SELECT max(version) FROM schema_version");
    assert_eq!(version, db.latest(), "migrated");
    let after = s.state("demo");
    for field in ["balance", "holds", "devices", "version", "policy", "entries"] {
        assert_eq!(after[field], state[field], "{field}");
    }
    resend_answers(&s, &sent);
    // The journal goes on after the old entries; the write moved the policy out again.
    let third = json!([commit(7, "d1:3", "2")]);
    let (r, _) = s.push("demo", "d1", third.clone());
    assert_eq!(r.results[0].status, ResultStatus::Applied);
    assert_eq!(db.policy(), Some(policy));
    assert!(db.record().get("policy").is_none(), "{}", db.record());
    sent.push((third, r.results));
    resend_answers(&s, &sent);
    let later = s.state("demo");
    let (old, new) = (state["entries"].as_array().unwrap(), later["entries"].as_array().unwrap());
    assert_eq!(new.len(), old.len() + 1);
    assert_eq!(&new[..old.len()], &old[..]);
    assert_eq!(new.last().unwrap()["holdId"], json!("d1:3"), "{}", new.last().unwrap());
    s.kill();
}

#[test]
fn sqlite_previous_schema_still_answers() {
    let dir = temp_dir("previous-schema");
    let path = dir.join("ledger.sqlite");
    let url = format!("sqlite:{}", path.display());
    previous_schema_still_answers(&dir, &url, Db::Sqlite(path.clone()));
}

#[test]
fn postgres_previous_schema_still_answers() {
    let Some(url) = postgres_db("previous_schema") else { return };
    let dir = temp_dir("pg-previous-schema");
    previous_schema_still_answers(&dir, &url, Db::Postgres(url.clone()));
}
