// Binary Thrift: Jaeger's structs for the collector's POST /api/traces and for the agent's
// port 6832. Reached by a program only through the exporters (pipeline/exporters.h), so one
// linked lean does not carry it.

#include <cassert>
#include <cstdint>
#include <string_view>

#include "jaeger/binary_writer.h"
#include "jaeger/jaeger_encoder.h"
#include "jaeger/record_encoder.h"
#include "jaeger/thrift_structs.h"

namespace litetrace::detail {

using namespace thrift_structs;

namespace {

// Binary Thrift's widths: a field's type byte and i16 id; a list's element type and i32
// count; a string's i32 length; an i64, an i32; a struct's stop byte.
constexpr size_t kField = 3;
constexpr size_t kList = 5;
constexpr size_t kLength = 4;
constexpr size_t kI64 = 8;
constexpr size_t kI32 = 4;
constexpr size_t kStop = 1;
constexpr size_t kTooLong = SIZE_MAX;

bool has_bytes(const Tag& tag) { return tag.type == TagType::kString || tag.type == TagType::kBinary; }

// A Tag struct's bytes, as write_tag_fields() writes them.
size_t tag_size(const Tag& tag) {
  size_t value = 1;  // kBool
  if (has_bytes(tag)) {
    value = kLength + tag.str.size();
  } else if (tag.type != TagType::kBool) {
    value = kI64;  // kDouble, kLong
  }
  return kField + kLength + tag.key.size() + kField + kI32 + kField + value + kStop;
}

// Whether the protocol can say a string this long (an i32 length).
bool sayable(std::string_view text) { return text.size() <= INT32_MAX; }
bool sayable(const Tag& tag) { return sayable(tag.key) && (!has_bytes(tag) || sayable(tag.str)); }

size_t tags_size(Slice<Tag> tags) {
  size_t n = 0;
  for (const Tag& t : tags) {
    if (!sayable(t)) return kTooLong;
    n += tag_size(t);
  }
  return n;
}

}  // namespace

// A tag's bytes are known from the tag: its struct is sized first, its room claimed at once
// and written by the unchecked writer, not field by field through the checked one (which
// loads and stores its position for every byte it writes). The checked writer serves a key
// or string the binary protocol cannot say, and records the error.
void encode_tag(BinaryWriter& w, const Tag& tag) {
  if (!sayable(tag)) {
    write_tag_fields(w, tag);
    return;
  }
  const size_t n = tag_size(tag);
  uint8_t* at = w.claim_struct(n);
  if (at == nullptr) return;
  BinaryRawWriter raw(at);
  write_tag_fields(raw, tag);
  assert(raw.size() == n);
}
void encode_span(BinaryWriter& w, const Span& span) { write_span(w, span); }

// The unchecked writer's tags, for spans sized beforehand (write_span_unchecked, below).
// Static, not in the unnamed namespace: write_span() finds it by argument-dependent lookup,
// which looks in this namespace only.
static LITETRACE_ALWAYS_INLINE void encode_tag(BinaryRawWriter& w, const Tag& tag) { write_tag_fields(w, tag); }

namespace {

// The span's bytes as write_span() writes them, every width fixed but the strings' and the
// lists': kTooLong when a string is longer than the protocol can say.
// The sum cannot wrap where size_t is 32 bits: the strings are views of one ring record
// (SpanMapper) and a few constants.
size_t span_size(const Span& span) {
  if (!sayable(span.operation_name)) return kTooLong;
  size_t n = 4 * (kField + kI64) + kField + kLength + span.operation_name.size();
  if (!span.references.empty()) {
    n += kField + kList + span.references.size * (kField + kI32 + 3 * (kField + kI64) + kStop);
  }
  n += kField + kI32 + 2 * (kField + kI64);  // flags, startTime, duration
  size_t tags = tags_size(span.tags);
  if (tags == kTooLong) return kTooLong;  // before the dropped counts' tags add to it
  size_t tag_count = span.tags.size;
  dropped_count_tags(span.dropped_tags, span.dropped_logs, span.dropped_references, [&](const Tag& t) {
    tags += tag_size(t);
    ++tag_count;
  });
  if (tag_count != 0) n += kField + kList + tags;
  if (!span.logs.empty()) {
    n += kField + kList;
    for (const Log& log : span.logs) {
      const size_t fields = tags_size(log.fields);
      if (fields == kTooLong) return kTooLong;
      n += kField + kI64 + kField + kList + fields + kStop;
    }
  }
  return n + kStop;
}

// The packet builder's way in (ThriftProtocol::write_span): the span sized from its lengths
// and, where it fits, written by the unchecked writer, which keeps its position in a
// register; the checked writer loads and stores it for every value. 0 when it does not fit,
// or says a string the protocol cannot, as the checked writer returns.
size_t write_span_unchecked(uint8_t* at, size_t room, const Span& span) {
  const size_t n = span_size(span);
  return n != kTooLong && n <= room ? encode_sized_span(at, span) : 0;
}

}  // namespace

size_t binary_span_size(const Span& span) { return span_size(span); }

size_t encode_sized_span(uint8_t* at, const Span& span) {
  BinaryRawWriter w(at);
  write_span(w, span);
  assert(w.size() == span_size(span));
  return w.size();
}
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
    binary_span_size,
    process_bytes,
    [](size_t encoded_process_size, size_t) { return fixed_head_size() + encoded_process_size; },
    [](int64_t, const ClientStats&) { return fixed_tail_size(); },
    fixed_tail_size,
    write_span_unchecked,
    write_envelope<BinaryWriter>,
    [](const RecordEncoder& encoder, const uint8_t* record, PlainVector<uint8_t>& out, TagRunCache& cache) {
      const size_t bound = RecordEncoder::binary_plain_bound(record);
      if (out.size() < bound) out.resize(bound);
      return encoder.encode_binary(record, out.data(), cache, kRulesApplied);
    },
};

}  // namespace litetrace::detail
