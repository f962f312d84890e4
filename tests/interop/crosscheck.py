"""What the cross-checks with the OpenTelemetry JS SDK share: installing the pinned JS peer,
and judging the differences between its spans and litetrace's."""

import hashlib
import json
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "conformance"))
import thrift_judge  # noqa: E402

JS_DIR = os.path.join(HERE, "js")
JS_FILES = ("package.json", "package-lock.json", "scenario.js", "jaeger_peer.js", "otlp_peer.js", "zipkin_peer.js")
NPM_HINT = ("Node.js and npm (Debian: apt-get install nodejs npm); the test installs the "
            "pinned packages itself with `npm ci` from tests/interop/js/package-lock.json")


def prepare_js(cache):
    """npm ci into the build tree's cache, once per lockfile; returns the peer's directory."""
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            thrift_judge.skip_or_fail(tool + " is not on PATH", NPM_HINT)
    dest = os.path.join(cache, "js-peer")
    digest = hashlib.sha256()
    for name in ("package.json", "package-lock.json"):
        with open(os.path.join(JS_DIR, name), "rb") as f:
            digest.update(f.read())
    stamp = os.path.join(dest, "installed.sha256")
    installed = os.path.exists(stamp) and open(stamp).read() == digest.hexdigest()
    os.makedirs(dest, exist_ok=True)
    for name in JS_FILES:
        shutil.copyfile(os.path.join(JS_DIR, name), os.path.join(dest, name))
    if not installed:
        p = subprocess.run(["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"], cwd=dest,
                           capture_output=True, text=True, timeout=900)
        if p.returncode != 0:
            thrift_judge.skip_or_fail("npm ci failed (is the npm registry reachable?):\n" + p.stderr[-2000:],
                                      NPM_HINT)
        with open(stamp, "w") as f:
            f.write(digest.hexdigest())
    return dest



class Diff:
    """One field of one span where litetrace and the JS peer differ."""

    def __init__(self, span, what, ours, theirs):
        self.span, self.what, self.ours, self.theirs = span, what, ours, theirs

    def __str__(self):
        return "%-16s %-28s litetrace %-40s js %s" % (self.span, self.what, short(self.ours), short(self.theirs))


def short(v):
    text = "-" if v is None else str(v)
    return text if len(text) <= 70 else text[:67] + "..."


def js_join(json_list):
    """What the JS exporters write for an array litetrace writes as this JSON list: the
    elements as JavaScript's String() gives them, joined by commas (Array.prototype.toString);
    None when it is not a list."""
    try:
        items = json.loads(json_list)
    except (TypeError, ValueError):
        return None
    if not isinstance(items, list):
        return None

    def js_string(e):
        if isinstance(e, bool):
            return "true" if e else "false"
        if isinstance(e, float) and e.is_integer() and abs(e) < 1e21:
            return str(int(e))
        return str(e)
    return ",".join(js_string(e) for e in items)


def judge_differences(diffs, table, readme_path, count):
    """Explains each difference by the first rule of `table` that matches, prints them all
    and the rules, and fails (returns 1) on a difference no rule explains or on a choice of
    litetrace's the README does not state. Shared by the Jaeger and the OTLP cross-checks."""
    with open(readme_path, encoding="utf-8") as f:
        readme = f.read()
    unexplained, used = [], {}
    for d in diffs:
        rule = next((r for r in table if r[4](d)), None)
        print("%-24s %s" % (rule[0] if rule else "UNEXPLAINED", d))
        if rule is None:
            unexplained.append(d)
        else:
            used[rule[0]] = rule
    print()
    for name, whose, why, _, _ in table:
        seen = "seen" if name in used else "not seen in this scenario"
        print("%-24s %-5s %s (%s)" % (name, whose, why, seen))
    missing_docs = [r for r in used.values() if r[1] == "ours" and r[3] not in readme]
    for r in missing_docs:
        print("FAIL: difference %r is litetrace's choice but README.md does not say %r" % (r[0], r[3]))
    for d in unexplained:
        print("FAIL: unexplained difference: %s" % d)
    if unexplained or missing_docs:
        return 1
    print("\n%d spans each; every difference is a known JS deviation or documented in README.md" % count)
    return 0
