#include "jaeger/jaeger_http_format.h"

#include "core/compiler.h"
#include "core/record_normalizer.h"
#include "jaeger/binary_writer.h"
#include "jaeger/jaeger_encoder.h"

namespace litetrace::detail {

LITETRACE_COLD JaegerHttpFormat::JaegerHttpFormat(const Process& process, const TickConverter* clock,
                                                  size_t max_request_bytes)
    : encoder_(clock, /*deposit=*/false), max_request_bytes_(max_request_bytes) {
  checks_rules_ = true;
  BinaryWriter sizing;
  encode_process(sizing, process);
  process_.assign(sizing.size(), '\0');
  BinaryWriter w(reinterpret_cast<uint8_t*>(process_.data()), process_.size());
  encode_process(w, process);
}

// struct Batch { 1: Process process, 2: list<Span> spans } and its stop byte, around the
// spans' bytes: the exact size of what build() writes.
size_t JaegerHttpFormat::request_size(size_t spans, size_t spans_bytes) const {
  BinaryWriter w;
  w.field_header(/*Batch.process*/ 1, CType::kStruct);
  w.field_list_begin(/*Batch.spans*/ 2, CType::kStruct, spans);
  w.write_byte(kStop);
  return w.size() + process_.size() + spans_bytes;
}

// A record that keeps the rules (the sink normalized it, or add_ring_record() did): its
// arrays become the string attributes the mapping makes of them, and the encoder writes it.
JaegerHttpFormat::Added JaegerHttpFormat::add(const uint8_t* record) {
  if (RecordRewriter::has_arrays(record)) record = rewriter_.without_arrays(record);
  uint8_t* p = spans_bytes_.room(RecordEncoder::binary_plain_bound(record));
  if (p == nullptr) return Added::kFailed;
  const size_t n = encoder_.encode_binary(record, p, scope_tags_, kRulesApplied);
  if (n == 0) return Added::kFailed;  // cannot happen: it keeps the rules, and has no arrays
  return take(n);
}

JaegerHttpFormat::Added JaegerHttpFormat::add_ring_record(const uint8_t* record, RecordNormalizer& rules) {
  uint8_t* p = spans_bytes_.room(RecordEncoder::binary_plain_bound(record));
  if (p == nullptr) return Added::kFailed;
  const size_t n = encoder_.encode_binary(record, p, scope_tags_, rules.limits());
  if (n == 0) return add(rules.normalize(record));  // arrays, or not keeping the rules
  return take(n);
}

// Written, and taken only when it fits: a span for the next request is written again.
JaegerHttpFormat::Added JaegerHttpFormat::take(size_t n) {
  if (request_size(spans_ + 1, spans_bytes_.size() + n) > max_request_bytes_) {
    return spans_ == 0 ? Added::kTooLarge : Added::kFull;
  }
  spans_bytes_.commit(n);
  ++spans_;
  return Added::kAdded;
}

bool JaegerHttpFormat::build(ByteBuffer& body) {
  const size_t size = request_size(spans_, spans_bytes_.size());
  const size_t at = body.size();
  uint8_t* p = body.extend(size);
  if (p == nullptr) return false;
  BinaryWriter w(p, size);
  w.field_header(/*Batch.process*/ 1, CType::kStruct);
  w.write_raw(process_.data(), process_.size());
  w.field_list_begin(/*Batch.spans*/ 2, CType::kStruct, spans_);
  w.write_raw(spans_bytes_.view().data(), spans_bytes_.size());
  w.write_byte(kStop);
  if (w.ok() && w.size() == size) return true;
  body.truncate(at);
  return false;
}

}  // namespace litetrace::detail
