#pragma once

// The wire end of litetrace: takes finished spans (as Jaeger views), packs them into
// emitBatch datagrams of at most max_packet_size bytes and sends them to the agent.
//
//   add(span) -> PacketBuilder (encode in place) -> full? seal -> N sealed? UdpSender::send
//
// Every span handed to add() ends up counted exactly once, in exactly one of:
//   spans_sent           in a datagram the kernel accepted
//   spans_failed         in a datagram that could not be sent (ClientStats.failedToEmitSpans)
//   spans_too_large      larger than a packet even with no logs and tags (tooLargeDroppedSpans)
// or is still pending (spans_pending) until the next flush(). A span too large for a packet
// is first trimmed (span_trimmer.h) and sent; spans_trimmed counts those.
//
// EMSGSIZE (macOS' 9216-byte datagram default, IPv4's 65507-byte maximum) halves the
// working packet size, down to 2 KiB (or the size asked for, when less), and the packet's spans go out again in
// smaller packets; the lower size is kept for the rest of the exporter's life. The refused
// packet and those sealed after it are re-packed under the refused packet's seqNo and on,
// so seqNo has a gap only where a datagram was really lost. A span that fits a packet of the
// least size goes out again as the bytes it was encoded to; a larger one may need trimming
// for the lowered size, so the exporter keeps a copy of it until its packet is sent (its
// record, or for a span added as a view an OwnedSpan), and adds that copy again.
//
// Spans come as records (add_record, add_record_aside: written by the record encoder
// without the Jaeger view, in either protocol) or as views (add: SpanMapper's, in either
// protocol; tests and tools add them). A program that adds records only does not link the
// view's code: the copies are added again through a function each copy names.
//
// Thread: add(), flush() and set_full_queue_dropped() from one thread only (the batcher);
// stats() from any thread.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/compiler.h"
#include "core/diagnostic_reporter.h"
#include "core/plain_vector.h"
#include "core/raw_array.h"
#include "jaeger/jaeger_encoder.h"
#include "jaeger/jaeger_model.h"
#include "jaeger/packet_builder.h"
#include "jaeger/record_encoder.h"
#include "jaeger/record_rewriter.h"
#include "transport/udp_sender.h"

namespace litetrace::detail {

// A kept copy of a span added as a view (exporter_view.cc derives the one that holds its
// OwnedSpan), freed by the function it was made with, so that a program that adds records
// only links none of the view's code. (A virtual destructor linked some: defined inline,
// GCC's speculative devirtualization of the delete; defined in exporter_view.cc, UBSan's
// vptr checks through the typeinfo that file then held.)
struct KeptView {
  void (*destroy)(KeptView* self) noexcept = nullptr;
};

// The IPv6 UDP payload maximum; IPv4's is 65507, and a larger packet to an IPv4 agent
// simply takes the EMSGSIZE path once.
constexpr size_t kMaxPacketSize = 65527;
constexpr size_t kMinPacketSize = 512;
constexpr size_t kDefaultPacketSize = 65000;

struct ExporterOptions {
  const ThriftProtocol* protocol = &kCompactThrift;  // kBinaryThrift: for the agent's port 6832
  std::string agent_host = "localhost";
  uint16_t agent_port = 6831;
  size_t max_packet_size = kDefaultPacketSize;
  std::chrono::milliseconds resolve_interval{30000};
  // How long a send with no address yet waits for the first lookup (UdpSenderOptions).
  std::chrono::milliseconds resolve_timeout{2000};
  // Datagrams handed to the kernel per sendmmsg call.
  size_t packets_per_send = 4;
};

struct ExporterStats {
  uint64_t spans_sent = 0;
  uint64_t spans_failed = 0;
  uint64_t spans_too_large = 0;
  uint64_t spans_trimmed = 0;
  uint64_t spans_pending = 0;
  uint64_t packets_sent = 0;
  uint64_t packets_failed = 0;
  uint64_t bytes_sent = 0;
  uint64_t send_calls = 0;
  uint64_t max_packet_size = 0;  // the working limit, lowered by EMSGSIZE
};

class Exporter {
 public:
  // `reporter` must outlive the exporter. Invalid options are corrected and reported.
  // By reference (taken by value and moved, they linked their move constructor into every
  // program); the sender copies what it needs of them, the exporter keeps two words.
  Exporter(const ExporterOptions& options, const Process& process, DiagnosticReporter* reporter);
  ~Exporter();

