#!/usr/bin/env python3
"""A single-span demo (examples/single_span_demo.cc, examples/c_demo.c), run as a user runs
it: one span "demo-operation" of a second for the service "demo-app", flushed at shutdown
to the agent port the environment names; its datagram decoded strictly by Apache Thrift
with the official IDL. --emulator runs a cross-built demo under qemu-user."""

import argparse
import os
import socket
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import thrift_judge  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--demo", required=True)
    ap.add_argument("--scope", required=True, help="the demo's tracer name (otel.scope.name)")
    ap.add_argument("--emulator", default="", help="e.g. 'qemu-aarch64 -L /usr/aarch64-linux-gnu'")
    ap.add_argument("--cache", required=True)
    a = ap.parse_args()
    judge = thrift_judge.load(a.cache)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(60)
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env.update(OTEL_EXPORTER_JAEGER_AGENT_HOST="127.0.0.1", OTEL_EXPORTER_JAEGER_AGENT_PORT=str(sock.getsockname()[1]))
    run = subprocess.run(a.emulator.split() + [a.demo], env=env, capture_output=True, text=True, timeout=300)
    print(run.stdout + run.stderr)
    assert run.returncode == 0, run.returncode
    assert run.stdout.startswith("Performing some operation...\n"), run.stdout
    assert "Sent:      1 span(s)" in run.stdout, run.stdout  # both demos say so
    trace_id = run.stdout.split("Trace id:")[1].split()[0]
    data, _ = sock.recvfrom(65536)  # the demo has shut down: its one datagram is here
    batch = judge.decode(data)
    assert batch.process.serviceName == "demo-app", batch.process.serviceName
    (span,) = batch.spans
    assert span.operationName == "demo-operation", span.operationName
    assert "%016x%016x" % (span.traceIdHigh & (2 ** 64 - 1), span.traceIdLow & (2 ** 64 - 1)) == trace_id
    assert span.parentSpanId == 0 and span.flags == 1
    # It slept for a second; a loaded machine may wake it later (by how much is luck).
    assert 1000000 <= span.duration < 60000000, span.duration
    tags = {t.key: t.vStr for t in span.tags}
    assert tags["otel.scope.name"] == a.scope, tags
    print("%s's datagram decodes as Apache Thrift expects\nPASSED" % a.scope)


if __name__ == "__main__":
    main()
