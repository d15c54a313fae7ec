#!/usr/bin/env python3
"""The ledger service's bench (README "Run the ledger", bench/ledger/RESULTS.md).

Measures, side by side in one run on this machine:
  * pushes/s and p50/p99 latency of `credit-meter-ledger serve` with 1, 8 and 64
    concurrent devices (each device its own account; each push = reserve + commit),
    on SQLite and on PostgreSQL;
  * the floor of the same database: a bare transaction that updates one balance row and
    inserts one journal row (SQLite: WAL + synchronous=FULL like the service, the better
    of N connections committing in turn and one back to back; PostgreSQL: pgbench with
    the same two statements);
  * restart: the time from spawning the service to its "listening" line on a database
    holding >= 1,000,000 applied mutations (made by this script through the API:
    --restart-mutations), and on an empty one.

  * the size of the account record (the row every push reads and writes) after the run.

With --baseline-bin OTHER, each configuration also runs OTHER (e.g. main's build) right
before this one, on its own fresh database, next to the same floor: a fair comparison on
a shared machine. --prefill N gives each account N reserve + commit pushes of history
before the timed run (batched, not timed).

The load (and the SQLite floor) comes from a compiled client, PUSH_LOAD_BIN
(crates/ledger-service/benches/push_load.rs; ~0.04 ms CPU per push, where these Python
threads, `--client python`, take 0.18-0.26 ms on the same cores). Each service row also
gives CPU ms per push of the service, the client, the PostgreSQL processes and the
machine (from /proc).

Usage: bench/ledger/ledger_bench.py [--seconds 8] [--restart-mutations 1000000] [--no-postgres]
       [--baseline-bin PATH] [--prefill N] [--devices 1,8,64] [--backends SQLite,PostgreSQL]
       [--client rust|python] [--only push|restart]
Needs the release binary (LEDGER_BIN, default target/release/credit-meter-ledger built
with opt-level 3; scripts/ledger-bench.sh builds it and PUSH_LOAD_BIN) and, for PostgreSQL,
CREDIT_METER_TEST_POSTGRES_URL (scripts/postgres.sh start).
"""
import argparse, base64, hashlib, hmac, http.client, json, os, resource, shutil, sqlite3, subprocess, sys, tempfile, threading, time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("LEDGER_BIN", os.path.join(ROOT, "target", "release", "credit-meter-ledger"))
# The compiled load generator and SQLite floor (crates/ledger-service/benches/push_load.rs);
# `--client python` uses the Python threads below instead.
LOAD_BIN = os.environ.get("PUSH_LOAD_BIN")
TICK = os.sysconf("SC_CLK_TCK")
ADMIN = "bench-admin-token-0123456789"
SECRET = b"bench-device-token-secret-0123456789abcdef"


def b64(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt(sub):
    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64(json.dumps({"sub": sub, "exp": int(time.time()) + 7200}).encode())
    sig = hmac.new(SECRET, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64(sig)}"


class Service:
    def __init__(self, work, database, binary=None):
        secret = os.path.join(work, "jwt.secret")
        with open(secret, "wb") as f:
            f.write(SECRET)
        args = [binary or BIN, "serve", "--addr", "127.0.0.1:0", "--database", database, "--jwt-hs256-secret-file", secret,
                "--key-file", os.path.join(work, "keys.json"), "--max-connections-per-ip", "256", "--db-pool", "8", "--pushes-per-minute", "0", "--mutations-per-minute", "0",
                "--request-timeout-seconds", "600", "--connection-seconds", "3600"]
        env = dict(os.environ, CREDIT_METER_ADMIN_TOKEN=ADMIN, RUST_LOG="warn")
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True)
        line = self.proc.stdout.readline()
        self.start_s = time.perf_counter() - t0
        assert "listening on http://" in line, line
        self.host, self.port = line.split("http://")[1].split("/")[0].rsplit(":", 1)
        self.port = int(self.port)

    def conn(self):
        return http.client.HTTPConnection(self.host, self.port, timeout=120)

    def call(self, conn, path, body, token):
        conn.request("POST", path, body, {"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        r = conn.getresponse()
        data = r.read()
        assert r.status == 200, (r.status, data[:200])
        return json.loads(data)

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


def rss_kb(pid):
    """A process's resident set size in KiB."""
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))


