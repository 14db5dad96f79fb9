"""Fetch throughput: wirehouse's fetch step against a bare httpx loop, in the same run.

A small asyncio HTTP server (its own process) answers N small pages spread over H hosts,
the loopback aliases 127.0.0.2, 127.0.0.3, ... Both clients fetch the same URLs with the
same global concurrency. wirehouse keeps every politeness rule while doing it (robots.txt
per host, at most 2 requests per host, address checks at every hop) and also archives every
body to WARC and records every attempt in DuckDB; the bare loop only downloads.

    python -m bench.fetch_bench [--pages 2000] [--hosts 50] [--rounds 2]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import sys
import tempfile
import time
from dataclasses import replace

import httpx

from tasks.run_context import RunContext, new_run_id
from tasks.steps.fetch import fetch_and_archive
from wirehouse.settings import FetchSettings, Settings

BODY = b"<html><head><title>t</title></head><body>" + b"<p>news text</p>" * 60 + b"</body></html>"
ROBOTS = b"User-agent: *\nDisallow: /private/\n"


async def _serve(port: int, ready: multiprocessing.synchronize.Event) -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                path = head.split(b" ", 2)[1]
                body = ROBOTS if path == b"/robots.txt" else BODY
                kind = b"text/plain" if path == b"/robots.txt" else b"text/html"
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: "
                    + kind
                    + b"\r\nContent-Length: "
                    + str(len(body)).encode()
                    + b"\r\n\r\n"
                    + body
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "0.0.0.0", port, backlog=1024)
    ready.set()
    async with server:
        await server.serve_forever()


def _server_process(port: int, ready: multiprocessing.synchronize.Event) -> None:
    asyncio.run(_serve(port, ready))


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def bare_loop(urls: list[str], concurrency: int) -> int:
    """The baseline: one httpx.AsyncClient, a semaphore, read every body."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    gate = asyncio.Semaphore(concurrency)
    ok = 0
    async with httpx.AsyncClient(limits=limits, timeout=30.0) as client:

        async def one(url: str) -> None:
            nonlocal ok
            async with gate:
                response = await client.get(url)
                await response.aread()
                ok += response.status_code == 200

        await asyncio.gather(*(one(u) for u in urls))
    return ok


def wirehouse_fetch(urls: list[str], concurrency: int) -> int:
    """wirehouse's fetch step, as the flow runs it (fresh archive, robots and all)."""
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(fetch=replace(FetchSettings(), max_concurrency=concurrency))
        ctx = RunContext(
            db_path=f"{tmp}/bench.duckdb",
            archive_dir=f"{tmp}/archive",
            run_id=new_run_id(),
            settings=settings,
            allow_private_network=True,
        )
        report = fetch_and_archive(ctx, urls)
        return report.fetched


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--hosts", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=FetchSettings().max_concurrency)
    parser.add_argument("--rounds", type=int, default=2, help="best of this many runs each")
    args = parser.parse_args(argv)

    port = _free_port()
    ready = multiprocessing.get_context("spawn").Event()
    server = multiprocessing.get_context("spawn").Process(
        target=_server_process, args=(port, ready), daemon=True
    )
    server.start()
    if not ready.wait(30):
        print("the benchmark server did not start", file=sys.stderr)
        return 1
    urls = [f"http://127.0.0.{2 + i % args.hosts}:{port}/page/{i}.html" for i in range(args.pages)]
    try:
        bare_s, ours_s = [], []
        for _ in range(args.rounds):
            started = time.perf_counter()
            got = asyncio.run(bare_loop(urls, args.concurrency))
            bare_s.append(time.perf_counter() - started)
            assert got == len(urls), f"bare loop fetched {got} of {len(urls)}"
            started = time.perf_counter()
            got = wirehouse_fetch(urls, args.concurrency)
            ours_s.append(time.perf_counter() - started)
            assert got == len(urls), f"wirehouse fetched {got} of {len(urls)}"
    finally:
        server.terminate()
        server.join(5)
    bare_rate = len(urls) / min(bare_s)
    ours_rate = len(urls) / min(ours_s)
    print(
        f"{len(urls)} pages over {args.hosts} hosts, concurrency {args.concurrency}, best of {args.rounds}"
    )
    print(f"{'client':<44} {'seconds':>8} {'pages/s':>9}")
    print(f"{'bare httpx.AsyncClient loop':<44} {min(bare_s):8.2f} {bare_rate:9.0f}")
    print(f"{'wirehouse fetch step (polite, archived)':<44} {min(ours_s):8.2f} {ours_rate:9.0f}")
    print(f"ratio wirehouse / bare: {ours_rate / bare_rate:.2f} (target >= 0.80)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
