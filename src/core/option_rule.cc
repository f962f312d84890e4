#include "core/option_rule.h"

#include "core/compiler.h"
#include "core/diagnostic_reporter.h"
#include "core/text.h"

namespace litetrace::detail {

namespace {

// `error` appended to `errors`: into a new vector one longer, as an option's errors are
// few, rather than through std::vector's growth, built for speed for each element type.
LITETRACE_COLD void append(std::vector<std::string>& errors, std::string error) {
  std::vector<std::string> longer(errors.size() + 1);
  // Copied (copy_text), not swapped nor moved: the string's swap is one more import from the
  // C++ runtime, and its move assignment a function of its own in each source using it.
  for (size_t i = 0; i < errors.size(); ++i) copy_text(longer[i], errors[i]);
  copy_text(longer.back(), error);
  errors.swap(longer);
}

}  // namespace

LITETRACE_COLD void note_out_of_range(const char* name, size_t value, size_t min, size_t max, size_t fallback,
                                      std::vector<std::string>& errors) {
  append(errors, formatted("%s %zu is not from %zu to %zu; using %zu", name, value, min, max, fallback));
}

LITETRACE_COLD void note_out_of_range(const char* name, std::chrono::milliseconds value, std::chrono::milliseconds min,
                                      std::chrono::milliseconds max, std::chrono::milliseconds fallback,
                                      std::vector<std::string>& errors) {
  append(errors, formatted("%s %lld ms is not from %lld ms to %lld ms; using %lld ms", name,
                             static_cast<long long>(value.count()), static_cast<long long>(min.count()),
                             static_cast<long long>(max.count()), static_cast<long long>(fallback.count())));
}

LITETRACE_COLD void note_out_of_range(const char* name, double value, double min, double max, double fallback,
                                      std::vector<std::string>& errors) {
  append(errors, formatted("%s %g is not from %g to %g; using %g", name, value, min, max, fallback));
}

}  // namespace litetrace::detail
