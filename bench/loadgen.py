"""Load generator for the webhook ingest benchmark (runs in its own process).

Pre-builds distinct, signed, Meta-shaped inbound text webhooks (about 1 KB each), then POSTs
them over loopback with ``--concurrency`` concurrent HTTP/1.1 connections, kept alive when the
server allows it (gunicorn's ``sync`` worker closes after every response: the client then
reconnects, and the connect time counts in the latency, as it would for Meta).

The client is a single asyncio event loop with bare ``asyncio.Protocol`` connections and
pre-serialised requests: no HTTP library, no per-request allocation beyond the response
buffer, so it leaves as much of the 2 cores as possible to the server under test.

Phases: a warm-up (``--warmup`` requests, excluded from the figures, but its 200s count for
the stored-rows check), then the measured phase, bounded by ``--requests`` AND ``--duration``
seconds. On stdout: ``START`` and ``END`` lines around the measured phase (the parent samples
CPU time there), then one JSON line with the results.

Standalone use (against any server): python bench/loadgen.py --port 8000 --secret s
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import json
import os
import random
import resource
import sys
import time
from array import array
from pathlib import Path

# The repository root, so that the product's own signing is used (with any Python, from anywhere).
# layan.whatsapp.signatures imports only hashlib, hmac and re (the package __init__ files are
# empty), so this keeps the generator a lightweight process: no Django, no settings.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from layan.whatsapp.signatures import sign  # noqa: E402

WORDS = [
    "selamat",
    "pagi",
    "saya",
    "mau",
    "tanya",
    "persyaratan",
    "pembuatan",
    "kartu",
    "keluarga",
    "baru",
    "karena",
    "baru",
    "menikah",
    "dan",
    "pindah",
    "alamat",
    "ke",
    "kecamatan",
    "ini",
    "apakah",
    "harus",
    "datang",
    "langsung",
    "ke",
    "kantor",
    "dinas",
    "atau",
    "bisa",
    "diurus",
    "lewat",
    "kelurahan",
    "dulu",
    "terima",
    "kasih",
    "atas",
    "bantuannya",
    "ktp",
    "el",
    "hilang",
    "akta",
    "kelahiran",
    "anak",
    "kedua",
    "surat",
    "pindah",
    "antar",
    "kabupaten",
    "jam",
    "buka",
    "layanan",
]
DEFAULT_NUMBERS = ("6281100006311", "6281100001872", "6281100001302", "628117961500")


def build_bodies(count: int, run_id: str, numbers: list[str], text_len: int) -> list[bytes]:
    """``count`` distinct compact-JSON bodies shaped like Meta's inbound text message webhook."""
    rng = random.Random(run_id)
    now = int(time.time())
    bodies = []
    for i in range(count):
        pnid = numbers[i % len(numbers)]
        wa_id = f"628{rng.randrange(10**9, 10**10)}"
        # Real wamids are base64 of a protobuf; uniqueness here comes from run id + index.
        raw_id = f"{wa_id}:{run_id}:{i:08d}".encode()
        tag = hashlib.sha1(raw_id).digest()[:8]  # noqa: S324 - an id, not security
        wamid = "wamid." + base64.b64encode(raw_id + tag).decode()
        words = []
        size = 0
        target = rng.randint(text_len // 2, text_len * 3 // 2)
        while size < target:
            word = rng.choice(WORDS)
            words.append(word)
            size += len(word) + 1
        payload = {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "id": "102290129340398",
                    "changes": [
                        {
                            "value": {
                                "messaging_product": "whatsapp",
                                "metadata": {
                                    "display_phone_number": pnid,
                                    "phone_number_id": pnid,
                                },
                                "contacts": [
                                    {"profile": {"name": "Siti Aminah Nurhaliza"}, "wa_id": wa_id}
                                ],
                                "messages": [
                                    {
                                        "from": wa_id,
                                        "id": wamid,
                                        "timestamp": str(now),
                                        "text": {"body": " ".join(words).capitalize()},
                                        "type": "text",
                                    }
                                ],
                            },
                            "field": "messages",
                        }
                    ],
                }
            ],
        }
        bodies.append(json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode())
    return bodies


