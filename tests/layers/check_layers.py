#!/usr/bin/env python3
"""src/ is laid out by layer; a lower layer never reaches into a higher one.

Checked two ways, because an include is not the only way to depend on code above:
- includes: every `#include "<layer>/..."` in src/<layer>/ names a layer it may use, and
  every include of src/ names its layer (a bare "tick_clock.h" would hide the direction);
- symbols (given the library's object files): no object of a layer uses a symbol defined
  by an object of a layer it may not use (a lower layer calling a public function that is
  implemented higher up, say).

Public headers (`litetrace/...`) are the API every layer implements or uses; they are
not a layer. Exit status 0 when the layout holds, 1 with every violation listed.

  check_layers.py --src SRC_DIR [--nm NM --objects OBJ...]
"""

import argparse
import os
import re
import subprocess
import sys

# Each layer and the layers it may use besides itself, lowest first. The formats (one
# folder each) sit over transport; sampling and propagation over the base; the pipeline
# (the API's implementation, the provider, the batcher) ties everything together; the C
# API sits on top of it all.
LAYERS = {
    "core": [],
    "transport": ["core"],
    "jaeger": ["core", "transport"],
    "otlp": ["core", "transport"],
    "zipkin": ["core", "transport"],
    "sampling": ["core", "transport"],
    "propagation": ["core"],
    "config": ["core", "sampling", "propagation"],
    "pipeline": ["core", "transport", "jaeger", "otlp", "zipkin", "sampling", "propagation", "config"],
    # The C API, over the C++ one: it includes only public headers, and calls what the
    # layers below implement of them.
    "capi": ["core", "transport", "jaeger", "otlp", "zipkin", "sampling", "propagation", "config", "pipeline"],
}

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def layer_of(relative_path):
    parts = relative_path.split(os.sep)
    return parts[0] if len(parts) > 1 and parts[0] in LAYERS else None


def check_includes(src_dir):
    problems = []
    for root, _, files in os.walk(src_dir):
        for name in sorted(files):
            if not name.endswith((".h", ".cc")):
                continue
            path = os.path.join(root, name)
            rel = os.path.relpath(path, src_dir)
            layer = layer_of(rel)
            if layer is None:
                problems.append(f"{rel}: not in a layer folder ({', '.join(LAYERS)})")
                continue
            with open(path, encoding="utf-8") as f:
                text = f.read()
            for target in INCLUDE.findall(text):
                if target.startswith("litetrace/"):
                    continue
                head = target.split("/", 1)[0]
                if "/" not in target or head not in LAYERS:
                    problems.append(f'{rel}: #include "{target}" does not name a layer of src/')
                elif head != layer and head not in LAYERS[layer]:
                    problems.append(f'{rel}: #include "{target}": {layer} may not use {head}')
    return problems


def nm_symbols(nm, obj):
    out = subprocess.run([nm, "--format=posix", obj], check=True, capture_output=True, text=True).stdout
    defined, undefined = set(), set()
    for line in out.splitlines():
        fields = line.split()
        if len(fields) < 2:
            continue
        symbol, kind = fields[0], fields[1]
        if kind == "U":
            undefined.add(symbol)
        elif kind in ("T", "D", "B", "R"):  # strong global definitions only
            defined.add(symbol)
    return defined, undefined


def object_layer(obj):
    match = re.search(r"[/\\]src[/\\]([a-z_]+)[/\\][^/\\]+$", obj)
    return match.group(1) if match and match.group(1) in LAYERS else None


def check_symbols(nm, objects):
    problems = []
    tables = {}
    for obj in objects:
        layer = object_layer(obj)
        if layer is None:
            problems.append(f"{obj}: object of no layer")
            continue
        tables[obj] = (layer, *nm_symbols(nm, obj))
    if not any(defined for _, defined, _ in tables.values()):
        problems.append("nm found no defined symbols in the objects (LTO objects?)")
    # Weak symbols (inline functions, templates) are defined wherever they are used, so
    # only a strong definition says where the code lives.
    definer = {}
    for obj, (layer, defined, _) in tables.items():
        for symbol in defined:
            definer[symbol] = (obj, layer)
    for obj, (layer, _, undefined) in tables.items():
        for symbol in sorted(undefined):
            if symbol not in definer:
                continue
            owner, owner_layer = definer[symbol]
            if owner_layer != layer and owner_layer not in LAYERS[layer]:
                problems.append(f"{os.path.basename(obj)} ({layer}) uses {symbol} from "
                                f"{os.path.basename(owner)} ({owner_layer})")
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", required=True)
    parser.add_argument("--nm")
    parser.add_argument("--objects", nargs="*", default=[])
    args = parser.parse_args()

    problems = check_includes(args.src)
    # CMake hands the objects over as one ;-separated list.
    objects = [o for arg in args.objects for o in arg.split(";") if o]
    if objects:
        problems += check_symbols(args.nm or "nm", objects)
    for p in problems:
        print(p)
    if problems:
        print(f"{len(problems)} layering problem(s)")
        return 1
    print(f"layers hold: includes of {args.src}"
          + (f" and symbols of {len(objects)} objects" if objects else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
