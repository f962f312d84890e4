#include "transport/resolver.h"

#include <cerrno>
#include <cstring>

#include <netdb.h>

#include "core/diagnostic_reporter.h"  // errno_text

namespace litetrace::detail {

bool resolve_with_getaddrinfo(const std::string& host, uint16_t port, std::vector<SocketAddress>* out,
                              std::string* error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const int rc = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found);
  if (rc != 0) {
    *error = rc == EAI_SYSTEM ? errno_text(errno) : gai_strerror(rc);
    return false;
  }
  for (const addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
    if (ai->ai_addrlen > sizeof(sockaddr_storage)) continue;
    SocketAddress a;
    std::memcpy(&a.storage, ai->ai_addr, ai->ai_addrlen);
    a.length = ai->ai_addrlen;
    out->push_back(a);
  }
  freeaddrinfo(found);
  if (out->empty()) *error = "no address";
  return !out->empty();
}

std::string format_address(const SocketAddress& address) {
  char host[NI_MAXHOST];
  char port[NI_MAXSERV];
  if (getnameinfo(reinterpret_cast<const sockaddr*>(&address.storage), address.length, host, sizeof host,
                  port, sizeof port, NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
    return "?";
  }
  if (address.storage.ss_family == AF_INET6) return std::string("[") + host + "]:" + port;
  return std::string(host) + ":" + port;
}

}  // namespace litetrace::detail