def cpu_s(pids):
    """CPU seconds (user + system) the processes `pids` used so far."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return total / TICK


def postgres_pids():
    """The running PostgreSQL processes (server and backends)."""
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/comm") as f:
                    if f.read().strip() == "postgres":
                        out.append(int(d))
            except OSError:
                pass
    return out


def children_cpu_s():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def self_cpu_s():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def machine_busy_s():
    """CPU seconds all cores spent not idle so far (/proc/stat)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return (sum(v) - v[3] - v[4]) / TICK


def create_accounts(svc, names, credits="1000000000"):
    c = svc.conn()
    for n in names:
        svc.call(c, "/v1/admin", json.dumps({"op": "createAccount", "accountId": n, "policy": "trueRecall"}), ADMIN)
        svc.call(c, "/v1/admin", json.dumps({"op": "grant", "accountId": n, "grant": {"id": "g", "kind": "promotion", "amount": credits}}), ADMIN)


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p))] if xs else float("nan")


def each_account(svc, names, work, threads=2):
    """Runs `work(connection, account)` for every account in `names`, on `threads` threads
    that each take the next account from one shared queue."""
    it, lock = iter(names), threading.Lock()

    def run():
        c = svc.conn()
        while True:
            with lock:
                a = next(it, None)
            if a is None:
                return
            c = work(c, a) or c

    ts = [threading.Thread(target=run) for _ in range(threads)]
    [t.start() for t in ts]
    [t.join() for t in ts]


def prefill(svc, names, pushes, batch=250):
    """Gives each account `pushes` reserve + commit pairs of history, `batch` pairs a push."""

    def work(c, a):
        for start in range(0, pushes, batch):
            ms = []
            for k in range(start, min(pushes, start + batch)):
                s = 2 * k + 1
                ms += [{"type": "reserve", "seq": s, "at": 0, "holdId": f"d:{s}", "amount": "1", "operation": "flashcards.generate"},
                       {"type": "commit", "seq": s + 1, "at": 0, "holdId": f"d:{s}", "amount": "1"}]
            out = svc.call(c, "/v1/push", json.dumps({"v": 2, "accountId": a, "deviceId": "d", "mutations": ms}), jwt(a))
            assert all(r["status"] == "applied" for r in out["results"]), a

    each_account(svc, names, work)


def record_bytes(db, names):
    """The mean size of these accounts' stored record, in bytes."""
    q = "SELECT avg(length(record)) FROM accounts WHERE id IN (%s)" % ",".join("'%s'" % n for n in names)
    if db.startswith("sqlite:"):
        c = sqlite3.connect(db[len("sqlite:"):])
        v = c.execute(q).fetchone()[0]
        c.close()
        return float(v)
    out = subprocess.run(["psql", "-tA", db, "-c", q], check=True, capture_output=True, text=True).stdout
    return float(out.strip())


def push_load(svc, devices, seconds, tag, history=0, db=None, client="rust", work=None):
    """Pushes from `devices` devices for `seconds`: (pushes/s, p50 ms, p99 ms, record
    bytes, pushes per account, CPU ms per push of {service, client, database, machine})."""
    names = [f"{tag}-{devices}-{i}" for i in range(devices)]
    create_accounts(svc, names)
    if history:
        prefill(svc, names, history)
    pg_pids = postgres_pids() if db and not db.startswith("sqlite:") else []
    before = (cpu_s([svc.proc.pid]), cpu_s(pg_pids), machine_busy_s())
    if client == "rust":
        accounts = os.path.join(work, "accounts.tsv")
        with open(accounts, "w") as f:
            f.writelines(f"{n}\t{jwt(n)}\n" for n in names)
        c0 = children_cpu_s()
        out = json.loads(subprocess.run([LOAD_BIN, "push", f"{svc.host}:{svc.port}", accounts, str(seconds), str(2 * history + 1)],
                                        check=True, capture_output=True, text=True).stdout)
        client_cpu = children_cpu_s() - c0
        n = out["count"]
        got = (n / out["seconds"], out["p50_ms"], out["p99_ms"])
    else:
        c0 = self_cpu_s()
        got = python_push_load(svc, names, seconds, history)
        client_cpu = self_cpu_s() - c0
        n = got[3]
        got = got[:3]
    after = (cpu_s([svc.proc.pid]), cpu_s(pg_pids), machine_busy_s())
    per = lambda x: 1e3 * x / max(n, 1)
    cpu = {"service": per(after[0] - before[0]), "client": per(client_cpu), "database": per(after[1] - before[1]), "machine": per(after[2] - before[2])}
    size = record_bytes(db, names) if db else float("nan")
    return got + (size, history + n / devices, cpu)


