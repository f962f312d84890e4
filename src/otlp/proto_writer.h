#pragma once

// Protocol Buffers wire format writer over a caller-provided buffer, for OTLP.
//
// No reflection and no schema: the OTLP encoder names each field number and wire type
// itself. A length-delimited field (a nested message) is written as tag, length, body, so
// the body's length must be known before the body is written: the encoder computes it
// exactly with the *_size() functions below, from the same values it then writes, and the
// writer checks that every nested body it closes was exactly as long as announced.
//
// Like CompactWriter: a sizing mode (default constructor) counts without writing, and the
// first error is sticky (once a write does not fit, nothing more is written and ok() stays
// false), so a caller checks once at the end.
//
// Spec: https://protobuf.dev/programming-guides/encoding/

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "core/byte_copy.h"

namespace litetrace::detail {

enum class WireType : uint8_t { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5 };

constexpr size_t proto_varint_size(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}
constexpr uint64_t proto_tag(uint32_t field, WireType type) {
  return (static_cast<uint64_t>(field) << 3) | static_cast<uint64_t>(type);
}
constexpr size_t proto_tag_size(uint32_t field) { return proto_varint_size(proto_tag(field, WireType::kVarint)); }

// The encoded size of a whole field, tag included.
constexpr size_t varint_field_size(uint32_t field, uint64_t v) { return proto_tag_size(field) + proto_varint_size(v); }
// An int64 or enum field: negative values take ten bytes (two's complement, no zigzag).
constexpr size_t int64_field_size(uint32_t field, int64_t v) {
  return varint_field_size(field, static_cast<uint64_t>(v));
}
constexpr size_t fixed64_field_size(uint32_t field) { return proto_tag_size(field) + 8; }
constexpr size_t fixed32_field_size(uint32_t field) { return proto_tag_size(field) + 4; }
constexpr size_t length_delimited_field_size(uint32_t field, size_t length) {
  return proto_tag_size(field) + proto_varint_size(length) + length;
}

enum class ProtoError : uint8_t {
  kNone = 0,
  kOverflow,        // the buffer is full
  kNestingTooDeep,  // more than kMaxDepth open messages
  kLengthMismatch,  // a message body was not as long as announced, or closed unopened
};

class ProtoWriter {
 public:
  static constexpr int kMaxDepth = 16;

  // Sizing mode: counts bytes, writes nothing, never overflows.
  ProtoWriter() : capacity_(SIZE_MAX) {}
  // Writing mode over a caller-owned buffer.
  ProtoWriter(uint8_t* buf, size_t capacity) : buf_(buf), capacity_(capacity) {}

  bool ok() const { return error_ == ProtoError::kNone && depth_ == 0; }
  ProtoError error() const { return error_; }
  // Bytes written (or counted) so far; stops growing at the first error.
  size_t size() const { return pos_; }

  // ---- fields ----
  // uint32/uint64/bool/enum, and int32/int64 as two's complement (ten bytes if negative).
  void varint_field(uint32_t field, uint64_t v) {
    write_varint(proto_tag(field, WireType::kVarint));
    write_varint(v);
  }
  void int64_field(uint32_t field, int64_t v) { varint_field(field, static_cast<uint64_t>(v)); }
  void fixed64_field(uint32_t field, uint64_t v) {
    write_varint(proto_tag(field, WireType::kFixed64));
    write_fixed(v, 8);
  }
  void fixed32_field(uint32_t field, uint32_t v) {
    write_varint(proto_tag(field, WireType::kFixed32));
    write_fixed(v, 4);
  }
  void double_field(uint32_t field, double v) {
    uint64_t bits = 0;
    std::memcpy(&bits, &v, sizeof bits);
    fixed64_field(field, bits);
  }
  // string and bytes (strings are UTF-8 by contract, not checked here).
  void bytes_field(uint32_t field, std::string_view bytes) {
    write_varint(proto_tag(field, WireType::kLengthDelimited));
    write_varint(bytes.size());
    write_raw(bytes.data(), bytes.size());
  }

  // A nested message of exactly `length` body bytes: message_begin, its fields,
  // message_end. A body of another length is kLengthMismatch.
  void message_begin(uint32_t field, size_t length) {
    if (depth_ >= kMaxDepth) {
      fail(ProtoError::kNestingTooDeep);
      return;
    }
    write_varint(proto_tag(field, WireType::kLengthDelimited));
    write_varint(length);
    ends_[depth_++] = pos_ + length;
  }
  void message_end() {
    if (depth_ == 0) {
      fail(ProtoError::kLengthMismatch);
      return;
    }
    if (error_ == ProtoError::kNone && pos_ != ends_[depth_ - 1]) fail(ProtoError::kLengthMismatch);
    --depth_;
  }

