#!/usr/bin/env python3
"""litetrace-dump against independent decoders and a real Jaeger client.

  thrift   datagrams from the exporter, replayed to litetrace-dump --json, must print
           exactly what Apache Thrift (official IDL) decodes from the same bytes
  malformed garbage and truncated datagrams get a clear error and the tool goes on
  ruby     spans from Debian's ruby-jaeger-client are printed with their tree and values
  otlp     the same spans sent over UDP (compact Thrift), OTLP/HTTP protobuf and OTLP/HTTP JSON
           print the same, but for what each wire cannot carry
  otlp_http  litetrace-dump as an HTTP server: chunked bodies, 100-continue, keep-alive and
           pipelining, and every bad request answered as a collector answers it
  otlp_js  the OpenTelemetry JS SDK's OTLP exporter (it posts chunked) is printed
  console  the console exporter prints what litetrace-dump prints for the same spans
  jaeger_http  the binary-Thrift ports (Jaeger's collector API over HTTP, the agent's UDP
           6832): what Apache Thrift decodes, the same scenario as over 6831, and spans
           from Debian's ruby-jaeger-client HttpSender
  zipkin   the same scenario over UDP and Zipkin v2 JSON prints the same, but for what Zipkin
           cannot carry; bad requests answered as Zipkin answers them
  demo_zipkin  the README's demo over Zipkin, as a user sees it
"""

import argparse
import base64
import json
import os
import re
import socket
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "conformance"))
import thrift_judge  # noqa: E402


# litetrace-dump listens on every port of the Jaeger all-in-one by default; a test opens
# only those it uses.
JAEGER_PORTS_OFF = ["--http-port", "off", "--binary-port", "off", "--zipkin-port", "off"]


class Dump:
    """litetrace-dump --json on a free port, read line by line. Its --timeout (quiet time
    before it gives up) is far beyond what a loaded machine needs: the tests end it with
    --count, or kill it."""

    def __init__(self, binary, *extra, udp=True, otlp=False, jaeger_http=False, udp_binary=False, zipkin=False,
                 json_lines=True):
        ports = ["--port", "0" if udp else "off", "--otlp-port", "0" if otlp else "off",
                 "--http-port", "0" if jaeger_http else "off", "--binary-port", "0" if udp_binary else "off",
                 "--zipkin-port", "0" if zipkin else "off"]
        self.proc = subprocess.Popen([binary, *ports, *(["--json"] if json_lines else []), "--timeout", "60", *extra],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.port = self.otlp_port = self.http_port = self.binary_port = self.zipkin_port = None
        for _ in range(int(udp) + int(otlp) + int(jaeger_http) + int(udp_binary) + int(zipkin)):
            banner = self.proc.stderr.readline()
            m = re.search(r"listening on (udp|http) \S*:(\d+)(.*)", banner)
            assert m, banner
            port, what = int(m.group(2)), m.group(3)
            if "binary" in what:
                self.binary_port = port
            elif "Zipkin" in what:
                self.zipkin_port = port
            elif "api/traces" in what:
                self.http_port = port
            elif "OTLP" in what:
                self.otlp_port = port
            else:
                self.port = port
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)

    def send(self, data):
        self.sock.sendto(data, ("127.0.0.1", self.port))

    def line(self):
        text = self.proc.stdout.readline()
        assert text, "litetrace-dump ended early: " + self.proc.stderr.read()
        return json.loads(text)

    def finish(self):
        out, err = self.proc.communicate(timeout=120)
        return [json.loads(x) for x in out.splitlines() if x.strip()], err


def tag_value(t):
    return {0: t.vStr, 1: t.vDouble, 2: t.vBool, 3: t.vLong, 4: t.vBinary}[t.vType]


def same_double(a, b):
    if isinstance(b, str):
        return {"NaN": a != a, "Infinity": a == float("inf"), "-Infinity": a == float("-inf")}[b]
    return struct.pack("<d", a) == struct.pack("<d", float(b))


def compare_tags(thrift_tags, dump_tags, where):
    thrift_tags = thrift_tags or []
    assert len(thrift_tags) == len(dump_tags), "%s: %d tags vs %d" % (where, len(thrift_tags), len(dump_tags))
    names = {0: "string", 1: "double", 2: "bool", 3: "long", 4: "binary"}
    for t, d in zip(thrift_tags, dump_tags):
        assert d["key"] == t.key, "%s: key %r vs %r" % (where, t.key, d["key"])
        assert d["type"] == names[t.vType], where
        v = tag_value(t)
        if t.vType == 1:
            assert same_double(v, d["value"]), "%s %r: %r vs %r" % (where, t.key, v, d["value"])
        elif t.vType == 4:
            assert base64.b64decode(d["value"]) == v, where
        else:
            assert d["value"] == v, "%s %r: %r vs %r" % (where, t.key, v, d["value"])


def u64hex(v):
    return "%016x" % (v & 0xFFFFFFFFFFFFFFFF)


def trace_hex(high, low):
    return u64hex(low) if high == 0 else u64hex(high) + u64hex(low)


