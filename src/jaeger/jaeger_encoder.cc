#include "jaeger/jaeger_encoder.h"

#include "jaeger/tag_writer.h"

namespace litetrace::detail {

// One code path for both protocols: the writers share an interface (binary_writer.h).
namespace {

// A call, not inlined: each writer's span encoder stays small.
template <typename W>
void write_tag(W& w, const Tag& tag) {
  write_tag_fields(w, tag);
}

template <typename W>
void write_tags(W& w, int16_t field_id, Slice<Tag> tags) {
  w.field_list_begin(field_id, CType::kStruct, tags.size);
  for (const Tag& t : tags) write_tag(w, t);
}

template <typename W>
void write_span(W& w, const Span& span) {
  w.struct_begin();
  w.field_i64(/*Span.traceIdLow*/ 1, static_cast<int64_t>(span.trace_id_low));
  w.field_i64(/*Span.traceIdHigh*/ 2, static_cast<int64_t>(span.trace_id_high));
  w.field_i64(/*Span.spanId*/ 3, static_cast<int64_t>(span.span_id));
  w.field_i64(/*Span.parentSpanId*/ 4, static_cast<int64_t>(span.parent_span_id));
  w.field_binary(/*Span.operationName*/ 5, span.operation_name);
  if (!span.references.empty()) {
    w.field_list_begin(/*Span.references*/ 6, CType::kStruct, span.references.size);
    for (const SpanRef& r : span.references) {
      w.struct_begin();
      w.field_i32(/*SpanRef.refType*/ 1, static_cast<int32_t>(r.type));
      w.field_i64(/*SpanRef.traceIdLow*/ 2, static_cast<int64_t>(r.trace_id_low));
      w.field_i64(/*SpanRef.traceIdHigh*/ 3, static_cast<int64_t>(r.trace_id_high));
      w.field_i64(/*SpanRef.spanId*/ 4, static_cast<int64_t>(r.span_id));
      w.struct_end();
    }
  }
  w.field_i32(/*Span.flags*/ 7, span.flags);
  w.field_i64(/*Span.startTime*/ 8, span.start_time_us);
  w.field_i64(/*Span.duration*/ 9, span.duration_us);
  size_t dropped_tag_count = 0;
  dropped_count_tags(span.dropped_tags, span.dropped_logs, span.dropped_references,
                     [&](const Tag&) { ++dropped_tag_count; });
  if (span.tags.size + dropped_tag_count != 0) {
    w.field_list_begin(/*Span.tags*/ 10, CType::kStruct, span.tags.size + dropped_tag_count);
    for (const Tag& t : span.tags) write_tag(w, t);
    dropped_count_tags(span.dropped_tags, span.dropped_logs, span.dropped_references,
                       [&](const Tag& t) { write_tag(w, t); });
  }
  if (!span.logs.empty()) {
    w.field_list_begin(/*Span.logs*/ 11, CType::kStruct, span.logs.size);
    for (const Log& log : span.logs) {
      w.struct_begin();
      w.field_i64(/*Log.timestamp*/ 1, log.timestamp_us);
      write_tags(w, /*Log.fields*/ 2, log.fields);
      w.struct_end();
    }
  }
  w.struct_end();
}

template <typename W>
void write_process(W& w, const Process& process) {
  w.struct_begin();
  w.field_binary(/*Process.serviceName*/ 1, process.service_name);
  if (!process.tags.empty()) write_tags(w, /*Process.tags*/ 2, process.tags);
  w.struct_end();
}

}  // namespace

void encode_tag(CompactWriter& w, const Tag& tag) { write_tag(w, tag); }
void encode_span(CompactWriter& w, const Span& span) { write_span(w, span); }
std::string_view TagRunCache::find_other(const void* scope) {
  for (size_t i = 0; i < entries_.size(); ++i) {
    if (entries_[i].scope == scope) {
      last_ = i;
      return entries_[i].bytes;
    }
  }
  return {};
}

std::string_view TagRunCache::bytes(const void* scope, Slice<Tag> run) {
  const std::string_view cached = find(scope);
  if (cached.data() != nullptr) return cached;
  CompactWriter sizing;
  for (const Tag& t : run) encode_tag(sizing, t);
  std::string encoded(sizing.size(), '\0');
  CompactWriter w(reinterpret_cast<uint8_t*>(encoded.data()), encoded.size());
  for (const Tag& t : run) encode_tag(w, t);
  entries_.push_back({scope, std::move(encoded)});
  last_ = entries_.size() - 1;
  return entries_[last_].bytes;
}

void encode_process(CompactWriter& w, const Process& process) { write_process(w, process); }
void encode_span(BinaryWriter& w, const Span& span) { write_span(w, span); }
void encode_process(BinaryWriter& w, const Process& process) { write_process(w, process); }

size_t encoded_size(const Span& span) {
  CompactWriter w;
  encode_span(w, span);
  return w.size();
}

size_t encoded_size(const Process& process) {
  CompactWriter w;
  encode_process(w, process);
  return w.size();
}

std::string encode_process(const Process& process) {
  std::string bytes(encoded_size(process), '\0');
  CompactWriter w(reinterpret_cast<uint8_t*>(bytes.data()), bytes.size());
  encode_process(w, process);
  return bytes;
}

void encode_batch(BinaryWriter& w, const Process& process, Slice<Span> spans) {
  w.struct_begin();
  w.field_header(/*Batch.process*/ 1, CType::kStruct);
  encode_process(w, process);
  w.field_list_begin(/*Batch.spans*/ 2, CType::kStruct, spans.size);
  for (const Span& s : spans) encode_span(w, s);
  w.struct_end();
}

std::string encode_batch(const Process& process, Slice<Span> spans) {
  BinaryWriter sizing;
  encode_batch(sizing, process, spans);
  std::string bytes(sizing.size(), '\0');
  BinaryWriter w(reinterpret_cast<uint8_t*>(bytes.data()), bytes.size());
  encode_batch(w, process, spans);
  if (!w.ok() || w.size() != bytes.size()) bytes.clear();
  return bytes;
}

namespace {

// The emitBatch envelope, the same for both protocols.
template <typename W>
void write_batch_head(W& w, std::string_view encoded_process, size_t span_count) {
  w.message_begin(kEmitBatchMethod, kEmitBatchMessageType, kEmitBatchSeqId);
  w.struct_begin();                                  // emitBatch_args
  w.field_struct_begin(/*emitBatch_args.batch*/ 1);  // Batch
  w.field_header(/*Batch.process*/ 1, CType::kStruct);
  w.write_raw(encoded_process.data(), encoded_process.size());
  w.field_list_begin(/*Batch.spans*/ 2, CType::kStruct, span_count);
}

template <typename W>
void resume_batch(W& w) {
  w.struct_begin();  // emitBatch_args (no bytes: struct_begin only tracks the nesting and field ids)
  w.struct_begin();  // Batch
  w.set_last_field_id(/*Batch.spans*/ 2);
}

template <typename W>
void write_batch_tail(W& w, int64_t seq_no, const ClientStats& stats) {
  w.field_i64(/*Batch.seqNo*/ 3, seq_no);
  w.field_struct_begin(/*Batch.stats*/ 4);
  w.field_i64(/*ClientStats.fullQueueDroppedSpans*/ 1, stats.full_queue_dropped_spans);
  w.field_i64(/*ClientStats.tooLargeDroppedSpans*/ 2, stats.too_large_dropped_spans);
  w.field_i64(/*ClientStats.failedToEmitSpans*/ 3, stats.failed_to_emit_spans);
  w.struct_end();  // ClientStats
  w.struct_end();  // Batch
  w.struct_end();  // emitBatch_args
}

}  // namespace

void encode_batch_head(CompactWriter& w, std::string_view encoded_process, size_t span_count) {
  write_batch_head(w, encoded_process, span_count);
}
void encode_batch_head(BinaryWriter& w, std::string_view encoded_process, size_t span_count) {
  write_batch_head(w, encoded_process, span_count);
}
void resume_batch_after_spans(CompactWriter& w) { resume_batch(w); }
void resume_batch_after_spans(BinaryWriter& w) { resume_batch(w); }
void encode_batch_tail(CompactWriter& w, int64_t seq_no, const ClientStats& stats) {
  write_batch_tail(w, seq_no, stats);
}
void encode_batch_tail(BinaryWriter& w, int64_t seq_no, const ClientStats& stats) {
  write_batch_tail(w, seq_no, stats);
}

void encode_emit_batch(CompactWriter& w, const Process& process, Slice<Span> spans, int64_t seq_no,
                       const ClientStats& stats) {
  encode_batch_head(w, encode_process(process, ThriftProtocol::kCompact), spans.size);
  for (const Span& s : spans) encode_span(w, s);
  encode_batch_tail(w, seq_no, stats);
}

void encode_emit_batch(BinaryWriter& w, const Process& process, Slice<Span> spans, int64_t seq_no,
                       const ClientStats& stats) {
  encode_batch_head(w, encode_process(process, ThriftProtocol::kBinary), spans.size);
  for (const Span& s : spans) encode_span(w, s);
  encode_batch_tail(w, seq_no, stats);
}

size_t encoded_size(const Span& span, ThriftProtocol protocol) {
  if (protocol == ThriftProtocol::kCompact) return encoded_size(span);
  BinaryWriter w;
  encode_span(w, span);
  return w.size();
}

std::string encode_process(const Process& process, ThriftProtocol protocol) {
  if (protocol == ThriftProtocol::kCompact) return encode_process(process);
  BinaryWriter sizing;
  encode_process(sizing, process);
  std::string bytes(sizing.size(), '\0');
  BinaryWriter w(reinterpret_cast<uint8_t*>(bytes.data()), bytes.size());
  encode_process(w, process);
  return bytes;
}

// The binary protocol's head and tail have fixed widths: sized once, by the writer itself.
size_t batch_head_size(ThriftProtocol protocol, size_t encoded_process_size, size_t span_count) {
  if (protocol == ThriftProtocol::kCompact) return batch_head_size(encoded_process_size, span_count);
  static const size_t empty = [] {
    BinaryWriter w;
    encode_batch_head(w, {}, 0);
    return w.size();
  }();
  return empty + encoded_process_size;
}

size_t batch_tail_size(ThriftProtocol protocol, int64_t seq_no, const ClientStats& stats) {
  return protocol == ThriftProtocol::kCompact ? batch_tail_size(seq_no, stats) : max_batch_tail_size(protocol);
}

size_t max_batch_tail_size(ThriftProtocol protocol) {
  if (protocol == ThriftProtocol::kCompact) return kMaxBatchTailSize;
  static const size_t tail = [] {
    BinaryWriter w;
    resume_batch_after_spans(w);
    encode_batch_tail(w, 0, ClientStats{});
    return w.size();
  }();
  return tail;
}

}  // namespace litetrace::detail
