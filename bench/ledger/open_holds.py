#!/usr/bin/env python3
"""How a push's cost grows with the account's open holds, through the service (HTTP, a
store, signing), on SQLite (bench/ledger/RESULTS.md, "Push cost by open holds").

For each N in --open (default 0,3000,9000): a fresh service on a fresh database, one
account with a large grant, N open holds placed by pushes of 1,000 reserves (not timed),
then --repeat timed pushes of 1,000 more reserves each, released again by a (not timed)
push of 1,000 releases so the account stays at N open holds. Prints the median time of a
timed push and the service's CPU per push (from /proc).

With --baseline-bin OTHER, each N also runs OTHER (e.g. an older build) right before, on
its own database: side by side on a shared machine.

Usage: bench/ledger/open_holds.py [--open 0,3000,9000] [--repeat 5] [--baseline-bin PATH]
Needs LEDGER_BIN (default target/release/credit-meter-ledger; scripts/ledger-bench.sh
builds it at opt-level 3).
"""
import argparse, json, os, statistics, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ledger_bench import BIN, Service, cpu_s, create_accounts, jwt  # noqa: E402

BATCH = 1000


def push(svc, conn, token, seq, kind, first_hold, n):
    if kind == "reserve":
        ms = [{"type": "reserve", "seq": seq + i, "at": 0, "holdId": f"d1:h{first_hold + i}", "amount": "0.01", "operation": "op"} for i in range(n)]
    else:
        ms = [{"type": "release", "seq": seq + i, "at": 0, "holdId": f"d1:h{first_hold + i}"} for i in range(n)]
    body = json.dumps({"v": 2, "accountId": "a", "deviceId": "d1", "mutations": ms})
    r = svc.call(conn, "/v1/push", body, token)
    statuses = {x["status"] for x in r["results"]}
    assert statuses == {"applied"}, (kind, statuses, r["results"][:2])


def measure(binary, open_holds, repeat):
    with tempfile.TemporaryDirectory() as work:
        svc = Service(work, "sqlite:" + os.path.join(work, "ledger.db"), binary)
        try:
            create_accounts(svc, ["a"])
            token, conn = jwt("a"), svc.conn()
            seq, hold = 1, 0
            while hold < open_holds:
                n = min(BATCH, open_holds - hold)
                push(svc, conn, token, seq, "reserve", hold, n)
                seq, hold = seq + n, hold + n
            times, cpu = [], []
            for _ in range(repeat):
                c0, t0 = cpu_s([svc.proc.pid]), time.perf_counter()
                push(svc, conn, token, seq, "reserve", hold, BATCH)
                times.append((time.perf_counter() - t0) * 1e3)
                cpu.append((cpu_s([svc.proc.pid]) - c0) * 1e3)
                push(svc, conn, token, seq + BATCH, "release", hold, BATCH)
                seq, hold = seq + 2 * BATCH, hold + BATCH
            return statistics.median(times), statistics.median(cpu)
        finally:
            svc.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--open", default="0,3000,9000")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--baseline-bin")
    a = ap.parse_args()
    print("| build | open holds | push of 1,000 reserves, median ms | service CPU ms |\n|---|---:|---:|---:|")
    for n in [int(x) for x in a.open.split(",")]:
        for name, binary in ([("baseline", a.baseline_bin)] if a.baseline_bin else []) + [("this", BIN)]:
            ms, cpu = measure(binary, n, a.repeat)
            print(f"| {name} | {n:,} | {ms:,.0f} | {cpu:,.0f} |", flush=True)


if __name__ == "__main__":
    main()
