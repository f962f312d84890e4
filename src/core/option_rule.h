#pragma once

// The valid range of every numeric option, and the one rule for a value outside its
// range, wherever it came from (code, or an OTEL_* variable): the default is kept, and a
// kInvalidOption diagnostic says which value and why. The ranges are documented where the
// options are declared (trace.h, sampler.h).

#include <chrono>
#include <cstddef>
#include <cstdint>
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

// The line in `errors` for a value outside its range (option_rule.cc): out of line, so the
// checks of a provider's dozens of options stay a comparison each.
void note_out_of_range(const char* name, size_t value, size_t min, size_t max, size_t fallback,
                       std::vector<std::string>& errors);
void note_out_of_range(const char* name, std::chrono::milliseconds value, std::chrono::milliseconds min,
                       std::chrono::milliseconds max, std::chrono::milliseconds fallback,
                       std::vector<std::string>& errors);
void note_out_of_range(const char* name, double value, double min, double max, double fallback,
                       std::vector<std::string>& errors);

// `value` when it is in [min, max] (NaN never is); else `fallback`, and a line in `errors`.
template <typename T>
T in_range_or_default(const char* name, T value, T min, T max, T fallback, std::vector<std::string>& errors) {
  if (value >= min && value <= max) return value;
  note_out_of_range(name, value, min, max, fallback, errors);
  return fallback;
}

}  // namespace litetrace::detail
