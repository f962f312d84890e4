#include "jaeger/jaeger_http_format.h"

#include "core/compiler.h"
#include "core/record_normalizer.h"
#include "jaeger/binary_writer.h"
#include "jaeger/jaeger_encoder.h"

namespace litetrace::detail {

// The body is built in place: the Batch's head (struct Batch { 1: Process process, 2:
// list<Span> spans }, up to the list's count, which build() sets), the spans back to back,
// and the Batch's stop byte.
LITETRACE_COLD JaegerHttpFormat::JaegerHttpFormat(const Process& process, const TickConverter* clock,
                                                  size_t max_request_bytes)
    : encoder_(clock, /*deposit=*/false), max_request_bytes_(max_request_bytes) {
  checks_rules_ = true;
  BinaryWriter sizing;
  sizing.field_header(/*Batch.process*/ 1, CType::kStruct);
  encode_process(sizing, process);
  sizing.field_list_begin(/*Batch.spans*/ 2, CType::kStruct, 0);
  std::string head(sizing.size(), '\0');
  BinaryWriter w(reinterpret_cast<uint8_t*>(head.data()), head.size());
  w.field_header(/*Batch.process*/ 1, CType::kStruct);
  encode_process(w, process);
  w.field_list_begin(/*Batch.spans*/ 2, CType::kStruct, 0);  // binary Thrift's count: the last four bytes
  request_.set_head(head);
  count_at_ = head.size() - 4;
}

// A record that keeps the rules (the sink normalized it, or add_ring_record() did): its
// arrays become the string attributes the mapping makes of them, and the encoder writes it.
JaegerHttpFormat::Added JaegerHttpFormat::add(const uint8_t* record) {
  if (RecordRewriter::has_arrays(record)) record = rewriter_.without_arrays(record);
  uint8_t* p = request_.room(RecordEncoder::binary_plain_bound(record));
  if (p == nullptr) return Added::kFailed;
  const size_t n = encoder_.encode_binary(record, p, scope_tags_, kRulesApplied);
  if (n == 0) return Added::kFailed;  // cannot happen: it keeps the rules, and has no arrays
  return take(n);
}

JaegerHttpFormat::Added JaegerHttpFormat::add_ring_record(const uint8_t* record, RecordNormalizer& rules) {
  uint8_t* p = request_.room(RecordEncoder::binary_plain_bound(record));
  if (p == nullptr) return Added::kFailed;
  const size_t n = encoder_.encode_binary(record, p, scope_tags_, rules.limits());
  if (n == 0) return add(rules.normalize(record));  // arrays, or not keeping the rules
  return take(n);
}

// Written, and taken only when it fits with the stop byte after it: a span for the next
// request is written again.
JaegerHttpFormat::Added JaegerHttpFormat::take(size_t n) {
  if (request_.size() + n + 1 > max_request_bytes_) return spans_ == 0 ? Added::kTooLarge : Added::kFull;
  request_.commit(n);
  ++spans_;
  return Added::kAdded;
}

bool JaegerHttpFormat::build(ByteBuffer& body) {
  if (request_.room(0) == nullptr || spans_ > INT32_MAX) return false;  // the head, written if no span did
  BinaryWriter count(request_.at(count_at_), 4);
  count.write_i32(static_cast<int32_t>(spans_));
  const char stop = static_cast<char>(kStop);  // the Batch's
  return request_.hand_over({&stop, 1}, body);
}

}  // namespace litetrace::detail
