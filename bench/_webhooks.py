"""Signed text webhooks as Meta sends them, and a concurrent poster: shared by the benches."""

from __future__ import annotations

import asyncio
import json
import time

import aiohttp

from niaga.channels.whatsapp.signature import sign

SECRET = "bench-app-secret"
PHONE_NUMBER_ID = "106540352242922"


def serve_env(url: str, **extra: str) -> dict[str, str]:
    """A bench's ``niaga serve``: the sandbox (no chatter), this module's app secret, and a send
    rate that is not the limit being measured."""
    return {
        "NIAGA_DATABASE_URL": url,
        "NIAGA_WA_APP_SECRET": SECRET,
        "NIAGA_SANDBOX": "1",
        "NIAGA_SANDBOX_CUSTOMERS": "0",
        "NIAGA_WA_MESSAGES_PER_SECOND": "1000",
        **extra,
    }


def text_webhook(
    phone: str, wamid: str, text: str, *, name: str | None = None, secret: str = SECRET
) -> tuple[bytes, str]:
    """One customer's text message as a signed webhook body and its signature header."""
    payload = {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "102290129340398",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": "6281100000000",
                                "phone_number_id": PHONE_NUMBER_ID,
                            },
                            "contacts": [
                                {"profile": {"name": name or f"Pelanggan {phone}"}, "wa_id": phone}
                            ],
                            "messages": [
                                {
                                    "from": phone,
                                    "id": wamid,
                                    "timestamp": str(int(time.time())),
                                    "type": "text",
                                    "text": {"body": text},
                                }
                            ],
                        },
                    }
                ],
            }
        ],
    }
    body = json.dumps(payload).encode()
    return body, sign(body, secret)


async def post_all(url: str, bodies: list[tuple[bytes, str]], concurrency: int) -> list[float]:
    """POST every signed body over ``concurrency`` connections; each must be answered 200.
    Returns every request's latency in seconds."""
    latencies: list[float] = []
    queue: asyncio.Queue[tuple[bytes, str]] = asyncio.Queue()
    for item in bodies:
        queue.put_nowait(item)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as http:

        async def worker() -> None:
            while not queue.empty():
                body, sig = queue.get_nowait()
                start = time.perf_counter()
                async with http.post(
                    url,
                    data=body,
                    headers={"content-type": "application/json", "x-hub-signature-256": sig},
                ) as resp:
                    await resp.read()
                    if resp.status != 200:
                        raise RuntimeError(f"webhook answered HTTP {resp.status}")
                latencies.append(time.perf_counter() - start)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies
