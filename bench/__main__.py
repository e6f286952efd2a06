"""Run every benchmark under bench/ and print its figures line by line."""

from __future__ import annotations

import importlib
import sys

BENCHES = ["bench.store", "bench.plans", "bench.summary", "bench.fanout", "bench.kill", "bench.chat", "bench.load"]


def main() -> int:
    only = sys.argv[1:]
    failed = 0
    for name in BENCHES:
        if only and name.split(".")[-1] not in only:
            continue
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            print(f"{name.split('.')[-1]}: skipped ({exc})", flush=True)
            continue
        try:
            print(module.main(), flush=True)
        except Exception as exc:  # noqa: BLE001 - one broken bench must not hide the others
            failed += 1
            print(f"{name.split('.')[-1]}: failed: {exc!r}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