def python_push_load(svc, names, seconds, history):
    """The Python client: one thread and connection per device."""
    lat, stop = [[] for _ in names], time.perf_counter() + seconds

    def run(i):
        c, tok, seq = svc.conn(), jwt(names[i]), 2 * history + 1
        while time.perf_counter() < stop:
            hold = f"d:{seq}"
            body = json.dumps({"v": 2, "accountId": names[i], "deviceId": "d", "mutations": [
                {"type": "reserve", "seq": seq, "at": 0, "holdId": hold, "amount": "1", "operation": "flashcards.generate"},
                {"type": "commit", "seq": seq + 1, "at": 0, "holdId": hold, "amount": "1"}]})
            t = time.perf_counter()
            out = svc.call(c, "/v1/push", body, tok)
            lat[i].append(time.perf_counter() - t)
            assert all(r["status"] == "applied" for r in out["results"]), out["results"]
            seq += 2

    t0 = time.perf_counter()
    ts = [threading.Thread(target=run, args=(i,)) for i in range(len(names))]
    [t.start() for t in ts]
    [t.join() for t in ts]
    took = time.perf_counter() - t0
    all_lat = [x for l in lat for x in l]
    return len(all_lat) / took, pct(all_lat, 0.5) * 1e3, pct(all_lat, 0.99) * 1e3, len(all_lat)


def sqlite_floor(path, devices, seconds, client="rust"):
    """The SQLite floor at `devices` connections. With the compiled client: the better of
    `devices` connections committing in turn and one connection committing back to back —
    SQLite runs one writer at a time, so more connections only add waiting (hand-offs that
    a loaded machine makes slow), and one writer is what a program with many devices can
    always get (the service's group commit is one writer)."""
    if client == "rust":
        best = None
        for n in sorted({1, devices}):
            out = json.loads(subprocess.run([LOAD_BIN, "sqlite-floor", f"{path}-{n}", str(n), str(seconds)],
                                            check=True, capture_output=True, text=True).stdout)
            got = (out["count"] / out["seconds"], out["p50_ms"], out["p99_ms"])
            print(f"SQLite floor, {n} connection(s) for {devices} devices: {got[0]:.0f} tx/s p50 {got[1]:.1f} ms p99 {got[2]:.1f} ms", flush=True)
            best = got if best is None or got[0] > best[0] else best
        return best
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.executescript("CREATE TABLE IF NOT EXISTS bal (id INTEGER PRIMARY KEY, v INTEGER); CREATE TABLE IF NOT EXISTS journal (id INTEGER, at INTEGER, entry TEXT);")
    db.executemany("INSERT OR IGNORE INTO bal VALUES (?, 0)", [(i,) for i in range(devices)])
    db.commit()
    lat, stop = [[] for _ in range(devices)], time.perf_counter() + seconds

    def run(i):
        c = sqlite3.connect(path, timeout=60, isolation_level=None)
        c.execute("PRAGMA synchronous=FULL")
        while time.perf_counter() < stop:
            t = time.perf_counter()
            c.execute("BEGIN IMMEDIATE")
            c.execute("UPDATE bal SET v = v + 1 WHERE id = ?", (i,))
            c.execute("INSERT INTO journal VALUES (?, ?, ?)", (i, int(t * 1000), '{"type":"debit","amount":"1"}'))
            c.execute("COMMIT")
            lat[i].append(time.perf_counter() - t)

    t0 = time.perf_counter()
    ts = [threading.Thread(target=run, args=(i,)) for i in range(devices)]
    [t.start() for t in ts]
    [t.join() for t in ts]
    took = time.perf_counter() - t0
    all_lat = [x for l in lat for x in l]
    return len(all_lat) / took, pct(all_lat, 0.5) * 1e3, pct(all_lat, 0.99) * 1e3


def psql(url, sql):
    subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", url, "-c", sql], check=True, stdout=subprocess.DEVNULL)


