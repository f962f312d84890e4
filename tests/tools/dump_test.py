#!/usr/bin/env python3
"""litetrace-dump against independent decoders and a real Jaeger client.

  thrift   datagrams from the exporter, replayed to litetrace-dump --json, must print
           exactly what Apache Thrift (official IDL) decodes from the same bytes
  malformed garbage and truncated datagrams get a clear error and the tool goes on
  ruby     spans from Debian's ruby-jaeger-client are printed with their tree and values
"""

import argparse
import base64
import json
import os
import socket
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "conformance"))
import thrift_judge  # noqa: E402


class Dump:
    """litetrace-dump --json on a free port, read line by line. Its --timeout (quiet time
    before it gives up) is far beyond what a loaded machine needs: the tests end it with
    --count, or kill it."""

    def __init__(self, binary, *extra):
        self.proc = subprocess.Popen([binary, "--port", "0", "--json", "--timeout", "60", *extra],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        banner = self.proc.stderr.readline()
        assert "listening on udp" in banner, banner
        self.port = int(banner.rsplit(":", 1)[1])
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
    text = subprocess.Popen([a.dump, "--port", "0", "--count", "1", "--timeout", "60"],
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
    assert 1000000 <= span["duration"] < 5000000, span["duration"]  # slept for a second


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
        datagrams = []
        sock.settimeout(0.5)  # both providers flushed before the program exited
        try:
            while True:
                datagrams.append(sock.recv(70000))
        except socket.timeout:
            pass
        proc = subprocess.Popen([a.dump, "--port", "0", "--traces", "--count", str(len(datagrams)), "--timeout", "60"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        banner = proc.stderr.readline()
        port = int(banner.rsplit(":", 1)[1])
        for d in datagrams:
            sock.sendto(d, ("127.0.0.1", port))
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        trace_id = run.stdout.split("Trace id:")[1].split()[0]
        # The span lines: "<indent>- <operation>  (<service>)  [<span id>]  ..."
        spans = [(len(line) - len(line.lstrip()), line.split("  [")[0].strip())
                 for line in out.splitlines() if line.lstrip().startswith("- ")]
        print(propagators + ":\n" + out)
        assert out.splitlines()[0] == 'trace %s  4 spans from "frontend", "inventory"' % trace_id, out
        assert spans == [(2, "- checkout  (frontend)"), (5, "- GET /stock  (frontend)"),
                         (8, "- GET /stock  (inventory)"), (11, "- db.query  (inventory)")], spans


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("case", choices=["thrift", "malformed", "ruby", "demo", "two_services"])
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
