#!/usr/bin/env python3
"""Fails when a workspace crate depends on another against the intended direction.

The arrows (docs/ARCHITECTURE.md): base <- protocol <- core <- client <- wasm-client;
protocol <- ledger-core <- wasm-ledger / server; token-estimate <- core; sim (tests and
the simulator) may use every non-Wasm crate; the ledger service's tests may use sim. Each crate may depend on exactly the
workspace crates listed here (normal dependencies, and separately dev-dependencies); any
other workspace dependency — an arrow running backwards or sideways — is an error.
Reads `cargo metadata`, so it sees what cargo builds, not what a comment claims.
"""
import json
import subprocess
import sys

NORMAL = {
    "credit-meter-base": set(),
    "token-estimate": {"credit-meter-base"},
    "credit-meter-protocol": {"credit-meter-base"},
    "credit-meter-core": {"credit-meter-base", "credit-meter-protocol", "token-estimate"},
    "credit-meter-client": {"credit-meter-base", "credit-meter-protocol", "credit-meter-core"},
    "credit-meter-ledger-core": {"credit-meter-base", "credit-meter-protocol"},
    "credit-meter": {"credit-meter-base", "credit-meter-protocol", "credit-meter-core", "credit-meter-client"},
    "credit-meter-ledger-wasm": {"credit-meter-base", "credit-meter-protocol", "credit-meter-ledger-core", "credit-meter"},
    "credit-meter-ledger-service": {"credit-meter-base", "credit-meter-protocol", "credit-meter-ledger-core",
                                    "credit-meter-core"},
    "credit-meter-sim": {"credit-meter-base", "credit-meter-protocol", "credit-meter-core", "credit-meter-client",
                         "credit-meter-ledger-core"},
}
DEV = {
    "credit-meter-ledger-core": {"credit-meter-core"},
    "credit-meter": {"credit-meter-ledger-core", "credit-meter-protocol"},
    # Its tests run the simulator's world against the SQL store (src/sim_store.rs).
    "credit-meter-ledger-service": {"credit-meter-sim"},
}


def main() -> int:
    meta = json.loads(subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--no-deps", "--offline"],
        check=True, capture_output=True, text=True).stdout)
    members = {p["name"] for p in meta["packages"]}
    errors = []
    unknown = members - set(NORMAL)
    if unknown:
        errors.append(f"crates with no place in the dependency map: {sorted(unknown)} (add them to scripts/check-deps.py and docs/ARCHITECTURE.md)")
    for p in meta["packages"]:
        name = p["name"]
        for d in p["dependencies"]:
            if d["name"] not in members:
                continue
            kind = d.get("kind") or "normal"
            allowed = DEV.get(name, set()) | NORMAL.get(name, set()) if kind == "dev" else NORMAL.get(name, set())
            if d["name"] not in allowed:
                errors.append(f"{name} -> {d['name']} ({kind}) runs against the intended direction")
    for e in errors:
        print("check-deps:", e, file=sys.stderr)
    if not errors:
        print(f"check-deps: {len(members)} crates, every workspace dependency follows the arrows")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
