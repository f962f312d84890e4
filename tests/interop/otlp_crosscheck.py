#!/usr/bin/env python3
"""OTLP/HTTP, cross-checked against the OpenTelemetry JS SDK.

Both record the spans of crosscheck_scenario.json and post them to the same scripted
receiver: litetrace with its OTLP exporter, the JS SDK with
@opentelemetry/exporter-trace-otlp-proto (pinned by tests/interop/js/package-lock.json;
it posts chunked). The official protos decode both (otlp_judge.py); then every field of
every span is compared, ids and the SDK's identity aside (telemetry.sdk.*).

The JS exporter is a peer, not an oracle. Each difference must be explained by a rule: a
known deviation of the JS SDK from the specification, which litetrace does not copy, or a
documented choice of litetrace's, whose README phrase must be in README.md. Anything
else fails the test.
"""

import argparse
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "conformance"))
sys.path.insert(0, HERE)
import otlp_judge  # noqa: E402
import otlp_judge_tracer  # noqa: E402
from crosscheck import Diff, judge_differences, prepare_js  # noqa: E402

SDK_IDENTITY = ("telemetry.sdk.name", "telemetry.sdk.language", "telemetry.sdk.version")


def value(v):
    which = v.WhichOneof("value")
    if which == "array_value":
        return (which, tuple(value(e) for e in v.array_value.values))
    return (which, getattr(v, which))


def attributes(kvs):
    return {kv.key: value(kv.value) for kv in kvs}


def normalize(bodies, pb):
    """{span name: fields}, the resource's attributes and the scopes, from every request."""
    spans, resource, scopes = {}, {}, set()
    names = {}
    decoded = []
    for _, _, body in bodies:
        request = pb.ExportTraceServiceRequest()
        request.ParseFromString(body)
        decoded.append(request)
        for rs in request.resource_spans:
            for ss in rs.scope_spans:
                for s in ss.spans:
                    names[s.span_id] = s.name
    for request in decoded:
        for rs in request.resource_spans:
            resource.update(attributes(rs.resource.attributes))
            for ss in rs.scope_spans:
                scopes.add((ss.scope.name, ss.scope.version))
                for s in ss.spans:
                    assert s.name not in spans, "span %r arrived twice" % s.name
                    spans[s.name] = {
                        "parent": names.get(s.parent_span_id, "?") if s.parent_span_id else None,
                        "trace_state": s.trace_state,
                        "flags": s.flags,
                        "kind": s.kind,
                        "start": s.start_time_unix_nano,
                        "end": s.end_time_unix_nano,
                        "attributes": attributes(s.attributes),
                        "dropped_attributes": s.dropped_attributes_count,
                        "events": [(e.name, e.time_unix_nano, attributes(e.attributes), e.dropped_attributes_count)
                                   for e in s.events],
                        "dropped_events": s.dropped_events_count,
                        "links": [(names.get(link.span_id, "?"), link.trace_state, attributes(link.attributes),
                                   link.dropped_attributes_count, link.flags) for link in s.links],
                        "dropped_links": s.dropped_links_count,
                        "status": (s.status.code, s.status.message),
                    }
    return spans, resource, scopes


def differences(ours, theirs):
    (os_, ores, oscopes), (ts, tres, tscopes) = ours, theirs
    out = []
    for key in sorted(set(ores) | set(tres)):
        if key not in SDK_IDENTITY and ores.get(key) != tres.get(key):
            out.append(Diff("(resource)", key, ores.get(key), tres.get(key)))
    if oscopes != tscopes:
        out.append(Diff("(scopes)", "scopes", sorted(oscopes), sorted(tscopes)))
    for name in sorted(set(os_) | set(ts)):
        o, t = os_.get(name), ts.get(name)
        if o is None or t is None:
            out.append(Diff(name, "span", o is not None, t is not None))
            continue
        for field in o:
            if field == "attributes":
                for key in sorted(set(o[field]) | set(t[field])):
                    if o[field].get(key) != t[field].get(key):
                        out.append(Diff(name, "attribute " + key, o[field].get(key), t[field].get(key)))
            elif o[field] != t[field]:
                out.append(Diff(name, field, o[field], t[field]))
    return out


