#pragma once

// Host names to socket addresses, for every sender (UDP to the agent, HTTP to a sampling
// server or a collector). Runs on the calling thread: only background threads resolve.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <sys/socket.h>

namespace litetrace::detail {

struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;
};

// Turns host and port into addresses, in the order to try them; on failure says why.
using Resolver = std::function<bool(const std::string& host, uint16_t port,
                                    std::vector<SocketAddress>* out, std::string* error)>;

// getaddrinfo with AF_UNSPEC: names, IPv4 and IPv6 literals. The addresses serve UDP and
// TCP alike (the socket type only removes getaddrinfo's per-protocol duplicates).
bool resolve_with_getaddrinfo(const std::string& host, uint16_t port, std::vector<SocketAddress>* out,
                              std::string* error);

// "127.0.0.1:6831" or "[::1]:6831"; "?" when the address cannot be printed.
std::string format_address(const SocketAddress& address);

}  // namespace litetrace::detail
