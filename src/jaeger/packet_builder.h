#pragma once

// Fills one emitBatch datagram at a time with encoded spans, up to an exact byte limit.
//
// The buffer is laid out as  [room for the head][span][span]...[tail]. Spans are encoded
// in place right after the room for the head; the head (whose list header depends on the
// final span count) is written last, right-aligned against the first span, so no byte is
// ever moved. Every capacity check uses the exact head and tail sizes for the packet's
// seqNo and stats, so a packet is as full as its spans allow and never over the limit.
//
// Thread: one thread only (the batcher). Allocates only in the constructor.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/plain_vector.h"
#include "jaeger/jaeger_encoder.h"  // ThriftProtocol
#include "jaeger/jaeger_model.h"

namespace litetrace::detail {

class PacketBuilder {
 public:
  enum class AddResult {
    kAdded,
    kFull,      // does not fit in this packet; finish it and add the span to the next one
    kTooLarge,  // does not fit even in an empty packet
  };

  // `capacity` is the largest max_packet_size this builder will ever be given; the process
  // is encoded in `protocol`, as the packets will be. `buffer`: buffer_size() bytes, which
  // the caller keeps for the builder's life (the exporter's one block for all its builders).
  PacketBuilder(std::string encoded_process, size_t capacity, uint8_t* buffer, const ThriftProtocol& protocol);
  // The bytes a builder's packets take: room for the largest head, then `capacity`.
  static size_t buffer_size(size_t encoded_process_size, size_t capacity, const ThriftProtocol& protocol);

  // Starts an empty packet carrying this seqNo and these stats.
  void begin(int64_t seq_no, const ClientStats& stats, size_t max_packet_size);
  bool open() const { return open_; }
  int64_t seq_no() const { return seq_no_; }

  AddResult add(const Span& span);
  // A span already encoded by encode_span() (re-packing after EMSGSIZE).
  AddResult add_encoded(std::string_view span_bytes);

  // Room for a span of at most `bound` bytes that the caller writes itself (record_encoder.h),
  // then hands to commit_written(); nullptr when this packet has not that much room. Inline,
  // with compact Thrift's list header size: once per span. Binary Thrift's is in the head
  // (begin()), so for it the 1 to 3 bytes taken here are room left unused: a span near the
  // packet's end is written aside, then placed by its exact size (add_encoded()).
  uint8_t* room_for_written(size_t bound) {
    const size_t n = span_ends_.size() + 1;
    const size_t list_header = n <= 14 ? 1 : n < 128 ? 2 : n < 16384 ? 3 : list_header_size(n);
    return list_header + spans_size_ + bound <= written_room_ ? buf_ + head_room_ + spans_size_ : nullptr;
  }
  void commit_written(size_t size) { commit(size, true); }
  TagRunCache& tag_runs() { return tag_runs_; }

  size_t span_count() const { return span_ends_.size(); }
  std::string_view span_bytes(size_t i) const;
  // Bytes a span may take in an empty packet with this packet's seqNo and stats.
  size_t max_span_size() const;
  size_t max_packet_size() const { return max_packet_size_; }

  // Writes head and tail; the datagram stays valid until the next begin(). Closes the packet.
  // `fresh` stats replace the ones given to begin() when they still fit (counters only grow,
  // so their encoding grows only at varint boundaries), so the agent hears of the latest.
  std::string_view finish(const ClientStats* fresh = nullptr);

 private:
  size_t room_for(size_t span_count_after) const;
  // Inline: commit_written() is once per span.
  AddResult commit(size_t written, bool fitted) {
    if (!fitted) return span_ends_.empty() ? AddResult::kTooLarge : AddResult::kFull;
    spans_size_ += written;
    span_ends_.push_back(static_cast<uint32_t>(spans_size_));
    return AddResult::kAdded;
  }

  std::string encoded_process_;
  const ThriftProtocol* protocol_;
  size_t capacity_;
  size_t head_room_;  // bytes reserved in front of the spans for the largest head
  uint8_t* buf_;  // not owned
  PlainVector<uint32_t> span_ends_;  // offsets past each span, relative to head_room_
  TagRunCache tag_runs_;
  size_t spans_size_ = 0;
  size_t max_packet_size_ = 0;
  size_t tail_size_ = 0;
  // What the envelope, but for compact Thrift's span list header, leaves of
  // max_packet_size_ (0 when nothing): room_for_written()'s limit.
  size_t written_room_ = 0;
  int64_t seq_no_ = 0;
  ClientStats stats_;
  bool open_ = false;
};

}  // namespace litetrace::detail