def fresh_pg(base_url, name):
    psql(base_url, f"DROP DATABASE IF EXISTS {name}")
    psql(base_url, f"CREATE DATABASE {name}")
    return base_url.rsplit("/", 1)[0] + "/" + name


def pg_floor(url, devices, seconds, work):
    psql(url, "CREATE TABLE IF NOT EXISTS bal (id INT PRIMARY KEY, v BIGINT); CREATE TABLE IF NOT EXISTS journal (id INT, at BIGINT, entry TEXT);"
              f"INSERT INTO bal SELECT g, 0 FROM generate_series(0, {devices - 1}) g ON CONFLICT DO NOTHING")
    script = os.path.join(work, "floor.sql")
    with open(script, "w") as f:
        f.write(f"\\set id random(0, {devices - 1})\nBEGIN;\nUPDATE bal SET v = v + 1 WHERE id = :id;\n"
                "INSERT INTO journal VALUES (:id, 0, '{\"type\":\"debit\",\"amount\":\"1\"}');\nCOMMIT;\n")
    logdir = tempfile.mkdtemp(dir=work)
    out = subprocess.run(["pgbench", "-n", "-f", script, "-c", str(devices), "-j", str(min(devices, 4)), "-T", str(seconds),
                          "-l", "--log-prefix", os.path.join(logdir, "l"), url], check=True, capture_output=True, text=True, cwd=logdir).stdout
    lat = []
    for fn in os.listdir(logdir):
        with open(os.path.join(logdir, fn)) as f:
            lat += [int(line.split()[2]) / 1e6 for line in f if line.strip()]
    tps = float([l for l in out.splitlines() if l.startswith("tps")][0].split("=")[1].split()[0])
    return tps, pct(lat, 0.5) * 1e3, pct(lat, 0.99) * 1e3


