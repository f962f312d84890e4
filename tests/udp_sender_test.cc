// The UDP sender: batching, re-resolution (an agent that moves is found), failed
// resolution keeps the last good address, and a refusing address falls over to the next.

#include "transport/udp_sender.h"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "support/refusing_port.h"
#include "support/udp_receiver.h"

namespace litetrace::detail {
namespace {

SocketAddress loopback(int family, uint16_t port) {
  SocketAddress a;
  if (family == AF_INET6) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&a.storage);
    in6->sin6_family = AF_INET6;
    in6->sin6_addr = in6addr_loopback;
    in6->sin6_port = htons(port);
    a.length = sizeof(sockaddr_in6);
  } else {
    auto* in = reinterpret_cast<sockaddr_in*>(&a.storage);
    in->sin_family = AF_INET;
    in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    in->sin_port = htons(port);
    a.length = sizeof(sockaddr_in);
  }
  return a;
}

struct Recorded {
  std::vector<DiagnosticCode> codes;
  std::vector<std::string> messages;
  DiagnosticReporter reporter{[this](const Diagnostic& d) {
                                codes.push_back(d.code);
                                messages.emplace_back(d.message);
                              },
                              std::chrono::milliseconds(0)};
  bool has(DiagnosticCode c) const {
    for (DiagnosticCode x : codes) {
      if (x == c) return true;
    }
    return false;
  }
  // Whether a diagnostic with code `c` said `text`.
  bool said(DiagnosticCode c, const std::string& text) const {
    for (size_t i = 0; i < codes.size(); ++i) {
      if (codes[i] == c && messages[i] == text) return true;
    }
    return false;
  }
};

// A resolver the test steers from its own thread while lookups run on the sender's helper
// threads: it answers with `answer`, or fails when that is empty; with the gate closed it
// hangs (without holding its lock, so a fork() child can use it) until the gate opens.
// Its state is shared with every lookup, so a lookup left running may outlive the test.
class FakeDns {
 public:
  void set_answer(std::vector<SocketAddress> answer) {
    std::lock_guard<std::mutex> lock(shared_->mutex);
    shared_->answer = std::move(answer);
  }
  void hang() { shared_->gate_open = false; }
  void release() { shared_->gate_open = true; }
  int lookups() const { return shared_->lookups; }
  int finished() const { return shared_->finished; }
  Resolver resolver() const {
    return [shared = shared_](const std::string&, uint16_t, std::vector<SocketAddress>* out, std::string* error) {
      ++shared->lookups;
      while (!shared->gate_open) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      bool found;
      {
        std::lock_guard<std::mutex> lock(shared->mutex);
        found = !shared->answer.empty();
        if (found) *out = shared->answer;
      }
      if (!found) *error = "fake: no such host";
      ++shared->finished;
      return found;
    };
  }

 private:
  struct Shared {
    std::mutex mutex;
    std::vector<SocketAddress> answer;
    std::atomic<bool> gate_open{true};
    std::atomic<int> lookups{0};
    std::atomic<int> finished{0};
  };
  std::shared_ptr<Shared> shared_ = std::make_shared<Shared>();
};

// A send with no address yet waits for the lookup's helper thread up to resolve_timeout;
// the default 2 s is a bet on the scheduler a loaded machine can lose, so the tests wait
// for as long as their other waits (the tests of that bound set their own).
UdpSenderOptions options_with(const FakeDns& dns, std::chrono::milliseconds resolve_interval) {
  UdpSenderOptions o;
  o.host = "agent.example";
  o.resolve_interval = resolve_interval;
  o.resolve_timeout = std::chrono::seconds(30);
  o.resolver = dns.resolver();
  return o;
}

// Waits until `done()` (it depends on a helper thread's progress); false after 30 s.
template <typename Predicate>
bool eventually(Predicate done) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!done() && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return done();
}

// Sends `text` until the sender's peer is `address` (a new answer is taken on the first
// send after it came, and when it comes is the helper thread's affair); false after 30 s.
bool send_until_peer_is(UdpSender& sender, const std::string& address) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (sender.peer() != address && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    const std::string_view probe[] = {"probe"};
    int error = 0;
    sender.send(probe, 1, &error);
  }
  return sender.peer() == address;
}

