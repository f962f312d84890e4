#!/usr/bin/env python3
"""The Jaeger mapping, cross-checked against the OpenTelemetry JS SDK.

Both record the spans of crosscheck_scenario.json: litetrace (compact Thrift over
UDP, and binary Thrift over UDP, which must carry the same) and the OpenTelemetry JS SDK
with @opentelemetry/exporter-jaeger (binary Thrift over UDP, through jaeger-client), pinned
by tests/interop/js/package-lock.json. Apache Thrift
decodes every datagram of both strictly with the official IDL; then every difference
between the two is listed, span by span, field by field.

The JS exporter is a peer, not an oracle: the OpenTelemetry specification is the judge.
Each difference must be explained by one rule below, either
- a known deviation of the JS exporter from the specification, which litetrace does not
  copy, or
- a documented choice of litetrace's, whose `readme` phrase must be in README.md.
A difference that no rule explains fails the test, as does a span missing on either side.
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "conformance"))
import thrift_judge  # noqa: E402
from crosscheck import js_join, judge_differences, prepare_js  # noqa: E402

TYPES = {0: "STRING", 1: "DOUBLE", 2: "BOOL", 3: "LONG", 4: "BINARY"}
REFS = {0: "CHILD_OF", 1: "FOLLOWS_FROM"}
SCOPE_TAGS = ("otel.scope.name", "otel.scope.version")
JS_DEFAULT_RESOURCE = ("service.name", "telemetry.sdk.language", "telemetry.sdk.name", "telemetry.sdk.version")
MAPPING_TAGS = ("error", "span.kind", "otel.status_code", "otel.status_description")


# ---- receiving and decoding ----

def run(cmd, cwd=None):
    p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, "%s exited %d\nstdout:\n%s\nstderr:\n%s" % (cmd, p.returncode, p.stdout, p.stderr)


def collect(sock, judge, count, binary):
    """Decodes datagrams until `count` spans arrived (bounded); returns the batches."""
    batches, spans = [], 0
    deadline = time.monotonic() + 60
    while spans < count:
        left = deadline - time.monotonic()
        assert left > 0, "%d of %d spans arrived" % (spans, count)
        sock.settimeout(left)
        data, _ = sock.recvfrom(65536)
        batch = judge.decode(data, binary=binary)
        batches.append(batch)
        spans += len(batch.spans)
    assert spans == count, "%d spans arrived, %d expected" % (spans, count)
    return batches


def value(t):
    v = {0: t.vStr, 1: t.vDouble, 2: t.vBool, 3: t.vLong, 4: t.vBinary}[t.vType]
    return (TYPES[t.vType], v)


def grouped(tags):
    """{key: [(type, value), ...]} in arrival order: a key that comes twice shows as two."""
    out = {}
    for t in tags or []:
        out.setdefault(t.key, []).append(value(t))
    return out


def normalize(batches):
    spans = [s for b in batches for s in b.spans]
    names = {s.spanId: s.operationName for s in spans}
    out = {}
    for s in spans:
        assert s.operationName not in out, "span %r arrived twice" % s.operationName
        out[s.operationName] = {
            "parent": names.get(s.parentSpanId, "?") if s.parentSpanId else None,
            "references": [(REFS[r.refType], names.get(r.spanId, "?")) for r in s.references or []],
            "flags": s.flags,
            "startTime": s.startTime,
            "duration": s.duration,
            "tags": grouped(s.tags),
            "logs": [(log.timestamp, grouped(log.fields)) for log in s.logs or []],
        }
    process = batches[0].process
    for b in batches:
        assert (b.process.serviceName, grouped(b.process.tags)) == (process.serviceName, grouped(process.tags))
    return out, {"serviceName": process.serviceName, "tags": grouped(process.tags)}


# ---- differences ----

class Diff:
    def __init__(self, span, what, key, ours, theirs):
        self.span, self.what, self.key, self.ours, self.theirs = span, what, key, ours, theirs

    def __str__(self):
        where = self.what + ("" if self.key is None else " " + str(self.key))
        return "%-16s %-44s litetrace %-34s js %s" % (self.span, where, short(self.ours), short(self.theirs))


def short(v):
    text = "-" if v is None else str(v)
    return text if len(text) <= 60 else text[:57] + "..."


def differences(ours, theirs, our_process, their_process):
    out = []
    for name in sorted(set(ours) | set(theirs)):
        o, t = ours.get(name), theirs.get(name)
        if o is None or t is None:
            out.append(Diff(name, "span", None, o is not None, t is not None))
            continue
        for field in ("parent", "references", "flags", "startTime", "duration"):
            if o[field] != t[field]:
                out.append(Diff(name, field, None, o[field], t[field]))
        for key in sorted(set(o["tags"]) | set(t["tags"])):
            if o["tags"].get(key) != t["tags"].get(key):
                out.append(Diff(name, "tag", key, o["tags"].get(key), t["tags"].get(key)))
        if len(o["logs"]) != len(t["logs"]):
            out.append(Diff(name, "logs", None, len(o["logs"]), len(t["logs"])))
        for i, ((ot, of), (tt, tf)) in enumerate(zip(o["logs"], t["logs"])):
            if ot != tt:
                out.append(Diff(name, "log time", i, ot, tt))
            for key in sorted(set(of) | set(tf)):
                if of.get(key) != tf.get(key):
                    out.append(Diff(name, "log field", (i, key), of.get(key), tf.get(key)))
    if our_process["serviceName"] != their_process["serviceName"]:
        out.append(Diff("(process)", "serviceName", None, our_process["serviceName"], their_process["serviceName"]))
    for key in sorted(set(our_process["tags"]) | set(their_process["tags"])):
        if our_process["tags"].get(key) != their_process["tags"].get(key):
            out.append(Diff("(process)", "process tag", key, our_process["tags"].get(key),
                            their_process["tags"].get(key)))
    return out


def rules(scenario, ours, theirs):
    """(name, whose, why, README phrase or None, predicate)."""
    resource = tuple(scenario["resource"]) + JS_DEFAULT_RESOURCE
    spans = {s["name"]: s for s in scenario["spans"]}
    lengths = {name: int(s["end"]) - int(s["start"]) for name, s in spans.items()}
    event_us = {(name, i): int(e["time"]) // 1000 for name, s in spans.items() for i, e in enumerate(s.get("events", []))}
    limits = scenario["limits"]

    def event_names(span):
        return [fields["event"][0][1] for _, fields in span["logs"]]

    def links(span):
        return [name for kind, name in span["references"] if kind == "FOLLOWS_FROM"]

    def first_kept(d):
        """Over the event or link limit: litetrace keeps the first ones, JS the last ones."""
        s = spans.get(d.span)
        if s is None or d.span not in ours or d.span not in theirs:
            return False
        if d.what in ("logs", "log time", "log field"):
            names, n = [e["name"] for e in s.get("events", [])], limits["events"]
            return (len(names) > n and event_names(ours[d.span]) == names[:n]
                    and event_names(theirs[d.span]) == names[-n:])
        if d.what == "references":
            names, n = s.get("links", []), limits["links"]
            return len(names) > n and links(ours[d.span]) == names[:n] and links(theirs[d.span]) == names[-n:]
        return False

    def int_as_double(d):
        if d.what not in ("tag", "log field") or not d.ours or not d.theirs or len(d.ours) != len(d.theirs):
            return False
        return all(o[0] == "LONG" and t == ("DOUBLE", float(o[1])) for o, t in zip(d.ours, d.theirs))

    def one_tag_per_key(d):
        return (d.what == "tag" and d.key in MAPPING_TAGS and d.ours is not None and d.theirs is not None
                and len(d.ours) == 1 and len(d.theirs) == 2 and d.ours[0] in d.theirs)

    def duration_rounded_up(d):
        return (d.what == "duration" and d.ours == -(-lengths[d.span] // 1000)
                and d.theirs == lengths[d.span] // 1000)

    def event_time_through_ms(d):
        return (d.what == "log time" and d.ours == event_us.get((d.span, d.key))
                and abs(d.theirs - d.ours) < 1000)

    return [  # the first that matches explains a difference
        ("first-ones-kept", "ours",
         "over the event or link limit the first ones are kept (as the Java SDK does); JS keeps the latest",
         "the first ones are kept", first_kept),
        ("int-as-double", "js", "integer attributes become DOUBLE tags (lossy beyond 2^53)", None, int_as_double),
        ("arrays-comma-joined", "js", "an array is joined with commas (Array.prototype.toString), not written as "
         "the JSON list the specification asks for", None,
         lambda d: (d.what == "tag" and d.ours is not None and d.theirs is not None and len(d.ours) == 1
                    and len(d.theirs) == 1 and d.ours[0][0] == "STRING" and d.theirs[0][0] == "STRING"
                    and js_join(d.ours[0][1]) == d.theirs[0][1])),
        ("resource-on-every-span", "js",
         "resource attributes (its default service.name and telemetry.sdk.* among them) are repeated as tags "
         "on every span instead of being process tags", None,
         lambda d: (d.what == "tag" and d.key in resource and d.ours is None)
         or (d.what == "process tag" and d.key in resource and d.theirs is None)),
        ("legacy-scope-tags-only", "js", "only the legacy otel.library.* pair names the scope, not otel.scope.*",
         None, lambda d: d.what == "tag" and d.key in SCOPE_TAGS and d.theirs is None),
        ("event-times-via-ms", "js",
         "event times go through floating-point milliseconds, so their microseconds are off", None,
         event_time_through_ms),
        ("event-dropped-count-key", "js",
         "an event's dropped count is keyed otel.event.dropped_attributes_count, not the specification's "
         "otel.dropped_attributes_count", None,
         lambda d: d.what == "log field" and (
             (d.key[1] == "otel.event.dropped_attributes_count" and d.ours is None)
             or (d.key[1] == "otel.dropped_attributes_count" and d.theirs is None))),
        ("one-tag-per-key", "ours",
         "a user attribute named like a mapping tag gives way to the mapping's tag; JS sends both",
         "are unique", one_tag_per_key),
        ("sampler-tags", "ours",
         "root spans decided by a configured sampler carry the Jaeger clients' sampler.type and sampler.param",
         "`sampler.type`", lambda d: d.what == "tag" and d.key in ("sampler.type", "sampler.param") and d.theirs is None),
        ("parent-in-references", "ours",
         "a span with links lists its parent first, as a CHILD_OF reference, as the Jaeger clients do",
         "as a `CHILD_OF` reference",
         lambda d: d.what == "references" and d.ours[:1] == [("CHILD_OF", d.ours[0][1])] and d.ours[1:] == d.theirs),
        ("duration-rounded-up", "ours",
         "a duration is rounded up to whole microseconds, so no span shows shorter than it was; JS truncates",
         "rounded up to whole microseconds", duration_rounded_up),
        ("jaeger-process-tags", "ours", "the process carries the Jaeger clients' jaeger.version, hostname and ip",
         "`jaeger.version`, `hostname` and `ip`",
         lambda d: d.what == "process tag" and d.key in ("jaeger.version", "hostname", "ip") and d.theirs is None),
    ]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--emitter", required=True)
    ap.add_argument("--cache", required=True)
    ap.add_argument("--readme", required=True)
    args = ap.parse_args()

    judge = thrift_judge.load(args.cache)
    peer_dir = prepare_js(args.cache)
    scenario_path = os.path.join(HERE, "crosscheck_scenario.json")
    with open(scenario_path, encoding="utf-8") as f:
        scenario = json.load(f)
    count = len(scenario["spans"])

    ours_sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    ours_binary_sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    theirs_sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for s in (ours_sock, ours_binary_sock, theirs_sock):
        s.bind(("127.0.0.1", 0))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    run([args.emitter, scenario_path, str(ours_sock.getsockname()[1])])
    run([args.emitter, scenario_path, "--binary", str(ours_binary_sock.getsockname()[1])])
    run(["node", "jaeger_peer.js", scenario_path, str(theirs_sock.getsockname()[1])], cwd=peer_dir)
    ours, our_process = normalize(collect(ours_sock, judge, count, binary=False))
    # litetrace's binary datagrams (the agent's port 6832, as the JS peer sends them) carry
    # the same spans as its compact ones; the comparison with the peer holds for both.
    ours_binary, our_binary_process = normalize(collect(ours_binary_sock, judge, count, binary=True))
    assert (ours_binary, our_binary_process) == (ours, our_process), "litetrace's binary and compact datagrams differ"
    theirs, their_process = normalize(collect(theirs_sock, judge, count, binary=True))

    return judge_differences(differences(ours, theirs, our_process, their_process),
                             rules(scenario, ours, theirs), args.readme, count)


if __name__ == "__main__":
    sys.exit(main())
