"""A ZIP archive written as it is sent: members go in one after another and the
bytes come out in chunks, so an archive of any size costs a small buffer.

zipfile writes to a stream it cannot seek (it adds a data descriptor after each
member instead of going back to fill in sizes), which is what a response is.
"""
from __future__ import annotations

import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import IO

CHUNK = 64 * 1024  # bytes held before they are handed on
FILE_MODE = 0o644 << 16  # unpacked as a readable file, not one with no permissions


class _Sink:
    """Where zipfile writes: kept until taken. No tell() or seek(): zipfile then
    knows the stream goes one way and counts its position itself."""

    def __init__(self) -> None:
        self.data = bytearray()

    def write(self, data: bytes) -> int:
        self.data += data
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass


class ZipStream:
    """with stream.member("a.csv", when) as out: out.write(b"..."), and between
    writes ``yield from stream.ready()``; at the end ``yield from stream.finish()``."""

    def __init__(self) -> None:
        self._sink = _Sink()
        self._zip = zipfile.ZipFile(self._sink, "w", compression=zipfile.ZIP_DEFLATED)

    @contextmanager
    def member(self, name: str, when: datetime) -> Iterator[IO[bytes]]:
        info = zipfile.ZipInfo(name, date_time=when.timetuple()[:6])
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = FILE_MODE
        with self._zip.open(info, "w") as out:
            yield out

    def ready(self) -> Iterator[bytes]:
        """The bytes written so far, once there are enough of them to send."""
        if len(self._sink.data) >= CHUNK:
            yield self._take()

    def finish(self) -> Iterator[bytes]:
        """The rest of the archive: what is buffered and the central directory."""
        self._zip.close()
        if self._sink.data:
            yield self._take()

    def _take(self) -> bytes:
        data = bytes(self._sink.data)
        self._sink.data.clear()
        return data
