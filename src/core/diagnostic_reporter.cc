#include "core/diagnostic_reporter.h"

#include <algorithm>
#include <climits>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <string>

#include "core/compiler.h"
#include "core/text.h"

namespace litetrace::detail {

namespace {
// strerror_r comes in two flavours; overloads pick whichever this libc has.
[[maybe_unused]] const char* strerror_result(int rc, const char* buf) { return rc == 0 ? buf : "unknown error"; }
[[maybe_unused]] const char* strerror_result(const char* text, const char*) { return text; }
}  // namespace

LITETRACE_COLD std::string errno_text(int err) {
  char buf[128] = {};
  return strerror_result(strerror_r(err, buf, sizeof buf), buf);
}

namespace {

// printf of `format` into `buf` when it fits, else into `spill`; the text, wherever it is.
// `args` is read twice when the text does not fit: the caller starts it, and starts
// `again` as well.
std::string_view format_into(char (&buf)[512], std::string& spill, const char* format, std::va_list args,
                             std::va_list again) {
  const int n = std::vsnprintf(buf, sizeof buf, format, args);
  if (n < 0) return format;
  if (static_cast<size_t>(n) < sizeof buf) return {buf, static_cast<size_t>(n)};
  spill = std::string(static_cast<size_t>(n), '\0');  // not resize(): not imported by every program
  std::vsnprintf(spill.data(), spill.size() + 1, format, again);
  return spill;
}

// A length for printf's "%.*s".
int clamped_length(std::string_view text) { return static_cast<int>(std::min<size_t>(text.size(), INT_MAX)); }

}  // namespace

LITETRACE_COLD std::string formatted(const char* format, ...) {
  char buf[512];
  std::string out;
  std::va_list args;
  std::va_list again;
  va_start(args, format);
  va_start(again, format);
  const std::string_view text = format_into(buf, out, format, args, again);
  va_end(again);
  va_end(args);
  if (text.data() != out.data()) copy_text(out, text);
  return out;
}

LITETRACE_COLD DiagnosticReporter::DiagnosticReporter(DiagnosticCallback callback,
                                                      std::chrono::milliseconds min_interval)
    : callback_(std::move(callback)), min_interval_(min_interval) {}

LITETRACE_COLD void DiagnosticReporter::report(DiagnosticCode code, std::string_view message) {
  PerCode unknown;
  PerCode& c = static_cast<size_t>(code) < kCodes ? codes_[static_cast<size_t>(code)] : unknown;
  const auto now = std::chrono::steady_clock::now();
  // Option problems are said once each at start-up; never hold one back.
  const bool throttled = code != DiagnosticCode::kInvalidOption && &c != &unknown;
  if (throttled && c.ever && now - c.last < min_interval_) {
    ++c.held_back;
    return;
  }
  // Formatted whole, not appended to: no import of the string's append for this alone.
  std::string text = c.held_back == 0
                         ? formatted("%.*s", clamped_length(message), message.data())
                         : formatted("%.*s (%llu more like this since the last report)", clamped_length(message),
                                     message.data(), static_cast<unsigned long long>(c.held_back));
  c.held_back = 0;
  c.last = now;
  c.ever = true;
  ++reported_;
  if (callback_) {
    callback_(Diagnostic{code, text});
  } else {
    // Straight to descriptor 2, which is unbuffered stderr's: no import of the stream's object.
    ::dprintf(2, "litetrace: %s: %s\n", to_string(code), text.c_str());
  }
}

LITETRACE_COLD void DiagnosticReporter::report_formatted(DiagnosticCode code, const char* format, ...) {
  char buf[512];
  std::string spill;
  std::va_list args;
  std::va_list again;
  va_start(args, format);
  va_start(again, format);
  const std::string_view text = format_into(buf, spill, format, args, again);
  va_end(again);
  va_end(args);
  report(code, text);
}

}  // namespace litetrace::detail
