#!/usr/bin/env python3
"""The OpenTelemetry Zipkin exporter specification as the judge of litetrace's Zipkin JSON.

zipkin_emitter records randomized spans through the public API and exports them to a
receiver here, which answers 202 as Zipkin does. Every body must be a JSON array of Zipkin
v2 spans (zipkin-api's zipkin2-api.yaml) with only the fields that schema defines, of its
types, and every span must carry what the emitter recorded, mapped by the rules of
specification/trace/sdk_exporters/zipkin.md and common/mapping-to-non-otlp.md, which this
file states again independently of the C++ code:

- traceId: 32 lowercase hex digits, 16 when the high half is zero; id and parentId: 16;
- kind: CLIENT, SERVER, PRODUCER, CONSUMER; absent for INTERNAL;
- name: absent when empty;
- timestamp: the start in whole microseconds (truncated); duration: the truncated end minus
  the truncated start, at least 1 (an end before the start is the start);
- localEndpoint: {serviceName}; remoteEndpoint for CLIENT and PRODUCER only, from the
  first present attribute by rank (peer.service, server.address, net.peer.name,
  network.peer.address + network.peer.port, server.socket.domain, server.socket.address +
  server.socket.port, net.sock.peer.name, net.sock.peer.addr + net.sock.peer.port,
  peer.hostname, peer.address, db.name): a name as serviceName, an address as ipv4 or ipv6
  when it is an IP address (else the next rank), with its port when that is 1 to 65535;
- tags, all strings: otel.status_code OK/ERROR unless UNSET; `error` set to the
  description ("" when none) when ERROR, and an attribute `error` that is false removed
  otherwise; otel.scope.name/version and otel.library.name/version; the dropped counts
  when not zero; the attributes (booleans lowercase, integers in decimal, doubles exact
  and recognisable as doubles, bytes base64, arrays a JSON list); the resource attributes; one tag per key,
  the mapping's first, then the attributes', then the resource's;
- annotations: per event, {timestamp, value} with value `"name":{attributes as JSON}`
  (the event's dropped count as otel.dropped_attributes_count), absent when no events;
- text that is not UTF-8: each bad byte becomes U+FFFD.
"""

import argparse
import base64
import ipaddress
import json
import math
import os
import re
import struct
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import http_receiver  # noqa: E402

HEX16 = re.compile(r"^[0-9a-f]{16}$")
HEX32 = re.compile(r"^[0-9a-f]{32}$")
SPAN_FIELDS = {"traceId", "id", "parentId", "kind", "name", "timestamp", "duration", "localEndpoint",
               "remoteEndpoint", "annotations", "tags", "debug", "shared"}
ENDPOINT_FIELDS = {"serviceName", "ipv4", "ipv6", "port"}
KINDS = {1: "SERVER", 2: "CLIENT", 3: "PRODUCER", 4: "CONSUMER"}
PEER_RANK = [("peer.service", None), ("server.address", None), ("net.peer.name", None),
             ("network.peer.address", "network.peer.port"), ("server.socket.domain", None),
             ("server.socket.address", "server.socket.port"), ("net.sock.peer.name", None),
             ("net.sock.peer.addr", "net.sock.peer.port"), ("peer.hostname", None), ("peer.address", None),
             ("db.name", None)]


def repaired(raw):
    """The text litetrace sends for these bytes: each byte that does not start a well-formed
    UTF-8 sequence (RFC 3629) replaced by U+FFFD."""
    out, i = [], 0
    while i < len(raw):
        b = raw[i]
        n = 1 if b < 0x80 else 2 if 0xC2 <= b <= 0xDF else 3 if 0xE0 <= b <= 0xEF else 4 if 0xF0 <= b <= 0xF4 else 0
        try:
            if n == 0:
                raise UnicodeDecodeError("utf-8", raw, i, i + 1, "bad lead byte")
            out.append(raw[i:i + n].decode("utf-8"))
            i += n
        except UnicodeDecodeError:
            out.append("\ufffd")
            i += 1
    return "".join(out)


def text(hex_):
    return repaired(bytes.fromhex(hex_))


def double(hex_):
    return struct.unpack("<d", bytes.fromhex(hex_))[0]


