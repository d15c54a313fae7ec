//! The account record holds live state only: closed holds, their owners and mutation
//! fingerprints go to their own tables (`store::history`) and are read back by id, so a
//! re-sent push is still a `duplicate` with its original result and a re-sent reserve of
//! a closed hold is still `DUPLICATE_ID`. A database written before those tables (the
//! history inside the record, schema version 2) opens, answers the same, and has its
//! history moved out by the account's next write. On SQLite, and on PostgreSQL when
//! `CREDIT_METER_TEST_POSTGRES_URL` is set.

mod support;
use credit_meter_protocol::message::ResultStatus;
use serde_json::{json, Value};
use support::*;

/// The database under test, opened directly by the test.
enum Db {
    Sqlite(std::path::PathBuf),
    Postgres(String),
}

/// A closed hold row: (hold id, hold JSON, owner).
type HoldRow = (String, String, Option<String>);
/// A fingerprint row: (device, fingerprint, seq).
type SeenRow = (String, Vec<u8>, i64);

impl Db {
    fn record(&self) -> Value {
        let text: String = match self {
            Db::Sqlite(p) => {
                rusqlite::Connection::open(p).unwrap().query_row("SELECT record FROM accounts WHERE id = 'demo'", [], |r| r.get(0)).unwrap()
            }
            Db::Postgres(u) => pg(u).query_one("SELECT record FROM accounts WHERE id = 'demo'", &[]).unwrap().get(0),
        };
        serde_json::from_str(&text).unwrap()
    }

    fn holds(&self) -> Vec<HoldRow> {
        self.rows("SELECT hold_id, hold, owner FROM closed_holds WHERE account_id = 'demo' ORDER BY hold_id")
    }

    fn fingerprints(&self) -> Vec<SeenRow> {
        self.rows("SELECT device_id, fingerprint, seq FROM fingerprints WHERE account_id = 'demo' ORDER BY device_id, seq")
    }

    /// The three columns of every row `q` selects.
    fn rows<A, B, C>(&self, q: &str) -> Vec<(A, B, C)>
    where
        A: rusqlite::types::FromSql + for<'a> postgres::types::FromSql<'a>,
        B: rusqlite::types::FromSql + for<'a> postgres::types::FromSql<'a>,
        C: rusqlite::types::FromSql + for<'a> postgres::types::FromSql<'a>,
    {
        match self {
            Db::Sqlite(p) => {
                let c = rusqlite::Connection::open(p).unwrap();
                let mut s = c.prepare(q).unwrap();
                s.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().map(Result::unwrap).collect()
            }
            Db::Postgres(u) => pg(u).query(q, &[]).unwrap().iter().map(|r| (r.get(0), r.get(1), r.get(2))).collect(),
        }
    }

    /// Turns the database back into what the service wrote before the history tables:
    /// the history inside the record (as `record::to_json` wrote it then), no history
    /// tables, schema version 2.
    fn downgrade(&self) {
        match self {
            Db::Sqlite(p) => schema::sqlite_to_3(p),
            Db::Postgres(u) => schema::postgres_to_3(u),
        }
        let mut rec = self.record();
        for (id, hold, owner) in self.holds() {
            rec["state"]["holds"].as_array_mut().unwrap().push(serde_json::from_str(&hold).unwrap());
            if let Some(owner) = owner {
                rec["holdOwner"][id] = json!(owner);
            }
        }
        for (device, fp, seq) in self.fingerprints() {
            let hex: String = fp.iter().map(|b| format!("{b:02x}")).collect();
            let d = &mut rec["devices"][device];
            if d.get("fingerprints").is_none() {
                d["fingerprints"] = json!([]);
            }
            d["fingerprints"].as_array_mut().unwrap().push(json!([hex, seq]));
        }
        let text = rec.to_string();
        let undo = "DROP TABLE closed_holds; DROP TABLE fingerprints; DELETE FROM schema_version WHERE version > 2;";
        match self {
            Db::Sqlite(p) => {
                let c = rusqlite::Connection::open(p).unwrap();
                c.execute("UPDATE accounts SET record = ?1 WHERE id = 'demo'", [&text]).unwrap();
                c.execute_batch(undo).unwrap();
            }
            Db::Postgres(u) => {
                let mut c = pg(u);
                c.execute("UPDATE accounts SET record = $1 WHERE id = 'demo'", &[&text]).unwrap();
                c.batch_execute(undo).unwrap();
            }
        }
    }
}

fn pg(url: &str) -> postgres::Client {
    postgres::Client::connect(url, postgres::NoTls).unwrap()
}

fn hold_ids(rec: &Value) -> Vec<String> {
    rec["state"]["holds"].as_array().unwrap().iter().map(|h| h["id"].as_str().unwrap().to_string()).collect()
}

fn pushes() -> [Value; 2] {
    [
        json!([reserve(1, "d1:1", "10"), commit(2, "d1:1", "7"), reserve(3, "d1:2", "4")]),
        json!([release(4, "d1:2"), reserve(5, "d1:3", "2")]),
    ]
}

