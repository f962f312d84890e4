#pragma once

// Jaeger structs -> compact Thrift, and the Agent.emitBatch envelope around them.
//
//   agent.thrift:  service Agent { oneway void emitBatch(1: jaeger.Batch batch) }
//   jaeger.thrift: struct Batch { 1: required Process process, 2: required list<Span> spans,
//                                 3: optional i64 seqNo, 4: optional ClientStats stats }
//
// A datagram is built front to back as  head | span | span | ... | tail,  where the head
// holds everything up to and including the spans' list header and the tail everything
// after the last span. The sizes of both are exact functions of their inputs, so a packet
// can be filled to its limit without guessing (jaeger-client-cpp's fixed
// kEmitBatchOverhead = 30 was short by the Process and the list header).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/plain_vector.h"
#include "jaeger/binary_writer.h"
#include "jaeger/compact_writer.h"
#include "jaeger/jaeger_model.h"

namespace litetrace::detail {

constexpr std::string_view kEmitBatchMethod = "emitBatch";
// The C++ and Python Jaeger clients send ONEWAY with seqid 0; the agent dispatches on the
// method name alone.
constexpr MessageType kEmitBatchMessageType = MessageType::kOneway;
constexpr int32_t kEmitBatchSeqId = 0;

// Tag keys of the OpenTelemetry -> Jaeger mapping for what a span lost on the way.
constexpr std::string_view kDroppedTagsKey = "otel.dropped_attributes_count";
constexpr std::string_view kDroppedLogsKey = "otel.dropped_events_count";
constexpr std::string_view kDroppedReferencesKey = "otel.dropped_links_count";

// The otel.dropped_* tags written after a span's tags, one per count that is not 0: add(Tag)
// for each.
template <typename Add>
void dropped_count_tags(uint32_t attributes, uint32_t events, uint32_t links, Add add) {
  if (attributes != 0) add(Tag::int64(kDroppedTagsKey, attributes));
  if (events != 0) add(Tag::int64(kDroppedLogsKey, events));
  if (links != 0) add(Tag::int64(kDroppedReferencesKey, links));
}

void encode_tag(CompactWriter& w, const Tag& tag);
// One Tag struct at `at` by the unchecked writer; returns its size (at most 32 bytes beside
// the key's and the string's). The record encoder's tag writer (record_encoder.cc), for a
// scope's tags and the Process: a caller's writer takes the bytes with advance(), so that
// its address never escapes.
size_t encode_tag_at(uint8_t* at, const Tag& tag);
// A struct body, stop byte included: the same bytes as a list element or after a field header.
void encode_span(CompactWriter& w, const Span& span);
// A run of encoded tags: its bytes, and how many tags they hold.
struct TagRun {
  std::string_view bytes;
  size_t count = 0;
};
// The compact bytes of each instrumentation scope's tags (otel.scope.*, otel.library.*),
// encoded once: every span of a scope carries the same (record_encoder.h). Scopes are few
// and never freed (intern_scope), so it only grows.
class TagRunCache {
 public:
  // Encodes `run` for `scope` (encode_tag()'s bytes, one tag after another, or `put`'s:
  // binary Thrift's, which take no more) and keeps it.
  TagRun add(const void* scope, Slice<Tag> run, size_t (*put)(uint8_t* at, const Tag& tag) = encode_tag_at);
  // The run cached for `scope`, or one with a null view when there is none yet. Spans come
  // in runs of one scope: the last one found is at hand without a look at the others.
  TagRun find(const void* scope) {
    if (scope == last_scope_) return last_run_;  // none yet: a null view, as for nullptr
    return find_other(scope);
  }

 private:
  // What precedes each run's bytes in bytes_.
  struct Head {
    const void* scope;
    size_t size;
    size_t count;
  };
  TagRun find_other(const void* scope);
  TagRun found(size_t at, const Head& head);

