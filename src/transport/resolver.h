#pragma once

// Host names to socket addresses, for every sender (UDP to the agent, HTTP to a sampling
// server or a collector). getaddrinfo has no timeout, so a name is looked up on a helper
// thread of its own (Lookup) and its callers wait only as long as they choose.

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <pthread.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

namespace litetrace::detail {

struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;
};

// Turns host and port into addresses (into *out, which the library passes empty), in the
// order to try them; on failure says why. An empty one is resolve_with_getaddrinfo (called
// directly: a std::function holding it linked a handler of its own).
using Resolver = std::function<bool(const std::string& host, uint16_t port,
                                    std::vector<SocketAddress>* out, std::string* error)>;

// getaddrinfo with AF_UNSPEC: names, IPv4 and IPv6 literals. The addresses serve UDP and
// TCP alike (the socket type only removes getaddrinfo's per-protocol duplicates).
bool resolve_with_getaddrinfo(const std::string& host, uint16_t port, std::vector<SocketAddress>* out,
                              std::string* error);

// An IPv4 or IPv6 literal (without brackets) as an address, with no lookup at all.
bool parse_numeric_address(const std::string& host, uint16_t port, SocketAddress* out);

// One lookup of host:port, run by `resolver` on a helper thread named "litetrace-dns", so
// that a resolver that hangs stalls nobody:
// - the owner polls or waits with a deadline of its choosing (wait_until), and goes on
//   with what it had when the answer is late;
// - a lookup still running when its owner destroys it is left to finish alone: the helper
//   touches only the state it shares with this object, never the owner, so destruction
//   never waits for a resolver;
// - in a fork() child the helper thread does not exist (it is the parent's): the lookup
//   is dead there (alive_here() is false), and destroying it leaves its state alone;
// - an IP literal is answered at once, without a thread or the resolver.
// If no thread (or no memory) can be had, the lookup ends at once with that as its error.
// Nothing throws: the library builds without exceptions.
//
// Thread: the owner only (the helper has its own copy of what it needs).
class Lookup {
 public:
  Lookup(const Resolver& resolver, const std::string& host, uint16_t port);
  ~Lookup();
  Lookup(const Lookup&) = delete;
  Lookup& operator=(const Lookup&) = delete;

  // True once the answer is in; waits for it until `deadline` at most (a deadline in the
  // past only looks).
  bool wait_until(std::chrono::steady_clock::time_point deadline);
  // The answer, once wait_until() returned true: nullptr and the addresses moved into *out
  // (so taken once), or why there are none.
  const char* take_answer(std::vector<SocketAddress>* out);
  // False in a fork() child of the process that started the lookup: it will never end.
  bool alive_here() const { return ::getpid() == owner_; }
  std::chrono::steady_clock::time_point started() const { return started_; }

 private:
  struct State;  // shared with the helper, which frees it if it ends last
  static void* run(void* state);

  State* state_;  // null when there was no memory for it
  pthread_t helper_{};
  bool has_helper_ = false;  // false for a literal, or when no thread could be started
  pid_t owner_;
  std::chrono::steady_clock::time_point started_;
};

// "127.0.0.1:6831" or "[::1]:6831"; "?" when the address cannot be printed.
std::string format_address(const SocketAddress& address);

}  // namespace litetrace::detail
