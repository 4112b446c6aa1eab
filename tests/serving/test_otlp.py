"""OTLP/HTTP logs in (``POST /v1/logs``): what the OpenTelemetry SDK's own exporter sends, as protobuf and as OTLP
JSON, gives the decisions the same lines give through the raw-line endpoint; decoding and rejections."""

from __future__ import annotations

import base64
import gzip
import json
import time
import zlib
from collections.abc import Sequence
from typing import Any

import httpx
import pytest
from google.protobuf import json_format
from opentelemetry._logs import LogRecord
from opentelemetry.exporter.otlp.proto.common._log_encoder import encode_logs
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.sdk._logs import LoggerProvider, ReadableLogRecord
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, LogRecordExportResult, SimpleLogRecordProcessor
from opentelemetry.sdk.resources import Resource
from opentelemetry.trace import TraceFlags
from serving_helpers import bearer, hdfs_lines, inspect_tenant, predict_v1

from logad.data.formats import get_format
from logad.errors import BadInputError
from logad.streaming import parse_lines
from logad_serving.errors import BodyTooLarge, UnsupportedMediaType
from logad_serving.otlp import JSON, PROTOBUF, body_text, decode_export, tenant_lines, with_times

CHUNK = 100  # records per export, lines per raw request
COMPARED = ("window", "score", "threshold", "anomalous", "events")


def sdk_records(lines: Sequence[str], attributes: dict[str, str]) -> tuple[ReadableLogRecord, ...]:
    """``lines`` emitted through the SDK's LoggerProvider as log records of a resource with ``attributes``, each
    in a trace and stamped with the time of sending (the line's own timestamp is the one that counts)."""
    collected = InMemoryLogRecordExporter()
    provider = LoggerProvider(resource=Resource.create(attributes))
    provider.add_log_record_processor(SimpleLogRecordProcessor(collected))
    logger = provider.get_logger("hdfs.tail")
    for i, line in enumerate(lines):
        logger.emit(
            LogRecord(
                timestamp=time.time_ns(),
                body=line,
                attributes={"log.file.name": "HDFS.log"},
                trace_id=0x5B8EFFF798038103D269B633813FC60C + i,
                span_id=0xEEE19B7EC3C1B174,
                trace_flags=TraceFlags(TraceFlags.SAMPLED),
            )
        )
    provider.shutdown()
    return collected.get_finished_logs()


def otlp_json(request: ExportLogsServiceRequest) -> bytes:
    """``request`` in the OTLP JSON encoding: camelCase, int64 as strings, enums as integers, ids as hex."""
    document = json_format.MessageToDict(request, use_integers_for_enums=True)
    for resource_logs in document["resourceLogs"]:
        for scope_logs in resource_logs["scopeLogs"]:
            for record in scope_logs["logRecords"]:
                for key in ("traceId", "spanId"):
                    record[key] = base64.b64decode(record[key]).hex()
    return json.dumps(document).encode()


def chunks(items: Sequence[Any]) -> list[Sequence[Any]]:
    return [items[start : start + CHUNK] for start in range(0, len(items), CHUNK)]


def logged(client: httpx.Client, url: str, tenant: str) -> list[tuple]:
    """The tenant's decision log, oldest first, as the compared fields."""
    reply = client.get(f"{url}/logad/v1/tenants/{tenant}/decisions", params={"limit": 10_000})
    assert reply.status_code == 200, reply.text
    return [tuple(record[key] for key in COMPARED) for record in reversed(reply.json()["decisions"])]


