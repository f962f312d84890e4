#pragma once

// A bounds-checked protobuf wire format reader, for what an OTLP server answers:
// ExportTraceServiceResponse (its partial_success) and google.rpc.Status (its message).
// It walks the fields of one message; unknown fields are skipped, as protobuf requires.
//
// Thread: any; no shared state.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "otlp/proto_writer.h"  // WireType

namespace litetrace::detail {

struct ProtoField {
  uint32_t number = 0;
  WireType type = WireType::kVarint;
  uint64_t value = 0;      // kVarint, kFixed64, kFixed32
  std::string_view bytes;  // kLengthDelimited
};

class ProtoReader {
 public:
  explicit ProtoReader(std::string_view message) : p_(message.data()), end_(message.data() + message.size()) {}

  // The next field; false at the end of the message or on malformed input (then ok() is
  // false).
  bool next(ProtoField& f) {
    if (p_ == end_ || !ok_) return false;
    uint64_t tag = 0;
    if (!varint(tag) || (tag >> 3) == 0 || (tag >> 3) > 0x1FFFFFFF) return fail();
    f.number = static_cast<uint32_t>(tag >> 3);
    f.type = static_cast<WireType>(tag & 7);
    switch (f.type) {
      case WireType::kVarint: return varint(f.value) || fail();
      case WireType::kFixed64: return fixed(8, f.value) || fail();
      case WireType::kFixed32: return fixed(4, f.value) || fail();
      case WireType::kLengthDelimited: {
        uint64_t length = 0;
        if (!varint(length) || length > static_cast<uint64_t>(end_ - p_)) return fail();
        f.bytes = std::string_view(p_, static_cast<size_t>(length));
        p_ += length;
        return true;
      }
    }
    return fail();  // groups (3, 4) and unknown wire types: not in any message we read
  }
  bool ok() const { return ok_; }

 private:
  bool varint(uint64_t& out) {
    out = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ == end_) return false;
      const auto byte = static_cast<uint8_t>(*p_++);
      out |= static_cast<uint64_t>(byte & 0x7F) << shift;
      if ((byte & 0x80) == 0) return true;
    }
    return false;
  }
  bool fixed(size_t n, uint64_t& out) {
    if (static_cast<size_t>(end_ - p_) < n) return false;
    out = 0;
    for (size_t i = 0; i < n; ++i) out |= static_cast<uint64_t>(static_cast<uint8_t>(p_[i])) << (8 * i);
    p_ += n;
    return true;
  }
  bool fail() {
    ok_ = false;
    return false;
  }

  const char* p_;
  const char* end_;
  bool ok_ = true;
};

}  // namespace litetrace::detail
