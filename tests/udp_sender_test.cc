// The UDP sender: batching, re-resolution (an agent that moves is found), failed
// resolution keeps the last good address, and a refusing address falls over to the next.

#include "transport/udp_sender.h"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <string>
#include <thread>
#include <vector>

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
  DiagnosticReporter reporter{[this](const Diagnostic& d) { codes.push_back(d.code); },
                              std::chrono::milliseconds(0)};
  bool has(DiagnosticCode c) const {
    for (DiagnosticCode x : codes) {
      if (x == c) return true;
    }
    return false;
  }
};

// A resolver the test steers: it answers with `answer`, or fails when that is empty.
struct FakeDns {
  std::vector<SocketAddress> answer;
  int lookups = 0;
  Resolver resolver() {
    return [this](const std::string&, uint16_t, std::vector<SocketAddress>* out, std::string* error) {
      ++lookups;
      if (answer.empty()) {
        *error = "fake: no such host";
        return false;
      }
      *out = answer;
      return true;
    };
  }
};

UdpSenderOptions options_with(FakeDns& dns, std::chrono::milliseconds resolve_interval) {
  UdpSenderOptions o;
  o.host = "agent.example";
  o.resolve_interval = resolve_interval;
  o.resolver = dns.resolver();
  return o;
}

TEST(UdpSender, SendsManyDatagramsPerSystemCall) {
  test::UdpReceiver receiver(AF_INET);
  Recorded diags;
  UdpSenderOptions o;
  o.host = "127.0.0.1";
  o.port = receiver.port();
  UdpSender sender(o, &diags.reporter);
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

TEST(UdpSender, FindsAnAgentThatMoved) {
  test::UdpReceiver old_home(AF_INET);
  test::UdpReceiver new_home(AF_INET6);
  FakeDns dns;
  dns.answer = {loopback(AF_INET, old_home.port())};
  Recorded diags;
  UdpSender sender(options_with(dns, std::chrono::milliseconds(20)), &diags.reporter);
  const std::string_view ping[] = {"before the move"};
  int error = 0;
  ASSERT_EQ(sender.send(ping, 1, &error), 1u);
  EXPECT_EQ(old_home.receive(), "before the move");

  dns.answer = {loopback(AF_INET6, new_home.port())};
  std::this_thread::sleep_for(std::chrono::milliseconds(30));  // past the resolve interval
  const std::string_view pong[] = {"after the move"};
  ASSERT_EQ(sender.send(pong, 1, &error), 1u);
  EXPECT_EQ(new_home.receive(), "after the move");
  EXPECT_EQ(sender.peer(), "[::1]:" + std::to_string(new_home.port()));
  EXPECT_TRUE(diags.has(DiagnosticCode::kAgentAddressChanged));
  EXPECT_EQ(dns.lookups, 2);
}

TEST(UdpSender, FailedResolutionKeepsTheLastGoodAddress) {
  test::UdpReceiver agent(AF_INET);
  FakeDns dns;
  dns.answer = {loopback(AF_INET, agent.port())};
  Recorded diags;
  UdpSender sender(options_with(dns, std::chrono::milliseconds(0)), &diags.reporter);
  const std::string_view one[] = {"one"};
  int error = 0;
  ASSERT_EQ(sender.send(one, 1, &error), 1u);
  dns.answer.clear();  // DNS goes away
  const std::string_view two[] = {"two"};
  ASSERT_EQ(sender.send(two, 1, &error), 1u);
  EXPECT_EQ(agent.receive(), "one");
  EXPECT_EQ(agent.receive(), "two");
  EXPECT_TRUE(diags.has(DiagnosticCode::kAgentUnresolved));
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
  uint16_t dead_port;
  {
    test::UdpReceiver closed;
    dead_port = closed.port();
  }
  test::UdpReceiver agent(AF_INET6);
  FakeDns dns;
  // Like "localhost" answering 127.0.0.1 first while the agent listens only on ::1.
  dns.answer = {loopback(AF_INET, dead_port), loopback(AF_INET6, agent.port())};
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

}  // namespace
}  // namespace litetrace::detail
