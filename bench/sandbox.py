"""Sandbox throughput: text sends/s that one standalone ``niaga sandbox`` process accepts.

Starts ``niaga sandbox`` (one uvicorn process, uvloop) in a subprocess, switches statuses off
and lifts the throughput limit through the control API, then sends text messages to many
recipients over one aiohttp session at a fixed concurrency and prints the achieved rate.
Usage::

    python bench/sandbox.py --seconds 10 --concurrency 50
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections import Counter

import aiohttp
import httpx

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench._server import CONTROL, niaga_process

TOKEN = "bench-token"
PNID = "106540352242922"


async def drive(url: str, seconds: float, concurrency: int, recipients: int) -> Counter[int]:
    """Send text messages for ``seconds``; returns HTTP status counts."""
    codes: Counter[int] = Counter()
    deadline = time.monotonic() + seconds
    headers = {"Authorization": f"Bearer {TOKEN}"}
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:

        async def worker(n: int) -> None:
            i = n
            while time.monotonic() < deadline:
                body = {
                    "messaging_product": "whatsapp",
                    "recipient_type": "individual",
                    "to": f"62812{i % recipients:08d}",
                    "type": "text",
                    "text": {"preview_url": False, "body": f"Pesanan #{i} sudah dikirim"},
                }
                async with session.post(f"{url}/v23.0/{PNID}/messages", json=body) as resp:
                    await resp.read()
                    codes[resp.status] += 1
                i += concurrency

        await asyncio.gather(*(worker(n) for n in range(concurrency)))
    return codes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--recipients", type=int, default=100_000)
    args = parser.parse_args()
    env = {"NIAGA_WA_ACCESS_TOKEN": TOKEN, "NIAGA_WA_PHONE_NUMBER_ID": PNID}
    with niaga_process(["sandbox"], env, health_path="/_control/stats") as url:
        httpx.patch(
            f"{url}/_control/config",
            json={"statuses_enabled": False, "messages_per_second": 100_000},
            headers=CONTROL,
            timeout=10,
        ).raise_for_status()
        asyncio.run(drive(url, 1.0, args.concurrency, args.recipients))  # warm up
        started = time.monotonic()
        codes = asyncio.run(drive(url, args.seconds, args.concurrency, args.recipients))
        elapsed = time.monotonic() - started
        stats = httpx.get(f"{url}/_control/stats", headers=CONTROL, timeout=10).json()
    total = sum(codes.values())
    print(
        f"sandbox: {total / elapsed:,.0f} sends/s at concurrency {args.concurrency} "
        f"({total} requests in {elapsed:.1f} s; statuses {dict(codes)}; "
        f"sandbox accepted {stats['accepted']}, errors {stats['errors']})"
    )


if __name__ == "__main__":
    main()