def test_sdk_exporter_protobuf_and_otlp_json_decide_as_the_raw_lines_do(baseline, synth_logs, deploy):
    # Sessions close after 30 s of the tenant's event time, so windows complete while the logs stream in.
    deployment = deploy(baseline, "--session-idle-seconds", "30")
    url, name = deployment.transformer.url, deployment.transformer.name
    lines = [*hdfs_lines(synth_logs, "tenant-1", 800), "not an HDFS line"]
    raw: list[tuple] = []
    with httpx.Client(timeout=120) as client:
        for chunk in chunks(lines):
            reply = predict_v1(client, url, name, {"instances": list(chunk)}, "raw-tenant")
            assert reply.status_code == 200, reply.text
            raw += [tuple(p["id" if key == "window" else key] for key in COMPARED) for p in reply.json()["predictions"]]

        # Protobuf, gzip-compressed, sent by the SDK's exporter; the tenant is the resource's service.namespace.
        exporter = OTLPLogExporter(endpoint=f"{url}/v1/logs", compression=Compression.Gzip, timeout=120)
        for chunk in chunks(sdk_records(lines, {"service.namespace": "otel-proto", "service.name": "hdfs"})):
            assert exporter.export(chunk) == LogRecordExportResult.SUCCESS
        exporter.shutdown()

        # OTLP JSON of what the same encoder builds; this resource names no namespace, the header names the tenant.
        headers = {"Content-Type": JSON, "X-Tenant-Id": "otel-json"}
        answers = []
        for chunk in chunks(sdk_records(lines, {"service.name": "hdfs"})):
            reply = client.post(f"{url}/v1/logs", content=otlp_json(encode_logs(chunk)), headers=headers)
            assert reply.status_code == 200 and reply.headers["content-type"] == JSON, reply.text
            answers.append(reply.json())
        assert answers[:-1] == [{}] * (len(answers) - 1)  # the last chunk is the line that is not HDFS
        assert answers[-1]["partialSuccess"]["rejectedLogRecords"] == "1"
        assert "log_records[0]: does not match format hdfs" in answers[-1]["partialSuccess"]["errorMessage"]

        assert {decision[3] for decision in raw} == {True, False}, "windows of both kinds complete while streaming"
        assert logged(client, url, "raw-tenant") == raw
        assert logged(client, url, "otel-proto") == raw
        assert logged(client, url, "otel-json") == raw
        last = client.get(f"{url}/logad/v1/tenants/otel-proto/decisions/{raw[-1][0]}").json()
        assert tuple(last[key] for key in COMPARED) == raw[-1]
        counts = ("lines", "rejected_lines", "windows", "anomalous", "open_windows", "threshold")
        expected = {key: inspect_tenant(client, url, "raw-tenant").json()[key] for key in counts}
        assert expected["rejected_lines"] == 1 and expected["lines"] == len(lines) - 1
        for tenant in ("otel-proto", "otel-json"):
            assert {key: inspect_tenant(client, url, tenant).json()[key] for key in counts} == expected


def test_records_without_a_tenant_are_rejected_and_tokens_are_checked(baseline, synth_logs, deploy, tokens_dir):
    deployment = deploy(baseline, "--tokens-dir", str(tokens_dir))
    url = deployment.transformer.url
    lines = hdfs_lines(synth_logs, "tenant-1", 3)
    request = encode_logs(sdk_records(lines, {"service.namespace": "team-a"}))
    request.resource_logs.extend(encode_logs(sdk_records(lines[:2], {"service.name": "hdfs"})).resource_logs)
    body = request.SerializeToString()
    with httpx.Client(timeout=120) as client:
        post = client.post
        unauthorised = post(f"{url}/v1/logs", content=body, headers={"Content-Type": PROTOBUF, **bearer("team-b")})
        assert unauthorised.status_code == 401 and "team-a" in unauthorised.json()["error"]
        reply = post(f"{url}/v1/logs", content=body, headers={"Content-Type": PROTOBUF, **bearer("team-a")})
        assert reply.status_code == 200 and reply.headers["content-type"] == PROTOBUF
        answer = ExportLogsServiceResponse.FromString(reply.content)
        assert answer.partial_success.rejected_log_records == 2
        message = answer.partial_success.error_message
        assert "resource_logs[1].scope_logs[0].log_records[1]: no tenant" in message and "service.namespace" in message
        assert inspect_tenant(client, url, "team-a", **bearer("team-a")).json()["lines"] == 3
        # Another tenant's decisions stay closed to team-a's token.
        other = client.get(f"{url}/logad/v1/tenants/team-b/decisions", headers=bearer("team-a"))
        assert other.status_code == 401
        garbage = post(f"{url}/v1/logs", content=b"{", headers={"Content-Type": JSON, **bearer("team-a")})
        assert garbage.status_code == 400 and "ExportLogsServiceRequest" in garbage.json()["error"]
        text = post(f"{url}/v1/logs", content=body, headers={"Content-Type": "text/plain"})
        assert text.status_code == 415 and "application/x-protobuf" in text.json()["error"]


# ---- decoding, without servers --------------------------------------------------------------------------------
def _request(*bodies: AnyValue, namespace: str | None = "team-a") -> ExportLogsServiceRequest:
    request = ExportLogsServiceRequest()
    resource_logs = request.resource_logs.add()
    if namespace is not None:
        resource_logs.resource.attributes.append(
            KeyValue(key="service.namespace", value=AnyValue(string_value=namespace))
        )
    records = resource_logs.scope_logs.add().log_records
    for i, body in enumerate(bodies):
        records.add(body=body, time_unix_nano=(i + 1) * 10**9)
    return request


