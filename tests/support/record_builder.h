#pragma once

// Span records written by hand (core/span_record.h), item by item as Span writes them, for
// the tests of what reads records on the batcher.

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "core/span_record.h"
#include "jaeger/record_encoder.h"
#include "jaeger/record_rewriter.h"

namespace litetrace::test {

class RecordBuilder {
 public:
  using ItemKind = detail::ItemKind;
  using ValueType = detail::ValueType;

  RecordBuilder() { items_.reserve(4096); }
  // The header's fields other than the sizes, which build() sets.
  detail::SpanRecordHeader& header() { return header_; }

  RecordBuilder& name(std::string_view n) { return text(ItemKind::kName, n); }
  RecordBuilder& text(ItemKind kind, std::string_view t) {
    put<uint8_t>(static_cast<uint8_t>(kind));
    put<uint16_t>(static_cast<uint16_t>(t.size()));
    bytes(t);
    return *this;
  }
  RecordBuilder& string(std::string_view key, std::string_view value, ValueType type = ValueType::kString,
                        ItemKind kind = ItemKind::kAttribute) {
    head(kind, type, key, value.size());
    bytes(key);
    bytes(value);
    return *this;
  }
  // kBool, kInt64 or kDouble: eight value bytes before the key.
  RecordBuilder& scalar(std::string_view key, ValueType type, uint64_t bits, ItemKind kind = ItemKind::kAttribute) {
    head(kind, type, key, 0);
    put<uint64_t>(bits);
    bytes(key);
    return *this;
  }
  RecordBuilder& integer(std::string_view key, int64_t value) {
    return scalar(key, ValueType::kInt64, static_cast<uint64_t>(value));
  }
  RecordBuilder& number(std::string_view key, double value) {
    uint64_t bits;
    std::memcpy(&bits, &value, 8);
    return scalar(key, ValueType::kDouble, bits);
  }
  RecordBuilder& strings(std::string_view key, const std::vector<std::string>& values) {
    std::string packed;
    for (const std::string& v : values) {
      const auto n = static_cast<uint32_t>(v.size());
      packed.append(reinterpret_cast<const char*>(&n), 4);
      packed += v;
    }
    return string(key, packed, ValueType::kStringArray);
  }
  // An event with its explicit Unix-ns time (or, with `ticks`, a time in counter ticks) and
  // no attributes (add them after it as kEventAttribute items); counted in the header.
  RecordBuilder& event(std::string_view event_name, uint64_t unix_ns, uint16_t dropped = 0, bool ticks = false) {
    detail::use_jaeger_logs();  // as Span::add_event does
    put<uint8_t>(static_cast<uint8_t>(ItemKind::kEvent));
    put<uint8_t>(ticks ? 0 : 1);
    put<uint64_t>(unix_ns);
    put<uint16_t>(dropped);
    put<uint16_t>(static_cast<uint16_t>(event_name.size()));
    bytes(event_name);
    ++header_.event_count;
    return *this;
  }
  // A link (add its attributes after it as kLinkAttribute items); counted in the header.
  RecordBuilder& link(uint64_t trace_id_high, uint64_t trace_id_low, uint64_t span_id, uint16_t dropped = 0,
                      uint8_t trace_flags = 1, bool remote = false) {
    detail::use_jaeger_logs();  // as Span::add_link does
    put<uint8_t>(static_cast<uint8_t>(ItemKind::kLink));
    put<uint8_t>(trace_flags);
    put<uint8_t>(remote ? 1 : 0);
    put<uint64_t>(trace_id_high);
    put<uint64_t>(trace_id_low);
    put<uint64_t>(span_id);
    put<uint16_t>(dropped);
    ++header_.link_count;
    return *this;
  }
  std::vector<uint8_t> build() const {
    detail::SpanRecordHeader h = header_;
    h.items_size = static_cast<uint32_t>(items_.size());
    h.size = static_cast<uint32_t>((sizeof h + items_.size() + 7) & ~size_t{7});
    std::vector<uint8_t> out(h.size, 0);
    std::memcpy(out.data(), &h, sizeof h);
    std::memcpy(out.data() + sizeof h, items_.data(), items_.size());
    return out;
  }

 private:
  template <typename T>
  void put(T v) {
    const auto* p = reinterpret_cast<const uint8_t*>(&v);
    items_.insert(items_.end(), p, p + sizeof v);
  }
  void bytes(std::string_view s) { items_.insert(items_.end(), s.begin(), s.end()); }
  void head(ItemKind kind, ValueType type, std::string_view key, size_t value_length) {
    if (detail::is_array(type)) detail::RecordRewriter::use_array_rewrites();  // as Span's setters do
    put(detail::AttributeItemHead{static_cast<uint8_t>(kind), static_cast<uint8_t>(type),
                                  static_cast<uint16_t>(key.size()), static_cast<uint32_t>(value_length)});
  }

  detail::SpanRecordHeader header_;
  std::vector<uint8_t> items_;
};

}  // namespace litetrace::test
