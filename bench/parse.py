"""Webhook edge parser speed: parse a one-message webhook N times and print µs per event.

Usage::

    python bench/parse.py              # 200,000 parses of a text message
    python bench/parse.py --n 50000 --fixture status_sent_pmp
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from niaga.channels.whatsapp.parse import parse_webhook

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "whatsapp"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200_000, help="parses per run")
    ap.add_argument("--fixture", default="text", help="tests/fixtures/whatsapp/<name>.json")
    ap.add_argument("--runs", type=int, default=3, help="runs; the best one is reported")
    args = ap.parse_args()
    # Meta sends compact JSON; the fixtures are indented for reading.
    payload = json.loads((FIXTURES / f"{args.fixture}.json").read_bytes())
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    events = len(parse_webhook(body).items)
    best = float("inf")
    for _ in range(args.runs):
        start = time.perf_counter()
        for _ in range(args.n):
            parse_webhook(body)
        best = min(best, time.perf_counter() - start)
    per_event = best / (args.n * events) * 1e6
    print(
        f"{args.fixture}: {args.n:,} parses x {events} event(s), "
        f"best of {args.runs}: {per_event:.2f} µs/event ({args.n * events / best:,.0f} events/s)"
    )


if __name__ == "__main__":
    main()
