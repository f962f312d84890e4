#!/usr/bin/env python3
"""The exporters beside Jaeger over UDP are in a program linked the default way and absent
from one linked lean (src/pipeline/exporters.h), symbol by symbol. Code for what the program
does not record is not in the lean one (both are linked with --gc-sections).

    check_symbols.py [--globals-kept] FULL_BINARY LEAN_BINARY

--globals-kept: the programs were built so that every global stays linked (AddressSanitizer
registers them all with its runtime), and with the globals, what they point to; the check of
what is linked only when used is left out, and so are type descriptors (UBSan's, of the
function types of every template instance in a file the program links, binary Thrift's
record writers among them), which are data, not the code they name.
"""

import subprocess
import sys

# parse_http_url: the HTTP exporters' endpoints are checked by exporters.cc alone.
# BasicBinaryWriter: binary Thrift (the collector's HTTP body, the agent's port 6832), its
# checked and unchecked writers.
# SpanMapper: the Jaeger view, which the console and the collector over HTTP (for the records
# the encoder leaves) use; Thrift over UDP writes every span with the record encoder.
# A class counts by its members ("OwnedSpan::"), a function by its definition ("trim_to_fit("):
# an unoptimized build keeps std::shared_ptr<OwnedSpan>'s own members, which are not the view.
OTHERS = ["ZipkinFormat::", "OtlpFormat::", "ConsoleSink::", "JaegerHttpFormat::", "HttpExportSink::",
          "parse_http_url(", "BasicBinaryWriter<", "SpanMapper::"]

# The UDP exporter's copies and trimming of Jaeger views (Exporter::add), which tests and tools
# use: neither program adds a view, as both UDP sinks write records.
VIEWS_ONLY = ["OwnedSpan::", "trim_to_fit("]

# The Jaeger encoder's writers of Span.logs and Span.references, which only spans with events or
# links need (record_encoder.h: use_jaeger_logs), and the rewrite of array attributes into
# JSON strings (record_rewriter.h: use_array_rewrites): the program records none of them.
UNCALLED = ["write_logs(", "write_references(", "RecordRewriter::without_arrays(", "write_array_json("]


def symbols(binary):
    return subprocess.run(["nm", "-C", binary], stdout=subprocess.PIPE, text=True, check=True).stdout


def main():
    args = sys.argv[1:]
    globals_kept = "--globals-kept" in args
    args = [a for a in args if a != "--globals-kept"]
    full, lean = symbols(args[0]), symbols(args[1])
    def linked(name, text):
        return any(line.split(" ", 2)[-1].startswith(name) or f"::{name}" in line for line in text.splitlines()
                   if not (globals_kept and " typeinfo " in line))

    problems = [f"{name} missing from the default link" for name in OTHERS if not linked(name, full)]
    problems += [f"{name} linked into the lean program" for name in OTHERS if linked(name, lean)]
    if globals_kept:
        print("not checked (--globals-kept): " + ", ".join(UNCALLED + VIEWS_ONLY))
    else:
        problems += [f"{name} linked into the lean program, which records no event, link or array"
                     for name in UNCALLED if linked(name, lean)]
        problems += [f"{name} linked into {which} program, which adds no view"
                     for name in VIEWS_ONLY for which, text in (("the default", full), ("the lean", lean))
                     if linked(name, text)]
    for p in problems:
        print(p)
    print("ok" if not problems else "FAILED")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
