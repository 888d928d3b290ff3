"""Read a file named in task data, kernel-side, so widgets get bytes and not URLs.

Label Studio task data names media in several ways; each is one small reader:

- ``data:image/png;base64,...``       decoded in place;
- ``/data/local-files/?d=<relative>``  Label Studio's local-files URL, resolved against the
  document roots (``$LOCAL_FILES_DOCUMENT_ROOT`` and the project's local-files storages);
- an absolute path or ``file://`` URL  read from disk;
- ``http(s)://...``                    fetched by the kernel (size- and time-limited).

Cloud storage keys (``s3://``, ``gs://``, ``azure-blob://``) need storage credentials and
are read by the storages feature; until then they get a clear :class:`MediaError`.
"""

from __future__ import annotations

import base64
import binascii
import mimetypes
import os
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable
from pathlib import Path

from .errors import MediaError

#: Largest file the kernel will send to a widget.
MAX_BYTES = 64 * 1024 * 1024
_HTTP_TIMEOUT_S = 15
LOCAL_FILES_PREFIX = "/data/local-files/"
DOCUMENT_ROOT_ENV = "LOCAL_FILES_DOCUMENT_ROOT"


def read_media(
    url: str, document_roots: Iterable[str | os.PathLike[str]] = ()
) -> tuple[bytes, str]:
    """Return ``(content, mime type)`` of the file ``url`` names."""
    if not isinstance(url, str) or not url.strip():
        raise MediaError(f"Task data names no file here (got {url!r}).")
    url = url.strip()
    for matches, reader in _READERS:
        if matches(url):
            return reader(url, list(document_roots))
    scheme = urllib.parse.urlsplit(url).scheme
    raise MediaError(
        f"Cannot read {url!r}: {scheme}:// files are read through the project's cloud storage, "
        "which this version does not sync yet. Use a local path, a /data/local-files/ URL, "
        "an http(s) URL or a data: URI."
    )


def _read_data_uri(url: str, _roots: list[str | os.PathLike[str]]) -> tuple[bytes, str]:
    header, _, payload = url[5:].partition(",")
    mime = header.split(";")[0] or "application/octet-stream"
    try:
        if header.endswith(";base64"):
            content = base64.b64decode(payload, validate=True)
        else:
            content = urllib.parse.unquote_to_bytes(payload)
    except (binascii.Error, ValueError) as err:
        raise MediaError(f"The data: URI in task data is not valid base64 ({err}).") from None
    return content, mime


def _read_local_files(url: str, roots: list[str | os.PathLike[str]]) -> tuple[bytes, str]:
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    relative = (query.get("d") or [""])[0]
    if not relative:
        raise MediaError(f"{url!r} has no ?d=<path> part naming the file.")
    candidates = [*roots]
    if os.environ.get(DOCUMENT_ROOT_ENV):
        candidates.append(os.environ[DOCUMENT_ROOT_ENV])
    for root in candidates:
        base = Path(root).resolve()
        path = (base / relative).resolve()
        if not path.is_relative_to(base):
            raise MediaError(f"{url!r} points outside the local-files document root {base}.")
        if path.is_file():
            return _read_file(path)
    where = ", ".join(str(r) for r in candidates) or "none configured"
    raise MediaError(
        f"File {relative!r} of {url!r} is not under any local-files document root ({where}). "
        f"Set ${DOCUMENT_ROOT_ENV} to the folder that holds it."
    )


def _read_path(url: str, _roots: list[str | os.PathLike[str]]) -> tuple[bytes, str]:
    path = Path(urllib.parse.unquote(urllib.parse.urlsplit(url).path) if "://" in url else url)
    if not path.is_file():
        raise MediaError(f"No file at {path} (named in task data).")
    return _read_file(path)


def _read_file(path: Path) -> tuple[bytes, str]:
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise MediaError(f"{path} is {size:,} bytes; the widget takes at most {MAX_BYTES:,}.")
        content = path.read_bytes()
    except OSError as err:
        raise MediaError(f"Cannot read {path}: {err.strerror}.") from None
    return content, mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def _read_http(url: str, _roots: list[str | os.PathLike[str]]) -> tuple[bytes, str]:
    try:
        with urllib.request.urlopen(url, timeout=_HTTP_TIMEOUT_S) as response:
            content = response.read(MAX_BYTES + 1)
            mime = response.headers.get_content_type()
    except OSError as err:
        raise MediaError(f"Cannot fetch {url}: {err}.") from None
    if len(content) > MAX_BYTES:
        raise MediaError(f"{url} is larger than {MAX_BYTES:,} bytes.")
    return content, mime


_READERS: list[tuple[Callable[[str], bool], Callable[..., tuple[bytes, str]]]] = [
    (lambda u: u.startswith("data:"), _read_data_uri),
    (lambda u: u.startswith(LOCAL_FILES_PREFIX), _read_local_files),
    (lambda u: u.startswith("/") or u.startswith("file://"), _read_path),
    (lambda u: u.startswith(("http://", "https://")), _read_http),
]
