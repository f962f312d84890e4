#pragma once

// OTEL_TRACES_EXPORTER=console: the spans as litetrace-dump shows them (span_printer.h), on
// stderr. Each batch the batcher hands on is mapped by the Jaeger exporter's mapping
// (span_mapper.h) and printed as one tree per trace under a line naming the service: the
// same spans print the same here as when they reach litetrace-dump over UDP. For
// development: a slow terminal or a pipe nobody reads can hold the batcher (never an
// application thread: a full ring drops and counts, as always).
//
// Thread: as SpanSink.

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "core/span_sink.h"
#include "core/tick_clock.h"
#include "jaeger/jaeger_decoder.h"
#include "jaeger/span_mapper.h"

namespace litetrace::detail {

class ConsoleSink final : public SpanSink {
 public:
  // The Process is copied; `clock` must outlive the sink; `out` is stderr but in tests.
  ConsoleSink(const Process& process, const TickConverter* clock, std::FILE* out);

  size_t add_run(const uint8_t*& at, const uint8_t* end, size_t max, RecordNormalizer& rules) override {
    return add_each(*this, at, end, max, rules);
  }
  // One record, as add_run() takes each.
  void add(const uint8_t* record, RecordNormalizer& rules);
  void flush() override;
  SinkStats stats() const override;
  std::string peer() const override { return "stderr"; }

 private:
  std::string_view keep(std::string_view text) { return strings_.emplace_back(text); }
  Slice<Tag> keep(Slice<Tag> tags);

  SpanMapper mapper_;
  std::FILE* out_;
  std::string source_;
  // The Process, kept for good; the batch's spans and what they point to, until flush().
  std::deque<std::string> process_strings_;
  std::vector<Tag> process_tags_;
  DecodedBatch batch_;
  std::deque<std::string> strings_;
  std::deque<std::vector<Tag>> tags_;
  std::deque<std::vector<Log>> logs_;
  std::deque<std::vector<SpanRef>> refs_;
  // Written by the batcher, read by stats() from any thread.
  std::atomic<uint64_t> exported_{0};
  std::atomic<uint64_t> failed_{0};
  std::atomic<uint64_t> pending_{0};
  std::atomic<uint64_t> bytes_{0};
};

}  // namespace litetrace::detail
