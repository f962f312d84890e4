#include "jaeger/packet_builder.h"

#include <cassert>
#include <cstring>

#include "core/compiler.h"
#include "jaeger/compact_writer.h"
#include "jaeger/jaeger_encoder.h"

namespace litetrace::detail {

// A list can never hold more spans than the packet has bytes.
size_t PacketBuilder::buffer_size(size_t encoded_process_size, size_t capacity, const ThriftProtocol& protocol) {
  return protocol_batch_head_size(protocol, encoded_process_size, capacity) + capacity;
}

LITETRACE_COLD PacketBuilder::PacketBuilder(std::string encoded_process, size_t capacity, uint8_t* buffer,
                                            const ThriftProtocol& protocol)
    : encoded_process_(std::move(encoded_process)),
      protocol_(&protocol),
      capacity_(capacity),
      head_room_(buffer_size(encoded_process_.size(), capacity, protocol) - capacity),
      buf_(buffer) {
  span_ends_.reserve(capacity / 16 + 1);
}

LITETRACE_COLD void PacketBuilder::begin(int64_t seq_no, const ClientStats& stats, size_t max_packet_size) {
  assert(max_packet_size <= capacity_);
  max_packet_size_ = max_packet_size < capacity_ ? max_packet_size : capacity_;
  seq_no_ = seq_no;
  stats_ = stats;
  tail_size_ = protocol_batch_tail_size(*protocol_, seq_no, stats);
  // Binary Thrift's span list header has a fixed size, in its head.
  const size_t envelope = protocol_->compact
                              ? batch_head_size(encoded_process_.size(), 0) - list_header_size(0) + tail_size_
                              : protocol_batch_head_size(*protocol_, encoded_process_.size(), 0) + tail_size_;
  written_room_ = envelope < max_packet_size_ ? max_packet_size_ - envelope : 0;
  span_ends_.clear();
  spans_size_ = 0;
  open_ = true;
}

size_t PacketBuilder::room_for(size_t span_count_after) const {
  const size_t used =
      protocol_batch_head_size(*protocol_, encoded_process_.size(), span_count_after) + tail_size_ + spans_size_;
  return used < max_packet_size_ ? max_packet_size_ - used : 0;
}

size_t PacketBuilder::max_span_size() const {
  const size_t envelope = protocol_batch_head_size(*protocol_, encoded_process_.size(), 1) + tail_size_;
  return envelope < max_packet_size_ ? max_packet_size_ - envelope : 0;
}

PacketBuilder::AddResult PacketBuilder::add(const Span& span) {
  assert(open_);
  uint8_t* const at = buf_ + head_room_ + spans_size_;
  const size_t room = room_for(span_ends_.size() + 1);
  const size_t written = view_write_span(*protocol_, at, room, span);
  return commit(written, written != 0);
}

PacketBuilder::AddResult PacketBuilder::add_encoded(std::string_view span_bytes) {
  assert(open_);
  if (span_bytes.size() > room_for(span_ends_.size() + 1)) return commit(0, false);
  std::memcpy(buf_ + head_room_ + spans_size_, span_bytes.data(), span_bytes.size());
  return commit(span_bytes.size(), true);
}

std::string_view PacketBuilder::span_bytes(size_t i) const {
  const size_t begin = i == 0 ? 0 : span_ends_[i - 1];
  return {reinterpret_cast<const char*>(buf_ + head_room_ + begin), span_ends_[i] - begin};
}

LITETRACE_COLD std::string_view PacketBuilder::finish(const ClientStats* fresh) {
  assert(open_);
  open_ = false;
  const size_t head_size = protocol_batch_head_size(*protocol_, encoded_process_.size(), span_ends_.size());
  if (fresh != nullptr &&
      head_size + spans_size_ + protocol_batch_tail_size(*protocol_, seq_no_, *fresh) <= max_packet_size_) {
    stats_ = *fresh;
    tail_size_ = protocol_batch_tail_size(*protocol_, seq_no_, stats_);
  }
  uint8_t* const head = buf_ + head_room_ - head_size;
  uint8_t* const tail = buf_ + head_room_ + spans_size_;
  protocol_write_envelope(*protocol_, head, head_size, tail, tail_size_, encoded_process_, span_ends_.size(), seq_no_,
                          stats_);
  return {reinterpret_cast<const char*>(head), head_size + spans_size_ + tail_size_};
}

}  // namespace litetrace::detail