def build_requests(bodies: list[bytes], host: str, port: int, path: str, secret: str):
    requests = []
    for body in bodies:
        head = (
            f"POST {path} HTTP/1.1\r\n"
            f"Host: {host}:{port}\r\n"
            "User-Agent: facebookexternalua\r\n"
            "Accept: */*\r\n"
            "Content-Type: application/json\r\n"
            f"X-Hub-Signature-256: {sign(body, secret)}\r\n"
            f"Content-Length: {len(body)}\r\n"
            "\r\n"
        ).encode()
        requests.append(head + body)
    return requests


class Conn(asyncio.Protocol):
    """One HTTP/1.1 connection; parses Content-Length or chunked responses, nothing else."""

    __slots__ = ("transport", "buf", "waiter", "closed")

    def __init__(self):
        self.transport = None
        self.buf = bytearray()
        self.waiter = None
        self.closed = False

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.buf += data
        if self.waiter is not None and not self.waiter.done():
            self._parse()

    def eof_received(self):
        self.closed = True
        if self.waiter is not None and not self.waiter.done():
            self._parse()  # a response delimited by the end of the connection
        return False

    def connection_lost(self, exc):
        self.closed = True
        if self.waiter is not None and not self.waiter.done():
            self._parse()
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError(f"connection lost: {exc}"))

    def _parse(self):
        buf = self.buf
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            return
        head = bytes(buf[:end]).lower()
        status = int(head[9:12])
        start = end + 4
        cl = head.find(b"\r\ncontent-length:")
        if cl >= 0:
            eol = head.find(b"\r\n", cl + 2)
            length = int(head[cl + 17 : eol if eol >= 0 else len(head)])
            if len(buf) < start + length:
                return
            stop = start + length
        elif b"\r\ntransfer-encoding: chunked" in head:
            pos = start
            while True:
                eol = buf.find(b"\r\n", pos)
                if eol < 0:
                    return
                size = int(bytes(buf[pos:eol]).split(b";")[0], 16)
                if size == 0:
                    if buf.find(b"\r\n", eol + 2) < 0:
                        return
                    stop = buf.find(b"\r\n", eol + 2) + 2
                    break
                if len(buf) < eol + 2 + size + 2:
                    return
                pos = eol + 2 + size + 2
        else:
            if not self.closed:
                return  # body runs until the server closes
            stop = len(buf)
        close = b"\r\nconnection: close" in head
        del buf[:stop]
        self.waiter.set_result((status, close))


class Generator:
    def __init__(self, args, requests):
        self.args = args
        self.requests = requests
        self.loop = asyncio.get_running_loop()
        self.conns: list[Conn | None] = [None] * args.concurrency
        self.connects = 0
        self.ok_total = 0  # 200 answers over all phases (the stored-rows check uses this)

    async def _connect(self) -> Conn:
        _, conn = await self.loop.create_connection(Conn, self.args.host, self.args.port)
        self.connects += 1
        return conn

    async def _slot(self, slot, indices, deadline, lat, statuses):
        loop_time = time.perf_counter
        timeout = self.args.timeout
        for i in indices:
            if loop_time() >= deadline:
                return
            t0 = loop_time()
            try:
                conn = self.conns[slot]
                if conn is None or conn.closed:
                    conn = self.conns[slot] = await self._connect()
                conn.waiter = fut = self.loop.create_future()
                conn.transport.write(self.requests[i])
                status, close = await asyncio.wait_for(fut, timeout)
            except (TimeoutError, OSError, ConnectionError) as exc:
                key = "timeout" if isinstance(exc, asyncio.TimeoutError) else "conn_error"
                statuses[key] = statuses.get(key, 0) + 1
                conn = self.conns[slot]
                if conn is not None and conn.transport is not None:
                    conn.transport.abort()
                self.conns[slot] = None
                continue
            lat.append(loop_time() - t0)
            statuses[status] = statuses.get(status, 0) + 1
            if status == 200:
                self.ok_total += 1
            if close:
                conn.transport.close()
                self.conns[slot] = None

    async def phase(self, first, count, duration):
        lat = array("d")
        statuses: dict = {}
        it = iter(range(first, first + count))
        deadline = time.perf_counter() + duration
        t0 = time.perf_counter()
        await asyncio.gather(
            *(self._slot(s, it, deadline, lat, statuses) for s in range(self.args.concurrency))
        )
        return time.perf_counter() - t0, lat, statuses

    def close(self):
        for conn in self.conns:
            if conn is not None and conn.transport is not None:
                conn.transport.close()


