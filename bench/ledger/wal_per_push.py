#!/usr/bin/env python3
"""WAL bytes and CPU per push at 64 devices on PostgreSQL for several builds, each on a
fresh database of one cluster, with the bench's own load (ledger_bench.push_load): the
WAL a build writes per push does not depend on the machine's load, where pushes/s does.

Usage: CREDIT_METER_TEST_POSTGRES_URL=$(scripts/postgres.sh start) PUSH_LOAD_BIN=<push_load>
       bench/ledger/wal_per_push.py SECONDS NAME=BINARY [NAME=BINARY ...]
(PUSH_LOAD_BIN: the compiled client scripts/ledger-bench.sh builds.)"""
import os, subprocess, sys, tempfile
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ledger_bench as lb

base = os.environ["CREDIT_METER_TEST_POSTGRES_URL"]
seconds = int(sys.argv[1])
def q(url, sql):
    return subprocess.run(["psql", "-tA", url, "-c", sql], check=True, capture_output=True, text=True).stdout.strip()
for i, arg in enumerate(sys.argv[2:]):
    name, binary = arg.split("=", 1)
    url = lb.fresh_pg(base, f"walprobe_{name}_{i}")
    work = tempfile.mkdtemp()
    svc = lb.Service(work, url, binary)
    try:
        lsn0 = q(url, "SELECT pg_current_wal_insert_lsn()")
        got = lb.push_load(svc, 64, seconds, "wp", db=url, work=work)
        # push_load creates its own 64 accounts first: their creation is in the WAL measured.
        lsn1 = q(url, "SELECT pg_current_wal_insert_lsn()")
        wal = int(q(url, f"SELECT pg_wal_lsn_diff('{lsn1}', '{lsn0}')"))
        n = got[0] * seconds
        cpu = got[5]
        print(f"{name:10s} {got[0]:7.0f} pushes/s p99 {got[2]:6.1f} ms  WAL {wal / n:7.0f} B/push (incl. 64 account creations)  record {got[3]:.0f} B"
              f"  CPU ms/push service {cpu['service']:.3f} database {cpu['database']:.3f} machine {cpu['machine']:.3f}", flush=True)
    finally:
        svc.proc.terminate()
        svc.proc.wait()
