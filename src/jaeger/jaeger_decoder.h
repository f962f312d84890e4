#pragma once

// compact (or binary) Thrift -> Jaeger structs: the inverse of jaeger_encoder.h, for litetrace-dump,
// tests, the fuzzer and re-packing an already-encoded span. Strings are views into the
// input; the arrays live in the DecodedBatch. Every required field of the IDL is checked;
// unknown fields are skipped (a newer client may send more).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "jaeger/compact_reader.h"
#include "jaeger/jaeger_model.h"

namespace litetrace::detail {

struct DecodedBatch {
  MessageHeader message;
  Process process;
  std::vector<Span> spans;
  bool has_seq_no = false;
  int64_t seq_no = 0;
  bool has_stats = false;
  ClientStats stats;

  // Storage the views above point into. Reserved before decoding and never grown while
  // decoding, so the pointers stay valid.
  std::vector<Tag> tag_storage;
  std::vector<Log> log_storage;
  std::vector<SpanRef> ref_storage;
};

// Decodes one whole Agent.emitBatch message. On failure returns false and says why in
// *error (offset included); `out` is then unspecified. Bytes after the message are an error.
bool decode_emit_batch(const uint8_t* data, size_t size, DecodedBatch& out, std::string* error);

// The same in the Thrift binary protocol: an Agent.emitBatch message (strict form, as sent
// to the agent's port 6832), or a bare Batch struct (the body of the Jaeger collector's
// POST /api/traces).
bool decode_emit_batch_binary(const uint8_t* data, size_t size, DecodedBatch& out, std::string* error);
bool decode_batch_binary(const uint8_t* data, size_t size, DecodedBatch& out, std::string* error);

// Decodes a single encoded Span struct (what encode_span() wrote) into `out`, which owns
// the arrays; otel.dropped_* LONG tags come back as the span's dropped counts.
bool decode_span(std::string_view bytes, DecodedBatch& storage, Span& out, std::string* error);
bool decode_span_binary(std::string_view bytes, DecodedBatch& storage, Span& out, std::string* error);

}  // namespace litetrace::detail
