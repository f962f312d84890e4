"""Apache Thrift as the independent judge of litetrace's datagrams.

Gets the official Jaeger IDL from the npm package jaeger-client@3.19.0 (it ships it under
package/dist/src/jaeger-idl/thrift/), generates Python code from it with Debian's
thrift-compiler, and decodes datagrams with Debian's python3-thrift (TCompactProtocol),
exactly as the receiving side of Jaeger decodes them. Everything is cached in the build
tree, so only the first run needs the npm registry.

When a tool is missing the caller is told how to install it; tests then exit with
SKIP_CODE, or fail when LITETRACE_REQUIRE_CONFORMANCE=1 (as .ci/run sets it).
"""

import os
import shutil
import struct
import subprocess
import sys
import tarfile

SKIP_CODE = 77
IDL_PACKAGE = "jaeger-client@3.19.0"
IDL_DIR_IN_PACKAGE = "package/dist/src/jaeger-idl/thrift/"
INSTALL_HINT = "apt-get install thrift-compiler python3-thrift npm"


class Missing(Exception):
    pass


def skip_or_fail(reason, hint=INSTALL_HINT):
    required = os.environ.get("LITETRACE_REQUIRE_CONFORMANCE") == "1"
    print(("FAILED (required)" if required else "SKIPPED") + ": " + reason +
          "\n  install with: " + hint, flush=True)
    sys.exit(1 if required else SKIP_CODE)


def prepare(cache_dir):
    """Returns the directory of the generated Python code, making it if needed."""
    gen_dir = os.path.join(cache_dir, "gen-py")
    if os.path.exists(os.path.join(gen_dir, "agent", "Agent.py")):
        return gen_dir
    try:
        import thrift  # noqa: F401  (python3-thrift)
    except ImportError:
        raise Missing("python3-thrift is not importable by " + sys.executable)
    for tool in ("thrift", "npm"):
        if shutil.which(tool) is None:
            raise Missing(tool + " is not on PATH")
    os.makedirs(cache_dir, exist_ok=True)
    idl_dir = os.path.join(cache_dir, "idl")
    tarball = os.path.join(cache_dir, "jaeger-client-3.19.0.tgz")
    if not os.path.exists(tarball):
        subprocess.run(["npm", "pack", IDL_PACKAGE, "--pack-destination", cache_dir, "--silent"],
                       check=True, stdout=subprocess.DEVNULL)
    with tarfile.open(tarball) as tar:
        members = [m for m in tar.getmembers()
                   if m.name.startswith(IDL_DIR_IN_PACKAGE) and m.name.endswith(".thrift")]
        if not members:
            raise Missing("no IDL in " + tarball)
        os.makedirs(idl_dir, exist_ok=True)
        for m in members:
            m.name = os.path.basename(m.name)
            tar.extract(m, idl_dir)
    tmp = gen_dir + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    subprocess.run(["thrift", "-r", "--gen", "py", "-out", tmp, "-I", idl_dir,
                    os.path.join(idl_dir, "agent.thrift")], check=True)
    shutil.rmtree(gen_dir, ignore_errors=True)
    os.rename(tmp, gen_dir)
    return gen_dir


def load(cache_dir):
    try:
        gen_dir = prepare(cache_dir)
    except Missing as e:
        skip_or_fail(str(e))
    except (subprocess.CalledProcessError, OSError) as e:
        skip_or_fail("could not fetch or compile the Jaeger IDL: " + str(e))
    sys.path.insert(0, gen_dir)
    return Judge()


