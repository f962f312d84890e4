#pragma once

// A span's own attributes as the API promises them, made so off the application thread.
//
// Span::set_attribute only appends an item (trace.cc): no key lookup, no count, no cut. The
// rules are applied here, the same way for every exporter, on the batcher (and on the
// application thread only when a span's items run out of room, to make some):
//   - a key set again keeps the place it was first set at and takes the last value;
//   - past max_attributes distinct keys, an attribute is dropped and counted
//     (dropped_attributes), each time it is set;
//   - strings and string array elements are cut to max_attribute_length bytes at a UTF-8
//     boundary, bytes values to that many bytes (0: no limit).
// Events and links apply their own limits as they are added.
//
// Thread: one at a time (the batcher's, or a thread's own for its spans).

#include <cstddef>
#include <cstdint>
#include <string_view>
#include "core/plain_vector.h"
#include "core/raw_array.h"
#include "core/span_record.h"

namespace litetrace::detail {

// The limits the rules apply (TracerProviderOptions): max_attributes distinct keys,
// values cut to max_attribute_length bytes (0: no limit).
struct AttributeLimits {
  size_t max_attributes;
  size_t max_attribute_length;
};
// For a record that keeps the rules already (RecordNormalizer made it so): every attribute
// is admitted, however many share a filter bit.
constexpr AttributeLimits kRulesApplied = {SIZE_MAX, 0};

// `n` bytes appended to `out`, for the records the normalizer and the rewriter build (out
// of line: code that seldom runs, called from many places).
void append_bytes(PlainVector<uint8_t>& out, const void* bytes, size_t n);

// The rules' check, one span attribute at a time in the span's order: whether the
// attributes met so far keep them (no key twice, at most max_attributes, no value too
// long). RecordNormalizer runs it over a record's items; RecordEncoder as it encodes them,
// so a span that keeps the rules is read once.
class AttributeCheck {
 public:
  // `items`: the span's first item. The keys admit() is given are views into the items
  // after it, so a key met before is found among them.
  AttributeCheck(const AttributeLimits& limits, const uint8_t* items) : limits_(limits), items_(items) {}
  // Whether the attribute keeps the rules after those admitted before it. `value`: the
  // value bytes of a string, bytes or array value (of a scalar: anything). A new key with
  // a value within the limit is admitted inline; a filter hit or a long value is looked at
  // out of line.
  bool admit(std::string_view key, ValueType type, std::string_view value) {
    if (count_ == limits_.max_attributes) return false;
    const uint64_t bit = key_bit(key);
    // An element of an array is never longer than all its bytes.
    const bool maybe_long = limits_.max_attribute_length != 0 && !is_scalar(type) &&
                            value.size() > limits_.max_attribute_length;
    if (((seen_ & bit) != 0 || maybe_long) && !admits_looked_at(*this, key, type, value, bit)) return false;
    ++count_;
    seen_ |= bit;
    return true;
  }

 private:
  // attribute_key_bit()'s hash without its test for an empty key: a key here is in an item,
  // after the item's head, so the byte before its end is always there to read (a signed
  // index: for an empty key, size() - 1 as an unsigned offset would wrap).
  static uint64_t key_bit(std::string_view key) {
    const auto last = static_cast<std::ptrdiff_t>(key.size()) - 1;
    const size_t h = key.size() * 0x9E37u + static_cast<unsigned char>(key.data()[last]);
    return uint64_t{1} << (h & 63);
  }
  // Given a copy: the check's own address never escapes, so its fields can stay in the
  // caller's registers (clang 14 kept them on the encoder's stack, loaded and stored for
  // every attribute).
  static bool admits_looked_at(AttributeCheck check, std::string_view key, ValueType type, std::string_view value,
                               uint64_t bit);
  // Whether a span attribute among the items before the one of `key` has that key.
  bool met_before(std::string_view key) const;

  // A filter hit past this many attributes fails the check (the normalizer then applies the
  // rules), so a span's check never takes more than this many key comparisons per attribute.
  static constexpr size_t kKeysChecked = 64;
  AttributeLimits limits_;
  const uint8_t* items_;
  size_t count_ = 0;
  uint64_t seen_ = 0;  // key_bit() of each key met
};

class RecordNormalizer {
 public:
  RecordNormalizer(size_t max_attributes = 0, size_t max_attribute_length = 0)
      : limits_{max_attributes, max_attribute_length} {}
  void set_limits(size_t max_attributes, size_t max_attribute_length) {
    limits_ = {max_attributes, max_attribute_length};
  }

  // By reference: the encoder reads them where they are, once per span.
  const AttributeLimits& limits() const { return limits_; }

  // `record` (a header and its items, as a ring holds it) when it keeps the rules already,
  // else a copy that does, valid until the next call.
  const uint8_t* normalize(const uint8_t* record);

  // The items of a span being recorded, made to keep the rules in place: fewer bytes (and
  // `header`'s counts updated) when something was replaced or dropped. Returns the new size.
  size_t normalize_items(SpanRecordHeader& header, uint8_t* items, size_t size);

 private:
  struct Attribute {
    std::string_view key;
    const uint8_t* item;
    uint32_t first;  // the index (in the span's order) where its key was first set
    uint32_t last;   // the index of the key's last value (set for the first of each key)
  };

  // Whether the span attributes among these items keep the rules already.
  bool conforming(const uint8_t* items, size_t size) const;
  // Writes the items, the rules kept, to out_; updates the header's attribute counts.
  void rewrite(SpanRecordHeader& header, const uint8_t* items, size_t size);
  void append_attribute(const uint8_t* item);

  AttributeLimits limits_;
  // Room for attribute_room_ (an array, grown only by a span with more attributes than
  // any before it: no vector growth is linked for it).
  RawArray<Attribute> attributes_;
  size_t attribute_room_ = 0;
  PlainVector<uint32_t> order_;
  PlainVector<uint8_t> first_;  // per attribute: 0, or 1 for its key's first, 2 when that key is kept
  PlainVector<uint8_t> out_;  // 8-byte aligned (a record's header is read from it)
};

}  // namespace litetrace::detail
