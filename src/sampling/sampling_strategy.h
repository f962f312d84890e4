#pragma once

// The sampling strategy a Jaeger agent or collector serves at /sampling?service=NAME, read
// from its JSON. Both generations of the format are accepted:
//   {"strategyType": 0, ...}                  integer enum (older servers, the agent's Thrift JSON)
//   {"strategyType": "PROBABILISTIC", ...}    string enum (api_v2 JSON, Jaeger v2.16+)
//   no strategyType                           the type follows from the object present
// and proto3 JSON's omitted zero values (a probabilisticSampling object with no
// samplingRate means a rate of 0).
//
// Thread: any; no shared state.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace litetrace::detail {

struct OperationStrategy {
  std::string operation;
  double probability = 0;
};

struct SamplingStrategy {
  enum class Type { kProbabilistic, kRateLimiting, kPerOperation };
  Type type = Type::kProbabilistic;
  double probability = 0;              // kProbabilistic
  double max_traces_per_second = 0;    // kRateLimiting
  double default_probability = 0;      // kPerOperation
  double default_lower_bound = 0;      // kPerOperation: traces a second each operation gets at least
  std::vector<OperationStrategy> operations;

  bool operator==(const SamplingStrategy& o) const;
  // For people: "probabilistic 0.5", "ratelimiting 10/s", "per-operation (3 operations, default 0.1, lower bound 0.5/s)".
  std::string describe() const;
};

// False, with the reason in `error`, when the JSON is malformed or a value is out of range
// (a probability outside [0, 1], a negative rate, an operation without a name).
bool parse_sampling_strategy(std::string_view json, SamplingStrategy& out, std::string* error);

}  // namespace litetrace::detail
