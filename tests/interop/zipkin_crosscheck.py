#!/usr/bin/env python3
"""Zipkin v2 JSON, cross-checked against the OpenTelemetry JS SDK.

Both record the spans of crosscheck_scenario.json and post them to the same receiver,
which answers 202 as Zipkin does: litetrace with its Zipkin exporter, the JS SDK with
@opentelemetry/exporter-zipkin (pinned by tests/interop/js/package-lock.json). Every field
of every span is compared, ids replaced by span names.

The JS exporter is a peer, not an oracle. Each difference must be explained by a rule: a
known deviation of the JS exporter from the OpenTelemetry Zipkin specification, which
litetrace does not copy, or a documented choice of litetrace's, whose README phrase must
be in README.md. Anything else fails the test.
"""

import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "conformance"))
import http_receiver  # noqa: E402
from crosscheck import Diff, js_join, judge_differences, prepare_js  # noqa: E402


def normalize(bodies):
    """{span name: fields} from every request, ids replaced by span names."""
    spans = [s for _, _, body in bodies for s in json.loads(body)]
    names = {s["id"]: s["name"] for s in spans}
    out = {}
    for s in spans:
        assert s["name"] not in out, "span %r arrived twice" % s["name"]
        fields = dict(s)
        del fields["id"]
        fields["traceId"] = len(s["traceId"])  # random; only its width is comparable
        if "parentId" in s:
            fields["parentId"] = names.get(s["parentId"], "?")
        if "tags" in s:
            fields["tags"] = dict(s["tags"])
        out[s["name"]] = fields
    return out


def differences(ours, theirs):
    out = []
    for name in sorted(set(ours) | set(theirs)):
        o, t = ours.get(name), theirs.get(name)
        if o is None or t is None:
            out.append(Diff(name, "span", o is not None, t is not None))
            continue
        for field in sorted(set(o) | set(t)):
            if field == "tags":
                ot, tt = o.get("tags", {}), t.get("tags", {})
                for key in sorted(set(ot) | set(tt)):
                    if ot.get(key) != tt.get(key):
                        out.append(Diff(name, "tag " + key, ot.get(key), tt.get(key)))
            elif field == "annotations":
                oa, ta = o.get(field, []), t.get(field, [])
                for i in range(max(len(oa), len(ta))):
                    a = oa[i] if i < len(oa) else None
                    b = ta[i] if i < len(ta) else None
                    if a != b:
                        out.append(Diff(name, "annotation %d" % i, a, b))
            elif o.get(field) != t.get(field):
                out.append(Diff(name, field, o.get(field), t.get(field)))
    return out