  // Every run's head and bytes, one after another: no vector of entries beside them, whose
  // growth a program would link for a handful of scopes. Bytes, not a string: a string's
  // resize would be imported.
  PlainVector<uint8_t> bytes_;
  // The entry found last (its bytes: a view into bytes_, taken again whenever it grows).
  const void* last_scope_ = nullptr;
  TagRun last_run_;
};

void encode_process(CompactWriter& w, const Process& process);

size_t encoded_size(const Span& span);
std::string encode_process(const Process& process);

// ---- the envelope ----

// Message header, emitBatch_args.batch (1: struct), Batch.process (1: struct) and the
// already-encoded process, Batch.spans (2: list<struct>) and the list header.
constexpr size_t batch_head_size(size_t encoded_process_size, size_t span_count) {
  return message_header_size(kEmitBatchMethod, kEmitBatchSeqId) +
         field_header_size(0, /*emitBatch_args.batch*/ 1) +
         field_header_size(0, /*Batch.process*/ 1) + encoded_process_size +
         field_header_size(1, /*Batch.spans*/ 2) + list_header_size(span_count);
}

// Batch.seqNo (3: i64), Batch.stats (4: ClientStats {1, 2, 3: i64}), the Batch's stop and
// the args' stop.
constexpr size_t batch_tail_size(int64_t seq_no, const ClientStats& stats) {
  return field_header_size(2, /*Batch.seqNo*/ 3) + varint_size(zigzag64(seq_no)) +
         field_header_size(3, /*Batch.stats*/ 4) +
         field_header_size(0, /*ClientStats.fullQueueDroppedSpans*/ 1) +
         varint_size(zigzag64(stats.full_queue_dropped_spans)) +
         field_header_size(1, /*ClientStats.tooLargeDroppedSpans*/ 2) +
         varint_size(zigzag64(stats.too_large_dropped_spans)) +
         field_header_size(2, /*ClientStats.failedToEmitSpans*/ 3) +
         varint_size(zigzag64(stats.failed_to_emit_spans)) + /*ClientStats stop*/ 1 +
         /*Batch stop*/ 1 + /*emitBatch_args stop*/ 1;
}

constexpr int64_t kWidestI64 = INT64_MIN;  // zigzag -> 0xFF..FF, a 10-byte varint
constexpr size_t kMaxBatchTailSize =
    batch_tail_size(kWidestI64, ClientStats{kWidestI64, kWidestI64, kWidestI64});
// The most a datagram spends on anything but the Process and the spans; DESIGN.md puts
// it at about 71 bytes for the largest lists a 64 KiB datagram can hold.
constexpr size_t max_envelope_size(size_t max_span_count) {
  return batch_head_size(0, max_span_count) + kMaxBatchTailSize;
}
static_assert(message_header_size(kEmitBatchMethod, kEmitBatchSeqId) == 13);
static_assert(batch_head_size(0, 0) == 17);
static_assert(kMaxBatchTailSize == 48);
static_assert(max_envelope_size(65535) <= 71);

// Leaves `w` inside the Batch, ready for `span_count` encode_span() calls.
void encode_batch_head(CompactWriter& w, std::string_view encoded_process, size_t span_count);
// Puts a fresh writer where encode_batch_head() left its own, so a tail can be written
// separately from the head (the packet builder writes the head last, in front of the spans).
void resume_batch_after_spans(CompactWriter& w);
// Expects `w` inside the Batch right after the spans; closes the Batch and the args.
void encode_batch_tail(CompactWriter& w, int64_t seq_no, const ClientStats& stats);

// The whole datagram in one go (tests, tools); the packet builder produces the same bytes.
void encode_emit_batch(CompactWriter& w, const Process& process, Slice<Span> spans,
                       int64_t seq_no, const ClientStats& stats);

// ---- the binary protocol: the same structs through BinaryWriter (binary_thrift.cc) ----
void encode_tag(BinaryWriter& w, const Tag& tag);
void encode_span(BinaryWriter& w, const Span& span);
// The bytes encode_span() writes for `span`, from its lengths; SIZE_MAX when a string is
// longer than the protocol can say (which encode_span() records as an error).
size_t binary_span_size(const Span& span);
// encode_span()'s bytes at `at`, which has room for binary_span_size(span) of them (not
// SIZE_MAX), by the unchecked writer, which keeps its position in a register (the checked
// one loads and stores it for every value); returns how many.
size_t encode_sized_span(uint8_t* at, const Span& span);
void encode_process(BinaryWriter& w, const Process& process);
// A bare Batch struct: the body of the Jaeger collector's POST /api/traces (no seqNo, no
// stats: the collector answers for the batch itself).
void encode_batch(BinaryWriter& w, const Process& process, Slice<Span> spans);
std::string encode_batch(const Process& process, Slice<Span> spans);
// Agent.emitBatch as a whole message, for the agent's binary port (UDP 6832).
void encode_emit_batch(BinaryWriter& w, const Process& process, Slice<Span> spans, int64_t seq_no,
                       const ClientStats& stats);

// ---- either protocol, chosen at run time (the UDP exporter's packets) ----
// What the exporter and its packet builder need of a protocol, as functions, called through
// the protocol_ functions below. kCompactThrift holds none: they call compact Thrift's own,
// so its table is not one that a position-independent program relocates as it starts (five
// relocations), and a program that never adds a view does not link compact Thrift's view
// encoder. kBinaryThrift (binary_thrift.cc) comes with the exporters (pipeline/exporters.h):
// a program linked lean carries no binary Thrift encoder.
class RecordEncoder;
struct ThriftProtocol {
  bool compact;
  size_t (*span_size)(const Span& span);
  std::string (*encode_process)(const Process& process);
  size_t (*batch_head_size)(size_t encoded_process_size, size_t span_count);
  size_t (*batch_tail_size)(int64_t seq_no, const ClientStats& stats);
  size_t (*max_batch_tail_size)();
  // Writes `span` into the `room` bytes at `at`: the bytes written, or 0 when it does not fit.
  size_t (*write_span)(uint8_t* at, size_t room, const Span& span);
  // Writes the batch head (`head_size` bytes, ending right before the first span) and the
  // tail (`tail_size` bytes, right after the last); the sizes are the two functions' above.
  void (*write_envelope)(uint8_t* head, size_t head_size, uint8_t* tail, size_t tail_size,
                         std::string_view encoded_process, size_t span_count, int64_t seq_no,
                         const ClientStats& stats);
  // The record encoder's way (record_encoder.h), for a record that keeps the rules: its
  // bytes in `out`, grown to their bound; their size, or 0 when the encoder does not take it.
  size_t (*encode_record)(const RecordEncoder& encoder, const uint8_t* record, PlainVector<uint8_t>& out,
                          TagRunCache& cache);
};
extern const ThriftProtocol kCompactThrift;
extern const ThriftProtocol kBinaryThrift;

// Each the protocol's function of the same name.
size_t view_span_size(const ThriftProtocol& protocol, const Span& span);
size_t view_write_span(const ThriftProtocol& protocol, uint8_t* at, size_t room, const Span& span);
std::string protocol_encode_process(const ThriftProtocol& protocol, const Process& process);
size_t protocol_batch_head_size(const ThriftProtocol& protocol, size_t encoded_process_size, size_t span_count);
size_t protocol_batch_tail_size(const ThriftProtocol& protocol, int64_t seq_no, const ClientStats& stats);
size_t protocol_max_batch_tail_size(const ThriftProtocol& protocol);
void protocol_write_envelope(const ThriftProtocol& protocol, uint8_t* head, size_t head_size, uint8_t* tail,
                             size_t tail_size, std::string_view encoded_process, size_t span_count, int64_t seq_no,
                             const ClientStats& stats);

}  // namespace litetrace::detail