def fill(svc, mutations, threads=2):
    """Applies `mutations` mutations through the API: accounts of 1,000 each (500
    reserve + release pairs in one push; the ledger model keeps every closed hold in the
    account's state, so fewer per account fill faster)."""
    per = 1_000
    accounts = [f"fill-{i}" for i in range((mutations + per - 1) // per)]
    create_accounts(svc, accounts)

    def work(c, a):
        """One account's push; returns the connection to go on with (a fresh one after a loss)."""
        ms = []
        for k in range(per // 2):
            s = 2 * k + 1
            ms += [{"type": "reserve", "seq": s, "at": 0, "holdId": f"d:{s}", "amount": "1", "operation": "flashcards.generate"},
                   {"type": "release", "seq": s + 1, "at": 0, "holdId": f"d:{s}"}]
        body = json.dumps({"v": 2, "accountId": a, "deviceId": "d", "mutations": ms})
        for attempt in range(5):  # a lost connection: send again (answered as duplicates)
            try:
                out = svc.call(c, "/v1/push", body, jwt(a))
                break
            except (OSError, http.client.HTTPException):
                c = svc.conn()
        done = sum(r["status"] == "applied" or r.get("original") == "applied" for r in out["results"])
        assert done == per, (a, done)
        return c

    each_account(svc, accounts, work, threads)
    return len(accounts) * per


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=8)
    ap.add_argument("--restart-mutations", type=int, default=1_000_000)
    ap.add_argument("--no-postgres", action="store_true")
    ap.add_argument("--only", choices=["push", "restart"], default=None)
    ap.add_argument("--baseline-bin", default=None, help="another build to run next to this one (e.g. main's)")
    ap.add_argument("--prefill", type=int, default=0, help="reserve + commit pushes of history per account before timing")
    ap.add_argument("--devices", default="1,8,64")
    ap.add_argument("--backends", default="SQLite,PostgreSQL")
    ap.add_argument("--client", choices=["rust", "python"], default="rust" if LOAD_BIN else "python",
                    help="the load generator and SQLite floor: compiled (PUSH_LOAD_BIN, the default when set) or Python threads")
    a = ap.parse_args()
    pg = None if a.no_postgres else os.environ.get("CREDIT_METER_TEST_POSTGRES_URL")
    work = tempfile.mkdtemp(prefix="cm-ledger-bench-")
    rows = []
    try:
        if a.only in (None, "push"):
            backends = [b for b in [("SQLite", None)] + ([("PostgreSQL", pg)] if pg else []) if b[0] in a.backends.split(",")]
            builds = ([("baseline", a.baseline_bin)] if a.baseline_bin else []) + [("this", BIN)]
            for name, url in backends:
                for devices in [int(d) for d in a.devices.split(",")]:
                    floor_url = fresh_pg(url, f"floor_{devices}") if url else None
                    m0 = machine_busy_s()
                    if url:
                        floor = pg_floor(floor_url, devices, a.seconds, work)
                    else:
                        floor = sqlite_floor(os.path.join(work, f"floor-{devices}.sqlite"), devices, a.seconds, a.client)
                    if url:
                        print(f"{name:10} {devices:3} devices floor   : {floor[0]:8.0f} tx/s, machine CPU {1e3 * (machine_busy_s() - m0) / (floor[0] * a.seconds):.3f} ms/tx", flush=True)
                    for label, binary in builds:
                        if url:
                            db = fresh_pg(url, f"bench_{label}_{devices}")
                        else:
                            db = "sqlite:" + os.path.join(work, f"bench-{label}-{devices}.sqlite")
                        svc = Service(work, db, binary)
                        try:
                            got = push_load(svc, devices, a.seconds, "b", a.prefill, db, a.client, work)
                        finally:
                            svc.stop()
                        rows.append((name, devices, label, got, floor))
                        print(f"{name:10} {devices:3} devices {label:8}: {got[0]:8.0f} pushes/s p50 {got[1]:6.1f} ms p99 {got[2]:6.1f} ms | floor {floor[0]:8.0f} tx/s p50 {floor[1]:6.1f} ms p99 {floor[2]:6.1f} ms | {100 * got[0] / floor[0]:5.1f}% of the floor | record {got[3]:9.0f} B after {got[4]:6.0f} pushes | CPU ms/push service {got[5]['service']:.3f} client {got[5]['client']:.3f} database {got[5]['database']:.3f} machine {got[5]['machine']:.3f} | load {os.getloadavg()[0]:.2f}", flush=True)
            print(f"\nclient: {a.client}; load average {os.getloadavg()}")
            print("\n| backend | devices | build | pushes/s | p50 ms | p99 ms | floor tx/s | floor p50 ms | floor p99 ms | % of floor | CPU ms/push: service / client / database / machine |")
            print("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---|")
            for name, devices, label, got, floor in rows:
                c = got[5]
                print(f"| {name} | {devices} | {label} | {got[0]:.0f} | {got[1]:.1f} | {got[2]:.1f} | {floor[0]:.0f} | {floor[1]:.1f} | {floor[2]:.1f} | {100 * got[0] / floor[0]:.1f}% | "
                      f"{c['service']:.3f} / {c['client']:.3f} / {c['database']:.3f} / {c['machine']:.3f} |")
        if a.only in (None, "restart"):
            for name, url in [("SQLite", None)] + ([("PostgreSQL", pg)] if pg else []):
                db = fresh_pg(url, "restart") if url else "sqlite:" + os.path.join(work, "restart.sqlite")
                svc = Service(work, db)
                empty = svc.start_s
                t0 = time.perf_counter()
                n = fill(svc, a.restart_mutations)
                took = time.perf_counter() - t0
                svc.stop()
                starts = []
                for _ in range(3):
                    svc = Service(work, db)
                    starts.append(svc.start_s)
                    svc.stop()
                print(f"restart {name}: {n:,} applied mutations (filled in {took:.0f} s): start-up {min(starts) * 1e3:.0f} ms (best of 3; empty database {empty * 1e3:.0f} ms)", flush=True)
                # Memory against the number of accounts served: resident size after start-up,
                # then after one pull of each of the first 10, 100 and all accounts.
                svc = Service(work, db)
                sizes, c, done = [("start", rss_kb(svc.proc.pid))], svc.conn(), 0
                for upto in (10, 100, (n + 999) // 1000):
                    for i in range(done, upto):
                        acct = f"fill-{i}"
                        svc.call(c, "/v1/pull", json.dumps({"v": 2, "accountId": acct, "deviceId": "d"}), jwt(acct))
                    done = upto
                    sizes.append((f"{upto} accounts", rss_kb(svc.proc.pid)))
                svc.stop()
                print(f"memory {name}: " + ", ".join(f"{k} {v / 1024:.1f} MB" for k, v in sizes), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
