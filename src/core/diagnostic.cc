#include "litetrace/diagnostic.h"

namespace litetrace {

const char* to_string(DiagnosticCode code) noexcept {
  // The names in the enum's order, each ended by its NUL, then "unknown": the code's name is
  // found by skipping as many (a switch made a jump table and a load per case, 0.3 KB of a
  // lean program more).
  static constexpr char kNames[] =
      "invalid option\0agent unresolved\0agent address changed\0send failed\0packet size lowered\0"
      "span trimmed\0span too large\0sampling strategy failed\0sampling strategy changed\0clock source\0"
      "out of memory\0export failed\0export rejected\0unknown";
  constexpr unsigned kNamed = static_cast<unsigned>(DiagnosticCode::kExportRejected) + 1;
  unsigned skip = static_cast<unsigned>(code);
  if (skip > kNamed) skip = kNamed;
  const char* name = kNames;
  for (; skip != 0; --skip) {
    while (*name++ != '\0') {
    }
  }
  return name;
}

}  // namespace litetrace
