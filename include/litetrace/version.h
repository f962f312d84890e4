#pragma once

// The single source of litetrace's version; CMakeLists.txt parses these lines.
#define LITETRACE_VERSION_MAJOR 0
#define LITETRACE_VERSION_MINOR 1
#define LITETRACE_VERSION_PATCH 0

#define LITETRACE_STRINGIFY_(x) #x
#define LITETRACE_STRINGIFY(x) LITETRACE_STRINGIFY_(x)
#define LITETRACE_VERSION_STRING                     \
  LITETRACE_STRINGIFY(LITETRACE_VERSION_MAJOR)       \
  "." LITETRACE_STRINGIFY(LITETRACE_VERSION_MINOR) \
  "." LITETRACE_STRINGIFY(LITETRACE_VERSION_PATCH)

namespace litetrace {

// The library's version as "MAJOR.MINOR.PATCH" (what the library was built as, which may
// differ from the header a consumer compiles against when it is linked as a shared library).
const char* version() noexcept;

}  // namespace litetrace
