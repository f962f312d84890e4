// libFuzzer targets for the propagation parsers, one executable per format (the build
// defines LITETRACE_FUZZ_FORMAT as 1 = W3C Trace Context, 2 = W3C Baggage, 3 = Jaeger,
// 4 = B3). The input is the format's header values separated by '\n'.
//
// Properties checked beyond "no crash, no UB":
//  - a header that does not parse leaves the context exactly as it was;
//  - what parses, injected again and extracted again, gives back the same context,
//    trace state and baggage.

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "litetrace/propagation.h"

namespace {

using litetrace::PropagationContext;
using litetrace::SpanContext;
using Headers = std::vector<std::pair<std::string, std::string>>;

#if LITETRACE_FUZZ_FORMAT == 1
const litetrace::W3CTraceContextPropagator kPropagator;
const char* const kNames[] = {"traceparent", "tracestate"};
#elif LITETRACE_FUZZ_FORMAT == 2
const litetrace::W3CBaggagePropagator kPropagator;
const char* const kNames[] = {"baggage"};
#elif LITETRACE_FUZZ_FORMAT == 3
const litetrace::JaegerPropagator kPropagator;
const char* const kNames[] = {"uber-trace-id", "uberctx-a", "UberCtx-B", "uberctx-a-b"};
#elif LITETRACE_FUZZ_FORMAT == 4
const litetrace::B3Propagator kPropagator;
const litetrace::B3Propagator kMultiPropagator(litetrace::B3Propagator::Encoding::kMultiHeader);
const char* const kNames[] = {"b3", "x-b3-traceid", "x-b3-spanid", "x-b3-parentspanid", "x-b3-sampled", "x-b3-flags"};
#else
#error "LITETRACE_FUZZ_FORMAT must be 1 to 4"
#endif

void check(bool ok) {
  if (!ok) std::abort();
}

bool same_span(const SpanContext& a, const SpanContext& b) {
  return a.trace_id == b.trace_id && a.span_id == b.span_id && a.flags == b.flags && a.remote == b.remote;
}

void round_trip(const litetrace::Propagator& propagator, const PropagationContext& got) {
  Headers again;
  litetrace::inject_into(propagator, got, again);
  const PropagationContext back = litetrace::extract_from(propagator, again);
  check(same_span(back.span_context, got.span_context));
  check(back.trace_state == got.trace_state);
  check(back.baggage == got.baggage);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  Headers headers;
  for (const char* name : kNames) {
    if (input.empty()) break;
    const size_t nl = input.find('\n');
    headers.emplace_back(name, std::string(input.substr(0, nl)));
    input.remove_prefix(nl == std::string_view::npos ? input.size() : nl + 1);
  }

  const PropagationContext got = litetrace::extract_from(kPropagator, headers);
  if (!got.span_context.valid()) {
    check(same_span(got.span_context, SpanContext{}));
    check(got.trace_state.empty());
  } else {
    check(got.span_context.remote);
  }
  round_trip(kPropagator, got);
#if LITETRACE_FUZZ_FORMAT == 4
  round_trip(kMultiPropagator, got);
#endif
  return 0;
}
