#!/usr/bin/env python3
"""Runs conformance_emitter against a UDP socket and judges every datagram it sends with
Apache Thrift and the official Jaeger IDL (see thrift_judge.py).

A datagram passes when it decodes as a oneway emitBatch, every struct validate()s, no byte
is left over, it is within the packet limit, and every span equals what the emitter
recorded - or is that span trimmed by litetrace's documented rule (a prefix of its logs,
then of its tags, with otel.dropped_* tags counting the rest, then a prefix of its name
cut at a UTF-8 boundary). Only spans with more references than a packet holds may be
missing.
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import thrift_judge  # noqa: E402

DROPPED_KEYS = [k.encode().hex() for k in
                ("otel.dropped_attributes_count", "otel.dropped_events_count", "otel.dropped_links_count")]


def receive_all(sock, stop, out):
    sock.settimeout(0.1)
    while True:
        try:
            out.append(sock.recv(70000))
        except socket.timeout:
            if stop.is_set():
                return


def expected_wire_span(exp, kept_tags, kept_logs):
    """What litetrace must send for `exp` when it keeps that many tags and logs."""
    s = {k: v for k, v in exp.items() if not k.startswith("dropped")}
    s["tags"] = exp["tags"][:kept_tags]
    s["logs"] = exp["logs"][:kept_logs]
    counts = [exp["droppedTags"] + len(exp["tags"]) - kept_tags,
              exp["droppedLogs"] + len(exp["logs"]) - kept_logs,
              exp["droppedReferences"]]
    s["tags"] = s["tags"] + [[key, 3, n] for key, n in zip(DROPPED_KEYS, counts) if n]
    return s


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--emitter", required=True)
    ap.add_argument("--cache", required=True)
    ap.add_argument("--spans", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--max-packet", type=int, default=65000)
    ap.add_argument("--profile", default="random")
    ap.add_argument("--ipv6", action="store_true")
    ap.add_argument("--expect-emsgsize", action="store_true",
                    help="the limit is over what the path allows: packets shrink")
    ap.add_argument("--min-fill", type=float, default=0.0,
                    help="every datagram but the last uses at least this fraction of the limit")
    ap.add_argument("--binary", action="store_true",
                    help="the binary protocol, as for the agent's port 6832 (read with TBinaryProtocol)")
    a = ap.parse_args()

    judge = thrift_judge.load(a.cache)

    family, host = (socket.AF_INET6, "::1") if a.ipv6 else (socket.AF_INET, "127.0.0.1")
    sock = socket.socket(family, socket.SOCK_DGRAM)
    for opt in (getattr(socket, "SO_RCVBUFFORCE", None), socket.SO_RCVBUF):
        if opt is None:
            continue
        try:
            sock.setsockopt(socket.SOL_SOCKET, opt, 64 << 20)
            break
        except OSError:
            pass
    sock.bind((host, 0))
    port = sock.getsockname()[1]
    datagrams, stop = [], threading.Event()
    receiver = threading.Thread(target=receive_all, args=(sock, stop, datagrams))
    receiver.start()

    expect_path = os.path.join(a.cache, "expect-%d-%d-%s-%d.jsonl" % (os.getpid(), a.seed, a.profile, a.max_packet))
    try:
        run = subprocess.run([a.emitter, "--host", host, "--port", str(port), "--spans", str(a.spans),
                              "--seed", str(a.seed), "--max-packet", str(a.max_packet),
                              "--profile", a.profile, "--expect", expect_path, *(["--binary"] if a.binary else [])],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
        time.sleep(0.3)
    finally:
        # Also when the emitter could not run: the receiving thread must end, or the judge
        # hangs until ctest's timeout instead of failing with the reason.
        stop.set()
        receiver.join()
    sys.stderr.write(run.stderr)
    assert run.returncode == 0, "emitter failed: %s" % run.stdout
    stats = json.loads(run.stdout.strip().splitlines()[-1])

    with open(expect_path) as f:
        lines = [json.loads(line) for line in f]
    os.unlink(expect_path)
    expected_process, expected = lines[0], {s["spanId"]: s for s in lines[1:]}

    failures = []
    received = {}
    batches = []
    last_seq_no = 0
    for i, d in enumerate(datagrams):
        try:
            assert len(d) <= a.max_packet, "%d bytes > limit %d" % (len(d), a.max_packet)
            b = judge.decode(d, binary=a.binary)
            assert thrift_judge.process(b.process) == expected_process, "process differs"
            seq_no, client_stats = judge.batch_extras(d, binary=a.binary)
            # No datagram is lost on loopback, so seqNo has no gap, also when a packet
            # refused with EMSGSIZE is re-packed (under its own seqNo and on).
            assert seq_no == last_seq_no + 1, "seqNo %r, expected %d" % (seq_no, last_seq_no + 1)
            last_seq_no = seq_no
            assert client_stats is not None, "no ClientStats"
            b.client_stats = client_stats
            batches.append(b)
            for s in b.spans:
                assert s.spanId not in received, "span %d arrived twice" % s.spanId
                received[s.spanId] = s
        except AssertionError as e:
            failures.append("datagram %d (%d bytes): %s" % (i, len(d), e))
        except Exception as e:  # a Thrift decoding error
            failures.append("datagram %d (%d bytes): Thrift could not decode it: %r" % (i, len(d), e))

    trimmed = 0
    trimmed_ids = set()
    for span_id, exp in expected.items():
        got = received.get(span_id)
        if got is None:
            if len(exp["references"]) < 1000:  # the emitter's unfittable spans carry 2000
                failures.append("span %d is missing and was not too large" % span_id)
            continue
        got_c = thrift_judge.span(got)
        kept_tags = sum(1 for t in got_c["tags"] if t[0] not in DROPPED_KEYS)
        sent_name, got_name = bytes.fromhex(exp["operationName"]), bytes.fromhex(got_c["operationName"])
        name_cut = (got_name != sent_name and sent_name.startswith(got_name)
                    and sent_name[len(got_name)] & 0xC0 != 0x80)  # cut between characters
        if name_cut:
            exp = dict(exp, operationName=got_c["operationName"])
        want = expected_wire_span(exp, min(kept_tags, len(exp["tags"])), len(got_c["logs"]))
        if got_c != want:
            failures.append("span %d differs:\n  sent     %s\n  received %s" % (span_id, want, got_c))
        elif name_cut or kept_tags < len(exp["tags"]) or len(got_c["logs"]) < len(exp["logs"]):
            trimmed += 1
            trimmed_ids.add(span_id)
    missing = len(expected) - len(received)
    if missing != stats["spans_too_large"]:
        failures.append("%d spans missing, emitter counted %d too large" % (missing, stats["spans_too_large"]))
    if trimmed != stats["spans_trimmed"]:
        failures.append("%d spans arrived trimmed, emitter counted %d" % (trimmed, stats["spans_trimmed"]))
    if batches and batches[-1].client_stats[1] > stats["spans_too_large"]:
        failures.append("ClientStats claims more too-large drops than happened")
    if stats["packets_sent"] != len(datagrams):
        failures.append("emitter sent %d datagrams, %d arrived" % (stats["packets_sent"], len(datagrams)))

    # Packets are full: the next packet's first span would not have fitted in this one.
    limit = stats["max_packet_size"]
    if a.expect_emsgsize:
        if limit >= a.max_packet:
            failures.append("the packet size was never lowered")
        # Packets sealed before the refusal went out as they were if the path took them.
        batches = [b for b, d in zip(batches, datagrams) if len(d) <= limit]
        datagrams = [d for d in datagrams if len(d) <= limit]
    for i in range(len(batches) - 1):
        first_next = batches[i + 1].spans[0]
        if first_next.spanId in trimmed_ids:
            continue  # its untrimmed self is what did not fit
        if len(datagrams[i]) + judge.span_size(first_next, binary=a.binary) <= limit - 2:
            failures.append("datagram %d (%d bytes) had room for the next span (%d bytes)"
                            % (i, len(datagrams[i]), judge.span_size(first_next, binary=a.binary)))
        if a.min_fill and len(datagrams[i]) < a.min_fill * limit:
            failures.append("datagram %d uses %d of %d bytes" % (i, len(datagrams[i]), limit))

    print("%d datagrams (%d..%d bytes), %d spans decoded by Apache Thrift, %d trimmed, %d too large; %s"
          % (len(datagrams), min(map(len, datagrams), default=0), max(map(len, datagrams), default=0),
             len(received), trimmed, missing, json.dumps(stats)))
    if failures:
        print("FAILED: %d problems" % len(failures))
        for f in failures[:20]:
            print("  " + f)
        return 1
    print("PASSED")
    return 0


if __name__ == "__main__":
    sys.exit(main())
