#pragma once

// A UDP socket on loopback for tests: an ephemeral port, a large receive buffer, and a
// receive with a timeout.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <iterator>
#include <string>
#include <vector>

namespace litetrace::test {

class UdpReceiver {
 public:
  // family AF_INET (127.0.0.1) or AF_INET6 (::1).
  explicit UdpReceiver(int family = AF_INET) {
    fd_ = ::socket(family, SOCK_DGRAM, 0);
    const int size = 32 << 20;
    // Root may exceed net.core.rmem_max; otherwise take what the kernel allows.
    if (::setsockopt(fd_, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0) {
      ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    }
    if (family == AF_INET6) {
      sockaddr_in6 a{};
      a.sin6_family = AF_INET6;
      a.sin6_addr = in6addr_loopback;
      ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    } else {
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    }
    sockaddr_storage bound{};
    socklen_t len = sizeof bound;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&bound), &len);
    port_ = ntohs(family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                     : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  }
  ~UdpReceiver() { close(); }
  UdpReceiver(const UdpReceiver&) = delete;
  UdpReceiver& operator=(const UdpReceiver&) = delete;

  uint16_t port() const { return port_; }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  // One datagram, or an empty string after `timeout` (by default as long as a loaded
  // machine may take to deliver one; a test that expects none says how long it waits).
  std::string receive(std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return {};
    std::string buf(70000, '\0');
    const ssize_t n = ::recv(fd_, buf.data(), buf.size(), 0);
    buf.resize(n > 0 ? static_cast<size_t>(n) : 0);
    return buf;
  }

  // Everything that arrives until nothing has for `quiet`.
  std::vector<std::string> drain(std::chrono::milliseconds quiet = std::chrono::milliseconds(300)) {
    std::vector<std::string> out;
    for (std::string d = receive(quiet); !d.empty(); d = receive(quiet)) out.push_back(std::move(d));
    return out;
  }

  // `expected` datagrams, however late a loaded machine delivers them (up to 30 s each),
  // then whatever more arrives within `quiet` (so an extra one still shows).
  std::vector<std::string> receive_all(size_t expected, std::chrono::milliseconds quiet = std::chrono::milliseconds(100)) {
    std::vector<std::string> out;
    while (out.size() < expected) {
      std::string d = receive(std::chrono::seconds(30));
      if (d.empty()) return out;
      out.push_back(std::move(d));
    }
    std::vector<std::string> more = drain(quiet);
    out.insert(out.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
    return out;
  }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

}  // namespace litetrace::test
