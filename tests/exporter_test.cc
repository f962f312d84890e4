// The exporter over real UDP sockets on loopback: every span arrives exactly once or is
// counted; EMSGSIZE lowers the packet size and loses nothing; a missing agent is counted
// and reported, never fatal.

#include "jaeger/exporter.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstring>
#include <map>
#include <random>
#include <regex>
#include <set>
#include <thread>

#include "jaeger/jaeger_decoder.h"
#include "jaeger/jaeger_encoder.h"
#include "jaeger/jaeger_sink.h"
#include "jaeger/record_encoder.h"
#include "jaeger/record_rewriter.h"
#include "jaeger/span_mapper.h"
#include "core/record_normalizer.h"
#include "support/random_record.h"
#include "support/record_builder.h"
#include "support/refusing_port.h"
#include "support/span_compare.h"
#include "support/span_factory.h"
#include "support/udp_receiver.h"

namespace litetrace::detail {
namespace {

const Process kProcess{"exporter-test", {}};

struct Recorded {
  std::vector<Diagnostic> all;
  std::vector<std::string> messages;
  DiagnosticCallback callback() {
    return [this](const Diagnostic& d) {
      all.push_back({d.code, {}});
      messages.emplace_back(d.message);
    };
  }
  bool has(DiagnosticCode code) const {
    for (const Diagnostic& d : all) {
      if (d.code == code) return true;
    }
    return false;
  }
};

struct Received {
  std::vector<std::string> datagrams;  // the decoded views point into these
  std::vector<DecodedBatch> batches;
  std::map<uint64_t, const Span*> by_id;
  size_t span_count = 0;
  size_t max_datagram = 0;
};

// `binary`: datagrams of the binary protocol (the agent's port 6832).
void decode_all(std::vector<std::string> received, Received& out, bool binary = false) {
  out.datagrams = std::move(received);
  const std::vector<std::string>& datagrams = out.datagrams;
  out.batches.resize(datagrams.size());
  for (size_t i = 0; i < datagrams.size(); ++i) {
    std::string error;
    const auto* data = reinterpret_cast<const uint8_t*>(datagrams[i].data());
    ASSERT_TRUE(binary ? decode_emit_batch_binary(data, datagrams[i].size(), out.batches[i], &error)
                       : decode_emit_batch(data, datagrams[i].size(), out.batches[i], &error))
        << error;
    out.max_datagram = std::max(out.max_datagram, datagrams[i].size());
  }
  for (const DecodedBatch& b : out.batches) {
    for (const Span& s : b.spans) {
      EXPECT_TRUE(out.by_id.emplace(s.span_id, &s).second) << "span " << s.span_id << " arrived twice";
      ++out.span_count;
    }
  }
}

ExporterOptions options_for(const std::string& host, uint16_t port, size_t max_packet = kDefaultPacketSize) {
  ExporterOptions o;
  o.agent_host = host;
  o.agent_port = port;
  o.max_packet_size = max_packet;
  return o;
}

void expect_delivers_all(const std::string& host, int family) {
  test::UdpReceiver receiver(family);
  Recorded diags;
  DiagnosticReporter reporter(diags.callback());
  ExporterOptions o = options_for(host, receiver.port());
  // A host name's first lookup runs on a helper thread, which a loaded machine may start
  // late: the first send waits for it as long as the test's other waits.
  o.resolve_timeout = std::chrono::seconds(30);
  Exporter exporter(o, kProcess, &reporter);
  test::SpanFactory factory(17, test::RandomSpanLimits{20, 3, 3, 2, 200});
  std::vector<Span> sent;
  for (int i = 0; i < 1000; ++i) {
    sent.push_back(factory.random_span());
    exporter.add(sent.back());
  }
  exporter.flush();
  const ExporterStats st = exporter.stats();
  EXPECT_EQ(st.spans_sent, 1000u);
  EXPECT_EQ(st.spans_pending, 0u);
  EXPECT_EQ(st.spans_failed, 0u);
  EXPECT_GT(st.packets_sent, 1u);
  EXPECT_LE(st.send_calls, st.packets_sent);

  Received got;
  decode_all(receiver.receive_all(static_cast<size_t>(exporter.stats().packets_sent)), got);
  ASSERT_EQ(got.span_count, sent.size());
  for (const Span& s : sent) {
    ASSERT_EQ(got.by_id.count(s.span_id), 1u);
    test::expect_same_span(s, *got.by_id[s.span_id]);
  }
  // seqNo counts packets from 1 without gaps.
  std::set<int64_t> seqs;
  for (const DecodedBatch& b : got.batches) {
    EXPECT_EQ(b.process.service_name, "exporter-test");
    seqs.insert(b.seq_no);
  }
  EXPECT_EQ(*seqs.begin(), 1);
  EXPECT_EQ(*seqs.rbegin(), static_cast<int64_t>(got.batches.size()));
  EXPECT_EQ(seqs.size(), got.batches.size());
  EXPECT_LE(got.max_datagram, kDefaultPacketSize);
  EXPECT_FALSE(diags.has(DiagnosticCode::kSendFailed));
}

// Reports of one code closer together than the reporter's interval are held back, and the
// next one said carries their number. However the scheduler spaces the calls, every report
// is either said or counted in a later one; the last comes after the interval, so it is said.
TEST(DiagnosticReporter, HeldBackReportsAreCountedInTheNextOneSaid) {
  Recorded diags;
  DiagnosticReporter reporter(diags.callback(), std::chrono::milliseconds(100));
  for (int i = 0; i < 3; ++i) reporter.report(DiagnosticCode::kSendFailed, "send failed");
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  reporter.report(DiagnosticCode::kSendFailed, "send failed");
  const std::regex said(R"(send failed(?: \((\d+) more like this since the last report\))?)");
  size_t accounted = 0;
  for (const std::string& m : diags.messages) {
    std::smatch match;
    ASSERT_TRUE(std::regex_match(m, match, said)) << m;
    accounted += 1 + (match[1].matched ? std::stoul(match[1].str()) : 0);
  }
  EXPECT_EQ(accounted, 4u);
  EXPECT_EQ(diags.messages.front(), "send failed");
  EXPECT_EQ(reporter.reported(), diags.messages.size());
}

TEST(DiagnosticReporter, FormattedTextIsSaidWholeAtEveryLength) {
  Recorded diags;
  DiagnosticReporter reporter(diags.callback(), std::chrono::milliseconds(0));
  // Around the 512-byte buffer the text is formatted into first, and far past it.
  for (const size_t n : {0u, 10u, 499u, 500u, 501u, 511u, 512u, 3000u}) {
    const std::string long_text(n, 'x');
    reporter.report_formatted(DiagnosticCode::kInvalidOption, "[%s] %zu %s", long_text.c_str(), n, "end");
    EXPECT_EQ(diags.messages.back(), "[" + long_text + "] " + std::to_string(n) + " end");
    EXPECT_EQ(formatted("%s|%d", long_text.c_str(), 7), long_text + "|7");
  }
  EXPECT_EQ(diags.messages.size(), 8u);
}

TEST(Exporter, DeliversEverySpanOnceOverIPv4) { expect_delivers_all("127.0.0.1", AF_INET); }
TEST(Exporter, DeliversEverySpanOnceOverIPv6) { expect_delivers_all("::1", AF_INET6); }
TEST(Exporter, ResolvesHostNames) { expect_delivers_all("localhost", AF_INET); }

// Plain span records written straight into packets (add_record) make the same datagrams,
// byte for byte, as the same spans mapped and added: packed as full, in the same order,
// with the same seqNo, including the spans near each packet's end that are written aside
// first because their bound is more than the room left.
TEST(Exporter, RecordsArePackedAsTheirMappedSpansAre) {
  const TickConverter clock([] { return ClockSample{1000, 1000, 0, 1764000000000000000}; }, true);
  RecordEncoder encoder(&clock);
  SpanMapper mapper(&clock);
  std::mt19937_64 rng(11);
  const auto pick = [&](uint64_t n) { return static_cast<size_t>(rng() % n); };
  std::vector<std::vector<uint8_t>> records;
  for (int i = 0; i < 400; ++i) {
    test::RecordBuilder r;
    r.header().trace_id_high = rng();
    r.header().trace_id_low = rng();
    r.header().span_id = rng() | 1;
    r.header().time_flags = kStartIsUnixNs | kEndIsUnixNs;
    r.header().start = 1764000000000000000u + rng() % 1000000000;
    r.header().end = r.header().start + rng() % 1000000;
    r.name(std::string(1 + pick(40), 'n'));
    for (size_t k = 0, n = pick(4); k < n; ++k) r.string("key" + std::to_string(k), std::string(pick(120), 'v'));
    records.push_back(r.build());
  }
  const auto send = [&](bool as_records) {
    test::UdpReceiver receiver(AF_INET);
    Recorded diags;
    DiagnosticReporter reporter(diags.callback());
    Exporter exporter(options_for("127.0.0.1", receiver.port(), 1500), kProcess, &reporter);
    for (const std::vector<uint8_t>& record : records) {
      if (as_records) {
        EXPECT_TRUE(exporter.add_record(record.data(), encoder, {SIZE_MAX, 0}));
      } else {
        exporter.add(mapper.map(record.data()));
      }
    }
    exporter.flush();
    EXPECT_EQ(exporter.stats().spans_sent, records.size());
    std::vector<std::string> datagrams = receiver.receive_all(static_cast<size_t>(exporter.stats().packets_sent));
    std::sort(datagrams.begin(), datagrams.end());
    return datagrams;
  };
  const std::vector<std::string> mapped = send(false);
  const std::vector<std::string> written = send(true);
  EXPECT_GT(mapped.size(), 20u);
  EXPECT_TRUE(written == mapped) << written.size() << " datagrams against " << mapped.size();
}

TEST(Exporter, EmsgsizeLowersThePacketSizeAndLosesNothing) {
  // 65527 bytes fit an IPv6 datagram but not an IPv4 one (65507), so the kernel refuses
  // the first full packets with EMSGSIZE, as macOS does past 9216 bytes.
  test::UdpReceiver receiver(AF_INET);
  Recorded diags;
  DiagnosticReporter reporter(diags.callback());
  Exporter exporter(options_for("127.0.0.1", receiver.port(), kMaxPacketSize), kProcess, &reporter);
  test::SpanFactory factory(5);
  std::vector<Span> sent;
  for (int i = 0; i < 3000; ++i) {
    sent.push_back(factory.sized_span(2, 100));
    exporter.add(sent.back());
  }
  exporter.flush();
  const ExporterStats st = exporter.stats();
  EXPECT_EQ(st.spans_sent, sent.size());
  EXPECT_EQ(st.spans_failed, 0u);
  EXPECT_LT(st.max_packet_size, 65507u);
  EXPECT_TRUE(diags.has(DiagnosticCode::kPacketSizeLowered));

  Received got;
  decode_all(receiver.receive_all(static_cast<size_t>(exporter.stats().packets_sent)), got);
  EXPECT_EQ(got.span_count, sent.size());
  for (const Span& s : sent) EXPECT_EQ(got.by_id.count(s.span_id), 1u);
  // Packets sealed before the refusal that happened to be under 65507 bytes went out as
  // they were; only the refused ones were re-packed.
  EXPECT_LE(got.max_datagram, 65507u);

  // The lowered size is kept: later spans go out in small packets straight away.
  const uint64_t lowered_before = reporter.reported();
  for (int i = 0; i < 1000; ++i) exporter.add(factory.sized_span(2, 100));
  exporter.flush();
  EXPECT_EQ(exporter.stats().spans_sent, sent.size() + 1000);
  Received later;
  decode_all(receiver.receive_all(static_cast<size_t>(exporter.stats().packets_sent - st.packets_sent)), later);
  EXPECT_EQ(later.span_count, 1000u);
  EXPECT_LE(later.max_datagram, st.max_packet_size);
  EXPECT_EQ(reporter.reported(), lowered_before);
}

TEST(Exporter, EmsgsizeTrimsSpansTooLargeForTheLoweredSize) {
  // One packet of exactly 65520 bytes: over IPv4's 65507, under the 65527 asked for. Its
  // large span does not fit the halved size, so it goes again from the exporter's copy,
  // trimmed, under the refused packet's seqNo; the small spans beside it go again as the
  // bytes they were.
  test::UdpReceiver receiver(AF_INET);
  Recorded diags;
  DiagnosticReporter reporter(diags.callback(), std::chrono::milliseconds(0));
  ExporterOptions o = options_for("127.0.0.1", receiver.port(), kMaxPacketSize);
  o.packets_per_send = 1;
  Exporter exporter(o, kProcess, &reporter);
  test::SpanFactory factory(11);
  std::vector<Span> small;
  size_t small_bytes = 0;
  for (int i = 0; i < 3; ++i) {
    small.push_back(factory.sized_span(2, 20));
    small_bytes += encoded_size(small.back());
  }
  constexpr size_t kPacket = 65520;
  const size_t large_bytes = kPacket - batch_head_size(encode_process(kProcess).size(), 4) -
                             batch_tail_size(1, ClientStats{}) - small_bytes;
  // 79 tags of 800 bytes, and a last one sized to make the span exactly large_bytes.
  Span large = factory.sized_span(80, 800);
  std::vector<Tag> tags(large.tags.begin(), large.tags.end());
  for (size_t n = 0; n < 2000; ++n) {
    tags.back().str = factory.store().keep(std::string(n, 'w'));
    large.tags = factory.store().keep(tags);
    if (encoded_size(large) == large_bytes) break;
  }
  ASSERT_EQ(encoded_size(large), large_bytes);
  exporter.add(large);
  for (const Span& s : small) exporter.add(s);
  exporter.flush();
  const ExporterStats st = exporter.stats();
  EXPECT_TRUE(diags.has(DiagnosticCode::kPacketSizeLowered));
  EXPECT_EQ(st.max_packet_size, kPacket / 2);
  EXPECT_EQ(st.spans_sent, 1 + small.size());
  EXPECT_EQ(st.spans_trimmed, 1u);
  EXPECT_EQ(st.spans_failed + st.spans_too_large, 0u);

  Received got;
  decode_all(receiver.receive_all(static_cast<size_t>(st.packets_sent)), got);
  ASSERT_EQ(got.span_count, 1 + small.size());
  ASSERT_EQ(got.by_id.count(large.span_id), 1u);
  const Span& back = *got.by_id[large.span_id];
  EXPECT_EQ(back.operation_name, large.operation_name);
  EXPECT_LT(back.tags.size, large.tags.size);
  EXPECT_EQ(back.dropped_tags, large.tags.size - back.tags.size);  // otel.dropped_attributes_count
  for (size_t t = 0; t < back.tags.size; ++t) {
    EXPECT_EQ(back.tags[t].key, large.tags[t].key);
    EXPECT_EQ(back.tags[t].str, large.tags[t].str);
  }
  for (const Span& s : small) {
    ASSERT_EQ(got.by_id.count(s.span_id), 1u);
    test::expect_same_span(s, *got.by_id[s.span_id]);
  }
  // seqNo 1, 2, ...: no gap, as no datagram was lost.
  std::set<int64_t> seqs;
  for (const DecodedBatch& b : got.batches) seqs.insert(b.seq_no);
  EXPECT_EQ(seqs.size(), got.batches.size());
  EXPECT_EQ(*seqs.begin(), 1);
  EXPECT_EQ(*seqs.rbegin(), static_cast<int64_t>(got.batches.size()));
}

// The binary sink (the agent's port 6832) writes records as the compact sink does, by the
// record encoder's binary way: random records, a quarter with arrays (rewritten aside), some
// under an attribute limit they break (normalized aside), many whose bound is more than a
// re-pack holds as bytes (written aside, and kept as copies when they are larger too; the
// least packet a re-pack lowers to is 2,048 bytes), and one too large for any packet
// (trimmed). Every span arrives
// through both sinks, and each decodes the same from the binary datagrams as from the
// compact ones but the trimmed one, which fits its packet. Sent and received 40 records at a
// time, so that the receivers' buffers never hold many datagrams.
TEST(Exporter, TheBinarySinkSendsTheSpansTheCompactSinkSends) {
  test::UdpReceiver compact_receiver(AF_INET);
  test::UdpReceiver binary_receiver(AF_INET);
  Recorded diags;
  DiagnosticReporter reporter(diags.callback(), std::chrono::milliseconds(0));
  const TickConverter clock = test::exact_clock();
  constexpr size_t kPacket = 16000;
  JaegerSink compact(options_for("127.0.0.1", compact_receiver.port(), kPacket), kProcess, &clock, &reporter);
  ExporterOptions bo = options_for("127.0.0.1", binary_receiver.port(), kPacket);
  bo.protocol = &kBinaryThrift;
  JaegerBinarySink binary(bo, kProcess, &clock, &reporter);
  std::mt19937_64 rng(5);
  size_t binary_spans = 0;
  size_t arrays = 0, limited = 0, past_repack = 0;
  for (int round = 0; round < 10; ++round) {
    for (int i = 0; i < 40; ++i) {
      std::vector<uint8_t> record = test::random_record(rng, /*arrays=*/rng() % 4 == 0);
      const uint64_t span_id = (uint64_t{1} << 63) | static_cast<uint64_t>(round * 40 + i);  // each its own
      std::memcpy(record.data() + offsetof(SpanRecordHeader, span_id), &span_id, sizeof span_id);
      const bool large = round == 9 && i == 39;
      if (large) {  // the one too large for a packet, kept whole by the rules
        test::RecordBuilder r;
        r.header().span_id = 1;
        r.header().time_flags = kStartIsUnixNs | kEndIsUnixNs;
        r.header().start = 1764000000000000000u;
        r.header().end = r.header().start + 1000;
        r.name("large");
        for (int k = 0; k < 40; ++k) r.string("key" + std::to_string(k), std::string(1000, 'v'));
        record = r.build();
      }
      arrays += RecordRewriter::has_arrays(record.data()) ? 1 : 0;
      past_repack += RecordEncoder::binary_plain_bound(record.data()) > 2048 ? 1 : 0;
      const size_t max_attributes = rng() % 4 == 0 && !large ? 2 : 128;
      limited += max_attributes == 2 ? 1 : 0;
      RecordNormalizer compact_rules(max_attributes, 0);
      RecordNormalizer binary_rules(max_attributes, 0);
      compact.add(record.data(), compact_rules);
      binary.add(record.data(), binary_rules);
    }
    const uint64_t compact_packets = compact.stats().packets_sent;
    const uint64_t binary_packets = binary.stats().packets_sent;
    compact.flush();
    binary.flush();
    Received c;
    Received b;
    decode_all(compact_receiver.receive_all(static_cast<size_t>(compact.stats().packets_sent - compact_packets)), c);
    decode_all(binary_receiver.receive_all(static_cast<size_t>(binary.stats().packets_sent - binary_packets)), b,
               /*binary=*/true);
    ASSERT_EQ(c.span_count, b.span_count) << "round " << round;
    for (const auto& [id, span] : c.by_id) {
      ASSERT_EQ(b.by_id.count(id), 1u) << "span " << id;
      if (id == 1) {  // trimmed to its packet: fewer tags, the dropped count said
        const Span& trimmed = *b.by_id[id];
        EXPECT_LT(trimmed.tags.size, 30u);
        EXPECT_EQ(trimmed.dropped_tags, 40 - trimmed.tags.size);
        continue;
      }
      test::expect_same_span(*span, *b.by_id[id]);
      if (::testing::Test::HasFailure()) FAIL() << "span " << id << ", round " << round;
    }
    EXPECT_LE(b.max_datagram, kPacket);
    binary_spans += b.span_count;
  }
  const SinkStats cs = compact.stats();
  const SinkStats bs = binary.stats();
  EXPECT_EQ(binary_spans, 400u);
  EXPECT_EQ(bs.spans_exported, 400u);
  EXPECT_EQ(cs.spans_exported, 400u);
  EXPECT_EQ(bs.spans_trimmed, 1u);
  EXPECT_EQ(bs.spans_failed + bs.spans_too_large, 0u);
  EXPECT_GT(arrays, 40u);
  EXPECT_GT(limited, 40u);
  EXPECT_GT(past_repack, 40u);
}

// The Jaeger sink over compact Thrift writes every record with the record encoder, the
// Jaeger view unused: records larger than a re-pack may hold as bytes are kept as record
// copies, and after EMSGSIZE added again from them (the one too large for the lowered
// size trimmed), under the refused packet's seqNo and on; arrays go as the JSON lists the
// mapping makes of them.
TEST(Exporter, RecordsLargerThanARepackGoAgainFromTheirCopiesAfterEmsgsize) {
  test::UdpReceiver receiver(AF_INET);
  Recorded diags;
  DiagnosticReporter reporter(diags.callback(), std::chrono::milliseconds(0));
  const TickConverter clock([] { return ClockSample{1000, 1000, 0, 1764000000000000000}; }, true);
  ExporterOptions o = options_for("127.0.0.1", receiver.port(), kMaxPacketSize);
  o.packets_per_send = 1;
  JaegerSink sink(o, kProcess, &clock, &reporter);
  const auto record = [](uint64_t id, size_t attributes, size_t value_bytes) {
    test::RecordBuilder r;
    r.header().trace_id_low = 7;
    r.header().span_id = id;
    r.header().time_flags = kStartIsUnixNs | kEndIsUnixNs;
    r.header().start = 1764000000000000000u;
    r.header().end = r.header().start + 1000;
    r.name("op" + std::to_string(id));
    for (size_t k = 0; k < attributes; ++k) {
      r.string("key" + std::to_string(k), std::string(value_bytes, static_cast<char>('a' + k % 26)));
    }
    r.strings("list", {"x", "y\""});
    return r.build();
  };
  // A first packet of exactly 65520 bytes (over IPv4's 65507, under the 65527 asked for):
  // one record of some 48 KB, which fits that packet and not the halved size, three of
  // some 4.5 KB and one sized to fill it; then 30 more of 4.5 KB.
  RecordEncoder encoder(&clock);
  TagRunCache cache;
  const auto encoded_size = [&](const std::vector<uint8_t>& r) {
    std::vector<uint8_t> out(RecordEncoder::plain_bound(r.data()));
    RecordRewriter rewriter;
    return encoder.encode(rewriter.without_arrays(r.data()), out.data(), cache, kRulesApplied);
  };
  std::vector<std::vector<uint8_t>> first = {record(1, 200, 240), record(2, 20, 220), record(3, 20, 220),
                                             record(4, 20, 220)};
  size_t first_bytes = 0;
  for (const std::vector<uint8_t>& r : first) first_bytes += encoded_size(r);
  constexpr size_t kPacket = 65520;
  const size_t filler_bytes = kPacket - batch_head_size(encode_process(kProcess).size(), first.size() + 1) -
                              batch_tail_size(1, ClientStats{}) - first_bytes;
  for (size_t n = 0; n < 8000; ++n) {
    first.push_back(record(5, 1, n));
    if (encoded_size(first.back()) == filler_bytes) break;
    first.pop_back();
  }
  ASSERT_EQ(first.size(), 5u) << "no filler of " << filler_bytes << " bytes";
  std::vector<uint64_t> ids;
  RecordNormalizer rules(kRulesApplied.max_attributes, kRulesApplied.max_attribute_length);  // every attribute kept
  for (const std::vector<uint8_t>& r : first) sink.add(r.data(), rules);
  for (uint64_t id = 1; id <= 5; ++id) ids.push_back(id);
  for (uint64_t id = 6; id <= 35; ++id) {
    sink.add(record(id, 20, 220).data(), rules);
    ids.push_back(id);
  }
  sink.flush();
  const SinkStats st = sink.stats();
  EXPECT_TRUE(diags.has(DiagnosticCode::kPacketSizeLowered));
  EXPECT_TRUE(diags.has(DiagnosticCode::kSpanTrimmed));
  EXPECT_EQ(st.spans_exported, ids.size());
  EXPECT_EQ(st.spans_trimmed, 1u);
  EXPECT_EQ(st.spans_failed + st.spans_too_large + st.spans_pending, 0u);

  Received got;
  decode_all(receiver.receive_all(static_cast<size_t>(st.packets_sent)), got);
  ASSERT_EQ(got.span_count, ids.size());
  EXPECT_LE(got.max_datagram, 65507u);
  for (const uint64_t id : ids) {
    ASSERT_EQ(got.by_id.count(id), 1u) << id;
    const Span& s = *got.by_id[id];
    EXPECT_EQ(s.operation_name, "op" + std::to_string(id));
    const size_t attributes = id == 1 ? 200 : id == 5 ? 1 : 20;
    // The attributes kept are the first ones, in order; the list last, as JSON.
    const size_t kept = s.tags.size;
    EXPECT_EQ(s.dropped_tags, attributes + 1 - kept) << id;  // otel.dropped_attributes_count
    for (size_t k = 0; k < kept && k < attributes; ++k) EXPECT_EQ(s.tags[k].key, "key" + std::to_string(k));
    if (id != 1) {
      ASSERT_EQ(kept, attributes + 1);
      EXPECT_EQ(s.tags[attributes].key, "list");
      EXPECT_EQ(s.tags[attributes].str, "[\"x\",\"y\\\"\"]");
    } else {
      EXPECT_LT(kept, attributes);
    }
  }
  // seqNo 1, 2, ...: no gap, as no datagram was lost.
  std::set<int64_t> seqs;
  for (const DecodedBatch& b : got.batches) seqs.insert(b.seq_no);
  EXPECT_EQ(seqs.size(), got.batches.size());
  EXPECT_EQ(*seqs.begin(), 1);
  EXPECT_EQ(*seqs.rbegin(), static_cast<int64_t>(got.batches.size()));
}

TEST(Exporter, MissingAgentIsCountedAndReportedNeverFatal) {
  const test::RefusingPort dead(test::RefusingPort::Protocol::kUdp);  // refuses what it is sent
  ASSERT_TRUE(dead.ok());
  const uint16_t dead_port = dead.port();
  Recorded diags;
  DiagnosticReporter reporter(diags.callback(), std::chrono::milliseconds(0));
  ExporterOptions o = options_for("127.0.0.1", dead_port, 1500);
  o.packets_per_send = 1;
  Exporter exporter(o, kProcess, &reporter);
  test::SpanFactory factory(8);
  // The first datagram leaves before the "port unreachable" comes back; after that the
  // connected socket reports ECONNREFUSED. When it comes back is the kernel's affair (on a
  // loaded machine, later), so rounds go on until some spans failed.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  uint64_t rounds = 0;
  do {
    for (int i = 0; i < 10; ++i) exporter.add(factory.sized_span(1, 50));
    exporter.flush();
    ++rounds;
  } while ((rounds < 20 || exporter.stats().spans_failed == 0) && std::chrono::steady_clock::now() < give_up);
  const ExporterStats st = exporter.stats();
  EXPECT_EQ(st.spans_sent + st.spans_failed, 10 * rounds);
  EXPECT_EQ(st.spans_pending, 0u);
  EXPECT_GT(st.spans_failed, 0u);
  EXPECT_TRUE(diags.has(DiagnosticCode::kSendFailed));
  // Each names the agent as the options gave it.
  const std::string agent = "to agent 127.0.0.1:" + std::to_string(dead_port) + " at 127.0.0.1:";
  bool mentions_refused = false;
  for (const std::string& m : diags.messages) {
    if (m.find("refused") == std::string::npos) continue;
    mentions_refused = true;
    EXPECT_NE(m.find(agent), std::string::npos) << m;
  }
  EXPECT_TRUE(mentions_refused);
}

TEST(Exporter, UnresolvableAgentIsCountedAndReported) {
  Recorded diags;
  DiagnosticReporter reporter(diags.callback());
  Exporter exporter(options_for("agent.invalid", 6831), kProcess, &reporter);
  test::SpanFactory factory(9);
  for (int i = 0; i < 5; ++i) exporter.add(factory.sized_span(1, 10));
  exporter.flush();
  EXPECT_EQ(exporter.stats().spans_failed, 5u);
  EXPECT_TRUE(diags.has(DiagnosticCode::kAgentUnresolved));
  EXPECT_TRUE(exporter.peer().empty());
}

TEST(Exporter, OversizedSpansAreTrimmedOrCountedAsTooLarge) {
  test::UdpReceiver receiver(AF_INET);
  Recorded diags;
  DiagnosticReporter reporter(diags.callback());
  Exporter exporter(options_for("127.0.0.1", receiver.port(), 4096), kProcess, &reporter);
  test::SpanFactory factory(10);
  const Span big = factory.sized_span(200, 100);  // ~21 KB of tags
  Span long_name = factory.sized_span(0, 0);
  std::string name = "x";
  for (int i = 0; i < 2500; ++i) name += "\xC3\xA9";  // é: two bytes
  long_name.operation_name = name;
  Span unfittable = factory.sized_span(0, 0);
  std::vector<SpanRef> refs(400, SpanRef{RefType::kFollowsFrom, ~0ull >> 2, ~0ull >> 2, ~0ull >> 2});  // ~12 KB: no room even nameless
  unfittable.references = {refs.data(), refs.size()};
  const Span after = factory.sized_span(1, 1);
  exporter.add(long_name);  // first: kSpanTrimmed is said at most once a second
  exporter.add(big);
  exporter.add(unfittable);
  exporter.add(after);
  exporter.flush();
  const ExporterStats st = exporter.stats();
  EXPECT_EQ(st.spans_trimmed, 2u);
  EXPECT_EQ(st.spans_too_large, 1u);
  EXPECT_EQ(st.spans_sent, 3u);
  EXPECT_TRUE(diags.has(DiagnosticCode::kSpanTrimmed));
  EXPECT_TRUE(diags.has(DiagnosticCode::kSpanTooLarge));

  Received got;
  decode_all(receiver.receive_all(static_cast<size_t>(exporter.stats().packets_sent)), got);
  ASSERT_EQ(got.span_count, 3u);
  const Span& cut = *got.by_id.at(long_name.span_id);
  EXPECT_GT(cut.operation_name.size(), 3500u);
  EXPECT_LT(cut.operation_name.size(), name.size());
  EXPECT_EQ(cut.operation_name.size() % 2, 1u) << "the cut split an é";
  // Diagnostics quote at most 64 bytes of a name, cut between characters: 63 here.
  std::string quoted = "\"x";
  for (int i = 0; i < 31; ++i) quoted += "\xC3\xA9";
  quoted += "...\"";
  bool said = false;
  for (const std::string& m : diags.messages) {
    if (m.find("with its name cut to " + std::to_string(cut.operation_name.size()) + " bytes") == std::string::npos) continue;
    said = true;
    EXPECT_EQ(m.rfind("span " + quoted + " encodes to ", 0), 0u) << m;
  }
  EXPECT_TRUE(said);
  const Span& trimmed = *got.by_id.at(big.span_id);
  EXPECT_LT(trimmed.tags.size, 200u);
  EXPECT_EQ(trimmed.dropped_tags, 200u - trimmed.tags.size);
  for (size_t i = 0; i < trimmed.tags.size; ++i) EXPECT_EQ(trimmed.tags[i].key, big.tags[i].key);
  // The drop is reported to the agent too, in the packet after it happened.
  EXPECT_EQ(got.batches.back().stats.too_large_dropped_spans, 1);
}

TEST(Exporter, InvalidPacketSizesAreCorrectedAndReported) {
  Recorded diags;
  DiagnosticReporter reporter(diags.callback());
  Exporter small(options_for("127.0.0.1", 9, 10), kProcess, &reporter);
  EXPECT_GE(small.stats().max_packet_size, kMinPacketSize);
  Exporter large(options_for("127.0.0.1", 9, 1 << 20), kProcess, &reporter);
  EXPECT_EQ(large.stats().max_packet_size, kMaxPacketSize);
  EXPECT_EQ(diags.all.size(), 2u);
  EXPECT_TRUE(diags.has(DiagnosticCode::kInvalidOption));
}

}  // namespace
}  // namespace litetrace::detail