  void add(const Span& span);
  // Adds a span record as `encoder` writes it straight into the open packet
  // (record_encoder.h), when it is plain, its attributes keep the rules within `limits`,
  // and it is small enough to need no copy for a re-pack; false: nothing was added.
  // kBinary: in binary Thrift, for an exporter of that protocol; else compact.
  template <bool kBinary = false>
  bool add_record(const uint8_t* record, const RecordEncoder& encoder, const AttributeLimits& limits);
  // Adds a span record that add_record() did not take (larger than a re-pack may hold as
  // bytes, or with arrays), its span attributes keeping the rules: its arrays made strings
  // and it encoded aside in the protocol's way (ThriftProtocol::encode_record), then trimmed
  // as a view would be (span_trimmer.h) when no packet holds it. Needs set_record_encoder().
  void add_record_aside(const uint8_t* record) noexcept;
  void set_record_encoder(const RecordEncoder* encoder) { record_encoder_ = encoder; }
  // Sends every pending span.
  void flush() noexcept;
  // The application side's count of spans dropped on a full ring, carried in ClientStats.
  void set_full_queue_dropped(int64_t n) { full_queue_dropped_ = n; }

  ExporterStats stats() const;
  std::string peer() const { return sender_.peer(); }
  const ThriftProtocol& protocol() const { return *protocol_; }

 private:
  // A copy of a span larger than any packet size may hold untrimmed, for a re-pack: its
  // record, or a copy of its view; add_again() (add_record_again or add_view_again) adds it.
  // A span waiting to be re-packed is one too: that copy, or its encoded bytes in `bytes`
  // (add_bytes_again), so both lists share one vector's code.
  //
  // Plain, for a PlainVector (std::vector linked a growth of its own for it): it owns its
  // bytes and view, which let_go() frees; whoever holds it calls that (kept_'s and repack_'s
  // slots: the destructor), and a Copy moved from is left with neither.
  struct Copy {
    char* bytes = nullptr;  // the record or the encoded bytes, from operator new
    size_t size = 0;
    std::string_view held() const { return {bytes, size}; }
    void keep(std::string_view from);  // bytes (the old let go of) and size become a copy of `from`
    void let_go() noexcept;
    KeptView* view = nullptr;  // reused while its slot is
    void (*add_again)(Exporter& exporter, const Copy& copy) = nullptr;
    // In kept_: the builder whose packet holds the span, and the span's place in it.
    uint32_t builder = 0;
    uint32_t span = 0;
  };

  // The open packet: inline while it has spans (once per span), else begun out of line.
  PacketBuilder& current() {
    PacketBuilder& b = *builders_[sealed_];
    return b.open() && b.span_count() != 0 ? b : begin_current();
  }
  PacketBuilder& begin_current() noexcept;
  void add_span(const Span& span);
  PacketBuilder::AddResult add_to_current(const Span& span);
  // Adds encoded bytes; keeps `record`'s bytes (moved from) as the span's copy when they are more
  // than a re-pack may add as bytes.
  void add_encoded(std::string_view span_bytes, Copy* record = nullptr) noexcept;
  // The slot for a copy of the span just added to the open packet.
  Copy& keep_last() noexcept;
  // Forgets the copies of the spans in builders_[from, ...).
  void forget_kept(size_t from) noexcept;
  static void add_bytes_again(Exporter& exporter, const Copy& copy);
  static void add_record_again(Exporter& exporter, const Copy& copy);
  static void add_view_again(Exporter& exporter, const Copy& copy);
  void place_record(const uint8_t* record) noexcept;
  void place_trimmed_record(const uint8_t* record, size_t size, size_t limit) noexcept;
  void add_aside_with_copy(size_t size, const uint8_t* record) noexcept;
  // Encodes `record` into aside_: its size, or 0 when the record encoder does not take it.
  size_t encode_aside(const uint8_t* record) noexcept;
  void report_trimmed(std::string_view name, size_t size, size_t limit, size_t logs_cut, size_t tags_cut,
                      size_t name_kept) noexcept;
  void report_too_large(std::string_view name) noexcept;
  void seal_current() noexcept;
  void send_sealed() noexcept;
  void add_trimmed(const Span& span);
  void lower_packet_size(size_t refused_datagram_size) noexcept;
  ClientStats client_stats() const;

