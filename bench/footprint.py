#!/usr/bin/env python3
"""What litetrace adds to a program's size.

    bench/footprint.py [--cxx g++] [--opt=-Os] [--top 25] [--files]

Builds litetrace's sources as a static library the way its CMake target does
(-O2 -ffunction-sections -fdata-sections, and with g++ -fno-reorder-blocks-and-partition),
links bench/footprint/minimal.cc (one provider, one span, shutdown) and
bench/footprint/baseline.cc (a thread, strings, a vector, stdio) against it with
-Wl,--gc-sections, strips them, and prints their sizes and the difference: the bytes
litetrace adds, linked lean (Jaeger's agent over UDP, the default exporter, alone) and the
default way (every exporter), and how many bytes the lean file's read-only data can grow
before the file grows a page. Twice: with the default flags and with -fno-exceptions
-fno-rtti. --opt builds everything (the baseline too) at another level than -O2
(--opt=-Os: what a build for size gets). --top lists the largest functions and objects
litetrace brings into the lean minimal program; --files, the bytes each source file brings
into it (from the linker's map: code, read-only data and exception tables, which is all but
the unwind tables and the dynamic linking's sections), and a rough sort of the library's
bytes by the README's promises they keep (told by the functions' names).
"""

import argparse
import collections
import glob
import os
import re
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


SOURCES = sorted(os.path.relpath(p, ROOT) for p in glob.glob(os.path.join(ROOT, "src", "**", "*.cc"), recursive=True))
# A source's object, by its name in the archive, and back.
OBJECT = {source: source.replace(os.sep, "_") + ".o" for source in SOURCES}
SOURCE_OF = {obj: source for source, obj in OBJECT.items()}


def library_flags(cxx):
    """What the library's CMake target adds for this compiler (CMakeLists.txt): with g++, no
    function split into a hot and a cold part, each with its unwind entry."""
    version = subprocess.run([cxx, "--version"], stdout=subprocess.PIPE, text=True).stdout
    return [] if "clang" in version.lower() else ["-fno-reorder-blocks-and-partition"]


def build(cxx, opt, extra, work, jobs):
    flags = [opt, "-std=c++17", "-DNDEBUG", "-ffunction-sections", "-fdata-sections"] + extra
    own = library_flags(cxx)

    def compile_one(source):
        obj = os.path.join(work, OBJECT[source])
        run([cxx] + flags + own + ["-I" + os.path.join(ROOT, "include"), "-I" + os.path.join(ROOT, "src"),
                             "-c", os.path.join(ROOT, source), "-o", obj])
        return obj

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        objects = list(pool.map(compile_one, SOURCES))
    library = os.path.join(work, "liblitetrace.a")
    run(["ar", "rcs", library] + objects)
    sizes = {}
    programs = [("baseline", "baseline", [])] + [("minimal " + link, "minimal", extra_link) for link, extra_link in LINKS]
    for program in ("baseline", "minimal"):
        run([cxx] + flags + ["-I" + os.path.join(ROOT, "include"), "-c",
                             os.path.join(ROOT, "bench", "footprint", program + ".cc"), "-o",
                             os.path.join(work, program + ".o")])
    for name, program, extra_link in programs:
        out = os.path.join(work, name.replace(" ", "_"))
        run([cxx] + flags + [os.path.join(work, program + ".o"), "-o", out, "-Wl,--gc-sections",
                             "-Wl,-Map," + out + ".map"] + extra_link + [library, "-pthread"])
        run(["cp", out, out + ".unstripped"])
        run(["strip", out])
        sizes[name] = (os.path.getsize(out), section_bytes(out))
    sizes["room"] = page_room(os.path.join(work, "minimal_lean"))
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


def page_room(binary):
    """Bytes the file's last read-only segment can grow before the writable segment, which
    starts at the same offset within its page as in memory, moves a page further (and the
    file with it): the gap between the two in the file."""
    loads = []
    for line in run(["readelf", "-lW", binary]).splitlines():
        parts = line.split()
        if parts and parts[0] == "LOAD":
            loads.append((int(parts[1], 16), int(parts[4], 16), "W" in "".join(parts[6:-1])))
    writable = next(i for i, (_, _, w) in enumerate(loads) if w)
    offset, size, _ = loads[writable - 1]
    return loads[writable][0] - (offset + size)


# An input section in the map of what was linked: its name, address, size and file, on one
# line, or the name alone when it is long and the rest on the next line.
MAP_SECTION = re.compile(r"^ (\.\S+)(?:\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S+))?$")
MAP_REST = re.compile(r"^\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S+)$")
COUNTED = (".text", ".rodata", ".gcc_except_table", ".data.rel.ro")


