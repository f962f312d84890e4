#pragma once

// The valid range of every numeric option, and the one rule for a value outside its
// range, wherever it came from (code, or an OTEL_* variable): the default is kept, and a
// kInvalidOption diagnostic says which value and why. The ranges are documented where the
// options are declared (trace.h, sampler.h).

#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace litetrace::detail {

constexpr size_t kMinRingBytes = 4096;
constexpr size_t kMaxRingBytes = size_t{1} << 30;
constexpr std::chrono::milliseconds kMaxFlushInterval{3600000};
constexpr size_t kMaxCountLimit = 65535;             // span counts are 16-bit in the record
constexpr size_t kMaxAttributeLengthLimit = 0xFFFFFFFF;  // value lengths are 32-bit
constexpr std::chrono::milliseconds kMinPollingInterval{1};
constexpr std::chrono::milliseconds kMaxPollingInterval{86400000};
constexpr std::chrono::milliseconds kMaxHttpTimeout{3600000};
constexpr size_t kMaxOperationsLimit = 100000;  // a table of 2x as many pointers

inline std::string option_text(size_t v) { return std::to_string(v); }
inline std::string option_text(std::chrono::milliseconds v) { return std::to_string(v.count()) + " ms"; }
inline std::string option_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

// `value` when it is in [min, max] (NaN never is); else `fallback`, and a line in `errors`.
template <typename T>
T in_range_or_default(const char* name, T value, T min, T max, T fallback, std::vector<std::string>& errors) {
  if (value >= min && value <= max) return value;
  errors.push_back(std::string(name) + " " + option_text(value) + " is not from " + option_text(min) + " to " +
                   option_text(max) + "; using " + option_text(fallback));
  return fallback;
}

}  // namespace litetrace::detail