def compare_batch(b, d):
    assert d["process"]["serviceName"] == b.process.serviceName
    compare_tags(b.process.tags, d["process"]["tags"], "process")
    assert len(d["spans"]) == len(b.spans)
    for s, j in zip(b.spans, d["spans"]):
        where = "span " + j["spanId"]
        assert j["traceId"] == trace_hex(s.traceIdHigh, s.traceIdLow), where
        assert j["spanId"] == u64hex(s.spanId) and j["parentSpanId"] == u64hex(s.parentSpanId), where
        assert j["operationName"] == s.operationName, where
        assert (j["flags"], j["startTime"], j["duration"]) == (s.flags, s.startTime, s.duration), where
        refs = [{"refType": "CHILD_OF" if r.refType == 0 else "FOLLOWS_FROM",
                 "traceId": trace_hex(r.traceIdHigh, r.traceIdLow), "spanId": u64hex(r.spanId)}
                for r in (s.references or [])]
        assert j["references"] == refs, where
        compare_tags(s.tags, j["tags"], where)
        assert len(j["logs"]) == len(s.logs or []), where
        for log, jl in zip(s.logs or [], j["logs"]):
            assert jl["timestamp"] == log.timestamp, where
            compare_tags(log.fields, jl["fields"], where + " log")


def capture(emitter, args, cache):
    """Datagrams the exporter sends for `args`."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32 << 20)
    sock.bind(("127.0.0.1", 0))
    os.makedirs(cache, exist_ok=True)  # the IDL fixture may not have made it yet
    subprocess.run([emitter, "--port", str(sock.getsockname()[1]), "--expect", os.path.join(cache, "dump-expect.jsonl"),
                    *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sock.settimeout(0.5)
    out = []
    try:
        while True:
            out.append(sock.recv(70000))
    except socket.timeout:
        return out


def test_thrift(a):
    judge = thrift_judge.load(a.cache)
    datagrams = capture(a.emitter, ["--spans", "400", "--seed", "11", "--max-packet", "9216"], a.cache)
    assert len(datagrams) > 5
    dump = Dump(a.dump)
    for data in datagrams:
        dump.send(data)
        compare_batch(judge.decode(data), dump.line())
    dump.proc.kill()
    print("litetrace-dump agrees with Apache Thrift on %d datagrams" % len(datagrams))


def test_malformed(a):
    good = capture(a.emitter, ["--spans", "3", "--profile", "small"], a.cache)[0]
    bad = [b"", b"\x00\x01garbage", good[: len(good) // 2], good + b"\x00", good.replace(b"emitBatch", b"emitBatcX")]
    dump = Dump(a.dump, "--count", str(len(bad) + 1))
    for data in bad:
        dump.send(data)
        time.sleep(0.05)
    dump.send(good)
    lines, err = dump.finish()
    errors = [x for x in lines if "error" in x]
    assert len(errors) == len(bad), lines
    assert "not a valid emitBatch" in err, err
    assert "bytes left over" in err and "truncated" in err and 'method is "emitBatcX"' in err, err
    assert "spans" in lines[-1] and len(lines[-1]["spans"]) == 3, lines[-1]
    print("malformed datagrams reported, the good one after them decoded:\n" + err)


def test_ruby(a):
    try:
        subprocess.run(["ruby", "-e", "require 'jaeger/client'"], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError):
        thrift_judge.skip_or_fail("ruby-jaeger-client is not installed (apt-get install ruby-jaeger-client)")
    dump = Dump(a.dump, "--count", "1")  # the peer flushes its two spans in one datagram
    subprocess.run(["ruby", os.path.join(HERE, "ruby_jaeger_peer.rb"), str(dump.port)], check=True, timeout=120)
    lines, err = dump.finish()
    spans = {s["operationName"]: (b, s) for b in lines for s in b.get("spans", [])}
    assert set(spans) == {"ruby-parent", "ruby-child"}, lines
    batch, parent = spans["ruby-parent"]
    _, child = spans["ruby-child"]
    assert batch["process"]["serviceName"] == "ruby-peer"
    process_tags = {t["key"]: t["value"] for t in batch["process"]["tags"]}
    assert process_tags["jaeger.version"].startswith("Ruby-"), process_tags
    assert child["traceId"] == parent["traceId"] and child["parentSpanId"] == parent["spanId"]
    tags = {t["key"]: (t["type"], t["value"]) for t in parent["tags"]}
    assert tags["answer"] == ("long", 42) and tags["ratio"] == ("double", 0.5), tags
    assert tags["ok"] == ("bool", True) and tags["word"] == ("string", "hi"), tags
    fields = {f["key"]: f["value"] for f in child["logs"][0]["fields"]}
    assert fields == {"event": "hello", "note": "from ruby"}, fields
    assert parent["duration"] >= child["duration"] >= 0
    # And the span tree as people read it.
    text = subprocess.Popen([a.dump, "--port", "0", "--otlp-port", "off", *JAEGER_PORTS_OFF,
                             "--count", "1", "--timeout", "60"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    port = int(text.stderr.readline().rsplit(":", 1)[1])
    subprocess.run(["ruby", os.path.join(HERE, "ruby_jaeger_peer.rb"), str(port)], check=True, timeout=120)
    out, _ = text.communicate(timeout=120)
    print(out)
    assert 'service "ruby-peer"' in out and "- ruby-parent" in out and "   - ruby-child" in out, out
    assert 'event="hello"' in out and "answer=42" in out, out


def test_demo(a):
    """The README's main command: one span of a second, flushed at shutdown, where the
    OTEL_* variables say."""
    dump = Dump(a.dump, "--count", "1")
    env = dict(os.environ, OTEL_EXPORTER_JAEGER_AGENT_HOST="127.0.0.1",
               OTEL_EXPORTER_JAEGER_AGENT_PORT=str(dump.port), OTEL_SERVICE_NAME="demo-under-test")
    run = subprocess.run([a.demo], env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    lines, _ = dump.finish()
    print(run.stdout)
    assert run.stdout.startswith("Performing some operation...\n"), run.stdout
    trace_id = run.stdout.split("Trace id:")[1].split()[0]
    assert "http://localhost:16686/trace/" + trace_id in run.stdout
    assert "1 span(s) in 1 packet(s)" in run.stdout, run.stdout
    (batch,) = lines
    assert batch["process"]["serviceName"] == "demo-under-test"
    (span,) = batch["spans"]
    assert span["operationName"] == "demo-operation" and span["traceId"] == trace_id, span
    assert span["parentSpanId"] == "0" * 16 and span["flags"] == 1
    # It slept for a second; a loaded machine may wake it later (by how much is luck).
    assert 1000000 <= span["duration"] < 60000000, span["duration"]


def replay_to_dump(a, sock, *extra):
    """The datagrams waiting on `sock`, replayed to a litetrace-dump told how many to expect
    (no quiet period decides when it is done); what it printed."""
    datagrams = []
    sock.settimeout(0.5)  # only what was sent before: the senders have flushed and gone
    try:
        while True:
            datagrams.append(sock.recv(70000))
    except socket.timeout:
        pass
    proc = subprocess.Popen([a.dump, "--port", "0", "--otlp-port", "off", *JAEGER_PORTS_OFF, *extra,
                             "--count", str(len(datagrams)), "--timeout", "60"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    port = int(re.search(r":(\d+)$", proc.stderr.readline().strip()).group(1))
    for d in datagrams:
        sock.sendto(d, ("127.0.0.1", port))
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    return out


def test_two_services(a):
    """examples/two_services: one trace across two services that pass its context over
    HTTP, in each propagation format; litetrace-dump --traces shows it as one tree."""
    for propagators in ("tracecontext", "jaeger", "b3multi", "b3", "tracecontext,baggage,jaeger"):
        # The datagrams are caught first and replayed to litetrace-dump, which is then told
        # how many to expect: no quiet period decides when the trace is complete.
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("127.0.0.1", 0))
        env = dict(os.environ, OTEL_EXPORTER_JAEGER_AGENT_HOST="127.0.0.1",
                   OTEL_EXPORTER_JAEGER_AGENT_PORT=str(sock.getsockname()[1]), OTEL_PROPAGATORS=propagators)
        run = subprocess.run([a.two_services], env=env, capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stdout + run.stderr
        out = replay_to_dump(a, sock, "--traces")  # both providers flushed before the program exited
        trace_id = run.stdout.split("Trace id:")[1].split()[0]
        # The span lines: "<indent>- <operation>  (<service>)  [<span id>]  ..."
        spans = [(len(line) - len(line.lstrip()), line.split("  [")[0].strip())
                 for line in out.splitlines() if line.lstrip().startswith("- ")]
        print(propagators + ":\n" + out)
        assert out.splitlines()[0] == 'trace %s  4 spans from "frontend", "inventory"' % trace_id, out
        assert spans == [(2, "- checkout  (frontend)"), (5, "- GET /stock  (frontend)"),
                         (8, "- GET /stock  (inventory)"), (11, "- db.query  (inventory)")], spans


SCENARIO = os.path.join(HERE, "..", "interop", "crosscheck_scenario.json")


def spans_until(dump, total):
    """--json lines until `total` spans have come (a batcher may send them in several
    datagrams or requests), then litetrace-dump is stopped."""
    batches = []
    while sum(len(b.get("spans", [])) for b in batches) < total:
        batches.append(dump.line())
    dump.proc.kill()
    dump.proc.communicate()
    return batches


def normalized(batches):
    """Spans by operation name, with ids replaced by span names (trace ids by the names of
    the trace's spans), so that two runs with their own random ids compare."""
    names = {s["spanId"]: s["operationName"] for b in batches for s in b["spans"]}
    traces = {}
    for b in batches:
        for s in b["spans"]:
            traces.setdefault(s["traceId"], []).append(s["operationName"])
    trace_label = {t: "trace of " + ",".join(sorted(n)) for t, n in traces.items()}
    out = {}
    for b in batches:
        for s in b["spans"]:
            span = dict(s)
            span["traceId"] = trace_label[s["traceId"]]
            span["spanId"] = s["operationName"]
            span["parentSpanId"] = names.get(s["parentSpanId"], s["parentSpanId"])
            span["references"] = [(r["refType"], trace_label.get(r["traceId"], r["traceId"]),
                                   names.get(r["spanId"], r["spanId"])) for r in s["references"]]
            span["process"] = (b["process"]["serviceName"], b["process"]["tags"])
            out[s["operationName"]] = span
    return out


def test_otlp(a):
    """One scenario, three wires. Every difference must be one the wires explain: the Jaeger
    exporter adds host tags to the Process, the sampler's tags to root spans, a sequence
    number and client statistics to each batch; OTLP has none of them."""
    scenario = json.load(open(SCENARIO))
    total = len(scenario["spans"])
    runs = {}
    for wire in ("udp", "otlp", "otlp-json"):
        dump = Dump(a.dump, udp=wire == "udp", otlp=wire != "udp")
        target = (str(dump.port) if wire == "udp" else
                  ["--" + wire, "http://127.0.0.1:%d/v1/traces" % dump.otlp_port])
        run = subprocess.run([a.crosscheck_emitter, SCENARIO, *([target] if wire == "udp" else target)],
                             capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stderr
        batches = spans_until(dump, total)
        for b in batches:
            udp = wire == "udp"
            assert (b["seqNo"] is not None, b["stats"] is not None) == (udp, udp), b
        runs[wire] = normalized(batches)
    udp_only_process = {"jaeger.version", "hostname", "ip"}
    udp_only_tags = {"sampler.type", "sampler.param"}
    for wire in ("otlp", "otlp-json"):
        assert set(runs[wire]) == set(runs["udp"]) == {s["name"] for s in scenario["spans"]}, runs[wire].keys()
        for name, theirs in runs[wire].items():
            ours = dict(runs["udp"][name])
            service, tags = ours["process"]
            assert udp_only_process <= {t["key"] for t in tags}, tags
            ours["process"] = (service, [t for t in tags if t["key"] not in udp_only_process])
            ours["tags"] = [t for t in ours["tags"] if t["key"] not in udp_only_tags]
            assert not udp_only_tags & {t["key"] for t in theirs["tags"]}, theirs["tags"]
            for field in sorted(set(ours) | set(theirs)):
                assert ours.get(field) == theirs.get(field), "%s, span %r, %s:\n udp:  %r\n %s: %r" % (
                    wire, name, field, ours.get(field), wire, theirs.get(field))
    print("%d spans print the same over UDP, OTLP/HTTP protobuf and OTLP/HTTP JSON" % total)


# ---- OTLP/HTTP by hand: protobuf written field by field, requests byte by byte ----

def pb_varint(v):
    out = b""
    while True:
        b, v = v & 0x7F, v >> 7
        out += bytes([b | (0x80 if v else 0)])
        if not v:
            return out


def pb_bytes(field, data):
    return pb_varint(field << 3 | 2) + pb_varint(len(data)) + data


def pb_request(spans, service="by-hand"):
    """An ExportTraceServiceRequest of one resource and one scope; spans are
    (trace id, span id, name)."""
    attribute = pb_bytes(1, b"service.name") + pb_bytes(2, pb_bytes(1, service.encode()))
    resource = pb_bytes(1, pb_bytes(1, attribute))
    body = b""
    for trace_id, span_id, name in spans:
        body += pb_bytes(2, pb_bytes(1, trace_id) + pb_bytes(2, span_id) + pb_bytes(5, name.encode()) +
                         pb_varint(7 << 3 | 1) + struct.pack("<Q", 1700000000000000000) +
                         pb_varint(8 << 3 | 1) + struct.pack("<Q", 1700000000001000000))
    return pb_bytes(1, resource + pb_bytes(2, body))


def pb_fields(data):
    """The top-level fields of a protobuf message: {number: value}."""
    out, i = {}, 0
    while i < len(data):
        key, i = read_varint(data, i)
        if key & 7 == 0:
            out[key >> 3], i = read_varint(data, i)
        else:
            n, i = read_varint(data, i)
            out[key >> 3], i = data[i:i + n], i + n
    return out


def read_varint(data, i):
    v = shift = 0
    while True:
        b = data[i]
        v |= (b & 0x7F) << shift
        shift, i = shift + 7, i + 1
        if not b & 0x80:
            return v, i


def json_request(spans, service="by-hand"):
    return json.dumps({"resourceSpans": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": service}}]},
        "scopeSpans": [{"scope": {"name": "hand"}, "spans": [
            {"traceId": t.hex(), "spanId": s.hex(), "name": n, "kind": 2,
             "startTimeUnixNano": "1700000000000000000", "endTimeUnixNano": "1700000000001000000"}
            for t, s, n in spans]}]}]}).encode()


