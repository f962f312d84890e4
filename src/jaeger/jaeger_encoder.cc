#include "jaeger/jaeger_encoder.h"

#include <cstring>

#include "core/compiler.h"
#include "jaeger/thrift_structs.h"

namespace litetrace::detail {

using namespace thrift_structs;

// Cold: see thrift_structs.h.
LITETRACE_COLD void encode_tag(CompactWriter& w, const Tag& tag) { write_tag_fields(w, tag); }
LITETRACE_COLD void encode_span(CompactWriter& w, const Span& span) { write_span(w, span); }
// `head` is the run's at bytes_[at]; its bytes follow it.
TagRun TagRunCache::found(size_t at, const Head& head) {
  last_scope_ = head.scope;
  last_run_ = {std::string_view(bytes_).substr(at + sizeof head, head.size), head.count};
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

LITETRACE_COLD TagRun TagRunCache::add(const void* scope, Slice<Tag> run) {
  const TagRun cached = find(scope);
  if (cached.bytes.data() != nullptr) return cached;
  CompactWriter sizing;
  for (const Tag& t : run) encode_tag(sizing, t);
  const Head head{scope, sizing.size(), run.size};
  const size_t at = bytes_.size();
  bytes_.resize(at + sizeof head + head.size);
  std::memcpy(bytes_.data() + at, &head, sizeof head);
  CompactWriter w(reinterpret_cast<uint8_t*>(bytes_.data() + at + sizeof head), head.size);
  for (const Tag& t : run) encode_tag(w, t);
  return found(at, head);
}

void encode_process(CompactWriter& w, const Process& process) { write_process(w, process); }

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

LITETRACE_COLD std::string encode_process(const Process& process) {
  std::string bytes(encoded_size(process), '\0');
  CompactWriter w(reinterpret_cast<uint8_t*>(bytes.data()), bytes.size());
  encode_process(w, process);
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

const ThriftProtocol kCompactThrift = {
    /*compact=*/true,
    nullptr,
    [](const Process& process) { return encode_process(process); },
    [](size_t encoded_process_size, size_t span_count) { return batch_head_size(encoded_process_size, span_count); },
    [](int64_t seq_no, const ClientStats& stats) { return batch_tail_size(seq_no, stats); },
    [] { return kMaxBatchTailSize; },
    nullptr,
    write_envelope<CompactWriter>,
};

size_t view_span_size(const ThriftProtocol& protocol, const Span& span) {
  return protocol.span_size != nullptr ? protocol.span_size(span) : encoded_size(span);
}

size_t view_write_span(const ThriftProtocol& protocol, uint8_t* at, size_t room, const Span& span) {
  return protocol.write_span != nullptr ? protocol.write_span(at, room, span)
                                        : write_span_at<CompactWriter>(at, room, span);
}

}  // namespace litetrace::detail
