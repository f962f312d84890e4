#pragma once

// Delivers Diagnostics to the application's callback (or to stderr when it set none),
// at most once per second per code for the ones that can repeat with every packet, so a
// dead agent produces a line a second, not ten thousand. What was held back is counted
// and mentioned in the next report of that code.
//
// Thread: one thread only (the batcher, or the remote sampler's poller, each with its own
// reporter); the callback runs on it.

#include <array>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "litetrace/diagnostic.h"

namespace litetrace::detail {

// strerror() without its shared buffer (the batcher reports while applications may call
// strerror themselves).
std::string errno_text(int err);

// printf into a string: a diagnostic's text in one call, where a chain of string
// concatenations would inline a copy of the string code at every `+`.
#if defined(__GNUC__)
__attribute__((format(printf, 1, 2)))
#endif
std::string formatted(const char* format, ...);

class DiagnosticReporter {
 public:
  explicit DiagnosticReporter(DiagnosticCallback callback,
                              std::chrono::milliseconds min_interval = std::chrono::seconds(1));

  void report(DiagnosticCode code, std::string_view message);
  // report(code, formatted(format, ...)) without the string between them: each call site
  // then carries neither its construction nor its destruction.
#if defined(__GNUC__)
  __attribute__((format(printf, 3, 4)))
#endif
  void report_formatted(DiagnosticCode code, const char* format, ...);
  uint64_t reported() const { return reported_; }

 private:
  // The last code + 1. A code past it (one added without updating this) is never held
  // back rather than read out of bounds.
  static constexpr size_t kCodes = static_cast<size_t>(DiagnosticCode::kExportRejected) + 1;
  struct PerCode {
    std::chrono::steady_clock::time_point last{};
    uint64_t held_back = 0;
    bool ever = false;
  };

  DiagnosticCallback callback_;
  std::chrono::milliseconds min_interval_;
  std::array<PerCode, kCodes> codes_{};
  uint64_t reported_ = 0;
};

}  // namespace litetrace::detail
