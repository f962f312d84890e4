#!/usr/bin/env python3
"""Context propagation against a real Jaeger client, both ways.

For one format: Debian's ruby-jaeger-client starts a span and injects its context;
litetrace extracts it and records a child. Then litetrace injects and Ruby extracts and
records the child. Every datagram both send is decoded by Apache Thrift with the official
IDL; the two spans of each call must be one trace, the child pointing at the parent.
"""

import argparse
import os
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "conformance"))
import thrift_judge  # noqa: E402

RUBY_PEER = os.path.join(HERE, "ruby_propagation_peer.rb")


def collect(sock, judge, names, timeout=120.0):
    """Decodes datagrams until spans with all `names` arrived; returns {name: (service, span)}."""
    found = {}
    deadline = time.monotonic() + timeout
    while set(names) - set(found):
        left = deadline - time.monotonic()
        assert left > 0, "spans missing: %s (have %s)" % (set(names) - set(found), sorted(found))
        sock.settimeout(left)
        data, _ = sock.recvfrom(65536)
        batch = judge.decode(data)
        for span in batch.spans:
            assert span.operationName not in found, "span %s arrived twice" % span.operationName
            found[span.operationName] = (batch.process.serviceName, span)
    return found


def run(cmd, stdin_text=None):
    p = subprocess.run(cmd, input=stdin_text, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, "%s exited %d\nstdout:\n%s\nstderr:\n%s" % (cmd, p.returncode, p.stdout, p.stderr)
    return p.stdout


def check_call(found, parent_name, child_name, headers):
    (parent_service, parent), (child_service, child) = found[parent_name], found[child_name]
    where = "%s -> %s, headers:\n%s" % (parent_name, child_name, headers)
    assert (child.traceIdHigh, child.traceIdLow) == (parent.traceIdHigh, parent.traceIdLow), where
    assert child.parentSpanId == parent.spanId, where
    assert child.spanId != parent.spanId, where
    assert parent.flags & 1 and child.flags & 1, "both sampled: " + where
    for ref in child.references or []:
        assert (ref.traceIdHigh, ref.traceIdLow, ref.spanId) == (parent.traceIdHigh, parent.traceIdLow,
                                                                  parent.spanId), where
    print("ok  %-16s (%s) -> %-16s (%s)  trace %016x%016x" % (
        parent_name, parent_service, child_name, child_service,
        parent.traceIdHigh & (2**64 - 1), parent.traceIdLow & (2**64 - 1)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--peer", required=True, help="the propagation_peer executable")
    ap.add_argument("--cache", required=True)
    ap.add_argument("--format", required=True, choices=["jaeger", "b3multi", "tracecontext"])
    a = ap.parse_args()
    try:
        subprocess.run(["ruby", "-e", "require 'jaeger/client'"], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError):
        thrift_judge.skip_or_fail("ruby-jaeger-client is not installed (apt-get install ruby-jaeger-client)")
    judge = thrift_judge.load(a.cache)

    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    port = str(sock.getsockname()[1])

    # Ruby calls litetrace.
    headers = run(["ruby", RUBY_PEER, "inject", a.format, port])
    assert headers.strip(), "ruby injected nothing"
    run([a.peer, "extract", a.format, port], headers)
    found = collect(sock, judge, ["ruby-client", "litetrace-server"])
    assert found["litetrace-server"][0] == "litetrace-peer" and found["ruby-client"][0] == "ruby-peer"
    check_call(found, "ruby-client", "litetrace-server", headers)

    # litetrace calls Ruby.
    headers = run([a.peer, "inject", a.format, port])
    assert headers.strip(), "litetrace injected nothing"
    run(["ruby", RUBY_PEER, "extract", a.format, port], headers)
    found = collect(sock, judge, ["litetrace-client", "ruby-server"])
    check_call(found, "litetrace-client", "ruby-server", headers)
    assert found["litetrace-client"][1].traceIdHigh != 0, "litetrace's 128-bit trace id survived Ruby"


if __name__ == "__main__":
    main()