// The peer as diagnostics and TracerProvider::agent_address() show it.
TEST(UdpSender, FormatsAddressesWithTheirPort) {
  EXPECT_EQ(format_address(loopback(AF_INET, 6831)), "127.0.0.1:6831");
  EXPECT_EQ(format_address(loopback(AF_INET6, 14250)), "[::1]:14250");
  SocketAddress a;
  ASSERT_TRUE(parse_numeric_address("192.0.2.200", 65535, &a));
  EXPECT_EQ(format_address(a), "192.0.2.200:65535");
  ASSERT_TRUE(parse_numeric_address("2001:db8::ff00:42:8329", 1, &a));
  EXPECT_EQ(format_address(a), "[2001:db8::ff00:42:8329]:1");
  // A link-local address keeps its zone, as the interface's index.
  SocketAddress link_local = loopback(AF_INET6, 6831);
  auto* in6 = reinterpret_cast<sockaddr_in6*>(&link_local.storage);
  ASSERT_EQ(inet_pton(AF_INET6, "fe80::1", &in6->sin6_addr), 1);
  in6->sin6_scope_id = 3;
  EXPECT_EQ(format_address(link_local), "[fe80::1%3]:6831");
  EXPECT_EQ(format_address(SocketAddress{}), "?");  // no family
}

// Options that send to `receiver` at its IPv4 literal.
UdpSenderOptions options_to(const test::UdpReceiver& receiver) {
  UdpSenderOptions o;
  o.host = "127.0.0.1";
  o.port = receiver.port();
  return o;
}

TEST(UdpSender, SendsManyDatagramsPerSystemCall) {
  test::UdpReceiver receiver(AF_INET);
  Recorded diags;
  UdpSender sender(options_to(receiver), &diags.reporter);
  std::vector<std::string> payloads;
  for (int i = 0; i < 10; ++i) payloads.push_back("datagram " + std::to_string(i));
  std::vector<std::string_view> views(payloads.begin(), payloads.end());
  int error = 0;
  EXPECT_EQ(sender.send(views.data(), views.size(), &error), views.size());
#if defined(__linux__)
  EXPECT_EQ(sender.send_calls(), 1u);
#endif
  for (const std::string& p : payloads) EXPECT_EQ(receiver.receive(), p);
  EXPECT_EQ(sender.peer(), "127.0.0.1:" + std::to_string(receiver.port()));
}

#if defined(__linux__)
// The open descriptors of this process that are sockets.
std::set<int> open_sockets() {
  std::set<int> fds;
  for (int fd = 0; fd < 1024; ++fd) {
    char link[64];
    const std::string path = "/proc/self/fd/" + std::to_string(fd);
    const ssize_t n = ::readlink(path.c_str(), link, sizeof link - 1);
    if (n > 0 && std::string_view(link, static_cast<size_t>(n)).substr(0, 7) == "socket:") fds.insert(fd);
  }
  return fds;
}

// A program that fork()s and exec()s from a traced thread does not hand its child the socket.
TEST(UdpSender, ItsSocketIsClosedOnExec) {
  test::UdpReceiver receiver(AF_INET);
  Recorded diags;
  const std::set<int> before = open_sockets();
  UdpSender sender(options_to(receiver), &diags.reporter);
  const std::string_view datagram = "one";
  int error = 0;
  ASSERT_EQ(sender.send(&datagram, 1, &error), 1u);
  EXPECT_EQ(receiver.receive(), "one");
  size_t made = 0;
  for (const int fd : open_sockets()) {
    if (before.count(fd) != 0) continue;
    ++made;
    EXPECT_NE(::fcntl(fd, F_GETFD) & FD_CLOEXEC, 0) << "socket " << fd;
  }
  EXPECT_EQ(made, 1u);
}
#endif

TEST(UdpSender, FindsAnAgentThatMoved) {
  test::UdpReceiver old_home(AF_INET);
  test::UdpReceiver new_home(AF_INET6);
  FakeDns dns;
  dns.set_answer({loopback(AF_INET, old_home.port())});
  Recorded diags;
  UdpSender sender(options_with(dns, std::chrono::milliseconds(20)), &diags.reporter);
  const std::string_view ping[] = {"before the move"};
  int error = 0;
  ASSERT_EQ(sender.send(ping, 1, &error), 1u);  // the first send waits for the first answer
  EXPECT_EQ(old_home.receive(), "before the move");
  EXPECT_EQ(dns.lookups(), 1);

  dns.set_answer({loopback(AF_INET6, new_home.port())});
  const std::string new_address = "[::1]:" + std::to_string(new_home.port());
  ASSERT_TRUE(send_until_peer_is(sender, new_address));
  const std::string_view pong[] = {"after the move"};
  ASSERT_EQ(sender.send(pong, 1, &error), 1u);
  std::string got;
  do got = new_home.receive(); while (got == "probe");
  EXPECT_EQ(got, "after the move");
  EXPECT_TRUE(diags.said(DiagnosticCode::kAgentAddressChanged, "agent \"agent.example\" moved from 127.0.0.1:" +
                                                                    std::to_string(old_home.port()) + " to " +
                                                                    new_address));
}

