#include "jaeger/console_sink.h"

#include <unistd.h>

#include "core/compiler.h"
#include "jaeger/span_printer.h"

namespace litetrace::detail {
namespace {

// One writer (the batcher): a plain load and store, relaxed, for readers on other threads.
void add_to(std::atomic<uint64_t>& counter, uint64_t n) {
  counter.store(counter.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

}  // namespace

LITETRACE_COLD ConsoleSink::ConsoleSink(const Process& process, const TickConverter* clock, std::FILE* out)
    : mapper_(clock), out_(out), source_("pid " + std::to_string(::getpid())) {
  const auto own = [&](std::string_view s) -> std::string_view { return process_strings_.emplace_back(s); };
  for (const Tag& t : process.tags) {
    Tag copy = t;
    copy.key = own(t.key);
    copy.str = own(t.str);
    process_tags_.push_back(copy);
  }
  batch_.process.service_name = own(process.service_name);
  batch_.process.tags = {process_tags_.data(), process_tags_.size()};
}

Slice<Tag> ConsoleSink::keep(Slice<Tag> tags) {
  std::vector<Tag>& out = tags_.emplace_back(tags.begin(), tags.end());
  for (Tag& t : out) {
    t.key = keep(t.key);
    t.str = keep(t.str);
  }
  return {out.data(), out.size()};
}

void ConsoleSink::add(const uint8_t* record, RecordNormalizer& rules) {
  // The mapped span points into the record and the mapper, both reused: copy it whole.
  Span s = mapper_.map(rules.normalize(record));
  s.operation_name = keep(s.operation_name);
  s.tags = keep(s.tags);
  std::vector<Log>& logs = logs_.emplace_back(s.logs.begin(), s.logs.end());
  for (Log& log : logs) log.fields = keep(log.fields);
  s.logs = {logs.data(), logs.size()};
  std::vector<SpanRef>& refs = refs_.emplace_back(s.references.begin(), s.references.end());
  s.references = {refs.data(), refs.size()};
  batch_.spans.push_back(s);
  add_to(pending_, 1);
}

void ConsoleSink::flush() {
  if (batch_.spans.empty()) return;
  const std::string text = format_text(batch_, source_);
  const uint64_t n = batch_.spans.size();
  const bool written = std::fwrite(text.data(), 1, text.size(), out_) == text.size() && std::fflush(out_) == 0;
  add_to(written ? exported_ : failed_, n);
  if (written) add_to(bytes_, text.size());
  add_to(pending_, 0 - n);
  batch_.spans.clear();
  strings_.clear();
  tags_.clear();
  logs_.clear();
  refs_.clear();
}

SinkStats ConsoleSink::stats() const {
  SinkStats s;
  s.spans_exported = exported_.load(std::memory_order_relaxed);
  s.spans_failed = failed_.load(std::memory_order_relaxed);
  s.spans_pending = pending_.load(std::memory_order_relaxed);
  s.bytes_sent = bytes_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace litetrace::detail