  static void bump(std::atomic<uint64_t>& counter, uint64_t n) {
    // Single writer (the batcher thread); relaxed is enough for readers of statistics.
    counter.store(counter.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }

  // Of the options, what is needed after the constructor (the sender keeps its own).
  const ThriftProtocol* protocol_;
  size_t packets_per_send_;
  DiagnosticReporter* reporter_;
  UdpSender sender_;
  // One per datagram of a send (packets_per_send_), made once: pointers, as an array of the
  // builders themselves would link their moves (2 KB); an array that frees the builders
  // made so far, not a vector of unique_ptrs (its construction and destruction, 0.4 KB).
  struct Builders {
    RawArray<PacketBuilder*> at;
    size_t made = 0;
    ~Builders() {
      for (size_t i = 0; i < made; ++i) delete at[i];
    }
    PacketBuilder* operator[](size_t i) const { return at[i]; }
  };
  RawArray<uint8_t> packets_;  // every builder's buffer, one after another
  Builders builders_;
  // Sized once, one per builder (arrays: no vector growth linked for them).
  RawArray<std::string_view> datagrams_;
  size_t sealed_ = 0;         // builders_[0, sealed_) hold finished datagrams
  size_t packet_size_ = 0;    // the working limit
  size_t packet_floor_ = 0;   // the least a packet may be (room for the envelope, the Process and a span)
  size_t lowering_floor_ = 0; // the least EMSGSIZE lowers it to
  int64_t next_seq_no_ = 1;
  int64_t full_queue_dropped_ = 0;
  // Spans larger than this many encoded bytes are kept (Kept) until their packet is sent.
  size_t repack_as_bytes_ = 0;
  // repack_as_bytes_ bytes, where add_record() writes a span that may not fit the packet.
  RawArray<uint8_t> record_aside_;
  // The copies of the larger spans in the open and sealed packets, kept_[0, kept_count_),
  // in the order their builders fill; the slots past it are reused.
  PlainVector<Copy> kept_;
  size_t kept_count_ = 0;
  // add_record_aside()'s: the encoder, its way for the protocol, its rewrites, and the bytes
  // it encodes.
  const RecordEncoder* record_encoder_ = nullptr;
  RecordRewriter rewriter_;
  PlainVector<uint8_t> aside_;
  // Spans of packets refused with EMSGSIZE, waiting to be re-packed smaller.
  PlainVector<Copy> repack_;

  std::atomic<uint64_t> spans_added_{0};
  std::atomic<uint64_t> spans_sent_{0};
  std::atomic<uint64_t> spans_failed_{0};
  std::atomic<uint64_t> spans_too_large_{0};
  std::atomic<uint64_t> spans_trimmed_{0};
  std::atomic<uint64_t> packets_sent_{0};
  std::atomic<uint64_t> packets_failed_{0};
  std::atomic<uint64_t> bytes_sent_{0};
  std::atomic<uint64_t> send_calls_{0};
  std::atomic<uint64_t> working_packet_size_{0};
};

// Inline: the Jaeger sink's per-span call, with the encoder the one call out of it.
template <bool kBinary>
LITETRACE_ALWAYS_INLINE bool Exporter::add_record(const uint8_t* record, const RecordEncoder& encoder,
                                                 const AttributeLimits& limits) {
  if (protocol_->compact == kBinary) return false;
  size_t bound;
  if constexpr (kBinary) {
    bound = RecordEncoder::binary_plain_bound(record);
  } else {
    bound = RecordEncoder::plain_bound(record);
  }
  if (bound > repack_as_bytes_) return false;
  PacketBuilder& b = current();
  // Near a packet's end, where the bound is more than the room left, the span is written
  // aside, then placed as re-packed spans are: in this packet's last bytes when it fits them.
  uint8_t* const at = b.room_for_written(bound);
  uint8_t* const out = at != nullptr ? at : record_aside_.get();
  size_t size;
  if constexpr (kBinary) {
    size = encoder.encode_binary(record, out, b.tag_runs(), limits);
  } else {
    size = encoder.encode(record, out, b.tag_runs(), limits);
  }
  if (size == 0) return false;
  bump(spans_added_, 1);
  if (at != nullptr) {
    b.commit_written(size);
  } else {
    add_encoded(std::string_view(reinterpret_cast<const char*>(out), size));
  }
  return true;
}

}  // namespace litetrace::detail