TEST(UdpSender, FailedResolutionKeepsTheLastGoodAddress) {
  test::UdpReceiver agent(AF_INET);
  FakeDns dns;
  dns.set_answer({loopback(AF_INET, agent.port())});
  Recorded diags;
  UdpSender sender(options_with(dns, std::chrono::milliseconds(0)), &diags.reporter);
  const std::string_view one[] = {"one"};
  int error = 0;
  ASSERT_EQ(sender.send(one, 1, &error), 1u);
  EXPECT_EQ(agent.receive(), "one");
  dns.set_answer({});  // DNS goes away
  // Every send starts a lookup (interval 0) or takes a failed answer; all of them go out.
  // (A lookup slower than resolve_timeout would say so first, under the same code.)
  const std::string failed = "cannot resolve agent host \"agent.example\": fake: no such host; still sending to "
                             "127.0.0.1:" + std::to_string(agent.port());
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  int sent = 0;
  while (!diags.said(DiagnosticCode::kAgentUnresolved, failed) && std::chrono::steady_clock::now() < give_up) {
    const std::string_view two[] = {"two"};
    ASSERT_EQ(sender.send(two, 1, &error), 1u);
    ++sent;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  EXPECT_TRUE(diags.said(DiagnosticCode::kAgentUnresolved, failed));
  for (int i = 0; i < sent; ++i) EXPECT_EQ(agent.receive(), "two");
  EXPECT_EQ(sender.peer(), "127.0.0.1:" + std::to_string(agent.port()));
}

TEST(UdpSender, NeverResolvedMeansNotSent) {
  FakeDns dns;
  Recorded diags;
  UdpSender sender(options_with(dns, std::chrono::milliseconds(0)), &diags.reporter);
  const std::string_view one[] = {"one"};
  int error = 0;
  EXPECT_EQ(sender.send(one, 1, &error), 0u);
  EXPECT_EQ(error, EDESTADDRREQ);
  EXPECT_TRUE(sender.peer().empty());
}

TEST(UdpSender, ARefusingAddressFallsOverToTheNext) {
  const test::RefusingPort dead(test::RefusingPort::Protocol::kUdp, AF_INET);
  ASSERT_TRUE(dead.ok());
  const uint16_t dead_port = dead.port();
  test::UdpReceiver agent(AF_INET6);
  FakeDns dns;
  // Like "localhost" answering 127.0.0.1 first while the agent listens only on ::1.
  dns.set_answer({loopback(AF_INET, dead_port), loopback(AF_INET6, agent.port())});
  Recorded diags;
  UdpSender sender(options_with(dns, std::chrono::hours(1)), &diags.reporter);
  // Until the ICMP refusal has come back (its timing is the kernel's), datagrams leave for
  // the dead address and are lost, as UDP loses them; the send that meets the refusal is
  // retried on the next address.
  const std::string agent_address = "[::1]:" + std::to_string(agent.port());
  int sent = 0;
  const auto send_one = [&] {
    const std::string_view d[] = {"span batch"};
    int error = 0;
    sent += static_cast<int>(sender.send(d, 1, &error));
  };
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  int attempts = 0;
  while (sender.peer() != agent_address && std::chrono::steady_clock::now() < give_up) {
    send_one();
    ++attempts;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_EQ(sender.peer(), agent_address);
  for (int i = 0; i < 5; ++i, ++attempts) send_one();
  EXPECT_EQ(sent, attempts);  // the refusal is retried on the next address, not lost...
  int arrived = 0;
  while (arrived < 6 && !agent.receive(std::chrono::seconds(10)).empty()) ++arrived;
  // ...so the one that met it and the five after it arrive.
  EXPECT_EQ(arrived, 6);
  EXPECT_EQ(sender.peer(), "[::1]:" + std::to_string(agent.port()));
}

TEST(UdpSender, AHangingResolverStallsNoSend) {
  test::UdpReceiver old_home(AF_INET);
  test::UdpReceiver new_home(AF_INET);
  FakeDns dns;
  dns.set_answer({loopback(AF_INET, old_home.port())});
  Recorded diags;
  UdpSender sender(options_with(dns, std::chrono::milliseconds(0)), &diags.reporter);
  int error = 0;
  const std::string_view first[] = {"first"};
  ASSERT_EQ(sender.send(first, 1, &error), 1u);
  EXPECT_EQ(old_home.receive(), "first");

  // The resolver now hangs, and will answer with a new address once it stops hanging.
  dns.hang();
  dns.set_answer({loopback(AF_INET, new_home.port())});
  for (int i = 0; i < 20; ++i) {
    const std::string_view d[] = {"while it hangs"};
    ASSERT_EQ(sender.send(d, 1, &error), 1u);  // returns while the lookup is stuck...
    EXPECT_EQ(old_home.receive(), "while it hangs");  // ...to the last good address
  }
  EXPECT_TRUE(eventually([&] { return dns.lookups() == 2; }));
  EXPECT_EQ(dns.finished(), 1);
  EXPECT_EQ(dns.lookups(), 2);  // one lookup at a time, however often send() runs

  dns.release();
  ASSERT_TRUE(send_until_peer_is(sender, "127.0.0.1:" + std::to_string(new_home.port())));
  EXPECT_TRUE(diags.has(DiagnosticCode::kAgentAddressChanged));
}

TEST(UdpSender, WithoutAnAddressASendWaitsForTheLookupOnlyUpToItsBound) {
  test::UdpReceiver agent(AF_INET);
  FakeDns dns;
  dns.set_answer({loopback(AF_INET, agent.port())});
  dns.hang();
  std::vector<std::string> messages;
  DiagnosticReporter reporter([&](const Diagnostic& d) { messages.emplace_back(d.message); },
                              std::chrono::milliseconds(0));
  UdpSenderOptions o = options_with(dns, std::chrono::hours(1));
  o.resolve_timeout = std::chrono::milliseconds(50);
  UdpSender sender(o, &reporter);
  int error = 0;
  const std::string_view d[] = {"span batch"};
  EXPECT_EQ(sender.send(d, 1, &error), 0u);  // the resolver hangs: returns after the bound
  EXPECT_EQ(error, EDESTADDRREQ);
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0], "resolving agent host \"agent.example\" has taken more than 50 ms; "
                         "spans count as failed to emit until it answers");
  EXPECT_EQ(sender.send(d, 1, &error), 0u);  // the same lookup: no second wait, no new report
  EXPECT_EQ(messages.size(), 1u);
  EXPECT_TRUE(eventually([&] { return dns.lookups() == 1; }));

  dns.release();  // the late answer is taken when it comes
  ASSERT_TRUE(send_until_peer_is(sender, "127.0.0.1:" + std::to_string(agent.port())));
  ASSERT_EQ(sender.send(d, 1, &error), 1u);
  std::string got;
  do got = agent.receive(); while (got == "probe");
  EXPECT_EQ(got, "span batch");
  EXPECT_EQ(dns.lookups(), 1);
}

