#include "core/plain_vector.h"

#include <new>

#include "core/compiler.h"

namespace litetrace::detail {

LITETRACE_COLD void* grow_plain_array(void* data, size_t used, size_t needed, size_t* capacity) {
  size_t bytes = *capacity * 2;
  if (bytes < needed) bytes = needed;
  void* grown = ::operator new(bytes);  // throws std::bad_alloc, as a vector's growth does
  if (used != 0) std::memcpy(grown, data, used);
  ::operator delete(data);
  *capacity = bytes;
  return grown;
}

}  // namespace litetrace::detail
