#include "jaeger/jaeger_encoder.h"

#include <cassert>
#include <cstring>

#include "core/compiler.h"
#include "jaeger/thrift_structs.h"

namespace litetrace::detail {

using namespace thrift_structs;

namespace {

// The most bytes a tag's struct takes: beside its key's and its string's bytes, three field
// headers (3), the type (a varint of at most 5), the key's length and the value's length or
// integer (varints of at most 10 each; a double takes 8) and the stop byte: at most 29.
size_t tag_size_bound(const Tag& tag) { return 32 + tag.key.size() + tag.str.size(); }

// kCompactThrift's envelope: the checked writer's, write_envelope(), by the unchecked one
// (the sizes are exact). Flattened, as encode_process() is: cold, the writer's members were
// called out of line, copies of their own for these two alone (1.3 KB).
LITETRACE_COLD LITETRACE_FLATTEN void write_raw_envelope(uint8_t* head, size_t head_size, uint8_t* tail,
                                                         size_t tail_size, std::string_view encoded_process,
                                                         size_t span_count, int64_t seq_no, const ClientStats& stats) {
  CompactRawWriter hw(head);
  write_batch_head(hw, encoded_process, span_count);
  CompactRawWriter tw(tail);
  resume_batch(tw);
  write_batch_tail(tw, seq_no, stats);
  assert(hw.ok() && hw.size() == head_size && tw.ok() && tw.size() == tail_size);
  static_cast<void>(head_size);
  static_cast<void>(tail_size);
}

}  // namespace

// Cold: see thrift_structs.h.
LITETRACE_COLD void encode_tag(CompactWriter& w, const Tag& tag) { write_tag_fields(w, tag); }
LITETRACE_COLD void encode_span(CompactWriter& w, const Span& span) { write_span(w, span); }
// `head` is the run's at bytes_[at]; its bytes follow it.
TagRun TagRunCache::found(size_t at, const Head& head) {
  last_scope_ = head.scope;
  // A view made directly: substr()'s range check (never failing here) linked a throw.
  const char* const bytes = reinterpret_cast<const char*>(bytes_.data()) + at + sizeof head;
  last_run_ = {std::string_view(bytes, head.size), head.count};
  return last_run_;
}

TagRun TagRunCache::find_other(const void* scope) {
  Head head;
  for (size_t at = 0; at < bytes_.size(); at += sizeof head + head.size) {
    std::memcpy(&head, bytes_.data() + at, sizeof head);
    if (head.scope == scope) return found(at, head);
  }
  return {};
}

LITETRACE_COLD TagRun TagRunCache::add(const void* scope, Slice<Tag> run, size_t (*put)(uint8_t* at, const Tag& tag)) {
  const TagRun cached = find(scope);
  if (cached.bytes.data() != nullptr) return cached;
  size_t bound = 0;
  for (const Tag& t : run) bound += tag_size_bound(t);
  const size_t at = bytes_.size();
  bytes_.resize(at + sizeof(Head) + bound);
  uint8_t* const out = bytes_.data() + at + sizeof(Head);
  size_t size = 0;
  for (const Tag& t : run) size += put(out + size, t);
  const Head head{scope, size, run.size};
  std::memcpy(bytes_.data() + at, &head, sizeof head);
  bytes_.resize(at + sizeof head + size);
  return found(at, head);
}

void encode_process(CompactWriter& w, const Process& process) { write_process(w, process); }

size_t encoded_size(const Span& span) {
  CompactWriter w;
  encode_span(w, span);
  return w.size();
}

// The same bytes as encode_process(CompactWriter&), by the unchecked writer into room
// bounded as tags are: beside the name and the tags, two field headers, the name's length
// (at most 10), the list's header (at most 11) and the stop byte take at most 24.
LITETRACE_COLD LITETRACE_FLATTEN std::string encode_process(const Process& process) {
  size_t bound = 32 + process.service_name.size();
  for (const Tag& t : process.tags) bound += tag_size_bound(t);
  std::string bytes(bound, '\0');
  uint8_t* const out = reinterpret_cast<uint8_t*>(bytes.data());
  CompactRawWriter w(out);
  w.struct_begin();
  w.field_binary(/*Process.serviceName*/ 1, process.service_name);
  if (!process.tags.empty()) {
    w.field_list_begin(/*Process.tags*/ 2, CType::kStruct, process.tags.size);
    for (const Tag& t : process.tags) w.advance(encode_tag_at(out + w.size(), t));
  }
  w.struct_end();
  bytes.assign(bytes.data(), w.size());  // shrunk by the replace every program links, not resize()
  return bytes;
}

void encode_batch_head(CompactWriter& w, std::string_view encoded_process, size_t span_count) {
  write_batch_head(w, encoded_process, span_count);
}
void resume_batch_after_spans(CompactWriter& w) { resume_batch(w); }
void encode_batch_tail(CompactWriter& w, int64_t seq_no, const ClientStats& stats) {
  write_batch_tail(w, seq_no, stats);
}

void encode_emit_batch(CompactWriter& w, const Process& process, Slice<Span> spans, int64_t seq_no,
                       const ClientStats& stats) {
  write_emit_batch(w, encode_process(process), spans, seq_no, stats);
}

const ThriftProtocol kCompactThrift = {/*compact=*/true, nullptr, nullptr, nullptr, nullptr,
                                       nullptr,           nullptr, nullptr, nullptr};

size_t view_span_size(const ThriftProtocol& protocol, const Span& span) {
  return protocol.compact ? encoded_size(span) : protocol.span_size(span);
}

size_t view_write_span(const ThriftProtocol& protocol, uint8_t* at, size_t room, const Span& span) {
  return protocol.compact ? write_span_at<CompactWriter>(at, room, span) : protocol.write_span(at, room, span);
}

LITETRACE_COLD std::string protocol_encode_process(const ThriftProtocol& protocol, const Process& process) {
  return protocol.compact ? encode_process(process) : protocol.encode_process(process);
}

size_t protocol_batch_head_size(const ThriftProtocol& protocol, size_t encoded_process_size, size_t span_count) {
  return protocol.compact ? batch_head_size(encoded_process_size, span_count)
                          : protocol.batch_head_size(encoded_process_size, span_count);
}

LITETRACE_COLD size_t protocol_batch_tail_size(const ThriftProtocol& protocol, int64_t seq_no,
                                               const ClientStats& stats) {
  return protocol.compact ? batch_tail_size(seq_no, stats) : protocol.batch_tail_size(seq_no, stats);
}

LITETRACE_COLD size_t protocol_max_batch_tail_size(const ThriftProtocol& protocol) {
  return protocol.compact ? kMaxBatchTailSize : protocol.max_batch_tail_size();
}

LITETRACE_COLD void protocol_write_envelope(const ThriftProtocol& protocol, uint8_t* head, size_t head_size,
                                            uint8_t* tail, size_t tail_size, std::string_view encoded_process,
                                            size_t span_count, int64_t seq_no, const ClientStats& stats) {
  if (protocol.compact) {
    write_raw_envelope(head, head_size, tail, tail_size, encoded_process, span_count, seq_no, stats);
  } else {
    protocol.write_envelope(head, head_size, tail, tail_size, encoded_process, span_count, seq_no, stats);
  }
}

}  // namespace litetrace::detail
