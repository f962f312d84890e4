#pragma once

// Sends datagrams to the Jaeger agent over UDP.
//
// - The agent's name is resolved with getaddrinfo (names, IPv4 and IPv6 literals) on first
//   use and again every `resolve_interval`, so an agent that moves is found. Each lookup
//   runs on a helper thread (Lookup), never on an application thread nor the batcher:
//   while a lookup is out, datagrams keep going to the last good address, and a new
//   answer is taken on the first send after it came. Only with no address at all does
//   send() wait for an answer, and then for `resolve_timeout` at most, once per lookup; a
//   lookup that takes longer is reported and its answer still taken whenever it comes.
//   One lookup at a time; a fork() child starts its own.
// - The socket is connected, so ICMP errors come back as errno (ECONNREFUSED when nothing
//   listens) instead of vanishing; when a name has several addresses and one refuses, the
//   next is tried (a "localhost" agent may listen on 127.0.0.1 but not on ::1).
// - Several datagrams go out per system call with sendmmsg where the OS has it.
// - Nothing is thrown and no signal is raised: every failure is an errno for the caller.
//
// Thread: one thread only (the batcher).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <sys/socket.h>

#include "core/diagnostic_reporter.h"
#include "transport/resolver.h"

namespace litetrace::detail {

struct UdpSenderOptions {
  std::string host = "localhost";
  uint16_t port = 6831;
  std::chrono::milliseconds resolve_interval{30000};
  // How long send() waits for a lookup when there is no address yet.
  std::chrono::milliseconds resolve_timeout{2000};
  // SO_SNDBUF is raised to at least this (room for one sendmmsg batch of full packets).
  size_t send_buffer_bytes = 0;
  // Tests replace it to make an agent move; everyone else keeps getaddrinfo (empty).
  Resolver resolver;
};

class UdpSender {
 public:
  UdpSender(UdpSenderOptions options, DiagnosticReporter* reporter);
  ~UdpSender();
  UdpSender(const UdpSender&) = delete;
  UdpSender& operator=(const UdpSender&) = delete;

  // Sends datagrams[0..n) in order. Returns how many from the front went out; when that is
  // less than n, *error holds the errno that stopped datagrams[result] (which was not sent).
  size_t send(const std::string_view* datagrams, size_t n, int* error) noexcept;

  // The address datagrams go to, e.g. "127.0.0.1:6831" or "[::1]:6831"; empty before the
  // first successful resolution.
  std::string peer() const;
  // Where datagrams are meant to go, as given.
  const std::string& host() const { return options_.host; }
  uint16_t port() const { return options_.port; }
  // System calls made by send() (sendmmsg batches several datagrams into one).
  uint64_t send_calls() const { return send_calls_; }

 private:
  bool ensure_socket() noexcept;
  void take_answer(Lookup& lookup) noexcept;
  bool connect_to(size_t index) noexcept;
  void close_socket() noexcept;
  size_t send_some(const std::string_view* datagrams, size_t n, int* error) noexcept;

  UdpSenderOptions options_;
  DiagnosticReporter* reporter_;
  int fd_ = -1;
  std::vector<SocketAddress> addresses_;
  size_t current_ = 0;
  std::chrono::steady_clock::time_point next_resolve_{};
  std::unique_ptr<Lookup> lookup_;  // the lookup under way, if any
  bool lookup_reported_slow_ = false;
  uint64_t send_calls_ = 0;
};

}  // namespace litetrace::detail
