"""`logad feedback`: send operators' verdicts on past windows to a running transformer.

The transformer applies all of a request's verdicts or none (its answer says why), so this prints one line per
verdict once they are applied, then the tenant's new threshold.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import httpx

from logad.errors import BadInputError, ConfigError, LogadError

LABELS = ("normal", "anomalous")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "feedback", help="tell a running transformer which of a tenant's windows were normal or anomalous"
    )
    parser.add_argument("--url", required=True, help="the transformer, e.g. http://127.0.0.1:8080")
    parser.add_argument("--tenant", required=True, help="the tenant whose windows these are")
    parser.add_argument("--window", action="append", default=[], help="a window id from a decision (repeatable)")
    parser.add_argument(
        "--label", action="append", default=[], choices=LABELS, help="the verdict on the --window before it"
    )
    parser.add_argument(
        "--file", type=Path, help='JSON verdicts: {"feedback": [{"window": ID, "label": LABEL}, ...]} or the list'
    )
    parser.add_argument("--token-file", type=Path, help="file holding the tenant's bearer token")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for the transformer")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    verdicts = _verdicts(args.window, args.label, args.file)
    headers = {"X-Tenant-Id": args.tenant}
    if args.token_file:
        headers["Authorization"] = f"Bearer {_read(args.token_file, 'token file').strip()}"
    url = f"{args.url.rstrip('/')}/logad/v1/tenants/{args.tenant}/feedback"
    try:
        reply = httpx.post(url, json={"feedback": verdicts}, headers=headers, timeout=args.timeout)
    except httpx.HTTPError as exc:
        raise LogadError(f"cannot reach the transformer at {args.url}: {exc}") from None
    if reply.is_error:
        raise LogadError(f"the transformer refused the feedback ({reply.status_code}): {_error_text(reply)}")
    answer = reply.json()
    for verdict in verdicts:
        print(f"{answer['tenant']}: window {verdict['window']} marked {verdict['label']}")
    print(
        f"{answer['tenant']}: {answer['applied']} verdict(s) applied; threshold now {answer['threshold']:.6g} "
        f"({answer['verdicts']} verdict(s) held), state version {answer['state_version']}"
    )
    return 0


def _verdicts(windows: list[str], labels: list[str], file: Path | None) -> list[dict[str, Any]]:
    """The verdicts of --window/--label pairs followed by those of --file; ConfigError when there are none or the
    pairs do not match up (the transformer checks the file's items, naming the bad one)."""
    if len(windows) != len(labels):
        raise ConfigError(f"give one --label per --window: got {len(windows)} window(s) and {len(labels)} label(s)")
    verdicts: list[Any] = [{"window": w, "label": label} for w, label in zip(windows, labels, strict=True)]
    if file is not None:
        try:
            loaded = json.loads(_read(file, "verdicts file"))
        except json.JSONDecodeError as exc:
            raise BadInputError(f"verdicts file {file} is not JSON: {exc}") from None
        items = loaded.get("feedback") if isinstance(loaded, dict) else loaded
        if not isinstance(items, list):
            raise BadInputError(f'verdicts file {file} must hold {{"feedback": [...]}} or a list of verdicts')
        verdicts += items
    if not verdicts:
        raise ConfigError("no verdicts: give --window ID --label normal|anomalous, or --file")
    return verdicts


def _read(path: Path, what: str) -> str:
    try:
        return path.read_text()
    except OSError as exc:
        raise ConfigError(f"cannot read the {what} {path}: {exc.strerror}") from None


def _error_text(reply: httpx.Response) -> str:
    """The server's ``{"error": ...}`` message, or the start of whatever else it answered."""
    try:
        return str(reply.json()["error"])
    except (ValueError, KeyError, TypeError):
        return reply.text[:500] or reply.reason_phrase