ARRAYS = {"string_array": "string", "bool_array": "bool", "int_array": "int", "double_array": "double"}


def tag_text(kind, v):
    """An attribute as a Zipkin tag's string; doubles are checked by check_double, arrays
    (a JSON list) by check_list."""
    if kind in ARRAYS:
        return ("list", json_value(kind, v))
    if kind == "string":
        return text(v)
    if kind == "bool":
        return "true" if v else "false"
    if kind == "int":
        return str(int(v))
    if kind == "double":
        return ("double", double(v))
    return base64.b64encode(bytes.fromhex(v)).decode()


def check_double(got, want, where):
    if math.isnan(want):
        assert got == "NaN", (where, got)
    elif math.isinf(want):
        assert got == ("Infinity" if want > 0 else "-Infinity"), (where, got)
    else:
        assert re.match(r"^-?[0-9]+(\.[0-9]+)?(e[+-][0-9]+)?$", got) and re.search(r"[.e]", got), (where, got)
        value = float(got)
        assert value == want and math.copysign(1, value) == math.copysign(1, want), (where, got, want)


def json_value(kind, v):
    """An event attribute inside an annotation's JSON: typed (arrays as lists)."""
    if kind in ARRAYS:
        return [json_value(ARRAYS[kind], e) for e in v]
    if kind == "string":
        return text(v)
    if kind == "bool":
        return v
    if kind == "int":
        return int(v)
    if kind == "double":
        d = double(v)
        if math.isnan(d):
            return "NaN"
        if math.isinf(d):
            return "Infinity" if d > 0 else "-Infinity"
        return d
    return base64.b64encode(bytes.fromhex(v)).decode()


def same_json(got, want):
    """JSON values equal, doubles to the bit (-0.0 is not 0.0), lists element by element."""
    if isinstance(want, list):
        return isinstance(got, list) and len(got) == len(want) and all(map(same_json, got, want))
    if isinstance(want, float):
        return isinstance(got, float) and got == want and math.copysign(1, got) == math.copysign(1, want)
    return got == want and type(got) is type(want)


def check_list(got, want, where):
    """A tag holding a JSON list: strict JSON, and the list."""
    value = json.loads(got, parse_constant=no_constant)
    assert same_json(value, want), (where, got, want)


def remote_endpoint(attributes):
    by_key = {text(k): (kind, v) for k, (kind, v) in attributes}
    for key, port_key in PEER_RANK:
        if key not in by_key or by_key[key][0] != "string":
            continue
        value = text(by_key[key][1])
        if not value:
            continue
        if port_key is None:
            return {"serviceName": value}
        try:
            ip = ipaddress.ip_address(value)
        except ValueError:
            continue
        endpoint = {"ipv4" if ip.version == 4 else "ipv6": value}
        port = by_key.get(port_key)
        if port is not None:
            number = None
            if port[0] == "int":
                number = int(port[1])
            elif port[0] == "string" and re.match(r"^[0-9]+$", text(port[1])):
                number = int(text(port[1]))
            if number is not None and 1 <= number <= 65535:
                endpoint["port"] = number
        return endpoint
    return None


