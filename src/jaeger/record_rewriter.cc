#include "jaeger/record_rewriter.h"

#include <string>

#include "core/array_json.h"
#include "core/compiler.h"
#include "core/record_normalizer.h"  // append_bytes
#include "core/record_reader.h"

namespace litetrace::detail {
namespace {

bool is_attribute(ItemKind k) {
  return k == ItemKind::kAttribute || k == ItemKind::kEventAttribute || k == ItemKind::kLinkAttribute;
}

AttributeItemHead head_of(const uint8_t* item) {
  AttributeItemHead head;
  std::memcpy(&head, item, sizeof head);
  return head;
}

uint16_t dropped_of_link(const uint8_t* item) {
  uint16_t n;
  std::memcpy(&n, item + kLinkDroppedOffset, sizeof n);
  return n;
}

// A record's header, copied out (a RecordReader's constructor, out of line in these cold
// functions, linked a copy of its own).
SpanRecordHeader header_of(const uint8_t* record) {
  SpanRecordHeader h;
  std::memcpy(&h, record, sizeof h);
  return h;
}

// Walks a record's items: f(item, size) for each, in order.
template <typename F>
void for_each_item(const uint8_t* record, F f) {
  const SpanRecordHeader h = header_of(record);
  const uint8_t* p = record + sizeof h;
  const uint8_t* const end = p + h.items_size;
  while (p < end) {
    const size_t n = record_item_size(p);
    f(p, n);
    p += n;
  }
}

// Whether the link item at `item` (of `size` bytes, ending before `end`) is written as a log.
bool link_has_log(const uint8_t* item, size_t size, const uint8_t* end) {
  return dropped_of_link(item) != 0 ||
         (item + size < end && static_cast<ItemKind>(item[size]) == ItemKind::kLinkAttribute);
}

// Sets the header at the front of `out` (its items after it) for those items.
const uint8_t* finish(PlainVector<uint8_t>& out, SpanRecordHeader h) {
  h.items_size = static_cast<uint32_t>(out.size() - sizeof h);
  h.size = static_cast<uint32_t>((out.size() + 7) & ~size_t{7});
  std::memcpy(out.data(), &h, sizeof h);
  return out.data();
}

}  // namespace

LITETRACE_COLD RecordRewriter::Counts RecordRewriter::counts(const uint8_t* record) {
  Counts c;
  const uint8_t* const end = record + sizeof(SpanRecordHeader) + header_of(record).items_size;
  for_each_item(record, [&](const uint8_t* p, size_t n) {
    switch (static_cast<ItemKind>(*p)) {
      case ItemKind::kAttribute: ++c.attributes; break;
      case ItemKind::kEvent: ++c.logs; break;
      case ItemKind::kLink: c.logs += link_has_log(p, n, end) ? 1 : 0; break;
      default: break;
    }
  });
  c.name = name(record).size();
  return c;
}

LITETRACE_COLD bool RecordRewriter::has_arrays(const uint8_t* record) {
  bool found = false;
  for_each_item(record, [&](const uint8_t* p, size_t) {
    if (is_attribute(static_cast<ItemKind>(*p)) && is_array(static_cast<ValueType>(head_of(p).type))) found = true;
  });
  return found;
}

LITETRACE_COLD const uint8_t* RecordRewriter::without_arrays(const uint8_t* record) {
  arrays_.clear();
  arrays_.resize(sizeof(SpanRecordHeader));  // zeros: resize, the growth linked anyway
  std::string json;
  for_each_item(record, [&](const uint8_t* p, size_t n) {
    // Only an attribute item is as long as its head: a name or an event may end the record sooner.
    if (!is_attribute(static_cast<ItemKind>(*p)) || !is_array(static_cast<ValueType>(head_of(p).type))) {
      append_bytes(arrays_, p, n);
      return;
    }
    const AttributeItemHead head = head_of(p);
    RecordAttribute a;
    a.type = static_cast<ValueType>(head.type);
    a.key = std::string_view(reinterpret_cast<const char*>(p + sizeof head), head.key_length);
    a.bytes = std::string_view(a.key.data() + a.key.size(), head.value_length);
    json.clear();
    append_array_json(json, a);
    const AttributeItemHead text{head.kind, static_cast<uint8_t>(ValueType::kString), head.key_length,
                                 static_cast<uint32_t>(json.size())};
    append_bytes(arrays_, &text, sizeof text);
    append_bytes(arrays_, a.key.data(), a.key.size());
    append_bytes(arrays_, json.data(), json.size());
  });
  return finish(arrays_, header_of(record));
}

std::atomic<RecordRewriter::ArrayRewrite> RecordRewriter::g_array_rewrite{nullptr};

LITETRACE_COLD void RecordRewriter::link_array_rewrites() {
  g_array_rewrite.store([](RecordRewriter& r, const uint8_t* record) { return r.without_arrays(record); },
                        std::memory_order_relaxed);
}

LITETRACE_COLD const uint8_t* RecordRewriter::keep(const uint8_t* record, const Counts& kept) {
  SpanRecordHeader h = header_of(record);
  const uint8_t* const end = record + sizeof h + h.items_size;
  kept_.clear();
  kept_.resize(sizeof h);  // zeros
  size_t attributes = 0;
  size_t logs = 0;
  size_t events = 0;
  bool cut_log = false;  // the attributes after the event or link now met go with its log
  for_each_item(record, [&](const uint8_t* p, size_t n) {
    switch (static_cast<ItemKind>(*p)) {
      case ItemKind::kAttribute:
        if (attributes++ < kept.attributes) {
          append_bytes(kept_, p, n);
        } else {
          h.dropped_attributes = saturated_add(h.dropped_attributes, 1);
        }
        return;
      case ItemKind::kName: {
        const uint16_t length = static_cast<uint16_t>(std::min<size_t>(kept.name, n - 3));
        append_bytes(kept_, p, 1);
        append_bytes(kept_, &length, sizeof length);
        append_bytes(kept_, p + 3, length);
        return;
      }
      case ItemKind::kEvent:
        cut_log = logs++ >= kept.logs;
        if (cut_log) {
          h.dropped_events = saturated_add(h.dropped_events, 1);
        } else {
          append_bytes(kept_, p, n);
          ++events;
        }
        return;
      case ItemKind::kLink: {
        cut_log = link_has_log(p, n, end) && logs++ >= kept.logs;
        append_bytes(kept_, p, n);  // its reference stays
        if (cut_log) {
          h.dropped_events = saturated_add(h.dropped_events, 1);
          const uint16_t none = 0;
          std::memcpy(kept_.data() + kept_.size() - n + kLinkDroppedOffset, &none, sizeof none);
        }
        return;
      }
      case ItemKind::kEventAttribute:
      case ItemKind::kLinkAttribute:
        if (!cut_log) append_bytes(kept_, p, n);
        return;
      case ItemKind::kDeadAttribute:
      case ItemKind::kDeadText: return;
      case ItemKind::kStatusDescription:
      case ItemKind::kTraceState: append_bytes(kept_, p, n); return;
    }
  });
  h.attribute_count = static_cast<uint16_t>(std::min<size_t>(h.attribute_count, kept.attributes));
  h.event_count = static_cast<uint16_t>(events);
  return finish(kept_, h);
}

}  // namespace litetrace::detail
