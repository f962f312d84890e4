#pragma once

// A loopback port where nothing listens, held for as long as the object lives.
//
// Taking a free port and closing it leaves it to anyone: another process, or the socket
// under test itself, whose automatic local port may then be that very port (a UDP socket
// connected to its own address receives its own datagrams, and nothing is refused). These
// keep the port bound:
// - UDP: the socket is connected to itself, so it accepts datagrams from itself only and
//   every other sender is refused (ICMP port unreachable, ECONNREFUSED on its next send);
// - TCP: the socket is bound and never listens, so every connect() is refused.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>

namespace litetrace::test {

class RefusingPort {
 public:
  enum class Protocol { kUdp, kTcp };

  // family AF_INET (127.0.0.1) or AF_INET6 (::1).
  explicit RefusingPort(Protocol protocol, int family = AF_INET) {
    fd_ = ::socket(family, protocol == Protocol::kUdp ? SOCK_DGRAM : SOCK_STREAM, 0);
    sockaddr_storage a{};
    socklen_t len;
    if (family == AF_INET6) {
      auto* in6 = reinterpret_cast<sockaddr_in6*>(&a);
      in6->sin6_family = AF_INET6;
      in6->sin6_addr = in6addr_loopback;
      len = sizeof *in6;
    } else {
      auto* in = reinterpret_cast<sockaddr_in*>(&a);
      in->sin_family = AF_INET;
      in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      len = sizeof *in;
    }
    ok_ = ::bind(fd_, reinterpret_cast<sockaddr*>(&a), len) == 0 &&
          ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) == 0 &&
          (protocol == Protocol::kTcp || ::connect(fd_, reinterpret_cast<sockaddr*>(&a), len) == 0);
    port_ = ntohs(family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&a)->sin6_port
                                     : reinterpret_cast<sockaddr_in*>(&a)->sin_port);
  }
  ~RefusingPort() {
    if (fd_ >= 0) ::close(fd_);
  }
  RefusingPort(const RefusingPort&) = delete;
  RefusingPort& operator=(const RefusingPort&) = delete;

  // Whether the port is held as described (tests assert it before using port()).
  bool ok() const { return ok_; }
  uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  bool ok_ = false;
  uint16_t port_ = 0;
};

}  // namespace litetrace::test
