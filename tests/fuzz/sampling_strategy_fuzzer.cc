// libFuzzer target for what the remote sampler reads from the network: the JSON reader and
// the sampling-strategy format on top of it.
//
// Properties beyond "no crash, no UB, no runaway recursion": a strategy that parses has
// its probabilities in [0, 1] and its rates at or above 0, as the sampler relies on.

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/json_reader.h"
#include "sampling/sampling_strategy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  litetrace::detail::JsonValue value;
  std::string error;
  if (!litetrace::detail::parse_json(text, value, &error) && error.empty()) std::abort();

  litetrace::detail::SamplingStrategy s;
  if (!litetrace::detail::parse_sampling_strategy(text, s, &error)) return 0;
  const auto probability = [](double p) { return p >= 0 && p <= 1; };
  if (!probability(s.probability) || !probability(s.default_probability) || !(s.max_traces_per_second >= 0) ||
      !(s.default_lower_bound >= 0)) {
    std::abort();
  }
  for (const auto& op : s.operations) {
    if (op.operation.empty() || !probability(op.probability)) std::abort();
  }
  (void)s.describe();
  return 0;
}