def rules(scenario):
    """(name, whose, why, README phrase or None, predicate); the first that matches explains."""
    spans = {s["name"]: s for s in scenario["spans"]}
    limits = scenario["limits"]

    def first_kept(d):
        s = spans.get(d.span)
        if s is None:
            return False
        if d.what == "events":
            names, n = [e["name"] for e in s.get("events", [])], limits["events"]
            return len(names) > n and [e[0] for e in d.ours] == names[:n] and [e[0] for e in d.theirs] == names[-n:]
        if d.what == "links":
            names, n = s.get("links", []), limits["links"]
            return len(names) > n and [x[0] for x in d.ours] == names[:n] and [x[0] for x in d.theirs] == names[-n:]
        return False

    def negative_zero_as_int(d):
        return (d.what.startswith("attribute ") and d.ours is not None and d.theirs is not None
                and d.ours[0] == "double_value" and d.ours[1] == 0 and str(d.ours[1]) == "-0.0"
                and d.theirs == ("int_value", 0))

    def int_beyond_2_53(d):
        return (d.what.startswith("attribute ") and d.ours is not None and d.theirs is not None
                and d.ours[0] == "int_value" and d.theirs[0] == "int_value" and abs(d.ours[1]) > 2 ** 53
                and float(d.ours[1]) == float(d.theirs[1]))

    def whole_double_as_int(d):
        """In an array: a whole double goes as an int_value (JS numbers carry no int/double type)."""
        if not d.what.startswith("attribute ") or d.ours is None or d.theirs is None:
            return False
        if d.ours[0] != "array_value" or d.theirs[0] != "array_value" or len(d.ours[1]) != len(d.theirs[1]):
            return False
        return all(o == t or (o[0] == "double_value" and float(o[1]).is_integer() and t == ("int_value", int(o[1])))
                   for o, t in zip(d.ours[1], d.theirs[1]))

    return [
        ("whole-double-as-int", "js", "a whole double in an array is sent as an integer (JS numbers carry no "
         "int/double type)", None, whole_double_as_int),
        ("first-ones-kept", "ours",
         "over the event or link limit the first ones are kept (as the Java SDK does); JS keeps the latest",
         "the first ones are kept", first_kept),
        ("negative-zero-as-int", "js", "-0.0 is sent as the integer 0 (JS numbers carry no int/double type)", None,
         negative_zero_as_int),
        ("int-beyond-2^53", "js", "integers beyond 2^53 lose their low bits (JS numbers are doubles)", None,
         int_beyond_2_53),
    ]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--emitter", required=True)
    ap.add_argument("--cache", required=True)
    ap.add_argument("--protos", required=True)
    ap.add_argument("--readme", required=True)
    a = ap.parse_args()
    otlp_judge.require_tools(a.protos)
    sys.path.insert(0, otlp_judge.generate(a.protos, a.cache))
    from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
    peer_dir = prepare_js(a.cache)
    scenario_path = os.path.join(HERE, "crosscheck_scenario.json")
    import json
    with open(scenario_path, encoding="utf-8") as f:
        scenario = json.load(f)

    results = []
    for command, cwd in (([a.emitter, scenario_path, "--otlp"], None),
                         (["node", "otlp_peer.js", scenario_path], peer_dir)):
        receiver = otlp_judge_tracer.otlp_receiver()
        url = receiver.start() + "/v1/traces"
        p = subprocess.run(command + [url], cwd=cwd, capture_output=True, text=True, timeout=120)
        receiver.shutdown()
        assert p.returncode == 0, "%s exited %d\n%s" % (command, p.returncode, p.stderr)
        for path, content_type, _ in receiver.bodies:
            assert path == "/v1/traces" and content_type == "application/x-protobuf", (path, content_type)
        results.append(normalize(receiver.bodies, trace_service_pb2))
    ours, theirs = results
    assert len(ours[0]) == len(scenario["spans"]), "litetrace sent %d spans" % len(ours[0])

    return judge_differences(differences(ours, theirs), rules(scenario), a.readme, len(ours[0]))


if __name__ == "__main__":
    sys.exit(main())
