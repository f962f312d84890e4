#!/usr/bin/env python3
"""Instructions per span, counted by valgrind's callgrind: deterministic where time is not.

    bench/instructions.py --binary build/bench/litetrace_instructions [--check | --record]

Runs each workload of litetrace_instructions at two lengths under callgrind; a count per
span is the difference of the two runs' counts over the difference of their lengths, so
what a run does once (starting the provider, a thread's first span, shutdown) cancels out.

- app thread: `--toggle-collect=lt_measured_*` counts the span bodies alone (start, the
  attributes, end), on the default exporter (compact Thrift over UDP).
- model: the same count of a bare span in bench/span_floor_model.h, a model of the least a
  span can do (two records in its thread's ring, no per-span buffer). It is not litetrace:
  shown beside its counts, never recorded or checked.
- background: litetrace's threads, for the span2 workload on each exporter: mapping,
  encoding, packing and sending; and jaeger-event2 and otlp-event2, the Jaeger and OTLP
  exporters for the event2 workload (span2 and an event with an attribute: a Jaeger log, an
  OTLP Span.Event). The batcher is counted in the functions that take spans
  (`Batcher::drain`, the sinks' `flush`), as its passes that find nothing come with the
  clock, not with the spans (a slower machine makes more of them); an HTTP exporter's
  sender thread, which wakes only for requests, is counted whole.

--check compares with bench/instruction_bounds.json, recorded for one compiler, target,
clock and way of writing wide varints (the counts hold for those only): a count more than
10 % over its bound (and more than 20 instructions over it) fails. With no bound for this
build, it says so and exits 77 (ctest: skipped). --record writes the
counts measured as the bounds for this build.
"""

import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

APP_WORKLOADS = ["span2", "event2", "bare", "unsampled", "child-unsampled", "global2", "c2", "noprovider"]
MODEL_WORKLOADS = ["floor-model"]
EXPORTERS = ["jaeger", "jaeger-binary", "jaeger-http", "otlp", "otlp-json", "zipkin", "console", "none"]
# Background counts of another workload than span2: name -> (workload, exporter).
OTHER_BACKGROUND = {"jaeger-event2": ("event2", "jaeger"), "otlp-event2": ("event2", "otlp")}
# The goals (issue 15), shown beside the counts; the bounds file is what CI holds.
GOALS = {("app", "span2"): 250, ("app", "bare"): 120, ("background", "jaeger"): 750}
TOLERANCE = 1.10
SLACK = 20  # instructions: the counts of the cheapest paths move by a few with the batcher's passes
SKIPPED = 77


# What each kind of run counts: callgrind's options, and which threads' counts are summed.
APP = ["--toggle-collect=lt_measured_*", "--collect-atstart=no"]
BATCHER = ["--separate-threads=yes", "--collect-atstart=no", "--toggle-collect=*Batcher::drain*",
           "--toggle-collect=*Sink::flush*"]
SENDER = ["--separate-threads=yes"]
HTTP_EXPORTERS = {"jaeger-http", "otlp", "otlp-json", "zipkin"}


def run(binary, workload, spans, exporter, options, out_dir):
    """Runs one workload under callgrind; returns ({thread file: instructions}, its JSON)."""
    prefix = os.path.join(out_dir, "cg")
    for old in glob.glob(prefix + "*"):
        os.remove(old)
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=" + prefix + ".%p"] + options
    command += [binary, workload, str(spans), exporter]
    done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if done.returncode != 0:
        sys.exit("failed (%d): %s\n%s" % (done.returncode, " ".join(command), done.stderr[-3000:]))
    report = json.loads(done.stdout.strip().splitlines()[-1])
    recorded = 0 if workload in ["unsampled", "child-unsampled", "noprovider"] + MODEL_WORKLOADS else spans
    if report["ended"] != recorded or report["exported"] + report["discarded"] != recorded:
        sys.exit("not every span was delivered: %s (%s)" % (report, " ".join(command)))
    counts = {}
    for path in glob.glob(prefix + ".*"):
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        totals = [line for line in text.splitlines() if line.startswith("totals:") or line.startswith("summary:")]
        if not totals:
            continue
        counts[path] = (int(totals[0].split()[1]), text)
    return counts, report


def total(counts):
    """Every thread's count (the collection toggles say which code is counted)."""
    return sum(n for n, _ in counts.values())


def sender_count(counts):
    """The HTTP sender thread's count."""
    return sum(n for n, text in counts.values() if "HttpExportSink::run" in text)


def per_span(binary, workload, exporter, options, count, lengths, out_dir):
    short, long_ = lengths
    a, report = run(binary, workload, short, exporter, options, out_dir)
    b, _ = run(binary, workload, long_, exporter, options, out_dir)
    return (count(b) - count(a)) / (long_ - short), report


