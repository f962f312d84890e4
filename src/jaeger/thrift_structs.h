#pragma once

// Jaeger's structs and the Agent.emitBatch envelope, written through either Thrift writer:
// they share an interface (binary_writer.h). One code path for both protocols, instantiated
// where each is encoded: compact in jaeger_encoder.cc, binary in binary_thrift.cc, so that a
// program that never sends binary Thrift does not link its encoder.
//
// A span and a tag are written by each protocol's out-of-line functions, encode_span() and
// encode_tag() (jaeger_encoder.h), into which the struct bodies below are inlined: compact
// Thrift's are cold (most compact spans are written from their records, record_encoder.h,
// so these are for the rest, and are optimized for size), binary Thrift's are not.

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/compiler.h"
#include "jaeger/jaeger_encoder.h"
#include "jaeger/tag_writer.h"

namespace litetrace::detail::thrift_structs {

// Each tag through a call to encode_tag(), not inlined: each writer's span encoder stays small.
template <typename W>
LITETRACE_ALWAYS_INLINE void write_tags(W& w, int16_t field_id, Slice<Tag> tags) {
  w.field_list_begin(field_id, CType::kStruct, tags.size);
  for (const Tag& t : tags) encode_tag(w, t);
}

// Inlined into encode_span() alone.
template <typename W>
LITETRACE_ALWAYS_INLINE void write_span(W& w, const Span& span) {
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
    for (const Tag& t : span.tags) encode_tag(w, t);
    dropped_count_tags(span.dropped_tags, span.dropped_logs, span.dropped_references,
                       [&](const Tag& t) { encode_tag(w, t); });
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

// `span` into the `room` bytes at `at`: the bytes written, or 0 when it does not fit
// (ThriftProtocol::write_span).
template <typename W>
size_t write_span_at(uint8_t* at, size_t room, const Span& span) {
  W w(at, room);
  encode_span(w, span);
  return w.ok() ? w.size() : 0;
}

// The Process and the envelope are written once a packet at most: sized, not sped up.
template <typename W>
LITETRACE_COLD void write_process(W& w, const Process& process) {
  w.struct_begin();
  w.field_binary(/*Process.serviceName*/ 1, process.service_name);
  if (!process.tags.empty()) write_tags(w, /*Process.tags*/ 2, process.tags);
  w.struct_end();
}

// The emitBatch envelope, the same for both protocols.
template <typename W>
LITETRACE_COLD void write_batch_head(W& w, std::string_view encoded_process, size_t span_count) {
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
LITETRACE_COLD void write_batch_tail(W& w, int64_t seq_no, const ClientStats& stats) {
  w.field_i64(/*Batch.seqNo*/ 3, seq_no);
  w.field_struct_begin(/*Batch.stats*/ 4);
  w.field_i64(/*ClientStats.fullQueueDroppedSpans*/ 1, stats.full_queue_dropped_spans);
  w.field_i64(/*ClientStats.tooLargeDroppedSpans*/ 2, stats.too_large_dropped_spans);
  w.field_i64(/*ClientStats.failedToEmitSpans*/ 3, stats.failed_to_emit_spans);
  w.struct_end();  // ClientStats
  w.struct_end();  // Batch
  w.struct_end();  // emitBatch_args
}

// Agent.emitBatch whole, its Process already encoded in the writer's protocol.
template <typename W>
void write_emit_batch(W& w, std::string_view encoded_process, Slice<Span> spans, int64_t seq_no,
                      const ClientStats& stats) {
  write_batch_head(w, encoded_process, spans.size);
  for (const Span& s : spans) encode_span(w, s);
  write_batch_tail(w, seq_no, stats);
}

// A packet's head (exactly `head_size` bytes, ending where its first span begins) and tail
// (`tail_size` bytes, from where its last span ends): PacketBuilder's envelope.
template <typename W>
LITETRACE_COLD void write_envelope(uint8_t* head, size_t head_size, uint8_t* tail, size_t tail_size,
                                   std::string_view encoded_process, size_t span_count, int64_t seq_no,
                                   const ClientStats& stats) {
  W hw(head, head_size);
  write_batch_head(hw, encoded_process, span_count);
  W tw(tail, tail_size);
  resume_batch(tw);
  write_batch_tail(tw, seq_no, stats);
  // The sizes are exact: a writer that ran short or had room left means the formulas and
  // the encoder disagree, which the unit tests pin down.
  assert(hw.ok() && hw.size() == head_size && tw.ok() && tw.size() == tail_size);
}

}  // namespace litetrace::detail::thrift_structs
