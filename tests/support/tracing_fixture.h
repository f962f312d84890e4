#pragma once

// A TracerProvider sending to a UdpReceiver on loopback, and the spans that arrived,
// decoded with litetrace's decoder.

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "jaeger/jaeger_decoder.h"
#include "litetrace/trace.h"
#include "support/udp_receiver.h"

namespace litetrace::test {

struct Arrived {
  std::vector<std::string> datagrams;  // the views below point into these
  std::vector<detail::DecodedBatch> batches;
  std::vector<const detail::Span*> spans;

  void decode(std::vector<std::string> received) {
    datagrams.insert(datagrams.end(), std::make_move_iterator(received.begin()),
                     std::make_move_iterator(received.end()));
    batches.resize(datagrams.size());
    spans.clear();
    for (size_t i = 0; i < datagrams.size(); ++i) {
      std::string error;
      ASSERT_TRUE(detail::decode_emit_batch(reinterpret_cast<const uint8_t*>(datagrams[i].data()),
                                            datagrams[i].size(), batches[i], &error))
          << error;
    }
    for (const detail::DecodedBatch& b : batches) {
      for (const detail::Span& s : b.spans) spans.push_back(&s);
    }
  }

  const detail::Span* by_name(std::string_view name) const {
    for (const detail::Span* s : spans) {
      if (s->operation_name == name) return s;
    }
    return nullptr;
  }
};

inline const detail::Tag* find_tag(const detail::Span& s, std::string_view key) {
  for (const detail::Tag& t : s.tags) {
    if (t.key == key) return &t;
  }
  return nullptr;
}

// Every datagram `provider` says it sent (TracerStats::packets_sent), however late.
inline std::vector<std::string> sent_by(const TracerProvider& provider, UdpReceiver& receiver) {
  return receiver.receive_all(static_cast<size_t>(provider.stats().packets_sent));
}

inline TracerProviderOptions options_for(const UdpReceiver& receiver) {
  TracerProviderOptions o;
  o.service_name = "tracer-test";
  o.agent_host = "127.0.0.1";
  o.agent_port = receiver.port();
  return o;
}

}  // namespace litetrace::test