def build_key(binary):
    """What the counts depend on: the compiler and target the binary was built with, and
    the clock litetrace reads on this machine."""
    comment = subprocess.run(["readelf", "-p", ".comment", binary], stdout=subprocess.PIPE, text=True).stdout
    compilers = sorted({line.split("]", 1)[1].strip() for line in comment.splitlines() if "]" in line})
    machine = os.uname().machine
    return compilers, machine


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", required=True)
    parser.add_argument("--bounds", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                         "instruction_bounds.json"))
    parser.add_argument("--lengths", default="10000,30000", help="the two run lengths, in spans")
    parser.add_argument("--check", action="store_true", help="fail on a count over its bound by more than 10 %%")
    parser.add_argument("--record", action="store_true", help="write the counts as this build's bounds")
    parser.add_argument("--only", default="", help="measure only these names (comma-separated)")
    args = parser.parse_args()

    # CI sets LITETRACE_REQUIRE_CONFORMANCE: there a check that cannot run fails.
    unable = 1 if os.environ.get("LITETRACE_REQUIRE_CONFORMANCE") == "1" else SKIPPED
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (Debian: apt-get install valgrind)")
        return unable
    compilers, machine = build_key(args.binary)
    lengths = tuple(int(n) for n in args.lengths.split(","))
    only = set(filter(None, args.only.split(",")))

    measured = {"app": {}, "background": {}}
    modelled = {}
    depends_on = (None, None)  # the clock read, the way wide varints are written
    with tempfile.TemporaryDirectory() as out_dir:
        for workload in APP_WORKLOADS:
            if only and workload not in only:
                continue
            n, report = per_span(args.binary, workload, "jaeger", APP, total, lengths, out_dir)
            measured["app"][workload] = n
            depends_on = report["clock"], report["varints"]
        for workload in MODEL_WORKLOADS:
            if only and workload not in only:
                continue
            modelled[workload] = per_span(args.binary, workload, "jaeger", APP, total, lengths, out_dir)[0]
        for exporter in EXPORTERS:
            if only and exporter not in only:
                continue
            n, report = per_span(args.binary, "span2", exporter, BATCHER, total, lengths, out_dir)
            if exporter in HTTP_EXPORTERS:
                n += per_span(args.binary, "span2", exporter, SENDER, sender_count, lengths, out_dir)[0]
            measured["background"][exporter] = n
            depends_on = report["clock"], report["varints"]
        for name, (workload, exporter) in OTHER_BACKGROUND.items():
            if only and name not in only:
                continue
            n, report = per_span(args.binary, workload, exporter, BATCHER, total, lengths, out_dir)
            measured["background"][name] = n
            depends_on = report["clock"], report["varints"]

    # The varints' way is named when it is pdep (has_fast_bit_deposit()), the bounds recorded
    # before it existed being the loop's.
    key = "%s; %s; %s" % (" + ".join(compilers), machine, depends_on[0])
    if depends_on[1] == "pdep":
        key += "; wide varints by pdep"
    try:
        with open(args.bounds, encoding="utf-8") as f:
            all_bounds = json.load(f)
    except FileNotFoundError:
        all_bounds = {}
    bounds = all_bounds.get(key, {})

    print("instructions per span, callgrind, runs of %d and %d spans; build: %s" % (lengths + (key,)))
    failures = []
    for part, title in (("app", "app thread (exporter: jaeger)"),
                        ("background", "background threads (span2 unless named)")):
        if not measured[part]:
            continue
        print("  %s" % title)
        for name, n in measured[part].items():
            bound = bounds.get(part, {}).get(name)
            goal = GOALS.get((part, name))
            line = "    %-14s %8.1f" % (name, n)
            if bound is not None:
                limit = max(bound * TOLERANCE, bound + SLACK)
                line += "   bound %6d (fails over %d)" % (bound, int(limit))
                if n > limit:
                    failures.append("%s %s: %.1f > %d + 10 %%" % (part, name, n, bound))
            if goal is not None:
                line += "   goal <= %d%s" % (goal, "" if n <= goal else " (not met)")
            print(line)
    if modelled:
        print("  model (bench/span_floor_model.h: not litetrace, never checked)")
        for name, n in modelled.items():
            print("    %-14s %8.1f" % (name, n))

    if args.record:
        recorded = all_bounds.setdefault(key, {})
        for part, counts in measured.items():
            recorded.setdefault(part, {}).update({name: int(round(n)) for name, n in counts.items()})
        with open(args.bounds, "w", encoding="utf-8") as f:
            json.dump(all_bounds, f, indent=2, sort_keys=True)
            f.write("\n")
        print("recorded as the bounds for this build in %s" % args.bounds)
    if args.check:
        if not bounds:
            # Another compiler, machine or clock: the counts would differ for reasons of their
            # own, so there is nothing to hold them to (record bounds for it with --record).
            print("no bounds recorded for this build (%s) in %s: nothing to check" % (key, args.bounds))
            return SKIPPED
        missing = [name for part in measured for name in measured[part] if name not in bounds.get(part, {})]
        if missing:
            failures.append("no bound recorded for: %s" % ", ".join(missing))
        if failures:
            print("FAILED:\n  " + "\n  ".join(failures))
            return 1
        print("every count is within 10 % of its bound")
    return 0


if __name__ == "__main__":
    sys.exit(main())
