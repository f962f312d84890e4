#!/usr/bin/env python3
"""Spans recorded through litetrace's public API and exported over OTLP/HTTP, as a
collector decodes them with the official protos: the record -> OTLP mapping, field by field,
for http/protobuf and http/json.

A small HTTP/1.1 receiver (keep-alive, Content-Length or chunked bodies) answers 200 with
an empty ExportTraceServiceResponse, as a collector does.
"""

import argparse
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import http_receiver  # noqa: E402
import otlp_judge  # noqa: E402


def otlp_answer(content_type):
    """200 with an empty ExportTraceServiceResponse, in the request's encoding."""
    if content_type == "application/json":
        return 200, "application/json", b"{}"
    return 200, "application/x-protobuf", b""


def otlp_receiver():
    return http_receiver.Receiver(otlp_answer)


def value(v):
    which = v.WhichOneof("value")
    if which == "array_value":
        return (which, tuple(value(e) for e in v.array_value.values))
    return (which, getattr(v, which))


def attributes(kvs):
    out = {}
    for kv in kvs:
        assert kv.key not in out, "attribute %r twice" % kv.key
        out[kv.key] = value(kv.value)
    return out


def check(where, got, want):
    assert got == want, "%s: got %r, want %r" % (where, got, want)


def judge(request, ids):
    check("resource_spans", len(request.resource_spans), 1)
    rs = request.resource_spans[0]
    res = attributes(rs.resource.attributes)
    check("service.name", res.get("service.name"), ("string_value", "otlp-conformance"))
    check("deployment.environment", res.get("deployment.environment"), ("string_value", "ci"))
    check("telemetry.sdk.name", res.get("telemetry.sdk.name"), ("string_value", "litetrace"))
    check("telemetry.sdk.language", res.get("telemetry.sdk.language"), ("string_value", "cpp"))
    scopes = {(ss.scope.name, ss.scope.version): ss.spans for ss in rs.scope_spans}
    check("scopes", sorted(scopes), [("conformance.scope", "2.0"), ("second.scope", "")])
    spans = {s.name: s for ss in rs.scope_spans for s in ss.spans}
    check("span names", sorted(spans), sorted(["root", "child of remote", "bad \ufffd utf-8"]))
    check("second scope", [s.name for s in scopes[("second.scope", "")]], ["bad \ufffd utf-8"])

    root = spans["root"]
    root_trace = ids["root_trace_high"].to_bytes(8, "big") + ids["root_trace_low"].to_bytes(8, "big")
    check("root.trace_id", root.trace_id, root_trace)
    check("root.span_id", root.span_id, ids["root_span"].to_bytes(8, "big"))
    check("root.parent_span_id", root.parent_span_id, b"")
    check("root.trace_state", root.trace_state, "")
    check("root.flags (sampled, parent known not remote)", root.flags, 0x101)
    check("root.kind", root.kind, 2)
    check("root.start_time_unix_nano", root.start_time_unix_nano, 1700000000123456789)
    check("root.end_time_unix_nano", root.end_time_unix_nano, 1700000001123456789)
    check("root.attributes", attributes(root.attributes), {
        "http.method": ("string_value", "POST"), "retries": ("int_value", 2), "ratio": ("double_value", 0.5),
        "raw": ("bytes_value", b"\xde\xad\x00"), "ok": ("bool_value", False)})
    check("root.dropped_attributes_count", root.dropped_attributes_count, 1)
    check("root.events", [(e.name, e.time_unix_nano, attributes(e.attributes), e.dropped_attributes_count)
                          for e in root.events],
          [("checkpoint", 1700000000500000001, {"stage": ("string_value", "parse")}, 0),
           ("crowded", 1700000000600000000, {"a": ("int_value", 1), "b": ("int_value", 2)}, 1)])
    check("root.status", (root.status.code, root.status.message), (2, "bad input"))
    check("root.links", len(root.links), 0)

    child = spans["child of remote"]
    check("child.trace_id", child.trace_id, bytes.fromhex("0af7651916cd43dd8448eb211c80319c"))
    check("child.parent_span_id", child.parent_span_id, bytes.fromhex("b7ad6b7169203331"))
    check("child.trace_state", child.trace_state, "vendor=abc,other=1")
    check("child.flags (sampled, parent remote)", child.flags, 0x301)
    check("child.kind", child.kind, 3)
    check("child.start/end", (child.start_time_unix_nano, child.end_time_unix_nano),
          (1700000002000000000, 1700000002000001000))
    check("child.status", (child.status.code, child.status.message), (1, ""))
    check("child.links", [(link.trace_id, link.span_id, link.flags, attributes(link.attributes),
                           link.dropped_attributes_count) for link in child.links],
          [(root_trace, ids["root_span"].to_bytes(8, "big"), 0x101, {}, 0),
           (bytes.fromhex("0af7651916cd43dd8448eb211c80319c"), bytes.fromhex("b7ad6b7169203331"), 0x301,
            {"link.reason": ("string_value", "retry"), "n": ("int_value", 1)}, 1)])
    check("child.dropped_attributes_count", child.dropped_attributes_count, 0)  # the link's are its own
    check("child.attributes (arrays)", attributes(child.attributes), {
        "ports": ("array_value", (("int_value", 80), ("int_value", 443))),
        "names": ("array_value", (("string_value", "a"), ("string_value", "b"))),
        "flags": ("array_value", (("bool_value", True), ("bool_value", False))),
        "ratios": ("array_value", (("double_value", 0.5), ("double_value", 2.0)))})
    check("child.events", [(e.name, attributes(e.attributes)) for e in child.events],
          [("batch", {"sizes": ("array_value", (("int_value", 3), ("int_value", 4)))})])

    bad = spans["bad \ufffd utf-8"]
    check("bad.attributes", attributes(bad.attributes), {"note": ("string_value", "caf\ufffd")})
    check("bad.kind", bad.kind, 5)
    check("bad.status", bad.status.code, 0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--emitter", required=True)
    ap.add_argument("--cache", required=True)
    ap.add_argument("--protos", required=True)
    ap.add_argument("--protocol", choices=("protobuf", "json"), required=True)
    a = ap.parse_args()
    otlp_judge.require_tools(a.protos)
    sys.path.insert(0, otlp_judge.generate(a.protos, a.cache))
    from google.protobuf import json_format
    from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

    receiver = otlp_receiver()
    endpoint = receiver.start() + "/v1/traces"
    run = subprocess.run([a.emitter, endpoint, a.protocol], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, "emitter exited %d: %s" % (run.returncode, run.stderr)
    ids = json.loads(run.stdout)
    receiver.shutdown()
    check("exported", ids["exported"], 3)

    request = trace_service_pb2.ExportTraceServiceRequest()
    for path, content_type, body in receiver.bodies:
        check("path", path, "/v1/traces")
        part = trace_service_pb2.ExportTraceServiceRequest()
        if a.protocol == "json":
            check("content type", content_type, "application/json")
            document = json.loads(body)
            otlp_judge.check_json_rules("$", document)
            json_format.ParseDict(otlp_judge.ids_to_base64(document), part, ignore_unknown_fields=False)
        else:
            check("content type", content_type, "application/x-protobuf")
            part.ParseFromString(body)
            check("canonical", part.SerializeToString(), body)
        request.MergeFrom(part)
    # Requests may split the spans; one resource for them all.
    merged = trace_service_pb2.ExportTraceServiceRequest()
    rs = merged.resource_spans.add()
    rs.resource.CopyFrom(request.resource_spans[0].resource)
    by_scope = {}
    for r in request.resource_spans:
        check("one resource", r.resource, rs.resource)
        for ss in r.scope_spans:
            key = (ss.scope.name, ss.scope.version)
            if key not in by_scope:
                by_scope[key] = rs.scope_spans.add()
                by_scope[key].scope.CopyFrom(ss.scope)
            by_scope[key].spans.extend(ss.spans)
    judge(merged, ids)
    print("ok: %d request(s) over http/%s decode with the official protos and carry the recorded spans"
          % (len(receiver.bodies), a.protocol))
    return 0


if __name__ == "__main__":
    sys.exit(main())
