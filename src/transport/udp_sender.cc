#include "transport/udp_sender.h"

#include <cerrno>
#include <cstring>
#include <new>

#include <netinet/in.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <unistd.h>

#include "core/compiler.h"
#include "core/raw_array.h"  // kNoThrow

namespace litetrace::detail {
namespace {

#ifdef MSG_NOSIGNAL
constexpr int kSendFlags = MSG_NOSIGNAL;  // UDP raises no SIGPIPE today; be sure of it
#else
constexpr int kSendFlags = 0;
#endif

// How long one send may block when the socket buffer is full before it counts as failed.
// Only the batcher waits; application threads never do.
constexpr timeval kSendTimeout = {1, 0};

bool is_peer_unreachable(int err) {
  return err == ECONNREFUSED || err == ENETUNREACH || err == EHOSTUNREACH ||
         err == EADDRNOTAVAIL;
}

}  // namespace

LITETRACE_COLD UdpSender::UdpSender(UdpSenderOptions options, DiagnosticReporter* reporter)
    : options_(std::move(options)), reporter_(reporter) {}

LITETRACE_COLD UdpSender::~UdpSender() { close_socket(); }

void UdpSender::close_socket() noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

LITETRACE_COLD std::string UdpSender::peer() const {
  if (addresses_.empty()) return {};
  return format_address(addresses_[current_]);
}

LITETRACE_COLD bool UdpSender::ensure_socket() noexcept {
  auto now = std::chrono::steady_clock::now();
  if (lookup_ != nullptr && !lookup_->alive_here()) {
    (void)lookup_.release();  // a fork() child: that lookup's thread is the parent's
  }
  if (lookup_ == nullptr && (fd_ < 0 || now >= next_resolve_)) {
    lookup_.reset(new (kNoThrow) Lookup(options_.resolver, options_.host, options_.port));
    if (lookup_ == nullptr) {
      reporter_->report(DiagnosticCode::kOutOfMemory, "no memory to look up the agent's address");
      return fd_ >= 0;
    }
    lookup_reported_slow_ = false;
  }
  if (lookup_ != nullptr) {
    // With an address to send to, nobody waits for the answer.
    const auto deadline = fd_ >= 0 ? now : lookup_->started() + options_.resolve_timeout;
    if (lookup_->wait_until(deadline)) {
      next_resolve_ = std::chrono::steady_clock::now() + options_.resolve_interval;
      take_answer(*lookup_);
      lookup_.reset();
    } else if (!lookup_reported_slow_ &&
               (now = std::chrono::steady_clock::now()) - lookup_->started() >= options_.resolve_timeout) {
      lookup_reported_slow_ = true;
      const std::string now_sending = fd_ >= 0 ? peer() : std::string();
      reporter_->report_formatted(DiagnosticCode::kAgentUnresolved,
                                  "resolving agent host \"%s\" has taken more than %lld ms; %s%s",
                                  options_.host.c_str(), static_cast<long long>(options_.resolve_timeout.count()),
                                  fd_ >= 0 ? "still sending to " : "spans count as failed to emit until it answers",
                                  now_sending.c_str());
    }
  }
  return fd_ >= 0;
}

LITETRACE_COLD void UdpSender::take_answer(Lookup& lookup) noexcept {
  std::vector<SocketAddress> addresses;
  if (const char* error = lookup.take_answer(&addresses)) {
    const std::string now_sending = fd_ >= 0 ? peer() : std::string();
    reporter_->report_formatted(DiagnosticCode::kAgentUnresolved,
                                "cannot resolve agent host \"%s\": %s; %s%s", options_.host.c_str(), error,
                                fd_ >= 0 ? "still sending to " : "spans will count as failed to emit",
                                now_sending.c_str());
    return;
  }
  const auto same = [&] {
    if (addresses.size() != addresses_.size()) return false;
    for (size_t i = 0; i < addresses.size(); ++i) {
      if (addresses[i].length != addresses_[i].length ||
          std::memcmp(&addresses[i].storage, &addresses_[i].storage, addresses[i].length) != 0) {
        return false;
      }
    }
    return true;
  };
  if (fd_ >= 0 && same()) return;

  const std::string before = fd_ >= 0 ? peer() : std::string();
  addresses_.swap(addresses);
  for (size_t i = 0; i < addresses_.size(); ++i) {
    if (connect_to(i)) {
      if (!before.empty() && before != peer()) {
        reporter_->report_formatted(DiagnosticCode::kAgentAddressChanged,
                                    "agent \"%s\" moved from %s to %s", options_.host.c_str(), before.c_str(),
                                    peer().c_str());
      }
      return;
    }
  }
}

LITETRACE_COLD bool UdpSender::connect_to(size_t index) noexcept {
  close_socket();
  current_ = index;
  const SocketAddress& addr = addresses_[index];
  // Closed on exec as it is made (as the HTTP client's are): no fcntl() after it.
  int fd = ::socket(addr.storage.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    reporter_->report_formatted(DiagnosticCode::kSendFailed,
                                "cannot create a UDP socket: %s", errno_text(errno).c_str());
    return false;
  }
  if (options_.send_buffer_bytes != 0) {
    int current = 0;
    socklen_t len = sizeof current;
    const int wanted = static_cast<int>(options_.send_buffer_bytes);
    if (::getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &current, &len) != 0 || current < wanted) {
      ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &wanted, sizeof wanted);
    }
  }
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &kSendTimeout, sizeof kSendTimeout);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr.storage), addr.length) != 0) {
    const std::string why = errno_text(errno);  // before format_address() can change errno
    reporter_->report_formatted(DiagnosticCode::kSendFailed, "cannot connect a UDP socket to %s: %s",
                                format_address(addr).c_str(), why.c_str());
    ::close(fd);
    return false;
  }
  fd_ = fd;
  return true;
}

