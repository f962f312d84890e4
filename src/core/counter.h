#pragma once

// A statistics counter that one thread writes and others read (relaxed).

#include <atomic>
#include <cstdint>

#include "core/compiler.h"

namespace litetrace::detail {

// Adds one to `counter`, which only the calling thread writes. On x86-64, one add to memory
// where a relaxed load and store take three instructions (compilers do not fuse atomic
// accesses): as atomic for the readers, as x86-64 stores an aligned 8 bytes at once (their
// loads see all of it or none). Elsewhere, and under ThreadSanitizer, the load and store.
inline void increment_single_writer(std::atomic<uint64_t>& counter) {
#if defined(__x86_64__) && defined(__GNUC__) && !defined(LITETRACE_TSAN)
  static_assert(sizeof(std::atomic<uint64_t>) == sizeof(uint64_t) && alignof(std::atomic<uint64_t>) == 8);
  __asm__ volatile("addq $1, %0" : "+m"(*reinterpret_cast<uint64_t*>(&counter)));
#else
  counter.store(counter.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
#endif
}

}  // namespace litetrace::detail