def rules(scenario):
    """(name, whose, why, README phrase or None, predicate); the first that matches explains."""
    spans = {s["name"]: s for s in scenario["spans"]}
    limits = scenario["limits"]
    scope = scenario["scope"]

    def spec(d):
        return spans.get(d.span, {})

    def scope_tags(d):
        values = {"otel.scope.name": scope["name"], "otel.library.name": scope["name"],
                  "otel.scope.version": scope["version"], "otel.library.version": scope["version"]}
        return d.what[4:] in values and d.ours == values[d.what[4:]] and d.theirs is None

    def error_without_message(d):
        status = spec(d).get("status") or ["unset", ""]
        return d.what == "tag error" and status[0] == "error" and not status[1] and d.ours == "" and d.theirs is None

    def no_remote_endpoint(d):
        return (d.what == "remoteEndpoint" and d.theirs is None and spec(d).get("kind") in ("client", "producer")
                and d.ours == {"serviceName": dict((k, v) for k, _, v in spec(d).get("attributes", []))
                               .get("peer.service")})

    def js_microseconds(ns):
        """What the JS exporter writes for a time in ns: microseconds rounded half up."""
        return (ns + 500) // 1000

    def annotation_without_attributes(d):
        if not d.what.startswith("annotation ") or d.ours is None or d.theirs is None:
            return False
        pairs = json.loads("{" + d.ours["value"] + "}", object_pairs_hook=list)
        event = next((e for e in spec(d).get("events", []) if e["name"] == d.theirs["value"]), None)
        return (event is not None and len(pairs) == 1 and d.theirs["value"] == pairs[0][0]
                and d.ours["timestamp"] == int(event["time"]) // 1000
                and d.theirs["timestamp"] == js_microseconds(int(event["time"])))

    def first_kept(d):
        s = spec(d)
        if not d.what.startswith("annotation "):
            return False
        names = [e["name"] for e in s.get("events", [])]
        n = limits["events"]
        if len(names) <= n:
            return False
        i = int(d.what.split()[1])
        ours = json.loads("{" + d.ours["value"] + "}", object_pairs_hook=list)[0][0] if d.ours else None
        return ours == names[i] and d.theirs is not None and d.theirs["value"] == names[len(names) - n + i]

    def service_name_tag(d):
        return d.what == "tag service.name" and d.ours is None and d.theirs == scenario["service"]

    def duration_rounding(d):
        s = spec(d)
        if d.what != "duration" or not s:
            return False
        start, end = int(s["start"]), int(s["end"])
        return d.ours == max(1, end // 1000 - start // 1000) and d.theirs == js_microseconds(end - start)

    def fractional_timestamp(d):
        s = spec(d)
        return (d.what == "timestamp" and bool(s) and d.ours == int(s["start"]) // 1000
                and d.theirs != int(d.theirs) and int(d.theirs) == d.ours)

    def number_text(d):
        if not d.what.startswith("tag ") or d.ours is None or d.theirs is None:
            return False
        attributes = {k: (t, v) for k, t, v in spec(d).get("attributes", [])}
        kind, value = attributes.get(d.what[4:], (None, None))
        return kind == "double" and float(d.ours) == float(d.theirs) and d.ours.endswith(".0")

    def negative_zero(d):
        return d.what.startswith("tag ") and d.ours == "-0.0" and d.theirs == "0"

    def int_beyond_2_53(d):
        return (d.what.startswith("tag ") and d.ours is not None and d.theirs is not None
                and d.ours.lstrip("-").isdigit() and abs(int(d.ours)) > 2 ** 53 and float(d.ours) == float(d.theirs))

    return [
        ("no-scope-tags", "js", "the instrumentation scope is not sent (mapping-to-non-otlp: otel.scope.*, "
         "otel.library.*)", None, scope_tags),
        ("error-only-with-message", "js", "`error` is set only when the status has a message; the specification "
         "sets it to \"\" for every ERROR", None, error_without_message),
        ("no-remote-endpoint", "js", "no remoteEndpoint for client and producer spans (the specification's "
         "peer.service rank)", None, no_remote_endpoint),
        ("annotation-name-only", "js", "an event's annotation is its name alone, without its attributes as JSON",
         None, annotation_without_attributes),
        ("first-ones-kept", "ours",
         "over the event or link limit the first ones are kept (as the Java SDK does); JS keeps the latest",
         "the first ones are kept", first_kept),
        ("service-name-tag", "js", "service.name is also sent as a tag (it is the localEndpoint's)", None,
         service_name_tag),
        ("duration-truncated", "ours", "the duration is the truncated end minus the truncated start, at least "
         "1 µs (the specification's example: 1234 ns is 1 µs); JS rounds, to 0 too", "the truncated end minus the "
         "truncated start", duration_rounding),
        ("fractional-timestamp", "js", "a timestamp with a fraction of a microsecond; the specification wants "
         "whole microseconds", None, fractional_timestamp),
        ("negative-zero", "js", "-0.0 is written \"0\" (JS String(-0))", None, negative_zero),
        ("arrays-comma-joined", "js", "an array is joined with commas (Array.prototype.toString), not written as "
         "the JSON list the specification asks for", None,
         lambda d: d.what.startswith("tag ") and d.theirs is not None and js_join(d.ours) == d.theirs),
        ("doubles-look-double", "ours", "a whole double is written \"2.0\", not \"2\", so it reads as a double",
         "whole doubles keep \".0\"", number_text),
        ("int-beyond-2^53", "js", "integers beyond 2^53 lose their low bits (JS numbers are doubles)", None,
         int_beyond_2_53),
    ]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--emitter", required=True)
    ap.add_argument("--cache", required=True)
    ap.add_argument("--readme", required=True)
    a = ap.parse_args()
    peer_dir = prepare_js(a.cache)
    scenario_path = os.path.join(HERE, "crosscheck_scenario.json")
    with open(scenario_path, encoding="utf-8") as f:
        scenario = json.load(f)

    results = []
    for command, cwd in (([a.emitter, scenario_path, "--zipkin"], None),
                         (["node", "zipkin_peer.js", scenario_path], peer_dir)):
        receiver = http_receiver.Receiver(lambda content_type: (202, None, b""))  # as Zipkin answers
        url = receiver.start() + "/api/v2/spans"
        p = subprocess.run(command + [url], cwd=cwd, capture_output=True, text=True, timeout=120)
        receiver.shutdown()
        assert p.returncode == 0, "%s exited %d\n%s" % (command, p.returncode, p.stderr)
        for path, content_type, _ in receiver.bodies:
            assert path == "/api/v2/spans" and content_type.startswith("application/json"), (path, content_type)
        results.append(normalize(receiver.bodies))
    ours, theirs = results
    assert len(ours) == len(scenario["spans"]), "litetrace sent %d spans" % len(ours)
    return judge_differences(differences(ours, theirs), rules(scenario), a.readme, len(ours))


if __name__ == "__main__":
    sys.exit(main())
