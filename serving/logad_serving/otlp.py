"""OTLP/HTTP logs in: ``POST /v1/logs`` with an ExportLogsServiceRequest (protobuf or OTLP JSON, optionally gzip or
deflate), turned into each tenant's raw lines and processed exactly as the raw-line endpoint processes them.

How an OTLP log record maps onto logad's line model:
- tenant: the resource attribute named by ``--otlp-tenant-attribute`` (``service.namespace`` by default), else the
  X-Tenant-Id header; a record with neither (or with an invalid name) is rejected with that reason. With tokens on,
  the request's bearer token must be that of every tenant it names; the tenants are written one after another.
- line: the record's body, which must be the raw log line as the file holds it (what the Collector's filelog
  receiver and Fluent Bit's tail input send), so the model's format parses it, its timestamp and ids included. Any
  other body is rendered: bytes as UTF-8, a number or boolean as its JSON scalar, a kvlist or array as compact JSON.
- time: the line's own timestamp; for a format without one, ``time_unix_nano``, else ``observed_time_unix_nano``.
- attributes, severity and trace context: not used (a line's fields come from the line, through the format).

The answer is OTLP's ExportLogsServiceResponse in the request's encoding; rejected records (no tenant, or a line the
format does not parse) are counted in ``partial_success`` with a reason each. Decisions go to the tenant's decision
log, as the raw-line endpoint's do.
"""

from __future__ import annotations

import base64
import json
import zlib
from dataclasses import dataclass, field, replace
from typing import Any

from fastapi import Response
from google.protobuf import json_format
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord as OtlpRecord
from opentelemetry.proto.resource.v1.resource_pb2 import Resource

from logad.data.types import LogRecord
from logad.errors import BadInputError
from logad.streaming import parse_lines
from logad.tenants import check_tenant
from logad_serving.errors import BodyTooLarge, UnsupportedMediaType
from logad_serving.tenancy import TENANT_HEADER, header
from logad_serving.transformer import TenantTransformer