  // Room for `n` bytes that the caller fills itself with the put_*() functions below, for a
  // run of fields whose sizes it has just computed from the same values: one bounds check
  // for the run instead of one per write. nullptr in sizing mode (the bytes are counted)
  // and when they do not fit (the sticky kOverflow).
  uint8_t* claim(size_t n) {
    if (!reserve(n)) return nullptr;
    uint8_t* p = buf_ == nullptr ? nullptr : buf_ + pos_;
    pos_ += n;
    return p;
  }
  // For a run that did not come out at the length claimed (a bug): the writer fails.
  void claimed_mismatch() { fail(ProtoError::kLengthMismatch); }

  static uint8_t* put_varint(uint8_t* p, uint64_t v) {
    while (v >= 0x80) {
      *p++ = static_cast<uint8_t>(v | 0x80);
      v >>= 7;
    }
    *p++ = static_cast<uint8_t>(v);
    return p;
  }
  static uint8_t* put_tag(uint8_t* p, uint32_t field, WireType type) { return put_varint(p, proto_tag(field, type)); }
  static uint8_t* put_bytes_field(uint8_t* p, uint32_t field, std::string_view bytes) {
    p = put_tag(p, field, WireType::kLengthDelimited);
    p = put_varint(p, bytes.size());
    if (bytes.size() <= 16) {
      move_bytes(p, bytes.data(), bytes.size());
    } else {
      std::memcpy(p, bytes.data(), bytes.size());
    }
    return p + bytes.size();
  }
  // Little-endian, whatever the host order.
  static uint8_t* put_fixed(uint8_t* p, uint64_t v, size_t n) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    std::memcpy(p, &v, n);  // the low n bytes, already in wire order
#else
    for (size_t i = 0; i < n; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
#endif
    return p + n;
  }

  // Bytes that are already encoded fields (a cached Resource).
  void write_raw(const void* data, size_t n) {
    if (!reserve(n)) return;
    if (buf_ != nullptr) {
      if (n <= 16) {
        move_bytes(buf_ + pos_, data, n);
      } else {
        std::memcpy(buf_ + pos_, data, n);
      }
    }
    pos_ += n;
  }

 private:
  void write_varint(uint64_t v) {
    if (buf_ != nullptr && capacity_ - pos_ >= 10 && error_ == ProtoError::kNone) {
      // Room for the longest varint: write and count in one pass.
      uint8_t* p = buf_ + pos_;
      while (v >= 0x80) {
        *p++ = static_cast<uint8_t>(v | 0x80);
        v >>= 7;
      }
      *p++ = static_cast<uint8_t>(v);
      pos_ = static_cast<size_t>(p - buf_);
      return;
    }
    const size_t n = proto_varint_size(v);
    if (!reserve(n)) return;
    if (buf_ != nullptr) {
      uint8_t* p = buf_ + pos_;
      while (v >= 0x80) {
        *p++ = static_cast<uint8_t>(v | 0x80);
        v >>= 7;
      }
      *p = static_cast<uint8_t>(v);
    }
    pos_ += n;
  }
  // Little-endian, whatever the host order.
  void write_fixed(uint64_t v, size_t n) {
    if (!reserve(n)) return;
    if (buf_ != nullptr) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
      std::memcpy(buf_ + pos_, &v, n);  // the low n bytes, already in wire order
#else
      for (size_t i = 0; i < n; ++i) buf_[pos_ + i] = static_cast<uint8_t>(v >> (8 * i));
#endif
    }
    pos_ += n;
  }
  bool reserve(size_t n) {
    if (error_ != ProtoError::kNone) return false;
    if (capacity_ - pos_ < n) {
      fail(ProtoError::kOverflow);
      return false;
    }
    return true;
  }
  void fail(ProtoError e) {
    if (error_ == ProtoError::kNone) error_ = e;
  }

  uint8_t* buf_ = nullptr;
  size_t capacity_;
  size_t pos_ = 0;
  ProtoError error_ = ProtoError::kNone;
  int depth_ = 0;
  size_t ends_[kMaxDepth] = {};
};

}  // namespace litetrace::detail
