"""`logad fetch`: download a log or label file into a folder the pipelines read, such as the pipelines' shared
volume (charts/logad/examples/data-loader-job.yaml). Object stores serve through pre-signed HTTPS URLs (S3, GCS and
Azure all issue them), so one HTTP client covers them without their SDKs in the image."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

from logad.cli.common import note
from logad.errors import BadInputError, ConfigError

CHUNK = 1 << 20


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("fetch", help="download a log file from an http(s) or pre-signed object-store URL")
    parser.add_argument("--url", required=True, help="http:// or https:// URL (e.g. a pre-signed S3/GCS/Azure URL)")
    parser.add_argument("--out", type=Path, required=True, help="file to write (written whole or not at all)")
    parser.add_argument("--sha256", help="expected SHA-256 of the file: anything else is refused")
    parser.add_argument(
        "--header",
        action="append",
        default=[],
        metavar="NAME=ENV",
        help="send header NAME with the value of environment variable ENV (a Secret's key), e.g. Authorization=TOKEN",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if urlparse(args.url).scheme not in ("http", "https"):
        raise ConfigError(f"--url {args.url!r}: only http:// and https:// URLs (pre-signed for object stores)")
    if args.sha256 and args.out.is_file() and _sha256(args.out) == args.sha256.lower():
        note(f"{args.out} is already there with that SHA-256")
        return _report(args.out, args.out.stat().st_size, args.sha256.lower())
    request = urllib.request.Request(args.url, headers=dict(_header(text) for text in args.header))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    partial = args.out.with_name(args.out.name + ".part")
    digest, size = hashlib.sha256(), 0
    try:
        with urllib.request.urlopen(request, timeout=60) as response, open(partial, "wb") as out:
            while chunk := response.read(CHUNK):
                out.write(chunk)
                digest.update(chunk)
                size += len(chunk)
    except (urllib.error.URLError, OSError) as exc:
        partial.unlink(missing_ok=True)
        raise BadInputError(f"cannot download {urlparse(args.url)._replace(query='').geturl()}: {exc}") from None
    if args.sha256 and digest.hexdigest() != args.sha256.lower():
        partial.unlink()
        raise BadInputError(f"downloaded SHA-256 {digest.hexdigest()} is not the expected {args.sha256}")
    os.replace(partial, args.out)
    return _report(args.out, size, digest.hexdigest())


def _header(text: str) -> tuple[str, str]:
    name, sep, variable = text.partition("=")
    if not (name and sep and variable):
        raise ConfigError(f"--header {text!r}: expected NAME=ENV")
    if variable not in os.environ:
        raise ConfigError(f"--header {text!r}: environment variable {variable} is not set")
    return name, os.environ[variable]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as data:
        while chunk := data.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _report(path: Path, size: int, sha256: str) -> int:
    print(json.dumps({"out": str(path), "bytes": size, "sha256": sha256}))
    return 0