class Http:
    """One connection; responses read by their Content-Length."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=60)
        self.buf = b""

    def send(self, data):
        self.sock.sendall(data)

    def response(self):
        while b"\r\n\r\n" not in self.buf:
            more = self.sock.recv(65536)
            assert more, "connection closed before a response: %r" % self.buf
            self.buf += more
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode().split("\r\n")
        status = int(lines[0].split()[1])
        headers = {k.lower(): v.strip() for k, v in (x.split(":", 1) for x in lines[1:])}
        n = int(headers.get("content-length", "0"))
        while len(self.buf) < n:
            self.buf += self.sock.recv(65536)
        body, self.buf = self.buf[:n], self.buf[n:]
        return status, headers, body

    def closed(self):
        return self.buf == b"" and self.sock.recv(1) == b""


def post(body, content_type="application/x-protobuf", path="/v1/traces", extra=""):
    return ("POST %s HTTP/1.1\r\nHost: dump\r\nContent-Type: %s\r\nContent-Length: %d\r\n%s\r\n" % (
        path, content_type, len(body), extra)).encode() + body


def ids(n):
    return bytes([n] * 16), bytes([n] * 8)


def test_otlp_http(a):
    dump = Dump(a.dump, "--count", "8", udp=False, otlp=True)
    c = Http(dump.otlp_port)

    # Chunked, in pieces, with a chunk extension and a trailer.
    body = pb_request([(*ids(1), "chunked")])
    chunks = [body[:7], body[7:20], body[20:]]
    c.send(b"POST /v1/traces HTTP/1.1\r\nHost: dump\r\nContent-Type: application/x-protobuf\r\n"
           b"Transfer-Encoding: chunked\r\n\r\n")
    for i, chunk in enumerate(chunks):
        c.send(b"%x%s\r\n" % (len(chunk), b";ext=1" if i == 1 else b"") + chunk + b"\r\n")
    c.send(b"0\r\nX-Trailer: yes\r\n\r\n")
    status, headers, answer = c.response()
    assert (status, headers["content-type"], answer) == (200, "application/x-protobuf", b""), (status, headers)
    assert dump.line()["spans"][0]["operationName"] == "chunked"

    # Expect: 100-continue: the body goes only once the server says so.
    body = pb_request([(*ids(2), "continued")])
    c.send(post(body, extra="Expect: 100-continue\r\n")[:-len(body)])
    assert c.response()[0] == 100
    c.send(body)
    assert c.response()[0] == 200
    assert dump.line()["spans"][0]["operationName"] == "continued"

    # Two JSON requests pipelined in one write, answered in order.
    c.send(post(json_request([(*ids(3), "first")]), "application/json; charset=utf-8") +
           post(json_request([(*ids(4), "second")]), "application/json"))
    for name in ("first", "second"):
        status, headers, answer = c.response()
        assert (status, headers["content-type"], answer) == (200, "application/json", b"{}"), (status, answer)
        span = dump.line()["spans"][0]
        assert span["operationName"] == name and span["tags"][0] == {"key": "span.kind", "type": "string",
                                                                     "value": "server"}, span

    # Bad bodies: 400 with a google.rpc.Status in the request's encoding; the connection goes on.
    c.send(post(b"\x0a\x05abc"))
    status, _, answer = c.response()
    status_message = pb_fields(answer)[2].decode()
    assert status == 400 and pb_fields(answer)[1] == 3 and "malformed" in status_message, (status, answer)
    assert "error" in dump.line()
    c.send(post(b'{"resourceSpans": [', "application/json"))
    status, _, answer = c.response()
    assert status == 400 and json.loads(answer)["code"] == 3 and "not JSON" in json.loads(answer)["message"], answer
    assert "error" in dump.line()

    # A span with a 4-byte trace id is rejected alone, in partial_success; the other is kept.
    c.send(post(pb_request([(b"\x01\x02\x03\x04", bytes([5] * 8), "bad id"), (*ids(6), "good id")])))
    status, _, answer = c.response()
    partial = pb_fields(pb_fields(answer)[1])
    assert status == 200 and partial[1] == 1 and b"trace_id is 4 bytes" in partial[2], answer
    assert [s["operationName"] for s in dump.line()["spans"]] == ["good id"]

    # Not an export request: answered, and not counted.
    c.send(post(b"{}", path="/v1/logs"))
    assert c.response()[0] == 404
    c.send(post(b"{}", "text/plain"))
    assert c.response()[0] == 415
    c.send(post(b"\x1f\x8b", extra="Content-Encoding: gzip\r\n"))
    status, _, answer = c.response()
    assert status == 415 and b"not supported by litetrace-dump" in answer, answer

    # Malformed HTTP: 400 and the connection closed; a new one works.
    bad = Http(dump.otlp_port)
    bad.send(b"POST /v1/traces HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")
    status, headers, answer = bad.response()
    assert status == 400 and headers.get("connection") == "close" and b"bad chunk size" in answer, answer
    assert bad.closed()

    c.send(post(pb_request([(*ids(7), "last")]), extra="Connection: close\r\n"))
    assert c.response()[0] == 200
    lines, err = dump.finish()
    assert [s["operationName"] for s in lines[-1]["spans"]] == ["last"], lines
    assert dump.proc.returncode == 0, err
    for expected in ("not a valid ExportTraceServiceRequest", "rejected 1 span(s)", "asked for POST /v1/logs",
                     "bad HTTP request", 'Content-Encoding "gzip"'):
        assert expected in err, (expected, err)
    print(err)


def test_otlp_js(a):
    """The OpenTelemetry JS SDK's OTLP/HTTP exporter sends the scenario (chunked, as it does)."""
    sys.path.insert(0, os.path.join(HERE, "..", "interop"))
    from crosscheck import prepare_js
    peer_dir = prepare_js(a.cache)
    scenario = json.load(open(SCENARIO))
    dump = Dump(a.dump, udp=False, otlp=True)
    run = subprocess.run(["node", "otlp_peer.js", SCENARIO, "http://127.0.0.1:%d/v1/traces" % dump.otlp_port],
                         cwd=peer_dir, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    batches = spans_until(dump, len(scenario["spans"]))
    spans = normalized(batches)
    assert set(spans) == {s["name"] for s in scenario["spans"]}, spans.keys()
    for s in scenario["spans"]:
        span = spans[s["name"]]
        assert span["parentSpanId"] == s.get("parent", "0" * 16), span
        assert span["startTime"] == int(s["start"]) // 1000, span
        assert span["process"][0] == scenario["service"], span["process"]
    print("the JS exporter's %d spans, as printed:" % len(spans))
    print(json.dumps(batches[0]["spans"][0], indent=1)[:1500])


def assert_demo_span(out, trace_id):
    """The demo's span printed in its trace, lasting at least the second the demo sleeps (and
    not absurdly longer: a loaded machine wakes the demo late, by how much is luck)."""
    m = re.search(r"  trace %s\n  - demo-operation  \[[0-9a-f]{16}\]  ([0-9.]+) (s|ms|us)  " % trace_id, out)
    assert m, out
    seconds = float(m.group(1)) / {"s": 1, "ms": 1e3, "us": 1e6}[m.group(2)]
    assert 1.0 <= seconds < 60, out


def test_demo_otlp(a):
    """The README's demo over OTLP, as a user sees it."""
    dump = Dump(a.dump, "--count", "1", udp=False, otlp=True, json_lines=False)
    env = dict(os.environ, OTEL_TRACES_EXPORTER="otlp",
               OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:%d" % dump.otlp_port, OTEL_SERVICE_NAME="demo-app")
    run = subprocess.run([a.demo], env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    out, err = dump.proc.communicate(timeout=120)
    print(run.stdout + out)
    trace_id = run.stdout.split("Trace id:")[1].split()[0]
    assert "(the collector took it)" in run.stdout, run.stdout
    assert re.match(r'batch from 127\.0\.0\.1:\d+ over OTLP/HTTP protobuf, \d+ bytes: service "demo-app", 1 span\n',
                    out), out
    assert_demo_span(out, trace_id)


def span_entries(text):
    """The spans of a printed tree, each as its lines without indentation, ids replaced by
    span names (trace ids by the names of their spans): how the batcher happened to split
    the spans into batches, and so which span heads a tree, does not matter."""
    entries, current = [], None
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("- "):
            current = [stripped]
            entries.append(current)
        elif current is not None and line.startswith("    ") and not stripped.startswith("trace "):
            current.append(stripped)
        else:
            current = None
    names = {}
    for e in entries:
        names[re.search(r"\[([0-9a-f]{16})\]", e[0]).group(1)] = e[0][2:].split("  [")[0]
    traces = {}
    for line in text.splitlines():
        if line.startswith("  trace "):
            traces.setdefault(line.split()[1], None)
    out = []
    for e in entries:
        lines = "\n".join(e)
        # Trace ids first: a root span's id is its trace id's low half.
        for trace_id in traces:
            lines = lines.replace(trace_id, "<trace>")
        for span_id, name in names.items():
            lines = lines.replace(span_id, "<" + name + ">")
        out.append(lines)
    return sorted(out)


def test_console(a):
    """OTEL_TRACES_EXPORTER=console prints the tree litetrace-dump prints for the same spans
    sent over UDP. The datagrams are caught first and replayed to litetrace-dump, told how
    many to expect: no quiet period decides when it is done."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    sock.bind(("127.0.0.1", 0))
    run = subprocess.run([a.crosscheck_emitter, SCENARIO, str(sock.getsockname()[1])], capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    dumped = replay_to_dump(a, sock)  # the provider had flushed before the emitter exited

    console = subprocess.run([a.crosscheck_emitter, SCENARIO, "--console"], capture_output=True, text=True,
                             timeout=120)
    assert console.returncode == 0, console.stderr
    print(console.stderr)
    printed = console.stderr
    assert re.search(r'^batch from pid \d+: service "crosscheck", \d+ spans?\n  process  ', printed, re.M), printed
    ours, theirs = span_entries(printed), span_entries(dumped)
    assert len(ours) == len(json.load(open(SCENARIO))["spans"]), ours
    assert ours == theirs, "console:\n%s\n\nlitetrace-dump:\n%s" % ("\n".join(ours), "\n".join(theirs))
    process = lambda text: sorted({x for x in text.splitlines() if x.startswith("  process  ")})  # noqa: E731
    assert process(printed) == process(dumped), (process(printed), process(dumped))


def test_two_services_otlp(a):
    """examples/two_services over OTLP/HTTP: litetrace-dump --traces joins the requests of
    both services into one tree, as it does their datagrams. The requests are caught first
    by a receiver here and replayed to litetrace-dump, told how many to expect."""
    import http.server
    import threading
    bodies = []

    class Receiver(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            bodies.append((self.headers["Content-Type"], self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = dict(os.environ, OTEL_TRACES_EXPORTER="otlp",
               OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:%d" % server.server_address[1])
    run = subprocess.run([a.two_services], env=env, capture_output=True, text=True, timeout=120)
    server.shutdown()
    assert run.returncode == 0, run.stdout + run.stderr
    assert bodies, "no request came"
    proc = subprocess.Popen([a.dump, "--port", "off", "--otlp-port", "0", *JAEGER_PORTS_OFF,
                             "--traces", "--count", str(len(bodies)),
                             "--timeout", "60"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    port = int(re.search(r":(\d+) \(OTLP", proc.stderr.readline()).group(1))
    c = Http(port)
    for content_type, body in bodies:
        c.send(post(body, content_type))
        assert c.response()[0] == 200
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    print(out)
    trace_id = run.stdout.split("Trace id:")[1].split()[0]
    spans = [(len(line) - len(line.lstrip()), line.split("  [")[0].strip())
             for line in out.splitlines() if line.lstrip().startswith("- ")]
    assert out.splitlines()[0] == 'trace %s  4 spans from "frontend", "inventory"' % trace_id, out
    assert spans == [(2, "- checkout  (frontend)"), (5, "- GET /stock  (frontend)"),
                     (8, "- GET /stock  (inventory)"), (11, "- db.query  (inventory)")], spans


def test_jaeger_http(a):
    judge = thrift_judge.load(a.cache)
    from judge_binary import read_records

    # Apache Thrift: binary emitBatch datagrams to --binary-port, bare Batch bodies to
    # --http-port, each printed as Thrift decodes it.
    records_path = os.path.join(a.cache, "dump-binary.bin")
    subprocess.run([a.emitter, "--binary-out", records_path, "--expect", os.path.join(a.cache, "dump-binary.jsonl"),
                    "--spans", "300", "--seed", "12", "--binary-batch", "5"], check=True)
    records = list(read_records(records_path))
    dump = Dump(a.dump, udp=False, jaeger_http=True, udp_binary=True)
    c = Http(dump.http_port)
    for kind, data in records:
        if kind == "M" and len(data) <= 65507:  # a datagram: what fits one
            dump.sock.sendto(data, ("127.0.0.1", dump.binary_port))
            compare_batch(judge.decode(data, binary=True), dump.line())
        elif kind == "B":
            c.send(post(data, "application/vnd.apache.thrift.binary", "/api/traces"))
            printed = dump.line()  # first: a line longer than the pipe holds is written before the answer
            status, _, _ = c.response()
            assert status == 202, status
            assert printed["seqNo"] is None and printed["stats"] is None, printed
            compare_batch(judge.decode_batch(data), printed)
    # What is not a Batch: 400 with the reason; not binary Thrift: 415; the tool goes on.
    c.send(post(b"\x0c\x00\x01garbage", "application/x-thrift", "/api/traces"))
    assert "error" in dump.line()
    status, _, answer = c.response()
    assert status == 400 and b"not a valid Batch" in answer, (status, answer)
    c.send(post(b"{}", "application/json", "/api/traces"))
    assert c.response()[0] == 415
    dump.proc.kill()
    print("%d binary datagrams and bodies printed as Apache Thrift decodes them" % len(records))

    # The cross-check scenario over the agent's binary port and over Jaeger's collector API
    # prints as it does over UDP 6831.
    total = len(json.load(open(SCENARIO))["spans"])
    runs = {}
    for wire in ("udp", "binary", "http"):
        dump = Dump(a.dump, udp=wire == "udp", udp_binary=wire == "binary", jaeger_http=wire == "http")
        target = ([str(dump.port)] if wire == "udp" else ["--binary", str(dump.binary_port)] if wire == "binary"
                  else ["--jaeger-http", "http://127.0.0.1:%d/api/traces" % dump.http_port])
        run = subprocess.run([a.crosscheck_emitter, SCENARIO, *target], capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stderr
        runs[wire] = normalized(spans_until(dump, total))
    for wire in ("binary", "http"):
        assert runs["udp"] == runs[wire], "\n".join(
            "%s:\n udp:  %r\n %s: %r" % (k, runs["udp"].get(k), wire, runs[wire].get(k))
            for k in sorted(set(runs["udp"]) | set(runs[wire])) if runs["udp"].get(k) != runs[wire].get(k))
    print("%d spans print the same over UDP compact Thrift, UDP binary Thrift and Jaeger HTTP" % total)

    # A real Jaeger client's HttpSender (it posts application/x-thrift, ?format=jaeger.thrift).
    try:
        subprocess.run(["ruby", "-e", "require 'jaeger/client'"], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError):
        thrift_judge.skip_or_fail("ruby-jaeger-client is not installed (apt-get install ruby-jaeger-client)")
    dump = Dump(a.dump, "--count", "1", udp=False, jaeger_http=True)
    subprocess.run(["ruby", os.path.join(HERE, "ruby_jaeger_peer.rb"),
                    "http://127.0.0.1:%d/api/traces" % dump.http_port], check=True, timeout=120)
    lines, err = dump.finish()
    (batch,) = lines
    assert batch["process"]["serviceName"] == "ruby-http-peer", batch
    names = sorted(s["operationName"] for s in batch["spans"])
    assert names == ["ruby-child", "ruby-parent"], names
    print("ruby-jaeger-client's HttpSender printed:", json.dumps(batch)[:600])


def zipkin_comparable(span):
    """What a span printed from Zipkin and from UDP have in common: Zipkin carries every
    tag as a string and no links, trace state or Process tags, so values compare as text
    (numbers by value) and references and Process tags are left out."""
    def text(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, (int, float)):
            return float(v)
        try:
            return float(v)
        except (TypeError, ValueError):
            return v

    def tags(list_):
        return [(t["key"], text(t["value"]) if t["type"] != "binary" else t["value"]) for t in list_]
    out = dict(span)
    out["tags"] = tags(span["tags"])
    out["logs"] = [(log["timestamp"], tags(log["fields"])) for log in span["logs"]]
    out["process"] = span["process"][0]
    del out["references"]
    return out


def test_zipkin(a):
    """The cross-check scenario over UDP and over Zipkin v2 JSON prints the same, but for
    what Zipkin cannot carry, each named: links (Jaeger references), typed values (Zipkin
    tags are strings), the Process's tags (Zipkin has none; the resource attributes come
    as span tags), the sampler's tags (the Jaeger exporter's own), the peer.* tags
    Jaeger's Zipkin receiver makes of the remote endpoint, and the duration's rounding
    (each wire's own rule)."""
    scenario = json.load(open(SCENARIO))
    total = len(scenario["spans"])
    runs = {}
    for wire in ("udp", "zipkin"):
        dump = Dump(a.dump, udp=wire == "udp", zipkin=wire == "zipkin")
        target = ([str(dump.port)] if wire == "udp" else
                  ["--zipkin", "http://127.0.0.1:%d/api/v2/spans" % dump.zipkin_port])
        run = subprocess.run([a.crosscheck_emitter, SCENARIO, *target], capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stderr
        batches = spans_until(dump, total)
        runs[wire] = normalized(batches)
    resource = scenario["resource"]
    for name in sorted(set(runs["udp"]) | set(runs["zipkin"])):
        ours, theirs = runs["udp"].get(name), runs["zipkin"].get(name)
        assert ours and theirs, name
        ours = zipkin_comparable(ours)
        theirs = zipkin_comparable(theirs)
        ours["tags"] = [t for t in ours["tags"] if t[0] not in ("sampler.type", "sampler.param")]
        # Zipkin's tags hold the resource attributes, then what Jaeger's receiver makes of the
        # remote endpoint: the client's or producer's peer.service, as the last tag.
        spec = next(s for s in scenario["spans"] if s["name"] == name)
        peer = [(k, v) for k, _, v in spec.get("attributes", []) if k == "peer.service"]
        if spec["kind"] in ("client", "producer") and peer:
            assert theirs["tags"][-1] == peer[0], (name, theirs["tags"])
            theirs["tags"].pop()
        expected_extra = [(k, v) for k, v in resource.items() if k not in {t[0] for t in ours["tags"]}]
        extra = [t for t in theirs["tags"] if t[0] in resource]
        theirs["tags"] = [t for t in theirs["tags"] if t not in extra]
        assert extra == expected_extra, (name, extra)
        # Durations: Jaeger's rounded up from the nanoseconds, Zipkin's the truncated end
        # minus the truncated start (the OpenTelemetry Zipkin mapping), at least 1.
        start, end = int(spec["start"]), int(spec["end"])
        assert ours.pop("duration") == (end - start + 999) // 1000, name
        assert theirs.pop("duration") == max(1, end // 1000 - start // 1000), name
        for field in sorted(set(ours) | set(theirs)):
            assert ours.get(field) == theirs.get(field), "span %r, %s:\n udp:    %r\n zipkin: %r" % (
                name, field, ours.get(field), theirs.get(field))
    print("%d spans print the same over UDP and Zipkin v2 JSON, but for what Zipkin cannot carry" % total)

    # Bad requests: each answered as Zipkin answers it, and the tool goes on.
    dump = Dump(a.dump, udp=False, zipkin=True)
    c = Http(dump.zipkin_port)
    span = {"traceId": "0af7651916cd43dd8448eb211c80319c", "id": "b7ad6b7169203331", "name": "by hand",
            "timestamp": 1700000000000000, "duration": 5, "localEndpoint": {"serviceName": "hand"},
            "tags": {"k": "v"}, "annotations": [{"timestamp": 1700000000000001, "value": "plain text"}]}
    cases = [
        (json.dumps([span]).encode(), "application/json", "/api/v2/spans", 202, None),
        (json.dumps([span]).encode(), "", "/api/v2/spans", 202, None),  # Zipkin assumes JSON
        (b"[{]", "application/json", "/api/v2/spans", 400, b"not JSON"),
        (json.dumps({"spans": [span]}).encode(), "application/json", "/api/v2/spans", 400, b"not an array"),
        (json.dumps([dict(span, traceId="xyz")]).encode(), "application/json", "/api/v2/spans", 400,
         b"[0].traceId \"xyz\" is not 16 or 32 hex digits"),
        (json.dumps([dict(span, tags={"n": 5})]).encode(), "application/json", "/api/v2/spans", 400,
         b"[0].tags.n is a number, not a string"),
        (json.dumps([dict(span, kind="LOCAL")]).encode(), "application/json", "/api/v2/spans", 400,
         b"[0].kind \"LOCAL\" is not CLIENT"),
        (json.dumps([span]).encode(), "application/x-protobuf", "/api/v2/spans", 415, b"JSON v2 only"),
        (json.dumps([span]).encode(), "application/json", "/api/v1/spans", 404, b"POST /api/v2/spans"),
    ]
    for body, content_type, path, status, says in cases:
        request = post(body, content_type, path) if content_type else post(body, "x", path).replace(
            b"Content-Type: x\r\n", b"")
        c.send(request)
        if status != 404 and status != 415:
            printed = dump.line()
            assert ("error" in printed) == (status == 400), printed
            if status == 202:
                (s,) = printed["spans"]
                assert s["operationName"] == "by hand" and s["duration"] == 5, s
                assert s["logs"][0]["fields"] == [{"key": "event", "type": "string", "value": "plain text"}], s
        got, _, answer = c.response()
        assert got == status, (path, content_type, got, answer)
        assert says is None or says in answer, (says, answer)
    dump.proc.kill()
    print("%d bad and good requests answered as Zipkin answers them" % len(cases))


def test_demo_zipkin(a):
    """The README's demo over Zipkin, as a user sees it."""
    dump = Dump(a.dump, "--count", "1", udp=False, zipkin=True, json_lines=False)
    env = dict(os.environ, OTEL_TRACES_EXPORTER="zipkin",
               OTEL_EXPORTER_ZIPKIN_ENDPOINT="http://127.0.0.1:%d/api/v2/spans" % dump.zipkin_port,
               OTEL_SERVICE_NAME="demo-app")
    run = subprocess.run([a.demo], env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    out, err = dump.proc.communicate(timeout=120)
    print(run.stdout + out)
    trace_id = run.stdout.split("Trace id:")[1].split()[0]
    assert "over Zipkin JSON" in run.stdout and "(the collector took it)" in run.stdout, run.stdout
    assert re.match(r'batch from 127\.0\.0\.1:\d+ over Zipkin JSON, \d+ bytes: service "demo-app", 1 span\n',
                    out), out
    assert_demo_span(out, trace_id)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("case", choices=["thrift", "malformed", "ruby", "demo", "two_services", "otlp", "otlp_http",
                                     "otlp_js", "demo_otlp", "console",
                                     "two_services_otlp", "jaeger_http", "zipkin", "demo_zipkin"])
    ap.add_argument("--crosscheck-emitter")
    ap.add_argument("--demo")
    ap.add_argument("--two-services")
    ap.add_argument("--dump", required=True)
    ap.add_argument("--emitter", required=True)
    ap.add_argument("--cache", required=True)
    a = ap.parse_args()
    globals()["test_" + a.case](a)
    print("PASSED")


if __name__ == "__main__":
    main()