class Judge:
    def __init__(self):
        from thrift.Thrift import TMessageType
        from thrift.protocol import TBinaryProtocol, TCompactProtocol
        from thrift.transport import TTransport
        from agent import Agent
        from jaeger import ttypes
        self.TMessageType = TMessageType
        self.TCompactProtocol = TCompactProtocol
        self.TBinaryProtocol = TBinaryProtocol
        self.TTransport = TTransport
        self.Agent = Agent
        self.ttypes = ttypes

    def decode(self, data, allow_call=False, binary=False):
        """Decodes one datagram as Jaeger's agent does (compact protocol on 6831, binary on
        6832, strictly: a binary message must carry the protocol version); raises
        AssertionError on anything Jaeger would reject or that a careful reader would call
        malformed."""
        trans = self.TTransport.TMemoryBuffer(data)
        if binary:
            proto = self.TBinaryProtocol.TBinaryProtocol(trans, strictRead=True)
        else:
            proto = self.TCompactProtocol.TCompactProtocol(trans)
        name, mtype, seqid = proto.readMessageBegin()
        assert name == "emitBatch", "method %r" % name
        allowed = (self.TMessageType.ONEWAY, self.TMessageType.CALL) if allow_call else (self.TMessageType.ONEWAY,)
        assert mtype in allowed, "message type %d" % mtype
        args = self.Agent.emitBatch_args()
        args.read(proto)
        proto.readMessageEnd()
        left = len(data) - trans._buffer.tell()
        assert left == 0, "%d bytes left over after the message" % left
        assert args.batch is not None, "no batch"
        validate(args.batch)
        return args.batch

    def decode_batch(self, body):
        """Decodes a bare Batch struct in the binary protocol, as Jaeger's collector reads the
        body of POST /api/traces; no byte may be left over, every struct must validate()."""
        trans = self.TTransport.TMemoryBuffer(body)
        batch = self.ttypes.Batch()
        batch.read(self.TBinaryProtocol.TBinaryProtocol(trans, strictRead=True))
        left = len(body) - trans._buffer.tell()
        assert left == 0, "%d bytes left over after the Batch" % left
        validate(batch)
        return batch

    def batch_extras(self, data, binary=False):
        """Batch.seqNo (3) and Batch.stats (4) are newer than the IDL in the npm package,
        so the generated code skips them; read them with Thrift's protocol reader directly.
        Returns (seqNo, (fullQueueDroppedSpans, tooLargeDroppedSpans, failedToEmitSpans))."""
        from thrift.Thrift import TType
        trans = self.TTransport.TMemoryBuffer(data)
        proto = (self.TBinaryProtocol.TBinaryProtocol(trans, strictRead=True) if binary
                 else self.TCompactProtocol.TCompactProtocol(trans))
        proto.readMessageBegin()
        proto.readStructBegin()
        seq_no, stats = None, None
        while True:
            _, ftype, fid = proto.readFieldBegin()
            if ftype == TType.STOP:
                break
            if fid != 1:
                proto.skip(ftype)
                proto.readFieldEnd()
                continue
            assert ftype == TType.STRUCT
            proto.readStructBegin()
            while True:
                _, btype, bid = proto.readFieldBegin()
                if btype == TType.STOP:
                    break
                # Python Thrift's generic skip() reads binary as UTF-8 text; read the
                # known fields with the generated code instead.
                if bid == 1 and btype == TType.STRUCT:
                    self.ttypes.Process().read(proto)
                elif bid == 2 and btype == TType.LIST:
                    _, size = proto.readListBegin()
                    for _ in range(size):
                        self.ttypes.Span().read(proto)
                    proto.readListEnd()
                elif bid == 3:
                    assert btype == TType.I64, "Batch.seqNo has type %d" % btype
                    seq_no = proto.readI64()
                elif bid == 4:
                    assert btype == TType.STRUCT, "Batch.stats has type %d" % btype
                    proto.readStructBegin()
                    values = {}
                    while True:
                        _, stype, sid = proto.readFieldBegin()
                        if stype == TType.STOP:
                            break
                        assert stype == TType.I64, "ClientStats field %d has type %d" % (sid, stype)
                        values[sid] = proto.readI64()
                        proto.readFieldEnd()
                    proto.readStructEnd()
                    assert sorted(values) == [1, 2, 3], "ClientStats fields %r" % sorted(values)
                    stats = (values[1], values[2], values[3])
                else:
                    proto.skip(btype)
                proto.readFieldEnd()
            proto.readStructEnd()
            proto.readFieldEnd()
        return seq_no, stats

    def span_size(self, span, binary=False):
        """The encoding size of one Span as Apache Thrift writes it."""
        trans = self.TTransport.TMemoryBuffer()
        span.write(self.TBinaryProtocol.TBinaryProtocol(trans) if binary else self.TCompactProtocol.TCompactProtocol(trans))
        return len(trans.getvalue())


def validate(obj):
    """validate() checks one struct's required fields; walk the whole tree."""
    obj.validate()
    for value in vars(obj).values():
        if hasattr(value, "validate"):
            validate(value)
        elif isinstance(value, list):
            for v in value:
                if hasattr(v, "validate"):
                    validate(v)


# ---- canonical forms, matching conformance_emitter.cc ----

def hexs(s):
    return (s.encode("utf-8") if isinstance(s, str) else s).hex()


def tag(t):
    values = {0: t.vStr, 1: t.vDouble, 2: t.vBool, 3: t.vLong, 4: t.vBinary}
    assert t.vType in values, "vType %r" % t.vType
    present = [k for k, v in values.items() if v is not None]
    assert present == [t.vType], "tag %r carries values %r for vType %d" % (t.key, present, t.vType)
    v = values[t.vType]
    if t.vType in (0, 4):
        v = hexs(v)
    elif t.vType == 1:
        v = struct.pack("<d", v).hex()
    return [hexs(t.key), t.vType, v]


def span(s):
    return {
        "traceIdLow": s.traceIdLow, "traceIdHigh": s.traceIdHigh, "spanId": s.spanId,
        "parentSpanId": s.parentSpanId, "operationName": hexs(s.operationName),
        "references": [[r.refType, r.traceIdLow, r.traceIdHigh, r.spanId] for r in (s.references or [])],
        "flags": s.flags, "startTime": s.startTime, "duration": s.duration,
        "tags": [tag(t) for t in (s.tags or [])],
        "logs": [[log.timestamp, [tag(f) for f in log.fields]] for log in (s.logs or [])],
    }


def process(p):
    return {"serviceName": hexs(p.serviceName), "tags": [tag(t) for t in (p.tags or [])]}