def percentile(sorted_values, q):
    if not sorted_values:
        return float("nan")
    k = (len(sorted_values) - 1) * q
    lo = int(k)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (k - lo)


async def run(args):
    numbers = [n for n in args.numbers.split(",") if n] or list(DEFAULT_NUMBERS)
    t_build = time.perf_counter()
    bodies = build_bodies(args.warmup + args.requests, args.run_id, numbers, args.text_len)
    requests = build_requests(bodies, args.host, args.port, args.path, args.secret)
    build_s = time.perf_counter() - t_build
    gen = Generator(args, requests)
    try:
        _, _, warm_statuses = await gen.phase(0, args.warmup, args.duration)
        ru0 = resource.getrusage(resource.RUSAGE_SELF)
        print("START", flush=True)
        elapsed, lat, statuses = await gen.phase(args.warmup, args.requests, args.duration)
        print("END", flush=True)
        ru1 = resource.getrusage(resource.RUSAGE_SELF)
    finally:
        gen.close()
        await asyncio.sleep(0)
    ok = statuses.get(200, 0)
    done = sum(v for v in statuses.values())
    values = sorted(lat)
    ms = 1000.0
    return {
        "requests_planned": args.requests,
        "completed": len(values),
        "attempted": done,
        "ok": ok,
        "non_200": done - ok,
        "statuses": {str(k): v for k, v in statuses.items()},
        "warmup_statuses": {str(k): v for k, v in warm_statuses.items()},
        "ok_total": gen.ok_total,
        "elapsed_s": elapsed,
        "rps": ok / elapsed if elapsed > 0 else 0.0,
        "p50_ms": percentile(values, 0.50) * ms,
        "p95_ms": percentile(values, 0.95) * ms,
        "p99_ms": percentile(values, 0.99) * ms,
        "max_ms": (values[-1] * ms) if values else float("nan"),
        "mean_body_bytes": sum(len(b) for b in bodies) / max(1, len(bodies)),
        "connects": gen.connects,
        "client_cpu_s": (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime),
        "build_s": build_s,
        "duration_bound_hit": elapsed >= args.duration,
    }


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--path", default="/webhooks/whatsapp")
    p.add_argument("--secret", required=True)
    p.add_argument("--requests", type=int, default=20000, help="measured requests (upper bound)")
    p.add_argument("--duration", type=float, default=60.0, help="measured seconds (upper bound)")
    p.add_argument("--warmup", type=int, default=1000, help="requests before measuring")
    p.add_argument("--concurrency", type=int, default=16)
    p.add_argument("--timeout", type=float, default=10.0, help="per-request timeout, seconds")
    p.add_argument("--text-len", type=int, default=450, help="mean text length (body ~1 KB)")
    p.add_argument("--numbers", default=",".join(DEFAULT_NUMBERS), help="phone_number_ids")
    p.add_argument("--run-id", default=os.urandom(6).hex(), help="makes message ids unique")
    args = p.parse_args(argv)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        sys.exit("loadgen: loopback only")
    result = asyncio.run(run(args))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