/// Re-sent pushes are duplicates with their original results; a closed hold's id is still
/// taken; a closed hold cannot be committed or released again.
fn answers_from_history(s: &Server, next_seq: u64) {
    let [first, second] = pushes();
    let (dup, _) = s.push("demo", "d1", first);
    assert!(dup.results.iter().all(|r| r.status == ResultStatus::Duplicate && r.original == Some(ResultStatus::Applied)), "{dup:?}");
    assert_eq!(dup.results[1].charged, Some(c("7")));
    let (dup, _) = s.push("demo", "d1", second);
    assert!(dup.results.iter().all(|r| r.status == ResultStatus::Duplicate), "{dup:?}");
    // New content each time (`at`): a mutation's fingerprint leaves its seq out.
    let mut again = json!([
        reserve(next_seq, "d1:1", "1"),
        commit(next_seq + 1, "d1:1", "1"),
        release(next_seq + 2, "d1:2"),
        reserve(next_seq + 3, "d1:2", "1")
    ]);
    for m in again.as_array_mut().unwrap() {
        m["at"] = json!(next_seq);
    }
    let (r, _) = s.push("demo", "d1", again);
    let codes: Vec<_> = r.results.iter().map(|r| (r.status, r.code.clone().unwrap_or_default())).collect();
    assert_eq!(
        codes,
        [
            (ResultStatus::Refused, "DUPLICATE_ID".to_string()),
            (ResultStatus::Refused, "NOT_FOUND".to_string()),
            (ResultStatus::Refused, "NOT_FOUND".to_string()),
            (ResultStatus::Refused, "DUPLICATE_ID".to_string()),
        ]
    );
}

fn history_lives_beside_the_record(dir: &std::path::Path, url: &str, db: Db) {
    let s = Server::start_db(dir, url, &[]);
    let before = credits(&s.state("demo")["balance"]);
    for p in pushes() {
        let (r, _) = s.push("demo", "d1", p);
        assert!(r.results.iter().all(|x| x.status == ResultStatus::Applied), "{r:?}");
    }
    // The record keeps the open hold only; the closed ones and all five fingerprints are rows.
    let rec = db.record();
    assert_eq!(hold_ids(&rec), ["d1:3"]);
    assert_eq!(rec["holdOwner"], json!({"d1:3": "d1"}));
    assert!(rec["devices"]["d1"].get("fingerprints").is_none());
    let holds: Vec<(String, Option<String>)> = db.holds().into_iter().map(|(id, _, owner)| (id, owner)).collect();
    assert_eq!(holds, [("d1:1".to_string(), Some("d1".to_string())), ("d1:2".to_string(), Some("d1".to_string()))]);
    assert_eq!(db.fingerprints().iter().map(|f| f.2).collect::<Vec<_>>(), [1, 2, 3, 4, 5]);
    answers_from_history(&s, 6);
    let state = s.state("demo");
    assert_eq!(credits(&state["balance"]).checked_add(c("7")).unwrap(), before);
    s.kill();

    // The same database as the service wrote it before the history tables.
    db.downgrade();
    let rec = db.record();
    assert_eq!(hold_ids(&rec), ["d1:3", "d1:1", "d1:2"]);
    assert_eq!(rec["devices"]["d1"]["fingerprints"].as_array().unwrap().len(), 9);
    let s = Server::start_db(dir, url, &[]);
    let after = s.state("demo");
    for field in ["balance", "holds", "devices", "version"] {
        assert_eq!(after[field], state[field], "{field}");
    }
    // Answered from the record; the first write moves the history out of it.
    answers_from_history(&s, 10);
    let rec = db.record();
    assert_eq!(hold_ids(&rec), ["d1:3"]);
    assert!(rec["devices"]["d1"].get("fingerprints").is_none());
    assert_eq!(db.holds().len(), 2);
    assert_eq!(db.fingerprints().len(), 13);
    // And from the tables again.
    answers_from_history(&s, 14);
    let (r, p) = s.push("demo", "d1", json!([commit(18, "d1:3", "2")]));
    assert_eq!(r.results[0].status, ResultStatus::Applied);
    assert_eq!(p.balance.checked_add(c("9")).unwrap(), before);
    assert!(db.record()["holdOwner"].as_object().unwrap().is_empty());
    assert_eq!(db.holds().len(), 3);
}

#[test]
fn sqlite_history_lives_beside_the_record_and_old_databases_still_answer() {
    let dir = temp_dir("history");
    let path = dir.join("ledger.sqlite");
    let url = format!("sqlite:{}", path.display());
    history_lives_beside_the_record(&dir, &url, Db::Sqlite(path.clone()));
}

#[test]
fn postgres_history_lives_beside_the_record_and_old_databases_still_answer() {
    let Some(url) = postgres_db("history") else { return };
    let dir = temp_dir("pg-history");
    history_lives_beside_the_record(&dir, &url, Db::Postgres(url.clone()));
}
