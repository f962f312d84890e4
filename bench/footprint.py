#!/usr/bin/env python3
"""What litetrace adds to a program's size.

    bench/footprint.py [--cxx g++] [--top 25]

Builds litetrace's sources as a static library the way a vendoring project would
(-O2 -ffunction-sections -fdata-sections), links bench/footprint/minimal.cc (one provider,
one span, shutdown) and bench/footprint/baseline.cc (a thread, strings, a vector, stdio)
against it with -Wl,--gc-sections, strips them, and prints their sizes and the difference:
the bytes litetrace adds, linked lean (Jaeger's agent over UDP, the default exporter, alone)
and the default way (every exporter). Twice: with the default flags and with
-fno-exceptions -fno-rtti. --top lists the largest functions and objects litetrace brings
into the lean minimal program.
"""

import argparse
import glob
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Compile flags; each build links the minimal program lean (Jaeger's agent over UDP only) and
# the default way (every exporter: -Wl,--undefined=litetrace_exporters, src/pipeline/exporters.h).
CONFIGS = [("default", []), ("-fno-exceptions -fno-rtti", ["-fno-exceptions", "-fno-rtti"])]
LINKS = [("lean", []), ("every exporter", ["-Wl,--undefined=litetrace_exporters"])]


def run(command):
    done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if done.returncode != 0:
        sys.exit("failed: %s\n%s" % (" ".join(command), done.stdout[-4000:]))
    return done.stdout


def build(cxx, extra, work, jobs):
    flags = ["-O2", "-std=c++17", "-DNDEBUG", "-ffunction-sections", "-fdata-sections"] + extra
    sources = sorted(glob.glob(os.path.join(ROOT, "src", "**", "*.cc"), recursive=True))
    objects = []

    def compile_one(source):
        obj = os.path.join(work, os.path.relpath(source, ROOT).replace(os.sep, "_") + ".o")
        run([cxx] + flags + ["-I" + os.path.join(ROOT, "include"), "-I" + os.path.join(ROOT, "src"),
                             "-c", source, "-o", obj])
        return obj

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        objects = list(pool.map(compile_one, sources))
    library = os.path.join(work, "liblitetrace.a")
    run(["ar", "rcs", library] + objects)
    sizes = {}
    programs = [("baseline", "baseline", [])] + [("minimal " + link, "minimal", extra_link) for link, extra_link in LINKS]
    for name, program, extra_link in programs:
        out = os.path.join(work, name.replace(" ", "_"))
        run([cxx] + flags + ["-I" + os.path.join(ROOT, "include"), os.path.join(ROOT, "bench", "footprint", program + ".cc"),
                             "-o", out, "-Wl,--gc-sections"] + extra_link + [library, "-pthread"])
        run(["cp", out, out + ".unstripped"])
        run(["strip", out])
        sizes[name] = (os.path.getsize(out), section_bytes(out))
    return sizes


def section_bytes(binary):
    """The bytes of the sections loaded from the file, without the padding that aligns its
    segments to pages: the file size moves by 4 KB steps when code crosses a page boundary."""
    total = 0
    for line in run(["readelf", "-SW", binary]).splitlines():
        parts = line.replace("[ ", "[").split()
        if len(parts) >= 8 and parts[0].startswith("[") and parts[2] != "NOBITS" and "A" in parts[7]:
            total += int(parts[5], 16)
    return total


def largest(binary, top):
    rows = []
    seen = set()  # a constructor's or destructor's two names share one address: counted once
    for line in run(["nm", "-C", "--size-sort", "-S", binary]).splitlines():
        parts = line.split(None, 3)
        if len(parts) == 4 and "litetrace" in parts[3] and parts[0] not in seen:
            seen.add(parts[0])
            rows.append((int(parts[1], 16), parts[3]))
    rows.sort(reverse=True)
    return sum(n for n, _ in rows), rows[:top]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cxx", default="g++")
    parser.add_argument("--top", type=int, default=0, help="list the largest litetrace symbols linked")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()
    version = run([args.cxx, "--version"]).splitlines()[0]
    print("footprint, %s, -O2, -Wl,--gc-sections, stripped" % version)
    for name, extra in CONFIGS:
        with tempfile.TemporaryDirectory() as work:
            sizes = build(args.cxx, extra, work, args.jobs)
            print("  %s: baseline %d B (sections %d B)" % ((name,) + sizes["baseline"]))
            for link, _ in LINKS:
                size, sections = sizes["minimal " + link]
                added = size - sizes["baseline"][0]
                added_sections = sections - sizes["baseline"][1]
                print("    minimal, %-15s %7d B: litetrace adds %7d B (%.0f KB); its sections %7d B (%.1f KB)" %
                      (link, size, added, added / 1024, added_sections, added_sections / 1024))
            if args.top and name == "default":
                total, rows = largest(os.path.join(work, "minimal_lean.unstripped"), args.top)
                print("    litetrace symbols linked: %d B; the largest:" % total)
                for n, symbol in rows:
                    print("    %7d  %s" % (n, symbol[:150]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
