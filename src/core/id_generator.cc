#include "core/id_generator.h"

#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include <chrono>
#if defined(__linux__)
#include <sys/random.h>
#endif

#include "core/compiler.h"

namespace litetrace::detail {

// From 1: a generator's 0 means never seeded. An all-zero generator keeps the thread's
// context (t_context) in .tbss, which takes no room in the program file.
std::atomic<uint64_t> g_fork_generation{1};

namespace {

LITETRACE_COLD void on_fork_child() { g_fork_generation.fetch_add(1, std::memory_order_relaxed); }

LITETRACE_COLD uint64_t os_entropy() {
  uint64_t v = 0;
#if defined(__linux__)
  if (getrandom(&v, sizeof v, 0) == static_cast<ssize_t>(sizeof v)) return v;
#endif
  const int fd = ::open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    const ssize_t n = ::read(fd, &v, sizeof v);
    ::close(fd);
    if (n == static_cast<ssize_t>(sizeof v)) return v;
  }
  // Last resort: time, pid and a stack address differ between threads and processes. (The
  // steady clock, which the library links anyway: the system clock's would be one more
  // imported symbol in every program.)
  return static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) ^
         (static_cast<uint64_t>(::getpid()) << 32) ^ reinterpret_cast<uintptr_t>(&v);
}

}  // namespace

LITETRACE_COLD LITETRACE_NOINLINE uint64_t IdGenerator::next_cold() noexcept { return next_unchecked(); }

LITETRACE_COLD void IdGenerator::reseed() noexcept {
  // Once per process. By pthread_once: std::call_once imports four more symbols from the C
  // and C++ runtimes, a guarded static three (for every one in the library), which a lean
  // program pays for in its size.
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, [] { pthread_atfork(nullptr, nullptr, on_fork_child); });
  generation_ = g_fork_generation.load(std::memory_order_relaxed);
  state_ = os_entropy();
}

}  // namespace litetrace::detail