def expected_span(rec, settings):
    limits = settings["limits"]
    attributes = [(a[0], (a[1][0], a[1][1])) for a in rec["attributes"]]
    kept, dropped_attributes = attributes[:limits["attributes"]], max(0, len(attributes) - limits["attributes"])
    events = rec["events"]
    kept_events, dropped_events = events[:limits["events"]], max(0, len(events) - limits["events"])
    dropped_links = max(0, rec["links"] - limits["links"])
    start, end = int(rec["start"]), int(rec["end"])
    end = max(end, start)

    span = {"traceId": rec["trace_id"][16:] if rec["trace_id"].startswith("0" * 16) else rec["trace_id"],
            "id": rec["span_id"]}
    if rec["parent"]:
        span["parentId"] = rec["parent"]
    if rec["kind"] in KINDS:
        span["kind"] = KINDS[rec["kind"]]
    name = text(rec["name"])
    if name:
        span["name"] = name
    span["timestamp"] = start // 1000
    span["duration"] = max(1, end // 1000 - start // 1000)
    span["localEndpoint"] = {"serviceName": text(settings["service"])}
    if rec["kind"] in (2, 3):
        remote = remote_endpoint(kept)
        if remote is not None:
            span["remoteEndpoint"] = remote
    if kept_events:
        annotations = []
        for e in kept_events:
            ea = e["attributes"]
            members = [(text(k), json_value(kind, v)) for k, (kind, v) in ea[:limits["attributes_per_event"]]]
            dropped = max(0, len(ea) - limits["attributes_per_event"])
            if dropped:
                members = [m for m in members if m[0] != "otel.dropped_attributes_count"]
                members.append(("otel.dropped_attributes_count", dropped))
            annotations.append((int(e["time"]) // 1000, text(e["name"]), members))
        span["annotations"] = annotations

    tags = []
    error = rec["status"] == 2
    if rec["status"] == 1:
        tags.append(("otel.status_code", "OK"))
    if error:
        tags += [("otel.status_code", "ERROR"), ("error", text(rec["description"]))]
    scope_name, scope_version = text(rec["scope"][0]), text(rec["scope"][1])
    if scope_name:
        tags += [("otel.scope.name", scope_name), ("otel.library.name", scope_name)]
        if scope_version:
            tags += [("otel.scope.version", scope_version), ("otel.library.version", scope_version)]
    for key, n in (("otel.dropped_attributes_count", dropped_attributes),
                   ("otel.dropped_events_count", dropped_events), ("otel.dropped_links_count", dropped_links)):
        if n:
            tags.append((key, str(n)))
    mapping = {k for k, _ in tags}
    for k, (kind, v) in kept:
        key = text(k)
        if key in mapping:
            continue
        if key == "error" and ((kind == "bool" and v is False) or (kind == "string" and text(v) == "false")):
            continue
        tags.append((key, tag_text(kind, v)))
    have = {k for k, _ in tags} | {text(k) for k, _ in kept}
    for k, v in settings["resource"]:
        if text(k) not in have:
            tags.append((text(k), text(v)))
    if tags:
        span["tags"] = tags
    return span


def check_schema(span, where):
    assert isinstance(span, dict), where
    assert set(span) <= SPAN_FIELDS, (where, set(span) - SPAN_FIELDS)
    assert HEX16.match(span["traceId"]) or HEX32.match(span["traceId"]), (where, span["traceId"])
    assert HEX16.match(span["id"]), where
    assert "parentId" not in span or HEX16.match(span["parentId"]), where
    assert span.get("kind", "CLIENT") in KINDS.values(), where
    assert isinstance(span.get("name", ""), str), where
    for field in ("timestamp", "duration"):
        assert isinstance(span[field], int) and not isinstance(span[field], bool) and span[field] >= 0, where
    assert span["duration"] >= 1, where
    for field in ("localEndpoint", "remoteEndpoint"):
        if field in span:
            e = span[field]
            assert isinstance(e, dict) and e and set(e) <= ENDPOINT_FIELDS, (where, field, e)
            assert all(isinstance(e[k], str) for k in e if k != "port"), (where, e)
            assert isinstance(e.get("port", 1), int), (where, e)
    if "annotations" in span:
        assert isinstance(span["annotations"], list) and span["annotations"], where
        for a in span["annotations"]:
            assert set(a) == {"timestamp", "value"} and isinstance(a["timestamp"], int), (where, a)
            assert isinstance(a["value"], str), (where, a)
    if "tags" in span:
        assert isinstance(span["tags"], dict) and span["tags"], where
        assert all(isinstance(v, str) for v in span["tags"].values()), (where, span["tags"])


def compare(got, want, where):
    for field in ("traceId", "id", "parentId", "kind", "name", "timestamp", "duration", "localEndpoint",
                  "remoteEndpoint"):
        assert got.get(field) == want.get(field), "%s %s:\n got:  %r\n want: %r" % (
            where, field, got.get(field), want.get(field))
    assert ("annotations" in got) == ("annotations" in want), where
    for i, (a, (ts, name, members)) in enumerate(zip(got.get("annotations", []), want.get("annotations", []))):
        at = "%s annotation %d" % (where, i)
        assert a["timestamp"] == ts, (at, a, ts)
        pairs = json.loads("{" + a["value"] + "}", object_pairs_hook=list, parse_constant=no_constant)
        assert len(pairs) == 1 and pairs[0][0] == name, (at, pairs)
        value = pairs[0][1]
        assert [k for k, _ in value] == [k for k, _ in members], (at, value, members)
        for (k, v), (_, w) in zip(value, members):
            assert same_json(v, w), (at, k, v, w)
    assert len(got.get("annotations", [])) == len(want.get("annotations", [])), where
    got_tags = list(got.get("tags", {}).items())
    want_tags = want.get("tags", [])
    assert [k for k, _ in got_tags] == [k for k, _ in want_tags], "%s tags:\n got:  %r\n want: %r" % (
        where, [k for k, _ in got_tags], [k for k, _ in want_tags])
    for (k, v), (_, w) in zip(got_tags, want_tags):
        if isinstance(w, tuple) and w[0] == "list":
            check_list(v, w[1], "%s tag %r" % (where, k))
        elif isinstance(w, tuple):
            check_double(v, w[1], "%s tag %r" % (where, k))
        else:
            assert v == w, "%s tag %r:\n got:  %r\n want: %r" % (where, k, v, w)


def unique(pairs):
    """A JSON object whose keys are all different (Zipkin keeps one tag per key)."""
    keys = [k for k, _ in pairs]
    assert len(set(keys)) == len(keys), "a key repeats: %r" % keys
    return dict(pairs)


def no_constant(name):
    raise ValueError("%s is not JSON" % name)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--emitter", required=True)
    ap.add_argument("--cache", required=True)
    ap.add_argument("--spans", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    os.makedirs(a.cache, exist_ok=True)
    receiver = http_receiver.Receiver(lambda content_type: (202, None, b""))  # as Zipkin answers
    endpoint = receiver.start() + "/api/v2/spans"
    expect = os.path.join(a.cache, "zipkin-expect-%d.jsonl" % a.seed)
    run = subprocess.run([a.emitter, endpoint,
                          "--spans", str(a.spans), "--seed", str(a.seed), "--expect", expect],
                         capture_output=True, text=True, timeout=300)
    receiver.shutdown()
    assert run.returncode == 0, run.stdout + run.stderr
    stats = json.loads(run.stdout)
    assert stats == {"exported": a.spans, "ended": a.spans}, stats
    for path, content_type, _ in receiver.bodies:
        assert (path, content_type) == ("/api/v2/spans", "application/json"), (path, content_type)

    lines = open(expect).read().splitlines()
    settings = json.loads(lines[0])
    records = {r["span_id"]: r for r in map(json.loads, lines[1:])}
    got = {}
    for _, _, body in receiver.bodies:
        spans = json.loads(body.decode("utf-8"), object_pairs_hook=unique, parse_constant=no_constant)
        assert isinstance(spans, list) and spans, body[:200]
        for s in spans:
            check_schema(s, s.get("id"))
            assert s["id"] not in got, "span %s arrived twice" % s["id"]
            got[s["id"]] = s
    assert set(got) == set(records), (len(got), len(records))
    counts = {"remoteEndpoint": 0, "annotations": 0, "error": 0, "dropped": 0, "64-bit": 0, "no name": 0,
              "arrays": 0}
    for span_id, rec in records.items():
        want = expected_span(rec, settings)
        compare(got[span_id], want, "span %s" % span_id)
        counts["remoteEndpoint"] += "remoteEndpoint" in want
        counts["annotations"] += "annotations" in want
        counts["error"] += "error" in dict(want.get("tags", []))
        counts["dropped"] += any(k.startswith("otel.dropped") for k, _ in want.get("tags", []))
        counts["64-bit"] += len(want["traceId"]) == 16
        counts["no name"] += "name" not in want
        counts["arrays"] += any(isinstance(v, tuple) and v[0] == "list" for _, v in want.get("tags", []))
    assert all(counts.values()), counts  # every rule was reached
    print("%d randomized spans in %d requests match the specification's Zipkin mapping: %s" % (
        len(records), len(receiver.bodies), counts))
    print("PASSED")


if __name__ == "__main__":
    main()
