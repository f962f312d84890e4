#pragma once

// Span records rewritten for the Jaeger record encoder (record_encoder.h), so that a span it
// does not take as it comes still goes out without the Jaeger view (span_mapper.h), which a
// program linked lean then does not link: its arrays become the string attributes the
// mapping makes of them, and a span larger than a packet keeps fewer logs and attributes, or
// a shorter name, as span_trimmer.h trims a view.
//
// Thread: the batcher's; cold paths only.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "core/plain_vector.h"
#include "core/span_record.h"
#include "core/text.h"
#include "jaeger/span_trimmer.h"  // largest_fitting

namespace litetrace::detail {

class RecordRewriter {
 public:
  // What keep() may cut of a span: its span attributes, its logs (each event, and each link
  // that has attributes or a dropped count: Jaeger logs, in the span's order) and its name.
  struct Counts {
    size_t attributes = 0;
    size_t logs = 0;
    size_t name = 0;  // bytes
  };
  static Counts counts(const uint8_t* record);
  static std::string_view name(const uint8_t* record) { return last_text(record, ItemKind::kName); }
  // The record's bytes: its header and items.
  static std::string_view whole(const uint8_t* record) {
    SpanRecordHeader h;
    std::memcpy(&h, record, sizeof h);
    return {reinterpret_cast<const char*>(record), sizeof h + h.items_size};
  }
  // Whether an attribute of the span, of an event or of a link is an array.
  static bool has_arrays(const uint8_t* record);

  // `record` with every array attribute a string attribute holding its JSON list
  // (array_json.h), as the Jaeger mapping tags it. Valid until the next call.
  const uint8_t* without_arrays(const uint8_t* record);
  // without_arrays() as the exporter reaches it: linked into a program only when it records
  // an array attribute, whose setters (trace.cc) call use_array_rewrites() first; nullptr
  // until then, when no record of the program has an array.
  using ArrayRewrite = const uint8_t* (*)(RecordRewriter& rewriter, const uint8_t* record);
  static ArrayRewrite array_rewrite() { return g_array_rewrite.load(std::memory_order_relaxed); }
  static void use_array_rewrites() {
    if (array_rewrite() == nullptr) link_array_rewrites();
  }
  // `record` with its first `kept.attributes` span attributes, its first `kept.logs` logs and
  // its name's first `kept.name` bytes; what goes is counted in its dropped counts as the
  // trimmer counts it (a log in dropped_events, its link staying a reference; an attribute
  // in dropped_attributes). Dead items go too. Valid until the next call.
  const uint8_t* keep(const uint8_t* record, const Counts& kept);

  // What keep() should leave of `record` for it to take at most `limit` bytes, as
  // trim_to_fit() trims a view: logs go first (from the last one back), then span attributes
  // (likewise), then the name is cut at a UTF-8 boundary, the fewest of each. `size(record)`:
  // its encoded size (0: none). The mapping's own tags (kind, status, scope, sampler, dropped
  // counts) and the references stay: false when those alone take more than `limit`.
  template <typename Size>
  bool trim(const uint8_t* record, size_t limit, Size size, Counts* kept);

 private:
  static std::atomic<ArrayRewrite> g_array_rewrite;
  static void link_array_rewrites();
  // 8-byte aligned (operator new): a record's header is read from them.
  PlainVector<uint8_t> arrays_;
  PlainVector<uint8_t> kept_;
};

template <typename Size>
bool RecordRewriter::trim(const uint8_t* record, size_t limit, Size size, Counts* kept) {
  const Counts all = counts(record);
  const auto fits = [&](size_t attributes, size_t logs, size_t name_bytes) {
    const size_t n = size(keep(record, {attributes, logs, name_bytes}));
    return n != 0 && n <= limit;
  };
  *kept = all;
  if (fits(all.attributes, all.logs, all.name)) return true;
  if (fits(all.attributes, 0, all.name)) {
    kept->logs = largest_fitting(all.logs, [&](size_t n) { return fits(all.attributes, n, all.name); });
    return true;
  }
  kept->logs = 0;
  if (fits(0, 0, all.name)) {
    kept->attributes = largest_fitting(all.attributes, [&](size_t n) { return fits(n, 0, all.name); });
    return true;
  }
  if (!fits(0, 0, 0)) return false;
  kept->attributes = largest_fitting(all.attributes, [&](size_t n) { return fits(n, 0, 0); });
  const std::string_view text = name(record);
  kept->name = utf8_prefix(text, largest_fitting(text.size(), [&](size_t n) { return fits(kept->attributes, 0, n); }))
                   .size();
  return true;
}

}  // namespace litetrace::detail