def test_decode_reads_protobuf_json_gzip_and_deflate_and_names_what_it_cannot():
    request = _request(AnyValue(string_value="a line"))
    binary = request.SerializeToString()
    assert decode_export(binary, PROTOBUF, None, 1 << 20) == (request, False)
    assert decode_export(gzip.compress(binary), f"{PROTOBUF}; charset=x", "gzip", 1 << 20) == (request, False)
    as_json = json_format.MessageToJson(request).encode()
    assert decode_export(zlib.compress(as_json), JSON, "deflate", 1 << 20) == (request, True)
    with pytest.raises(UnsupportedMediaType, match="Content-Type"):
        decode_export(binary, "text/plain", None, 1 << 20)
    with pytest.raises(UnsupportedMediaType, match="br"):
        decode_export(binary, PROTOBUF, "br", 1 << 20)
    with pytest.raises(BodyTooLarge, match="inflates past 1000 bytes"):
        decode_export(gzip.compress(b"{}" + b" " * 5000), JSON, "gzip", 1000)
    with pytest.raises(BadInputError, match="truncated"):
        decode_export(gzip.compress(binary)[:-12], PROTOBUF, "gzip", 1 << 20)
    with pytest.raises(BadInputError, match="not an OTLP ExportLogsServiceRequest in application/json"):
        decode_export(b"[1]", JSON, None, 1 << 20)
    with pytest.raises(BadInputError, match="traceId 'xyz' of a log record is not hex"):
        decode_export(b'{"resourceLogs": [{"scopeLogs": [{"logRecords": [{"traceId": "xyz"}]}]}]}', JSON, None, 99)
    hexed = b'{"resourceLogs": [{"scopeLogs": [{"logRecords": [{"traceId": "0af7651916cd43dd8448eb211c80319c"}]}]}]}'
    decoded, _ = decode_export(hexed, JSON, None, 1 << 20)
    assert decoded.resource_logs[0].scope_logs[0].log_records[0].trace_id.hex() == "0af7651916cd43dd8448eb211c80319c"


def test_bodies_render_as_lines_and_tenants_come_from_the_resource_or_the_header():
    kvlist = AnyValue()
    kvlist.kvlist_value.values.append(KeyValue(key="log", value=AnyValue(string_value="x")))
    kvlist.kvlist_value.values.append(KeyValue(key="n", value=AnyValue(int_value=3)))
    assert body_text(kvlist) == '{"log":"x","n":3}'
    assert body_text(AnyValue(bytes_value="é".encode())) == "é"
    assert body_text(AnyValue(bool_value=True)) == "true" and body_text(AnyValue()) == ""
    with pytest.raises(ValueError):
        body_text(AnyValue(bytes_value=b"\xff"))

    bodies = (AnyValue(string_value="one"), AnyValue(bytes_value=b"\xff"))
    batches, rejected = tenant_lines(_request(*bodies), "service.namespace", "from-header")
    assert [(b.tenant, b.lines, b.times) for b in batches] == [("team-a", ["one"], [1.0])]
    assert len(rejected) == 1
    assert rejected[0].startswith("resource_logs[0].scope_logs[0].log_records[1]: the body is not a log line (")
    batches, _ = tenant_lines(_request(*bodies[:1], namespace=None), "service.namespace", "from-header")
    assert batches[0].tenant == "from-header"
    _, rejected = tenant_lines(_request(*bodies[:1], namespace="no spaces allowed"), "service.namespace", None)
    assert rejected and "no spaces allowed" in rejected[0]


def test_a_line_keeps_its_own_timestamp_and_a_format_without_one_takes_the_records_time():
    hdfs = "081109 210255 33 INFO dfs.FSNamesystem: BLOCK* NameSystem.allocateBlock: blk_1"
    records, problems = parse_lines([hdfs, "", "x"], get_format("hdfs"))
    assert [r.timestamp for r in with_times(records, [5.0, 6.0, 7.0])] == [records[0].timestamp] != [5.0]
    assert [p.line for p in problems] == [2, 3]
    records, _ = parse_lines(["a", "b"], get_format("<Content>"))
    assert [r.timestamp for r in with_times(records, [5.0, None])] == [5.0, None]
