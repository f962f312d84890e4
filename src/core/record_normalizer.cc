#include "core/record_normalizer.h"

#include <algorithm>
#include <cstddef>
#include <cstring>

#include "core/compiler.h"
#include "core/text.h"

namespace litetrace::detail {
namespace {

AttributeItemHead head_of(const uint8_t* item) {
  AttributeItemHead head;
  std::memcpy(&head, item, sizeof head);
  return head;
}

std::string_view key_of(const uint8_t* item, const AttributeItemHead& head) {
  const size_t at = sizeof head + (is_scalar(static_cast<ValueType>(head.type)) ? 8 : 0);
  return {reinterpret_cast<const char*>(item + at), head.key_length};
}

std::string_view value_of(const uint8_t* item, const AttributeItemHead& head) {
  return {reinterpret_cast<const char*>(item + sizeof head + head.key_length), head.value_length};
}

// Whether a string value, or an element of a string array, is longer than `limit`.
bool too_long(ValueType type, std::string_view value, size_t limit) {
  if (limit == 0) return false;
  switch (type) {
    case ValueType::kString:
    case ValueType::kBytes: return value.size() > limit;
    case ValueType::kStringArray:
      for (size_t at = 0; at + 4 <= value.size();) {
        uint32_t length;
        std::memcpy(&length, value.data() + at, 4);
        if (length > limit) return true;
        at += 4 + length;
      }
      return false;
    default: return false;
  }
}

void append_text(PlainVector<uint8_t>& out, std::string_view text) { append_bytes(out, text.data(), text.size()); }

}  // namespace

LITETRACE_COLD void append_bytes(PlainVector<uint8_t>& out, const void* bytes, size_t n) {
  out.append(static_cast<const uint8_t*>(bytes), n);
}

bool AttributeCheck::met_before(std::string_view key) const {
  // The items that end before the key's own item, which holds `at`.
  const auto* const at = reinterpret_cast<const uint8_t*>(key.data());
  for (const uint8_t* p = items_;;) {
    const size_t n = record_item_size(p);
    if (p + n > at) return false;
    if (static_cast<ItemKind>(*p) == ItemKind::kAttribute && key_of(p, head_of(p)) == key) return true;
    p += n;
  }
}

bool AttributeCheck::admits_looked_at(AttributeCheck check, std::string_view key, ValueType type,
                                      std::string_view value, uint64_t bit) {
  const bool applied = check.limits_.max_attributes == kRulesApplied.max_attributes;
  if (!applied && (check.seen_ & bit) != 0 && (check.count_ > kKeysChecked || check.met_before(key))) return false;
  return !too_long(type, value, check.limits_.max_attribute_length);
}

bool RecordNormalizer::conforming(const uint8_t* items, size_t size) const {
  AttributeCheck check(limits(), items);
  const uint8_t* const end = items + size;
  for (const uint8_t* p = items; p < end;) {
    if (static_cast<ItemKind>(*p) != ItemKind::kAttribute) {
      p += record_item_size(p);
      continue;
    }
    const AttributeItemHead head = head_of(p);
    if (!check.admit(key_of(p, head), static_cast<ValueType>(head.type), value_of(p, head))) return false;
    p += attribute_item_size(head);
  }
  return true;
}

LITETRACE_COLD void RecordNormalizer::append_attribute(const uint8_t* item) {
  const AttributeItemHead head = head_of(item);
  const std::string_view value = value_of(item, head);
  if (!too_long(static_cast<ValueType>(head.type), value, limits_.max_attribute_length)) {
    const size_t n = attribute_item_size(head);
    append_bytes(out_, item, n);
    return;
  }
  // Cut: the head with the new length, the key, the shorter value.
  const auto type = static_cast<ValueType>(head.type);
  const size_t head_at = out_.size();
  const std::string_view key = key_of(item, head);
  append_bytes(out_, &head, sizeof head);
  append_text(out_, key);
  const size_t value_at = out_.size();
  if (type == ValueType::kStringArray) {
    for (size_t at = 0; at + 4 <= value.size();) {
      uint32_t length;
      std::memcpy(&length, value.data() + at, 4);
      // Not substr(), whose range check (never failing here) linked an exception's throw.
      const std::string_view whole(value.data() + at + 4, std::min<size_t>(length, value.size() - at - 4));
      const std::string_view element = utf8_prefix(whole, limits_.max_attribute_length);
      const auto kept = static_cast<uint32_t>(element.size());
      append_bytes(out_, &kept, 4);
      append_text(out_, element);
      at += 4 + length;
    }
  } else {
    const std::string_view cut = type == ValueType::kString ? utf8_prefix(value, limits_.max_attribute_length)
                                                            : value.substr(0, limits_.max_attribute_length);
    append_text(out_, cut);
  }
  AttributeItemHead shorter = head;
  shorter.value_length = static_cast<uint32_t>(out_.size() - value_at);
  std::memcpy(out_.data() + head_at, &shorter, sizeof shorter);
}

// Cold, as append_attribute(): only a span that breaks the rules is rewritten.
LITETRACE_COLD void RecordNormalizer::rewrite(SpanRecordHeader& header, const uint8_t* items, size_t size) {
  uint32_t count = 0;
  for (const uint8_t* p = items; p < items + size; p += record_item_size(p)) {
    count += static_cast<ItemKind>(*p) == ItemKind::kAttribute ? 1 : 0;
  }
  if (count > attribute_room_) {
    attribute_room_ = std::max<size_t>(count, 2 * attribute_room_);
    attributes_ = make_raw_array<Attribute>(attribute_room_);
  }
  uint32_t index = 0;
  for (const uint8_t* p = items; p < items + size; p += record_item_size(p)) {
    if (static_cast<ItemKind>(*p) != ItemKind::kAttribute) continue;
    attributes_[index] = {key_of(p, head_of(p)), p, index, index};
    ++index;
  }
  // Group by key, each group in the span's order: its first is where the key goes, its
  // last the value it takes.
  order_.resize(count);
  for (uint32_t i = 0; i < count; ++i) order_[i] = i;
  // A heap sort with the index as the tie-break: std::stable_sort would allocate, and
  // std::sort's introsort links three times the code for no gain at these sizes.
  const auto before = [&](uint32_t a, uint32_t b) {
    return attributes_[a].key != attributes_[b].key ? attributes_[a].key < attributes_[b].key : a < b;
  };
  std::make_heap(order_.begin(), order_.end(), before);
  std::sort_heap(order_.begin(), order_.end(), before);
  first_.clear();
  first_.resize(count);  // zeros
  for (size_t g = 0; g < order_.size();) {
    size_t end = g + 1;
    while (end < order_.size() && attributes_[order_[end]].key == attributes_[order_[g]].key) ++end;
    attributes_[order_[g]].last = order_[end - 1];
    first_[order_[g]] = 1;
    for (size_t k = g; k < end; ++k) attributes_[order_[k]].first = order_[g];
    g = end;
  }
  // The first max_attributes keys (by where they were first set) are kept; every value
  // set for another key is dropped.
  size_t kept = 0;
  uint32_t dropped = 0;
  for (size_t i = 0; i < count; ++i) {
    if (first_[i] != 0 && kept < limits_.max_attributes) {
      first_[i] = 2;  // kept
      ++kept;
    }
  }
  size_t a = 0;
  for (const uint8_t* p = items; p < items + size; p += record_item_size(p)) {
    if (static_cast<ItemKind>(*p) != ItemKind::kAttribute) {
      if (!is_dead(static_cast<ItemKind>(*p))) append_bytes(out_, p, record_item_size(p));
      continue;
    }
    const size_t i = a++;
    if (first_[attributes_[i].first] != 2) {
      if (dropped != UINT32_MAX) ++dropped;
    } else if (attributes_[i].first == i) {
      append_attribute(attributes_[attributes_[i].last].item);
    }
  }
  header.attribute_count = static_cast<uint16_t>(std::min<size_t>(kept, UINT16_MAX));
  const uint64_t total = uint64_t{header.dropped_attributes} + dropped;
  header.dropped_attributes = static_cast<uint32_t>(std::min<uint64_t>(total, UINT32_MAX));
}

const uint8_t* RecordNormalizer::normalize(const uint8_t* record) {
  uint32_t items_size;
  std::memcpy(&items_size, record + offsetof(SpanRecordHeader, items_size), sizeof items_size);
  const uint8_t* items = record + sizeof(SpanRecordHeader);
  if (conforming(items, items_size)) return record;
  SpanRecordHeader header;
  std::memcpy(&header, record, sizeof header);
  out_.clear();
  out_.resize(sizeof header);
  rewrite(header, items, header.items_size);
  header.items_size = static_cast<uint32_t>(out_.size() - sizeof header);
  header.size = static_cast<uint32_t>((out_.size() + 7) & ~size_t{7});
  out_.resize(header.size);
  std::memcpy(out_.data(), &header, sizeof header);
  return out_.data();
}

size_t RecordNormalizer::normalize_items(SpanRecordHeader& header, uint8_t* items, size_t size) {
  if (conforming(items, size)) return size;
  out_.clear();
  rewrite(header, items, size);
  std::memcpy(items, out_.data(), out_.size());  // never more than it was
  return out_.size();
}

}  // namespace litetrace::detail