def linked_sections(map_path):
    """[(section, object, bytes)]: the code, read-only data and exception tables linked, each
    input section with the object it came from (litetrace's by archive member)."""
    rows = []
    with open(map_path, encoding="utf-8", errors="replace") as f:
        lines = f.read().split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith("Linker script and memory map"))
    for i in range(start, len(lines)):
        m = MAP_SECTION.match(lines[i])
        if not m or not m.group(1).startswith(COUNTED):
            continue
        if m.group(2) is not None:
            address, size, where = m.group(2), m.group(3), m.group(4)
        else:
            rest = MAP_REST.match(lines[i + 1]) if i + 1 < len(lines) else None
            if rest is None:
                continue
            address, size, where = rest.groups()
        if int(address, 16) != 0 and int(size, 16) != 0:
            member = re.search(r"\(([^()]+)\)$", where)
            rows.append((m.group(1), member.group(1) if member else os.path.basename(where), int(size, 16)))
    return rows


# Promises of the README whose code the lean program carries, told by the names of the
# functions (and the files) it is in: the first that matches takes a function. Approximate
# by nature (a function that serves two is counted once), it says what the lean path's
# robustness costs.
PROMISES = [
    ("diagnostics", r"report_|formatted|quoted_for_diagnostic|DiagnosticReporter|@src/core/diagnostic"),
    ("attribute limits (normalizer, rewriter)", r"RecordNormalizer|AttributeCheck|RecordRewriter"
                                                r"|@src/core/record_normalizer|@src/jaeger/record_rewriter"),
    ("EMSGSIZE re-pack and trim", r"place_trimmed_record|place_record|keep_last|encode_aside|add_bytes_again"
                                  r"|add_record_aside|lower_packet_size|Exporter::Copy|Exporter::Kept"),
    ("name lookup on its own thread", r"Lookup|resolve_with_getaddrinfo|parse_numeric_address|format_address"
                                      r"|@src/transport/resolver"),
    ("thread registration, exit, fork, global provider", r"register_thread|retire|reap|release_finished"
                                                         r"|[Rr]egistration|fork|global|live_cores|parked_cores"
                                                         r"|GlobalCache"),
    ("option checks", r"check_options|in_range_or_default|note_out_of_range|@src/core/option_rule"),
]


def bytes_by_promise(rows):
    """[(promise, bytes)] of litetrace's sections in `rows` (linked_sections())."""
    ours = [(section, SOURCE_OF[obj], n) for section, obj, n in rows if obj in SOURCE_OF]
    mangled = [re.sub(r"^\.[a-z_.]+?\.(?=_Z)", "", section) for section, _, _ in ours]
    names = run(["c++filt"] + mangled).splitlines() if mangled else []
    totals = collections.Counter()
    for (_, source, n), name in zip(ours, names):
        key = name.split("(")[0] + " @" + source  # the function's name, not its parameters' types
        promise = next((p for p, pattern in PROMISES if re.search(pattern, key)), None)
        if promise is not None:
            totals[promise] += n
    return [(p, totals[p]) for p, _ in PROMISES], sum(n for _, _, n in ours)


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
    parser.add_argument("--opt", default="-O2", help="the optimization level of every build (-O2, -Os, ...)")
    parser.add_argument("--top", type=int, default=0, help="list the largest litetrace symbols linked")
    parser.add_argument("--files", action="store_true", help="list the bytes each source file brings")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()
    version = run([args.cxx, "--version"]).splitlines()[0]
    print("footprint, %s, %s, -Wl,--gc-sections, stripped" % (version, args.opt))
    for name, extra in CONFIGS:
        with tempfile.TemporaryDirectory() as work:
            sizes = build(args.cxx, args.opt, extra, work, args.jobs)
            print("  %s: baseline %d B (sections %d B)" % ((name,) + sizes["baseline"]))
            for link, _ in LINKS:
                size, sections = sizes["minimal " + link]
                added = size - sizes["baseline"][0]
                added_sections = sections - sizes["baseline"][1]
                print("    minimal, %-15s %7d B: litetrace adds %7d B (%.0f KB); its sections %7d B (%.1f KB)" %
                      (link, size, added, added / 1024, added_sections, added_sections / 1024))
            print("    the lean file's read-only data can grow %d B before the file grows a page" % sizes["room"])
            if args.files and name == "default":
                # litetrace's archive members, and the program's own object: what the headers
                # inline into it. The C runtime's objects, which the baseline links too, are left out.
                sections = linked_sections(os.path.join(work, "minimal_lean.map"))
                linked = collections.Counter()
                for _, obj, n in sections:
                    linked[obj] += n
                rows = [(n, SOURCE_OF[obj]) for obj, n in linked.items() if obj in SOURCE_OF]
                rows.append((linked.get("minimal.o", 0), "bench/footprint/minimal.cc (from litetrace's headers)"))
                rows.sort(reverse=True)
                print("    by source file (code, read-only data, exception tables): %d B" % sum(n for n, _ in rows))
                for n, source in rows:
                    print("    %7d  %s" % (n, source))
                promises, library = bytes_by_promise(sections)
                print("    of the library's %d B, by promise (told by function names, approximate):" % library)
                for promise, n in promises:
                    print("    %7d  %s" % (n, promise))
            if args.top and name == "default":
                total, rows = largest(os.path.join(work, "minimal_lean.unstripped"), args.top)
                print("    litetrace symbols linked: %d B; the largest:" % total)
                for n, symbol in rows:
                    print("    %7d  %s" % (n, symbol[:150]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
