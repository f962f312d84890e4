#include "transport/resolver.h"

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <new>
#include <utility>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <unistd.h>

#include "core/compiler.h"
#include "core/diagnostic_reporter.h"  // errno_text, formatted
#include "core/raw_array.h"  // kNoThrow
#include "core/text.h"

namespace litetrace::detail {

LITETRACE_COLD bool resolve_with_getaddrinfo(const std::string& host, uint16_t port, std::vector<SocketAddress>* out,
                                             std::string* error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  hints.ai_flags = AI_NUMERICSERV;
  // The port as decimal digits (AI_NUMERICSERV), written here: std::to_string(), and
  // write_decimal() (core/json_text.h, which a lean program does not link), bring a table of
  // digit pairs for this one use.
  char service[6];
  char* digits = service + sizeof service;
  *--digits = '\0';
  unsigned rest = port;
  do {
    *--digits = static_cast<char>('0' + rest % 10);
    rest /= 10;
  } while (rest != 0);
  addrinfo* found = nullptr;
  const int rc = getaddrinfo(host.c_str(), digits, &hints, &found);
  if (rc != 0) {
    *error = rc == EAI_SYSTEM ? errno_text(errno) : gai_strerror(rc);
    return false;
  }
  size_t n = 0;
  for (const addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) n += ai->ai_addrlen <= sizeof(sockaddr_storage);
  std::vector<SocketAddress> all(n);  // sized once: no vector growth linked for it
  n = 0;
  for (const addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
    if (ai->ai_addrlen > sizeof(sockaddr_storage)) continue;
    std::memcpy(&all[n].storage, ai->ai_addr, ai->ai_addrlen);
    all[n++].length = ai->ai_addrlen;
  }
  freeaddrinfo(found);
  *out = std::move(all);
  if (out->empty()) *error = "no address";
  return !out->empty();
}

LITETRACE_COLD bool parse_numeric_address(const std::string& host, uint16_t port, SocketAddress* out) {
  SocketAddress a;
  auto* in = reinterpret_cast<sockaddr_in*>(&a.storage);
  auto* in6 = reinterpret_cast<sockaddr_in6*>(&a.storage);
  if (::inet_pton(AF_INET, host.c_str(), &in->sin_addr) == 1) {
    in->sin_family = AF_INET;
    in->sin_port = htons(port);
    a.length = sizeof(sockaddr_in);
  } else if (::inet_pton(AF_INET6, host.c_str(), &in6->sin6_addr) == 1) {
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(port);
    a.length = sizeof(sockaddr_in6);
  } else {
    return false;
  }
  *out = a;
  return true;
}

struct Lookup::State {
  std::atomic<int> references{1};
  Resolver resolver;
  std::string host;
  uint16_t port = 0;

  std::mutex mutex;
  std::condition_variable answered;
  bool done = false;  // the fields below are final once this is set
  bool ok = false;
  std::vector<SocketAddress> addresses;
  std::string error;

  LITETRACE_COLD void finish(bool result, std::string why) {
    std::lock_guard<std::mutex> lock(mutex);
    ok = result;
    copy_text(error, why);  // a move assignment would be a function of its own here
    done = true;
    answered.notify_all();
  }
  LITETRACE_COLD void release() {
    if (references.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }
};

LITETRACE_COLD void* Lookup::run(void* arg) {
  auto* state = static_cast<State*>(arg);
#if defined(__linux__)
  pthread_setname_np(pthread_self(), "litetrace-dns");
#endif
  std::vector<SocketAddress> found;
  std::string why;
  const bool result = state->resolver ? state->resolver(state->host, state->port, &found, &why)
                                      : resolve_with_getaddrinfo(state->host, state->port, &found, &why);
  {
    std::lock_guard<std::mutex> lock(state->mutex);
    state->addresses = std::move(found);
  }
  state->finish(result, std::move(why));
  state->release();
  return nullptr;
}

LITETRACE_COLD Lookup::Lookup(const Resolver& resolver, const std::string& host, uint16_t port)
    : state_(new (kNoThrow) State), owner_(::getpid()), started_(std::chrono::steady_clock::now()) {
  if (state_ == nullptr) return;
  SocketAddress literal;
  if (parse_numeric_address(host, port, &literal)) {
    state_->addresses = std::vector<SocketAddress>(1, literal);
    state_->finish(true, {});
    return;
  }
  state_->resolver = resolver;
  copy_text(state_->host, host);
  state_->port = port;
  state_->references.store(2, std::memory_order_relaxed);  // this object and the helper
  const int rc = pthread_create(&helper_, nullptr, &Lookup::run, state_);
  if (rc != 0) {
    state_->references.store(1, std::memory_order_relaxed);
    state_->finish(false, formatted("cannot start a thread for the lookup: %s", errno_text(rc).c_str()));
    return;
  }
  has_helper_ = true;
}

LITETRACE_COLD Lookup::~Lookup() {
  if (state_ == nullptr) return;
  if (!alive_here()) {
    // A fork() child: the helper thread is the parent's and may have held the state's lock
    // at the fork. Touch neither (a small leak per fork).
    return;
  }
  if (has_helper_) {
    bool done;
    {
      std::lock_guard<std::mutex> lock(state_->mutex);
      done = state_->done;
    }
    // A finished helper is only returning: join it, so no thread outlives its owner. One
    // still in the resolver is not waited for; whichever of the two ends last frees the
    // state.
    if (done) {
      pthread_join(helper_, nullptr);
    } else {
      pthread_detach(helper_);
    }
  }
  state_->release();
}

LITETRACE_COLD bool Lookup::wait_until(std::chrono::steady_clock::time_point deadline) {
  if (state_ == nullptr) return true;
  if (!alive_here()) return false;
  std::unique_lock<std::mutex> lock(state_->mutex);
  return state_->answered.wait_until(lock, deadline, [this] { return state_->done; });
}

LITETRACE_COLD const char* Lookup::take_answer(std::vector<SocketAddress>* out) {
  if (state_ == nullptr) return "out of memory for the lookup";
  if (!state_->ok) return state_->error.c_str();
  out->swap(state_->addresses);
  return nullptr;
}

LITETRACE_COLD std::string format_address(const SocketAddress& address) {
  // inet_ntop and formatted(), which a program links anyway, rather than getnameinfo: one
  // import fewer. A link-local IPv6 address's zone is its interface's index ("%2"), where
  // getnameinfo gave the interface's name.
  char host[INET6_ADDRSTRLEN];
  if (address.storage.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&address.storage);
    if (inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host) == nullptr) return "?";
    const unsigned port = ntohs(a->sin6_port);
    return a->sin6_scope_id != 0 ? formatted("[%s%%%u]:%u", host, static_cast<unsigned>(a->sin6_scope_id), port)
                                 : formatted("[%s]:%u", host, port);
  }
  if (address.storage.ss_family != AF_INET) return "?";
  const auto* a = reinterpret_cast<const sockaddr_in*>(&address.storage);
  if (inet_ntop(AF_INET, &a->sin_addr, host, sizeof host) == nullptr) return "?";
  return formatted("%s:%u", host, static_cast<unsigned>(ntohs(a->sin_port)));
}

}  // namespace litetrace::detail
