#!/usr/bin/env python3
"""Judges litetrace's Thrift *binary* protocol with Apache Thrift and the official IDL.

conformance_emitter --binary-out writes randomized spans as bare Batch structs (the body of
the Jaeger collector's POST /api/traces) and as Agent.emitBatch messages (the datagram for
the agent's binary port, 6832). Each is read with TBinaryProtocol, strictly (a message must
carry the protocol version); every struct must validate(), no byte may be left over, and
every span must equal what the emitter recorded, its dropped counts as otel.dropped_* tags.
"""

import argparse
import json
import os
import struct
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import thrift_judge  # noqa: E402
from judge_exporter import expected_wire_span  # noqa: E402


def read_records(path):
    data = open(path, "rb").read()
    at = 0
    while at < len(data):
        kind = chr(data[at])
        (length,) = struct.unpack(">I", data[at + 1:at + 5])
        yield kind, data[at + 5:at + 5 + length]
        at += 5 + length


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--emitter", required=True)
    ap.add_argument("--cache", required=True)
    ap.add_argument("--spans", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    judge = thrift_judge.load(a.cache)
    expect_path = os.path.join(a.cache, "binary-expect-%d.jsonl" % a.seed)
    records_path = os.path.join(a.cache, "binary-%d.bin" % a.seed)
    subprocess.run([a.emitter, "--binary-out", records_path, "--expect", expect_path, "--spans", str(a.spans),
                    "--seed", str(a.seed)], check=True)
    lines = [json.loads(x) for x in open(expect_path)]
    process, expected = lines[0], lines[1:]
    assert len(expected) == a.spans

    got, kinds = [], {"B": 0, "M": 0}
    for seq, (kind, body) in enumerate(read_records(records_path)):
        kinds[kind] += 1
        if kind == "M":
            batch = judge.decode(body, binary=True)
            seq_no, stats = judge.batch_extras(body, binary=True)
            assert seq_no == seq and stats == (seq, 2 * seq, 3 * seq), (seq, seq_no, stats)
        else:
            batch = judge.decode_batch(body)
        assert thrift_judge.process(batch.process) == process, thrift_judge.process(batch.process)
        got += [thrift_judge.span(s) for s in batch.spans]

    assert len(got) == len(expected), "%d spans decoded, %d recorded" % (len(got), len(expected))
    for i, (g, e) in enumerate(zip(got, expected)):
        want = expected_wire_span(e, len(e["tags"]), len(e["logs"]))
        assert g == want, "span %d:\n got  %s\n want %s" % (i, json.dumps(g)[:2000], json.dumps(want)[:2000])
    print("%d spans in %d bare Batch bodies and %d emitBatch messages: Apache Thrift's TBinaryProtocol "
          "decodes every one to what was recorded" % (len(got), kinds["B"], kinds["M"]))


if __name__ == "__main__":
    main()
