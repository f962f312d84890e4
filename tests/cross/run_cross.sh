#!/usr/bin/env bash
# Cross-builds litetrace for one ARM target with Debian's cross compilers, warnings as
# errors (the library, the tests, GoogleTest from Debian's googletest sources, the tools
# and the demos), then runs under qemu-user a named, deterministic subset of the tests and
# both demos, whose datagrams Apache Thrift judges. Emulation is slow, and threads there do
# not keep time: the tests that measure time, load or scheduling, fork, or spawn processes
# are left to the native run.
#
#   tests/cross/run_cross.sh aarch64-linux-gnu|arm-linux-gnueabihf NATIVE_BUILD_DIR
#
# NATIVE_BUILD_DIR is a native build whose tests have fetched the Jaeger IDL (its
# conformance-cache). Needs: g++-TRIPLE, qemu-user, googletest, thrift (.ci/run installs them).
set -euo pipefail
triple=$1
native=$2
case $triple in
  aarch64-linux-gnu) qemu=qemu-aarch64 ;;
  arm-linux-gnueabihf) qemu=qemu-arm ;;
  *) echo "unknown target $triple" >&2; exit 2 ;;
esac
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$root/build-$triple
started=$(date +%s)

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_TOOLCHAIN_FILE="$root/cmake/toolchains/$triple.cmake" \
  -DLITETRACE_WARNINGS_AS_ERRORS=ON -DLITETRACE_BUILD_BENCH=OFF \
  -DLITETRACE_GTEST_SOURCE_DIR=/usr/src/googletest
cmake --build "$build"

# Wire formats (golden bytes, encoders, decoders, packet sizing), parsers, propagation,
# samplers, the clock's conversions on simulated clocks, and the tracer's single-threaded
# tests (they wait for flushes, never for time).
subset='^(CompactWriter|BinaryWriter|BinaryReader|ProtoWriter|ProtoReader|OtlpEncoder|OtlpJson|Utf8|JsonText'
subset+='|CompactReader|JaegerEncoder|JaegerDecoder|PacketBuilder|SpanTrimmer|Propagation[A-Za-z]*|Sampler'
subset+='|JsonReader|SamplingStrategy|Environment|TickConverter|ApiValues|CApi|Tracer|PlainVector|Inputs/CompactReaderMalformed|RecordEncoder|RecordNormalizer'
subset+='|Sizes/PacketLimits)\.'
ctest --test-dir "$build" -R "$subset" -E 'Fork' --output-on-failure -j2

emulator="$qemu -L /usr/$triple"
python=/usr/bin/python3
"$python" "$root/tests/conformance/demo_judge.py" --demo "$build/examples/single_span_demo" --scope single_span_demo \
  --emulator "$emulator" --cache "$native/conformance-cache"
"$python" "$root/tests/conformance/demo_judge.py" --demo "$build/examples/c_demo" --scope c_demo \
  --emulator "$emulator" --cache "$native/conformance-cache"
echo "$triple: built and checked under $qemu in $(( $(date +%s) - started )) s"