TEST(UdpSender, DestructionDoesNotWaitForAHangingResolver) {
  FakeDns dns;
  dns.set_answer({loopback(AF_INET, 9)});
  dns.hang();
  Recorded diags;
  {
    UdpSenderOptions o = options_with(dns, std::chrono::hours(1));
    o.resolve_timeout = std::chrono::milliseconds(10);
    UdpSender sender(o, &diags.reporter);
    int error = 0;
    const std::string_view d[] = {"span batch"};
    EXPECT_EQ(sender.send(d, 1, &error), 0u);
  }  // the lookup still hangs: were it waited for here, the test would never go on
  EXPECT_EQ(dns.finished(), 0);
  dns.release();
  EXPECT_TRUE(eventually([&] { return dns.finished() == 1; }));  // the lookup ends on its own
}

TEST(UdpSender, AForkChildLooksUpAfresh) {
  test::UdpReceiver parent_home(AF_INET);
  test::UdpReceiver child_home(AF_INET);
  FakeDns dns;
  dns.set_answer({loopback(AF_INET, parent_home.port())});
  Recorded diags;
  UdpSender sender(options_with(dns, std::chrono::milliseconds(0)), &diags.reporter);
  int error = 0;
  const std::string_view d[] = {"from the parent"};
  ASSERT_EQ(sender.send(d, 1, &error), 1u);
  dns.hang();
  ASSERT_EQ(sender.send(d, 1, &error), 1u);  // starts a lookup that hangs across the fork
  ASSERT_TRUE(eventually([&] { return dns.lookups() == 2; }));

  const pid_t child = fork();
  ASSERT_NE(child, -1);
  if (child == 0) {
    // The parent's lookup thread is not here: the child must not wait on it forever.
    dns.set_answer({loopback(AF_INET, child_home.port())});
    dns.release();
    _exit(send_until_peer_is(sender, "127.0.0.1:" + std::to_string(child_home.port())) ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "the child never took a new answer";
  EXPECT_EQ(sender.peer(), "127.0.0.1:" + std::to_string(parent_home.port()));
  dns.release();
}

}  // namespace
}  // namespace litetrace::detail
