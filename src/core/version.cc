#include "litetrace/version.h"

namespace litetrace {

const char* version() noexcept { return LITETRACE_VERSION_STRING; }

}  // namespace litetrace
