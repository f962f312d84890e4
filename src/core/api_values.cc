// The public API's plain values that lower layers use: SpanContext's hex forms
// (propagation writes them), SamplerType's names (the Jaeger mapping tags spans with
// them) and TracerProviderOptions' construction, copies and destruction (the environment
// fills options in). They depend on nothing, so they live in the base rather than beside
// the tracer and the samplers, which sit higher.

#include "core/compiler.h"
#include "core/text.h"
#include "litetrace/sampler.h"
#include "litetrace/trace.h"

namespace litetrace {

std::string SpanContext::trace_id_hex() const {
  std::string s;
  detail::append_hex(s, trace_id.high, 16);
  detail::append_hex(s, trace_id.low, 16);
  return s;
}

std::string SpanContext::span_id_hex() const {
  std::string s;
  detail::append_hex(s, span_id, 16);
  return s;
}

const char* to_string(SamplerType type) noexcept {
  switch (type) {
    case SamplerType::kNone: return "";
    case SamplerType::kConst: return "const";
    case SamplerType::kProbabilistic: return "probabilistic";
    case SamplerType::kRateLimiting: return "ratelimiting";
    case SamplerType::kLowerBound: return "lowerbound";
  }
  return "";
}

// Out of line and cold (trace.h says why).
LITETRACE_COLD TracerProviderOptions::TracerProviderOptions() = default;
LITETRACE_COLD TracerProviderOptions::~TracerProviderOptions() = default;
LITETRACE_COLD TracerProviderOptions::TracerProviderOptions(const TracerProviderOptions& other) = default;
LITETRACE_COLD TracerProviderOptions::TracerProviderOptions(TracerProviderOptions&& other) noexcept = default;
LITETRACE_COLD TracerProviderOptions& TracerProviderOptions::operator=(const TracerProviderOptions& other) = default;
LITETRACE_COLD TracerProviderOptions& TracerProviderOptions::operator=(TracerProviderOptions&& other) noexcept =
    default;

}  // namespace litetrace
