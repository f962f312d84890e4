#include "jaeger/exporter.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/compiler.h"
#include "core/text.h"
#include "jaeger/jaeger_encoder.h"

namespace litetrace::detail {
namespace {

// A packet must leave room for a span of at least this size beside its envelope and
// Process, or the limit is raised to that.
constexpr size_t kMinSpanRoom = 256;
constexpr size_t kMaxPacketsPerSend = 64;
// The least EMSGSIZE lowers the packet size to: macOS refuses datagrams over 9216 bytes,
// Linux over 65507 to an IPv4 agent; none refuses 2 KiB. Spans that fit such a packet
// (nearly all) go out again after a refusal as the bytes they were encoded to.
constexpr size_t kLowestAfterEmsgsize = 2048;

size_t clamp_packets_per_send(size_t n) { return std::clamp<size_t>(n, 1, kMaxPacketsPerSend); }

LITETRACE_COLD UdpSenderOptions sender_options(const ExporterOptions& o) {
  UdpSenderOptions s;
  copy_text(s.host, o.agent_host);
  s.port = o.agent_port;
  s.resolve_interval = o.resolve_interval;
  s.resolve_timeout = o.resolve_timeout;
  s.send_buffer_bytes = std::min(o.max_packet_size, kMaxPacketSize) *
                        clamp_packets_per_send(o.packets_per_send);
  return s;
}

}  // namespace

LITETRACE_COLD Exporter::Exporter(const ExporterOptions& options, const Process& process, DiagnosticReporter* reporter)
    : protocol_(options.protocol),
      packets_per_send_(clamp_packets_per_send(options.packets_per_send)),
      reporter_(reporter),
      sender_(sender_options(options), reporter) {
  std::string encoded_process = protocol_encode_process(*protocol_, process);
  packet_floor_ = std::max(kMinPacketSize, protocol_batch_head_size(*protocol_, encoded_process.size(), 1) +
                                               protocol_max_batch_tail_size(*protocol_) + kMinSpanRoom);
  packet_size_ = options.max_packet_size;
  if (packet_size_ > kMaxPacketSize) {
    reporter_->report_formatted(DiagnosticCode::kInvalidOption,
                                "max_packet_size %zu exceeds the largest UDP payload; using %zu", packet_size_,
                                kMaxPacketSize);
    packet_size_ = kMaxPacketSize;
  }
  if (packet_size_ < packet_floor_) {
    reporter_->report_formatted(DiagnosticCode::kInvalidOption,
                                "max_packet_size %zu leaves no room for spans beside the process; using %zu",
                                packet_size_, packet_floor_);
    packet_size_ = packet_floor_;
  }
  builders_.at = make_raw_array<PacketBuilder*>(packets_per_send_);
  // The packets' bytes in one block, not zeroed: a page takes memory only once a packet
  // reaches it. glibc's malloc maps a block of 128 KiB or more on its own (four packets of
  // 65 KB by default); a buffer each, carved from the heap, touched a page more at each
  // one's end, for the next chunk's header (bench/litetrace_memory: an idle provider
  // 68-72 KiB, now 52-56).
  const size_t packet_bytes = PacketBuilder::buffer_size(encoded_process.size(), packet_size_, *protocol_);
  packets_ = make_raw_array<uint8_t>(packets_per_send_ * packet_bytes);
  // The builder's constructor is inlined here, cold.
  for (size_t i = 0; i < packets_per_send_; ++i) {
    builders_.at[i] = new PacketBuilder(encoded_process, packet_size_, packets_.get() + i * packet_bytes, *protocol_);
    builders_.made = i + 1;
  }
  datagrams_ = make_raw_array<std::string_view>(packets_per_send_);
  // What fits an empty packet of the least size with the widest tail fits every packet a
  // re-pack may use.
  // EMSGSIZE lowers the size to kLowestAfterEmsgsize at the least (or what was asked for,
  // when that is less): no socket on a system litetrace runs on refuses so small a datagram.
  lowering_floor_ = std::max(packet_floor_, std::min(packet_size_, kLowestAfterEmsgsize));
  repack_as_bytes_ = lowering_floor_ - protocol_batch_head_size(*protocol_, encoded_process.size(), 1) -
                     protocol_max_batch_tail_size(*protocol_);
  // Not zero-filled: its pages take memory once a span is written there.
  record_aside_ = make_raw_array<uint8_t>(repack_as_bytes_);
  working_packet_size_.store(packet_size_, std::memory_order_relaxed);
}

// Out of line, and cold as the constructor is: implicit, it was inlined where the sink is
// destroyed, built for speed.
LITETRACE_COLD Exporter::~Exporter() {
  for (Copy& copy : kept_) copy.let_go();
  for (Copy& copy : repack_) copy.let_go();
}

ClientStats Exporter::client_stats() const {
  ClientStats s;
  s.full_queue_dropped_spans = full_queue_dropped_;
  s.too_large_dropped_spans = static_cast<int64_t>(spans_too_large_.load(std::memory_order_relaxed));
  s.failed_to_emit_spans = static_cast<int64_t>(spans_failed_.load(std::memory_order_relaxed));
  return s;
}

LITETRACE_COLD PacketBuilder& Exporter::begin_current() noexcept {
  PacketBuilder& b = *builders_[sealed_];
  // An empty packet takes the stats as they are when its first span arrives.
  b.begin(b.open() ? b.seq_no() : next_seq_no_++, client_stats(), packet_size_);
  forget_kept(sealed_);
  return b;
}

Exporter::Copy& Exporter::keep_last() noexcept {
  if (kept_count_ == kept_.size()) kept_.push_back(Copy{});
  Copy& copy = kept_[kept_count_++];
  copy.builder = static_cast<uint32_t>(sealed_);
  copy.span = static_cast<uint32_t>(builders_[sealed_]->span_count() - 1);
  return copy;
}

void Exporter::forget_kept(size_t from) noexcept {
  while (kept_count_ != 0 && kept_[kept_count_ - 1].builder >= from) --kept_count_;
}

void Exporter::Copy::keep(std::string_view from) {
  char* const made = make_raw_array<char>(from.size()).release();
  std::memcpy(made, from.data(), from.size());
  ::operator delete(bytes);
  bytes = made;
  size = from.size();
}

void Exporter::Copy::let_go() noexcept {
  ::operator delete(bytes);
  bytes = nullptr;
  if (view != nullptr) view->destroy(view);
  view = nullptr;
}

void Exporter::add_bytes_again(Exporter& exporter, const Copy& copy) { exporter.add_encoded(copy.held()); }

void Exporter::add_record_again(Exporter& exporter, const Copy& copy) {
  exporter.place_record(reinterpret_cast<const uint8_t*>(copy.bytes));
}

// A span as it was encoded: one that fits a packet of the least size (repack_as_bytes_), or
// a record's that fits the packet, whose record is kept.
LITETRACE_COLD void Exporter::add_encoded(std::string_view span_bytes, Copy* record) noexcept {
  PacketBuilder::AddResult r = current().add_encoded(span_bytes);
  if (r == PacketBuilder::AddResult::kFull && span_bytes.size() <= current().max_span_size()) {
    do {
      seal_current();
    } while ((r = current().add_encoded(span_bytes)) == PacketBuilder::AddResult::kFull);
  }
  if (r == PacketBuilder::AddResult::kAdded) {
    if (record != nullptr && span_bytes.size() > repack_as_bytes_) {
      Copy& copy = keep_last();
      ::operator delete(copy.bytes);
      copy.bytes = record->bytes;  // taken: the caller lets go of none
      record->bytes = nullptr;
      copy.size = record->size;
      copy.add_again = &Exporter::add_record_again;
    }
    return;
  }
  // Cannot happen: the packet size is never lowered below what such a span needs. Counted
  // rather than lost.
  bump(spans_failed_, 1);
  reporter_->report_formatted(DiagnosticCode::kSendFailed, "cannot re-pack a span of %zu bytes into a %zu-byte packet",
                              span_bytes.size(), packet_size_);
}

LITETRACE_COLD void Exporter::add_record_aside(const uint8_t* record) noexcept {
  bump(spans_added_, 1);
  place_record(record);
}

size_t Exporter::encode_aside(const uint8_t* record) noexcept {
  TagRunCache& cache = current().tag_runs();
  if (!protocol_->compact) return protocol_->encode_record(*record_encoder_, record, aside_, cache);
  const size_t bound = RecordEncoder::plain_bound(record);
  if (aside_.size() < bound) aside_.resize(bound);
  return record_encoder_->encode(record, aside_.data(), cache, kRulesApplied);
}

// The bytes and the record go into copies of their own before they are placed: sealing a
// packet may re-pack spans (EMSGSIZE), and those use aside_ and rewriter_ again.
LITETRACE_COLD void Exporter::place_record(const uint8_t* record) noexcept {
  if (RecordRewriter::has_arrays(record)) {
    // Relaxed: the ring's acquire of the record orders it after the store (trace.cc).
    const RecordRewriter::ArrayRewrite rewrite = RecordRewriter::array_rewrite();
    if (rewrite != nullptr) record = rewrite(rewriter_, record);
  }
  const size_t size = encode_aside(record);
  if (size == 0) {  // cannot happen: its arrays are strings and it keeps the rules
    bump(spans_failed_, 1);
    reporter_->report_formatted(DiagnosticCode::kSendFailed,
                                "cannot encode span %s", quoted_for_diagnostic(RecordRewriter::name(record)).c_str());
    return;
  }
  const size_t limit = current().max_span_size();
  if (size > limit) {
    place_trimmed_record(record, size, limit);
    return;
  }
  add_aside_with_copy(size, record);
}

// Adds the first `size` bytes of aside_, encoded from `record`, keeping a copy of the record.
LITETRACE_COLD void Exporter::add_aside_with_copy(size_t size, const uint8_t* record) noexcept {
  Copy bytes;
  bytes.keep({reinterpret_cast<const char*>(aside_.data()), size});
  Copy copy;
  copy.keep(RecordRewriter::whole(record));
  add_encoded(bytes.held(), &copy);
  bytes.let_go();
  copy.let_go();
}

// Trimmed as RecordRewriter::trim() says; a copy of the trimmed record is what is kept.
LITETRACE_COLD void Exporter::place_trimmed_record(const uint8_t* record, size_t size, size_t limit) noexcept {
  RecordRewriter::Counts kept;
  if (!rewriter_.trim(record, limit, [&](const uint8_t* r) { return encode_aside(r); }, &kept)) {
    report_too_large(RecordRewriter::name(record));
    return;
  }
  const RecordRewriter::Counts all = RecordRewriter::counts(record);
  report_trimmed(RecordRewriter::name(record), size, limit, all.logs - kept.logs, all.attributes - kept.attributes,
                 kept.name);
  const uint8_t* trimmed = rewriter_.keep(record, kept);
  add_aside_with_copy(encode_aside(trimmed), trimmed);
}

LITETRACE_COLD void Exporter::report_too_large(std::string_view name) noexcept {
  bump(spans_too_large_, 1);
  reporter_->report_formatted(DiagnosticCode::kSpanTooLarge,
                              "span %s does not fit a %zu-byte packet even without logs, tags and name; dropped "
                              "(tooLargeDroppedSpans)",
                              quoted_for_diagnostic(name).c_str(), packet_size_);
}

LITETRACE_COLD void Exporter::report_trimmed(std::string_view name, size_t size, size_t limit, size_t logs_cut,
                                             size_t tags_cut, size_t name_kept) noexcept {
  bump(spans_trimmed_, 1);
  const std::string name_note =
      name_kept == name.size() ? std::string() : formatted(" and with its name cut to %zu bytes", name_kept);
  reporter_->report_formatted(DiagnosticCode::kSpanTrimmed,
                              "span %s encodes to %zu bytes, more than the %zu a packet has room for: sent it without "
                              "its last %zu logs and %zu tags (its otel.dropped_* tags say so)%s",
                              quoted_for_diagnostic(name).c_str(), size, limit, logs_cut, tags_cut, name_note.c_str());
}

LITETRACE_COLD void Exporter::seal_current() noexcept {
  PacketBuilder& b = *builders_[sealed_];
  if (!b.open() || b.span_count() == 0) return;
  const ClientStats now = client_stats();
  datagrams_[sealed_++] = b.finish(&now);
  if (sealed_ == packets_per_send_) send_sealed();
}

LITETRACE_COLD void Exporter::flush() noexcept {
  // Re-packing after EMSGSIZE can leave spans in a new open packet; go until none is left.
  for (;;) {
    PacketBuilder& b = *builders_[sealed_];
    if (b.open() && b.span_count() != 0) {
      const ClientStats now = client_stats();
      datagrams_[sealed_++] = b.finish(&now);
    }
    if (sealed_ == 0) return;
    send_sealed();
  }
}

LITETRACE_COLD void Exporter::send_sealed() noexcept {
  size_t i = 0;
  while (i < sealed_) {
    int err = 0;
    const size_t k = sender_.send(&datagrams_[i], sealed_ - i, &err);
    for (const size_t end = i + k; i < end; ++i) {
      bump(spans_sent_, builders_[i]->span_count());
      bump(packets_sent_, 1);
      bump(bytes_sent_, datagrams_[i].size());
    }
    if (i == sealed_) break;
    const PacketBuilder& refused = *builders_[i];
    if (err == EMSGSIZE && packet_size_ > lowering_floor_) {
      // The refused packet and those sealed after it go out again, smaller, under the
      // refused packet's seqNo and on: the agent sees no gap, as no datagram was lost.
      lower_packet_size(datagrams_[i].size());
      next_seq_no_ = refused.seq_no();
      // The copies of these packets' spans are kept_[next_kept, end_kept), in order.
      const size_t end_kept = kept_count_;
      forget_kept(i);
      size_t next_kept = kept_count_;
      for (; i < sealed_; ++i) {
        for (size_t s = 0; s < builders_[i]->span_count(); ++s) {
          repack_.push_back(Copy{});
          Copy& r = repack_.back();
          if (next_kept < end_kept && kept_[next_kept].builder == i && kept_[next_kept].span == s) {
            Copy& kept = kept_[next_kept++];
            r = kept;  // moved: the slot is left with neither bytes nor view
            kept.bytes = nullptr;
            kept.view = nullptr;
          } else {
            r.keep(builders_[i]->span_bytes(s));
            r.add_again = &Exporter::add_bytes_again;
          }
        }
      }
      break;
    } else {
      bump(spans_failed_, refused.span_count());
      bump(packets_failed_, 1);
      const std::string peer = sender_.peer();
      reporter_->report_formatted(DiagnosticCode::kSendFailed,
                                  "cannot send %zu spans (%zu bytes) to agent %s:%u%s%s: %s", refused.span_count(),
                                  datagrams_[i].size(), sender_.host().c_str(),
                                  static_cast<unsigned>(sender_.port()), peer.empty() ? "" : " at ", peer.c_str(),
                                  errno_text(err).c_str());
    }
    ++i;
  }
  sealed_ = 0;
  send_calls_.store(sender_.send_calls(), std::memory_order_relaxed);
  if (repack_.empty()) return;
  PlainVector<Copy> queue;
  queue.swap(repack_);
  for (const Copy& r : queue) r.add_again(*this, r);
  for (Copy& r : queue) r.let_go();
}

LITETRACE_COLD void Exporter::lower_packet_size(size_t refused_datagram_size) noexcept {
  const size_t lowered = std::max(lowering_floor_, std::min(packet_size_, refused_datagram_size) / 2);
  if (lowered >= packet_size_) return;
  reporter_->report_formatted(DiagnosticCode::kPacketSizeLowered,
                              "a %zu-byte datagram was refused as too large (EMSGSIZE); packets are now at most "
                              "%zu bytes and its spans go out again",
                              refused_datagram_size, lowered);
  packet_size_ = lowered;
  working_packet_size_.store(packet_size_, std::memory_order_relaxed);
}

LITETRACE_COLD ExporterStats Exporter::stats() const {
  ExporterStats s;
  const auto get = [](const std::atomic<uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  s.spans_sent = get(spans_sent_);
  s.spans_failed = get(spans_failed_);
  s.spans_too_large = get(spans_too_large_);
  s.spans_trimmed = get(spans_trimmed_);
  s.packets_sent = get(packets_sent_);
  s.packets_failed = get(packets_failed_);
  s.bytes_sent = get(bytes_sent_);
  s.send_calls = get(send_calls_);
  s.max_packet_size = get(working_packet_size_);
  const uint64_t done = s.spans_sent + s.spans_failed + s.spans_too_large;
  const uint64_t added = get(spans_added_);
  s.spans_pending = added > done ? added - done : 0;
  return s;
}

}  // namespace litetrace::detail