PROTOBUF, JSON = "application/x-protobuf", "application/json"
_WBITS = {"gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}
_MAX_REASONS = 20  # reasons spelled out in partial_success.error_message; the count covers all


@dataclass
class TenantLines:
    """One tenant's records of a request: their lines, times (epoch seconds or None) and where each came from."""

    tenant: str
    lines: list[str] = field(default_factory=list)
    times: list[float | None] = field(default_factory=list)
    where: list[str] = field(default_factory=list)


async def receive_logs(
    transformer: TenantTransformer, body: bytes, headers: dict[str, str], max_body_bytes: int
) -> Response:
    """Handle one export: every tenant it names is authorised before any is written; then each tenant's lines
    advance its stream (state, windows, threshold, decision log) as one raw-line request without flush would."""
    request, as_json = decode_export(
        body, header(headers, "content-type"), header(headers, "content-encoding"), max_body_bytes
    )
    batches, rejected = tenant_lines(request, transformer.otlp_tenant_attribute, header(headers, TENANT_HEADER))
    transformer.check_request_size(sum(len(batch.lines) for batch in batches), "log records")
    for batch in batches:
        transformer.tokens.check(batch.tenant, header(headers, "authorization"))
    for batch in batches:
        records, problems = parse_lines(batch.lines, transformer.log_format)
        await transformer.ingest(batch.tenant, with_times(records, batch.times), problems, headers)
        rejected += [f"{batch.where[problem.line - 1]}: {problem.reason}" for problem in problems]
    return export_response(rejected, as_json)


def decode_export(
    body: bytes, content_type: str | None, content_encoding: str | None, max_bytes: int
) -> tuple[ExportLogsServiceRequest, bool]:
    """The request in ``body`` and whether it came as JSON; UnsupportedMediaType (415) for another content type or
    encoding, BodyTooLarge (413) past ``max_bytes`` inflated, BadInputError (400) naming what does not decode."""
    media = (content_type or "").split(";")[0].strip().lower()
    if media not in (PROTOBUF, JSON):
        raise UnsupportedMediaType(f"OTLP logs need Content-Type {PROTOBUF} or {JSON}, not {content_type!r}")
    data = _inflate(body, (content_encoding or "identity").strip().lower(), max_bytes)
    request = ExportLogsServiceRequest()
    try:
        if media == JSON:
            document = json.loads(data)
            if not isinstance(document, dict):
                raise ValueError(f"the document is a {type(document).__name__}, not an object")
            json_format.ParseDict(_ids_from_hex(document), request, ignore_unknown_fields=True)
        else:
            request.ParseFromString(data)
    except (ValueError, json_format.ParseError, DecodeError) as exc:
        raise BadInputError(f"the body is not an OTLP ExportLogsServiceRequest in {media}: {exc}") from None
    return request, media == JSON


def tenant_lines(
    request: ExportLogsServiceRequest, attribute: str, header_tenant: str | None
) -> tuple[list[TenantLines], list[str]]:
    """The request's records grouped by tenant (in request order), and a reason for each record left out."""
    batches: dict[str, TenantLines] = {}
    rejected: list[str] = []
    for r, resource_logs in enumerate(request.resource_logs):
        tenant, problem = _tenant(resource_logs.resource, attribute, header_tenant)
        for s, scope_logs in enumerate(resource_logs.scope_logs):
            for i, record in enumerate(scope_logs.log_records):
                where = f"resource_logs[{r}].scope_logs[{s}].log_records[{i}]"
                if tenant is None:
                    rejected.append(f"{where}: {problem}")
                    continue
                try:
                    line = body_text(record.body)
                except ValueError as exc:
                    rejected.append(f"{where}: the body is not a log line ({exc})")
                    continue
                batch = batches.setdefault(tenant, TenantLines(tenant))
                batch.lines.append(line)
                batch.times.append(_seconds(record))
                batch.where.append(where)
    return list(batches.values()), rejected


def body_text(value: AnyValue) -> str:
    """A record body as a raw line: a string as it is, bytes as UTF-8 (ValueError otherwise), an empty body as
    ``""``, anything else as compact JSON (a kvlist an object, an array a list, nested bytes base64)."""
    kind = value.WhichOneof("value")
    if kind == "string_value":
        return value.string_value
    if kind == "bytes_value":
        return value.bytes_value.decode("utf-8")
    return "" if kind is None else json.dumps(_plain(value), ensure_ascii=False, separators=(",", ":"))


def with_times(records: list[LogRecord], times: list[float | None]) -> list[LogRecord]:
    """``records`` (parsed from a tenant's lines, ``line_no`` the 1-based line index) with the OTLP record's time
    on those whose line carries none."""
    return [r if r.timestamp is not None else replace(r, timestamp=times[r.line_no - 1]) for r in records]


def export_response(rejected: list[str], as_json: bool) -> Response:
    """The ExportLogsServiceResponse (partial_success only when records were rejected) in the request's encoding."""
    answer = ExportLogsServiceResponse()
    if rejected:
        shown = "; ".join(rejected[:_MAX_REASONS])
        more = f"; and {len(rejected) - _MAX_REASONS} more" if len(rejected) > _MAX_REASONS else ""
        answer.partial_success.rejected_log_records = len(rejected)
        answer.partial_success.error_message = f"{len(rejected)} log records rejected: {shown}{more}"
    if as_json:
        return Response(json_format.MessageToJson(answer, indent=None), media_type=JSON)
    return Response(answer.SerializeToString(), media_type=PROTOBUF)


def _tenant(resource: Resource, attribute: str, header_tenant: str | None) -> tuple[str | None, str]:
    """The checked tenant of a resource's records (its attribute, else the header), or None and why not."""
    value = next((kv.value for kv in resource.attributes if kv.key == attribute), None)
    if value is not None and value.WhichOneof("value") != "string_value":
        return None, f"the resource attribute {attribute!r} is not a string"
    name = value.string_value if value is not None else header_tenant
    if not name:
        return None, f"no tenant: the resource has no {attribute!r} attribute and the request no X-Tenant-Id header"
    try:
        return check_tenant(name), ""
    except BadInputError as exc:
        return None, str(exc)


def _seconds(record: OtlpRecord) -> float | None:
    nanos = record.time_unix_nano or record.observed_time_unix_nano
    return nanos / 1e9 if nanos else None


def _plain(value: AnyValue) -> Any:
    """An AnyValue as a JSON-ready Python value."""
    kind = value.WhichOneof("value")
    if kind == "kvlist_value":
        return {kv.key: _plain(kv.value) for kv in value.kvlist_value.values}
    if kind == "array_value":
        return [_plain(item) for item in value.array_value.values]
    if kind == "bytes_value":
        return base64.b64encode(value.bytes_value).decode("ascii")
    return None if kind is None else getattr(value, kind)


def _inflate(body: bytes, encoding: str, max_bytes: int) -> bytes:
    """``body`` decoded from its Content-Encoding, at most ``max_bytes`` of it (a small gzip can inflate hugely)."""
    if encoding == "identity":
        return body
    if encoding not in _WBITS:
        raise UnsupportedMediaType(f"Content-Encoding {encoding!r} is not supported: send gzip, deflate or identity")
    inflater = zlib.decompressobj(_WBITS[encoding])
    try:
        data = inflater.decompress(body, max_bytes + 1)
    except zlib.error as exc:
        raise BadInputError(f"the body is not valid {encoding} data: {exc}") from None
    if len(data) > max_bytes:
        raise BodyTooLarge(f"the {encoding} request body inflates past {max_bytes} bytes")
    if not inflater.eof:
        raise BadInputError(f"the {encoding} request body is truncated")
    return data


def _ids_from_hex(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` with its records' ``traceId`` and ``spanId`` turned from OTLP JSON's hex into the base64 that
    protobuf's JSON mapping reads."""
    for resource_logs in _objects(document, "resourceLogs"):
        for scope_logs in _objects(resource_logs, "scopeLogs"):
            for record in _objects(scope_logs, "logRecords"):
                for key in ("traceId", "spanId"):
                    if isinstance(record.get(key), str):
                        try:
                            record[key] = base64.b64encode(bytes.fromhex(record[key])).decode("ascii")
                        except ValueError:
                            raise BadInputError(f"{key} {record[key]!r} of a log record is not hex") from None
    return document


def _objects(parent: dict[str, Any], key: str) -> list[dict[str, Any]]:
    """The objects in ``parent[key]`` (nothing when it is not a list: the protobuf parser then names the field)."""
    found = parent.get(key)
    return [item for item in found if isinstance(item, dict)] if isinstance(found, list) else []
