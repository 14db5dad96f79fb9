"""A small HTTP server for the bundled example site, on loopback, several hosts in one.

``examples/site/<host>/<path>`` answers ``http://<host>/<path>``; the demo points every
example host at this server with a resolver override, so the real fetch path is used.
"""

from __future__ import annotations

import mimetypes
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

EXAMPLE_SITE = Path(__file__).resolve().parent.parent / "examples" / "site"
_TYPES = {
    ".xml": "application/xml",
    ".rss": "application/rss+xml",
    ".html": "text/html; charset=utf-8",
}


def example_hosts(root: Path = EXAMPLE_SITE) -> list[str]:
    return sorted(p.name for p in root.iterdir() if p.is_dir())


class _SiteHandler(BaseHTTPRequestHandler):
    server_version = "wirehouse-demo/1"
    root: Path = EXAMPLE_SITE

    def do_GET(self) -> None:
        host = (self.headers.get("Host") or "").split(":")[0].lower()
        path = unquote(urlsplit(self.path).path)
        target = (self.root / host / path.lstrip("/")).resolve()
        if target.is_dir():
            target = target / "index.html"
        # Refuse anything outside the host's folder (../ tricks) and unknown hosts.
        if not host or not target.is_relative_to(self.root / host) or not target.is_file():
            self.send_error(404, "Not Found")
            return
        body = target.read_bytes()
        kind = (
            _TYPES.get(target.suffix)
            or mimetypes.guess_type(target.name)[0]
            or "application/octet-stream"
        )
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # quiet: the demo prints a summary
        return


class _SiteServer(ThreadingHTTPServer):
    # several runs at once (shards) open many connections together: the default backlog
    # of 5 would refuse some of them
    request_queue_size = 256


@contextmanager
def serve_example_site(root: Path = EXAMPLE_SITE) -> Iterator[dict[str, str]]:
    """Serve the example site on 127.0.0.1:<free port>; yields host -> address overrides."""
    handler = type("SiteHandler", (_SiteHandler,), {"root": root.resolve()})
    server = _SiteServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="demo-site", daemon=True
    )
    thread.start()
    address = f"127.0.0.1:{server.server_address[1]}"
    try:
        yield {host: address for host in example_hosts(root)}
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
