"""HTTP content codings undone incrementally, with a hard cap on what comes out.

A body may be declared ``Content-Encoding: gzip, gzip`` (or any stack of gzip, deflate, br)
and inflate a thousandfold at each layer: 1.8 KB on the wire can be 1 GB decoded. Every
decoder here emits at most ``_BLOCK`` bytes per step and counts what it emits, so a
:class:`DecodingStack` holds at most its limit whatever the body claims. The fetcher reads
raw bytes from the network through one; the WARC reader decodes recorded payloads with the
same decoders.

Decoding is lenient where servers are sloppy: a body labelled gzip or deflate that does not
decode from its first bytes is passed through as it is (so is a raw deflate stream labelled
deflate), and bytes after the end of a compressed stream are ignored.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from typing import Any

_BLOCK = 64 * 1024
GZIP_MAGIC = b"\x1f\x8b"  # how every gzip member starts
_DETAIL_MAX = 200


class CodingProblem(Exception):
    """A body that cannot be decoded: ``reason`` is "malformed", "truncated" or
    "unsupported_encoding"."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


class TooLarge(Exception):
    """The decoded body went over the limit."""


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _DETAIL_MAX else text[: _DETAIL_MAX - 3] + "..."


class Decoder:
    """One content coding, decoded incrementally with bounded output."""

    def __init__(self, name: str, limit: int) -> None:
        self.name = name
        self.limit = limit
        self.produced = 0

    def _count(self, data: bytes) -> bytes:
        self.produced += len(data)
        if self.produced > self.limit:
            raise TooLarge
        return data

    def feed(self, data: bytes) -> bytes:
        raise NotImplementedError

    def finish(self) -> bytes:
        raise NotImplementedError


class ZlibDecoder(Decoder):
    """gzip or deflate. A body that does not decode from its first bytes passes as is."""

    def __init__(self, name: str, limit: int) -> None:
        super().__init__(name, limit)
        self._modes = [16 + zlib.MAX_WBITS] if name == "gzip" else [zlib.MAX_WBITS, -zlib.MAX_WBITS]
        self._decomp = zlib.decompressobj(self._modes.pop(0))
        self._pending = bytearray()  # input kept until the stream has proven to decode
        self._started = False  # some output came out: the coding is real
        self._passthrough = False
        self._finished = False  # the compressed stream has ended
        self._fed = 0

    def feed(self, data: bytes) -> bytes:
        if self._passthrough:
            return self._count(data)
        if self._finished:
            return b""  # bytes after the end of the compressed stream: ignored
        self._fed += len(data)
        if not self._started:
            self._pending += data
            if len(self._pending) > self.limit:
                raise TooLarge
        out = bytearray()
        while data:
            try:
                piece = self._decomp.decompress(data, _BLOCK)
            except zlib.error as exc:
                if self._started:
                    raise CodingProblem(
                        "malformed", _clip(f"{self.name}-encoded body is corrupt: {exc}")
                    ) from exc
                return self._restart()
            if piece:
                self._started = True
                self._pending.clear()
                out += self._count(piece)
            if self._decomp.eof:
                rest = self._decomp.unused_data
                if self.name == "gzip" and rest[:2] == GZIP_MAGIC:
                    self._decomp = zlib.decompressobj(16 + zlib.MAX_WBITS)  # next member
                    data = rest
                    continue
                self._finished = True
                break
            data = self._decomp.unconsumed_tail
        return bytes(out)

    def _restart(self) -> bytes:
        """The bytes so far did not decode: try the next deflate flavour, else pass them."""
        pending = bytes(self._pending)
        self._pending.clear()
        if self._modes:
            self._decomp = zlib.decompressobj(self._modes.pop(0))
            self._fed = 0
            return self.feed(pending)
        self._passthrough = True
        return self._count(pending)

    def finish(self) -> bytes:
        if self._passthrough or self._finished or self._fed == 0:
            return b""
        if not self._decomp.eof:
            if not self._started:
                return self._restart()
            raise CodingProblem("truncated", f"{self.name}-encoded body ends early")
        return b""


class BrotliDecoder(Decoder):
    def __init__(self, name: str, limit: int, module: Any) -> None:
        super().__init__(name, limit)
        self._decomp = module.Decompressor()

    def feed(self, data: bytes) -> bytes:
        try:
            out = self._decomp.process(data)
        except Exception as exc:  # brotli.error has no common base
            raise CodingProblem("malformed", _clip(f"br-encoded body is corrupt: {exc}")) from exc
        return self._count(bytes(out))

    def finish(self) -> bytes:
        is_finished = getattr(self._decomp, "is_finished", None)
        if is_finished is not None and not is_finished():
            raise CodingProblem("truncated", "br-encoded body ends early")
        return b""


def _brotli_module() -> Any:
    for name in ("brotli", "brotlicffi"):
        try:
            return __import__(name)
        except ImportError:
            continue
    return None


_BROTLI = _brotli_module()
_NO_CODING = frozenset({"identity", "none", "chunked", ""})


def supported_codings() -> tuple[str, ...]:
    """The codings this process can undo, for an Accept-Encoding header."""
    return ("gzip", "deflate", "br") if _BROTLI is not None else ("gzip", "deflate")


def codings_of(header: str | None) -> list[str]:
    """The codings a Content-Encoding header lists, in the order they were applied."""
    return [token.strip().lower() for token in (header or "").split(",") if token.strip()]


def decoders_for(codings: Sequence[str], limit: int) -> list[Decoder]:
    """Decoders for the codings, last applied first; stops at one it cannot undo."""
    out: list[Decoder] = []
    for coding in reversed(codings):
        if coding in _NO_CODING:
            continue
        if coding in ("gzip", "x-gzip"):
            out.append(ZlibDecoder("gzip", limit))
        elif coding in ("deflate", "x-deflate"):
            out.append(ZlibDecoder("deflate", limit))
        elif coding == "br" and _BROTLI is not None:
            out.append(BrotliDecoder("br", limit, _BROTLI))
        else:
            break  # cannot decode this one, so not the ones below it either
    return out


class DecodingStack:
    """Undo a stack of content codings as bytes arrive, never holding more than ``limit``
    decoded bytes in all (``TooLarge`` as soon as the output would pass it)."""

    def __init__(self, codings: Sequence[str], limit: int) -> None:
        wanted = [c for c in codings if c not in _NO_CODING]
        self._decoders = decoders_for(wanted, limit)
        if len(self._decoders) != len(wanted):
            unknown = wanted[len(wanted) - len(self._decoders) - 1]
            raise CodingProblem("unsupported_encoding", f"content coding {unknown!r} unsupported")
        self._limit = limit
        self.produced = 0

    def _push(self, data: bytes, start: int) -> bytes:
        for decoder in self._decoders[start:]:
            if not data:
                return b""
            data = decoder.feed(data)
        self.produced += len(data)
        if self.produced > self._limit:
            raise TooLarge
        return data

    def feed(self, data: bytes) -> bytes:
        """Decoded bytes of the next piece of the body."""
        return self._push(data, 0)

    def finish(self) -> bytes:
        """What the decoders still hold at the end of the body (CodingProblem if it was cut)."""
        out = bytearray()
        for index, decoder in enumerate(self._decoders):
            out += self._push(decoder.finish(), index + 1)
        return bytes(out)