size_t UdpSender::send_some(const std::string_view* datagrams, size_t n, int* error) noexcept {
#if defined(__linux__)
  constexpr size_t kMaxBatch = 64;
  mmsghdr msgs[kMaxBatch];
  iovec iov[kMaxBatch];
  const size_t count = n < kMaxBatch ? n : kMaxBatch;
  for (size_t i = 0; i < count; ++i) {
    iov[i].iov_base = const_cast<char*>(datagrams[i].data());
    iov[i].iov_len = datagrams[i].size();
    msgs[i] = mmsghdr{};
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  ++send_calls_;
  const int sent = ::sendmmsg(fd_, msgs, static_cast<unsigned>(count), kSendFlags);
  if (sent < 0) {
    *error = errno;
    return 0;
  }
  // A short count without an error means the next datagram would fail; the next call
  // reports its errno.
  return static_cast<size_t>(sent);
#else
  size_t i = 0;
  for (; i < n; ++i) {
    ++send_calls_;
    if (::send(fd_, datagrams[i].data(), datagrams[i].size(), kSendFlags) < 0) {
      *error = errno;
      break;
    }
  }
  return i;
#endif
}

size_t UdpSender::send(const std::string_view* datagrams, size_t n, int* error) noexcept {
  if (!ensure_socket()) {
    *error = EDESTADDRREQ;
    return 0;
  }
  size_t done = 0;
  size_t rotations = 0;
  while (done < n) {
    int err = 0;
    const size_t k = send_some(datagrams + done, n - done, &err);
    done += k;
    if (done == n) break;
    if (k != 0) continue;  // partial batch: carry on, the next call shows the error if any
    if (err == EINTR) continue;
    // The connected address refused or cannot be reached: if the name had other
    // addresses, the datagram (which did not go out) is retried on the next one.
    if (is_peer_unreachable(err) && rotations + 1 < addresses_.size()) {
      ++rotations;
      const size_t next = (current_ + 1) % addresses_.size();
      if (connect_to(next)) continue;
      if (!ensure_socket()) err = EDESTADDRREQ;
    }
    *error = err;
    return done;
  }
  return done;
}

}  // namespace litetrace::detail
