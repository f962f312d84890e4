#pragma once

// A scripted HTTP server on 127.0.0.1 for the HTTP client's tests: it answers every
// request with the reply set last, byte for byte, after an optional delay, and can keep
// the connection open afterwards, or read further requests on it (keep_alive). It records
// the requests it received (head and Content-Length body) and counts connections.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace litetrace::test {

class TestHttpServer {
 public:
  struct Reply {
    std::string bytes;                       // written as they are
    std::chrono::milliseconds delay{0};      // before the first byte
    std::chrono::milliseconds hold_open{0};  // after the last byte, before closing
    bool keep_alive = false;                 // read the next request on the connection
  };

  static Reply ok_json(const std::string& body) {
    return {"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
            "\r\n\r\n" + body};
  }

  TestHttpServer() {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const int one = 1;
    ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listener_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(listener_, 16);
    socklen_t len = sizeof a;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { serve(); });
  }

  ~TestHttpServer() {
    stop_ = true;
    thread_.join();
    for (std::thread& t : connections_) t.join();
    ::close(listener_);
  }

  uint16_t port() const { return port_; }
  std::string url(const std::string& path = "/sampling") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

  void set_reply(Reply r) {
    std::lock_guard<std::mutex> lock(mutex_);
    reply_ = std::move(r);
  }
  // Replies for the next requests, one each, in order; then the one set_reply() set.
  void script(std::vector<Reply> replies) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (Reply& r : replies) scripted_.push_back(std::move(r));
  }

  std::vector<std::string> requests() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return requests_;
  }
  size_t connections() const { return accepted_.load(); }

 private:
  // Sleeps in small steps so that the destructor never waits long.
  void pause(std::chrono::milliseconds d) const {
    const auto until = std::chrono::steady_clock::now() + d;
    while (!stop_ && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

  void serve() {
    while (!stop_) {
      pollfd p{listener_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      ++accepted_;
      connections_.emplace_back([this, fd] { answer(fd); });  // one may hold its connection open
    }
  }

  void answer(int fd) {
    std::string pending;  // bytes read past the request before
    for (;;) {
      std::string request;
      if (!read_request(fd, pending, request)) break;
      Reply r;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        requests_.push_back(request);
        if (scripted_.empty()) {
          r = reply_;
        } else {
          r = std::move(scripted_.front());
          scripted_.pop_front();
        }
      }
      pause(r.delay);
      for (size_t sent = 0; sent < r.bytes.size() && !stop_;) {
        const ssize_t n = ::send(fd, r.bytes.data() + sent, r.bytes.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) break;
        sent += static_cast<size_t>(n);
      }
      if (!r.keep_alive || stop_) {
        pause(r.hold_open);
        break;
      }
    }
    ::close(fd);
  }

  // A request head and, if it has a Content-Length, its body; false when the client closed
  // the connection first (or the server stops).
  bool read_request(int fd, std::string& pending, std::string& request) {
    char buf[4096];
    size_t head_end;
    while ((head_end = pending.find("\r\n\r\n")) == std::string::npos) {
      if (read_some(fd, pending, buf, sizeof buf)) continue;
      // Closed within a head: answer what came, as a server would answer a bad request.
      if (pending.empty()) return false;
      request.swap(pending);
      return true;
    }
    head_end += 4;
    size_t length = 0;
    const size_t at = pending.find("Content-Length: ");
    if (at != std::string::npos && at < head_end) length = std::stoul(pending.substr(at + 16));
    while (pending.size() < head_end + length) {
      if (!read_some(fd, pending, buf, sizeof buf)) break;
    }
    request = pending.substr(0, std::min(pending.size(), head_end + length));
    pending.erase(0, request.size());
    return true;
  }

  bool read_some(int fd, std::string& into, char* buf, size_t size) {
    while (!stop_) {
      pollfd c{fd, POLLIN, 0};
      if (::poll(&c, 1, 20) <= 0) continue;
      const ssize_t n = ::recv(fd, buf, size, 0);
      if (n <= 0) return false;
      into.append(buf, static_cast<size_t>(n));
      return true;
    }
    return false;
  }

  int listener_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<size_t> accepted_{0};
  mutable std::mutex mutex_;
  Reply reply_;
  std::deque<Reply> scripted_;
  std::vector<std::string> requests_;
  std::thread thread_;
  std::vector<std::thread> connections_;  // serve() only, then the destructor
};

}  // namespace litetrace::test
