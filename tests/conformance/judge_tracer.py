#!/usr/bin/env python3
"""Spans recorded through litetrace's public API, as Jaeger's receiver decodes them
(Apache Thrift, official IDL): the OpenTelemetry -> Jaeger mapping of DESIGN.md section 3.
Sent as compact-Thrift datagrams to an agent's port, or with --http as binary-Thrift Batch
bodies POSTed to a collector's /api/traces, answered 202 as Jaeger's collector does."""

import argparse
import http.server
import json
import os
import socket
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import thrift_judge  # noqa: E402


def tags(span):
    return {t.key: (t.vType, thrift_judge.tag(t)[2]) for t in (span.tags or [])}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--emitter", required=True)
    ap.add_argument("--cache", required=True)
    ap.add_argument("--http", action="store_true")
    a = ap.parse_args()
    judge = thrift_judge.load(a.cache)

    batches = []
    if a.http:
        bodies = []

        class Collector(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                assert self.path == "/api/traces", self.path
                assert self.headers["Content-Type"] == "application/vnd.apache.thrift.binary", self.headers
                bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Collector)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = "http://127.0.0.1:%d/api/traces" % server.server_address[1]
        run = subprocess.run([a.emitter, "--http", url], capture_output=True, text=True, timeout=60)
        server.shutdown()
        batches = [judge.decode_batch(body) for body in bodies]  # shutdown() waited for every answer
    else:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(0.5)
        run = subprocess.run([a.emitter, "--port", str(sock.getsockname()[1])], capture_output=True, text=True,
                             timeout=60)
        try:
            while True:
                batches.append(judge.decode(sock.recv(70000)))
        except socket.timeout:
            pass
    assert run.returncode == 0, run.stderr
    link_span_id = json.loads(run.stdout)["link_span_id"]
    if link_span_id >= 1 << 63:  # on the wire, ids are the same 64 bits read as a signed i64
        link_span_id -= 1 << 64
    spans, process = {}, None
    for batch in batches:
        process = batch.process
        for s in batch.spans:
            spans[s.operationName] = s

    def hexs(s):
        return s.encode().hex()

    assert set(spans) == {"linked", "root", "child"}, spans.keys()
    assert process.serviceName == "tracer-conformance"
    ptags = {t.key: t.vStr for t in process.tags}
    assert ptags["deployment.environment"] == "ci" and ptags["jaeger.version"].startswith("litetrace-cpp-")
    assert ptags["hostname"] and ptags["ip"], ptags

    root, child, linked = spans["root"], spans["child"], spans["linked"]
    STRING, DOUBLE, BOOL, LONG, BINARY = 0, 1, 2, 3, 4
    rt = tags(root)
    assert rt["http.method"] == (STRING, hexs("POST")), rt
    assert rt["retries"] == (LONG, 2) and rt["ratio"][0] == DOUBLE and rt["raw"] == (BINARY, "dead"), rt
    assert "over the limit" not in rt and rt["otel.dropped_attributes_count"] == (LONG, 1), rt
    assert rt["span.kind"] == (STRING, hexs("server")), rt
    assert rt["otel.status_code"] == (STRING, hexs("ERROR")), rt
    assert rt["otel.status_description"] == (STRING, hexs("bad input")), rt
    assert rt["error"] == (BOOL, True), rt  # a BOOL: Jaeger ignores the string "true"
    assert rt["otel.scope.name"] == (STRING, hexs("conformance.scope")), rt
    assert rt["otel.scope.version"] == (STRING, hexs("2.0")), rt
    assert rt["otel.library.name"] == (STRING, hexs("conformance.scope")), rt
    assert "sampler.type" not in rt and "sampler.param" not in rt, rt  # the default sampler tags nothing
    assert root.parentSpanId == 0 and root.traceIdHigh != 0 and root.flags == 1
    assert [(r.refType, r.spanId) for r in root.references] == [(1, link_span_id)], root.references
    assert len(root.logs) == 1
    fields = {f.key: thrift_judge.tag(f)[2] for f in root.logs[0].fields}
    assert root.logs[0].fields[0].key == "event" and fields["event"] == hexs("checkpoint"), fields
    assert fields["stage"] == hexs("parse")
    assert root.startTime <= root.logs[0].timestamp <= root.startTime + root.duration

    ct = tags(child)
    assert child.parentSpanId == root.spanId and child.traceIdLow == root.traceIdLow
    assert child.traceIdHigh == root.traceIdHigh
    assert ct["span.kind"] == (STRING, hexs("client")) and ct["otel.status_code"] == (STRING, hexs("OK"))
    assert "error" not in ct and ct["ok"] == (BOOL, True), ct
    assert "sampler.type" not in ct and "sampler.param" not in ct, ct
    # Arrays: string tags holding the JSON list.
    assert ct["ports"] == (STRING, hexs("[80,443]")), ct
    assert ct["names"] == (STRING, hexs('["a","b\\"c"]')), ct
    # A link with attributes: a FOLLOWS_FROM reference after the parent's CHILD_OF, and a
    # log at the span's start with event=link, the link's ids and its attributes.
    assert [(r.refType, r.spanId) for r in child.references] == [(0, root.spanId), (1, link_span_id)]
    assert len(child.logs) == 2, child.logs
    link_log = {f.key: thrift_judge.tag(f)[2] for f in child.logs[0].fields}
    assert child.logs[0].timestamp == child.startTime, (child.logs[0].timestamp, child.startTime)
    assert link_log["event"] == hexs("link") and link_log["reason"] == hexs("retry"), link_log
    assert link_log["span_id"] == hexs("%016x" % (link_span_id & (2 ** 64 - 1))), link_log
    assert len(bytes.fromhex(link_log["trace_id"])) == 32, link_log
    exception = {f.key: thrift_judge.tag(f)[2] for f in child.logs[1].fields}
    assert exception == {"event": hexs("exception"), "exception.type": hexs("io_error"),
                         "exception.message": hexs("disk full")}, exception
    assert root.startTime <= child.startTime and child.startTime + child.duration <= root.startTime + root.duration + 1
    assert "span.kind" not in tags(linked) and linked.traceIdLow != root.traceIdLow
    print("3 spans through the public API decode as Jaeger expects\nPASSED")


if __name__ == "__main__":
    main()
