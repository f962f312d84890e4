#include "jaeger/packet_builder.h"

#include <cassert>

#include "jaeger/binary_writer.h"
#include "jaeger/compact_writer.h"
#include "jaeger/jaeger_encoder.h"

namespace litetrace::detail {

PacketBuilder::PacketBuilder(std::string encoded_process, size_t capacity, ThriftProtocol protocol)
    : encoded_process_(std::move(encoded_process)),
      protocol_(protocol),
      capacity_(capacity),
      // A list can never hold more spans than the packet has bytes.
      head_room_(batch_head_size(protocol, encoded_process_.size(), capacity)),
      // Not zeroed: a page is touched (and takes memory) only once a packet reaches it.
      buf_(new uint8_t[head_room_ + capacity]) {
  span_ends_.reserve(capacity / 16 + 1);
}

void PacketBuilder::begin(int64_t seq_no, const ClientStats& stats, size_t max_packet_size) {
  assert(max_packet_size <= capacity_);
  max_packet_size_ = max_packet_size < capacity_ ? max_packet_size : capacity_;
  seq_no_ = seq_no;
  stats_ = stats;
  tail_size_ = batch_tail_size(protocol_, seq_no, stats);
  span_ends_.clear();
  spans_size_ = 0;
  open_ = true;
}

size_t PacketBuilder::room_for(size_t span_count_after) const {
  const size_t used =
      batch_head_size(protocol_, encoded_process_.size(), span_count_after) + tail_size_ + spans_size_;
  return used < max_packet_size_ ? max_packet_size_ - used : 0;
}

size_t PacketBuilder::max_span_size() const {
  const size_t envelope = batch_head_size(protocol_, encoded_process_.size(), 1) + tail_size_;
  return envelope < max_packet_size_ ? max_packet_size_ - envelope : 0;
}

PacketBuilder::AddResult PacketBuilder::add(const Span& span) {
  assert(open_);
  uint8_t* const at = buf_.get() + head_room_ + spans_size_;
  const size_t room = room_for(span_ends_.size() + 1);
  if (protocol_ == ThriftProtocol::kBinary) {
    BinaryWriter w(at, room);
    encode_span(w, span);
    return commit(w.size(), w.ok());
  }
  CompactWriter w(at, room);
  encode_span(w, span);
  return commit(w.size(), w.ok());
}

PacketBuilder::AddResult PacketBuilder::add_encoded(std::string_view span_bytes) {
  assert(open_);
  CompactWriter w(buf_.get() + head_room_ + spans_size_, room_for(span_ends_.size() + 1));
  w.write_raw(span_bytes.data(), span_bytes.size());
  return commit(w.size(), w.ok());
}

PacketBuilder::AddResult PacketBuilder::commit(size_t written, bool fitted) {
  if (!fitted) return span_ends_.empty() ? AddResult::kTooLarge : AddResult::kFull;
  spans_size_ += written;
  span_ends_.push_back(static_cast<uint32_t>(spans_size_));
  return AddResult::kAdded;
}

std::string_view PacketBuilder::span_bytes(size_t i) const {
  const size_t begin = i == 0 ? 0 : span_ends_[i - 1];
  return {reinterpret_cast<const char*>(buf_.get() + head_room_ + begin), span_ends_[i] - begin};
}

std::string_view PacketBuilder::finish(const ClientStats* fresh) {
  assert(open_);
  open_ = false;
  const size_t head_size = batch_head_size(protocol_, encoded_process_.size(), span_ends_.size());
  if (fresh != nullptr &&
      head_size + spans_size_ + batch_tail_size(protocol_, seq_no_, *fresh) <= max_packet_size_) {
    stats_ = *fresh;
    tail_size_ = batch_tail_size(protocol_, seq_no_, stats_);
  }
  uint8_t* const head = buf_.get() + head_room_ - head_size;
  uint8_t* const tail = buf_.get() + head_room_ + spans_size_;
  if (protocol_ == ThriftProtocol::kBinary) {
    write_envelope<BinaryWriter>(head, head_size, tail);
  } else {
    write_envelope<CompactWriter>(head, head_size, tail);
  }
  return {reinterpret_cast<const char*>(head), head_size + spans_size_ + tail_size_};
}

template <typename Writer>
void PacketBuilder::write_envelope(uint8_t* head, size_t head_size, uint8_t* tail) {
  Writer hw(head, head_size);
  encode_batch_head(hw, encoded_process_, span_ends_.size());
  Writer tw(tail, tail_size_);
  resume_batch_after_spans(tw);
  encode_batch_tail(tw, seq_no_, stats_);
  // The sizes are exact: a writer that ran short or had room left means the formulas and
  // the encoder disagree, which the unit tests pin down.
  assert(hw.ok() && hw.size() == head_size && tw.ok() && tw.size() == tail_size_);
  (void)head_size;
}

}  // namespace litetrace::detail
