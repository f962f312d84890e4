#!/usr/bin/env python3
"""The README's plain-Makefile way, as it is written there: the Makefile block under the
"consumer.make" marker is copied into an empty project with litetrace vendored in
third_party/litetrace and a main.cc, built with make, and the program run."""

import argparse
import os
import re
import shutil
import subprocess
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--source", required=True)
    ap.add_argument("--work", required=True)
    a = ap.parse_args()
    with open(os.path.join(a.source, "README.md"), encoding="utf-8") as f:
        readme = f.read()
    m = re.search(r"<!-- consumer\.make [^>]*-->\n```make\n(.*?)```", readme, re.S)
    assert m, "README.md has no Makefile block under the consumer.make marker"
    makefile = m.group(1)
    shutil.rmtree(a.work, ignore_errors=True)
    os.makedirs(os.path.join(a.work, "third_party"))
    os.symlink(os.path.abspath(a.source), os.path.join(a.work, "third_party", "litetrace"))
    with open(os.path.join(a.work, "Makefile"), "w") as f:
        f.write(makefile)
    shutil.copy(os.path.join(a.source, "tests", "consumers", "consumer.cc"), os.path.join(a.work, "main.cc"))
    jobs = str(os.cpu_count() or 2)
    build = subprocess.run(["make", "-j", jobs, "my_service"], cwd=a.work, capture_output=True, text=True)
    print(build.stdout[-3000:], build.stderr[-3000:])
    assert build.returncode == 0, "make failed"
    run = subprocess.run([os.path.join(a.work, "my_service")], capture_output=True, text=True, timeout=120)
    print(run.stdout, run.stderr)
    assert run.returncode == 0, "my_service failed"
    print("the README's Makefile builds and runs a program\nPASSED")


if __name__ == "__main__":
    sys.exit(main())
