// Binary Thrift: Jaeger's structs for the collector's POST /api/traces and for the agent's
// port 6832. Reached by a program only through the exporters (pipeline/exporters.h), so one
// linked lean does not carry it.

#include <cassert>
#include <cstdint>
#include <string_view>

#include "jaeger/binary_writer.h"
#include "jaeger/jaeger_encoder.h"
#include "jaeger/thrift_structs.h"

namespace litetrace::detail {

using namespace thrift_structs;

// A tag's bytes are known from the tag: its struct is sized first, its room claimed at once
// and written by the unchecked writer, not field by field through the checked one (which
// loads and stores its position for every byte it writes). The checked writer serves a key
// or string the binary protocol cannot say, and records the error.
void encode_tag(BinaryWriter& w, const Tag& tag) {
  const bool has_bytes = tag.type == TagType::kString || tag.type == TagType::kBinary;
  if (tag.key.size() > INT32_MAX || (has_bytes && tag.str.size() > INT32_MAX)) {
    write_tag_fields(w, tag);
    return;
  }
  constexpr size_t kHeader = 3;  // a field's type byte and i16 id
  size_t value = 1;              // kBool
  if (has_bytes) {
    value = 4 + tag.str.size();
  } else if (tag.type != TagType::kBool) {
    value = 8;  // kDouble, kLong
  }
  const size_t n = kHeader + 4 + tag.key.size() + kHeader + 4 + kHeader + value + 1;
  uint8_t* at = w.claim_struct(n);
  if (at == nullptr) return;
  BinaryRawWriter raw(at);
  write_tag_fields(raw, tag);
  assert(raw.size() == n);
}
void encode_span(BinaryWriter& w, const Span& span) { write_span(w, span); }
void encode_process(BinaryWriter& w, const Process& process) { write_process(w, process); }

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

std::string process_bytes(const Process& process) {
  BinaryWriter sizing;
  encode_process(sizing, process);
  std::string bytes(sizing.size(), '\0');
  BinaryWriter w(reinterpret_cast<uint8_t*>(bytes.data()), bytes.size());
  encode_process(w, process);
  return bytes;
}

// The binary protocol's head and tail have fixed widths: sized once, by the writer itself.
size_t fixed_head_size() {
  static const size_t size = [] {
    BinaryWriter w;
    write_batch_head(w, {}, 0);
    return w.size();
  }();
  return size;
}

size_t fixed_tail_size() {
  static const size_t size = [] {
    BinaryWriter w;
    resume_batch(w);
    write_batch_tail(w, 0, ClientStats{});
    return w.size();
  }();
  return size;
}

}  // namespace

void encode_emit_batch(BinaryWriter& w, const Process& process, Slice<Span> spans, int64_t seq_no,
                       const ClientStats& stats) {
  write_emit_batch(w, process_bytes(process), spans, seq_no, stats);
}

const ThriftProtocol kBinaryThrift = {
    /*compact=*/false,
    [](const Span& span) {
      BinaryWriter w;
      encode_span(w, span);
      return w.size();
    },
    process_bytes,
    [](size_t encoded_process_size, size_t) { return fixed_head_size() + encoded_process_size; },
    [](int64_t, const ClientStats&) { return fixed_tail_size(); },
    fixed_tail_size,
    write_span_at<BinaryWriter>,
    write_envelope<BinaryWriter>,
};

}  // namespace litetrace::detail
