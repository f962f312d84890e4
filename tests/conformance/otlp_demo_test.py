#!/usr/bin/env python3
"""The single-span demo over OTLP (OTEL_TRACES_EXPORTER=otlp): it says what it sent, and the
receiver gets service demo-app's one span demo-operation of about a second, as the
official protos decode it."""

import argparse
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import otlp_judge  # noqa: E402
import otlp_judge_tracer  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--demo", required=True)
    ap.add_argument("--cache", required=True)
    ap.add_argument("--protos", required=True)
    a = ap.parse_args()
    otlp_judge.require_tools(a.protos)
    sys.path.insert(0, otlp_judge.generate(a.protos, a.cache))
    from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

    receiver = otlp_judge_tracer.otlp_receiver()
    base = receiver.start()
    env = dict(os.environ, OTEL_TRACES_EXPORTER="otlp", OTEL_EXPORTER_OTLP_ENDPOINT=base)
    env.pop("OTEL_SERVICE_NAME", None)
    run = subprocess.run([a.demo], env=env, capture_output=True, text=True, timeout=120)
    receiver.shutdown()
    assert run.returncode == 0, "demo exited %d:\n%s%s" % (run.returncode, run.stdout, run.stderr)
    trace_id = re.search(r"^Trace id:  ([0-9a-f]{32})$", run.stdout, re.M).group(1)
    assert re.search(r"^Sent:      1 span\(s\) in 1 request\(s\), \d+ bytes, over OTLP/HTTP to "
                     + re.escape(base) + r"/v1/traces \(the collector took it\)$", run.stdout, re.M), run.stdout

    assert len(receiver.bodies) == 1, receiver.bodies
    path, content_type, body = receiver.bodies[0]
    assert path == "/v1/traces" and content_type == "application/x-protobuf", (path, content_type)
    request = trace_service_pb2.ExportTraceServiceRequest()
    request.ParseFromString(body)
    rs = request.resource_spans[0]
    service = [kv.value.string_value for kv in rs.resource.attributes if kv.key == "service.name"]
    assert service == ["demo-app"], service
    spans = [s for ss in rs.scope_spans for s in ss.spans]
    assert [s.name for s in spans] == ["demo-operation"], spans
    span = spans[0]
    assert span.trace_id.hex() == trace_id, (span.trace_id.hex(), trace_id)
    duration_s = (span.end_time_unix_nano - span.start_time_unix_nano) / 1e9
    assert 1.0 <= duration_s < 60, duration_s  # the demo sleeps a second; a loaded machine may add more
    print(run.stdout + "ok: the collector got demo-app's demo-operation, %.3f s" % duration_s)
    return 0


if __name__ == "__main__":
    sys.exit(main())
