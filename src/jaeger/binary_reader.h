#pragma once

// Apache Thrift binary protocol reader over a byte range, with CompactReader's interface
// (compact_reader.h), so the Jaeger decoder reads either protocol from one code path: for
// litetrace-dump (the collector's HTTP body, the agent's port 6832), tests and fuzzing. It
// trusts nothing: every length is checked against what is left, nesting is bounded, the
// first error is sticky.
//
// Types come back as the compact protocol's names (CType). A bool field's value is read
// with its header, as the compact protocol carries it there: read_field_header() returns
// it as kBoolTrue or kBoolFalse, and there is nothing left to read or skip for it.
//
// Spec: https://github.com/apache/thrift/blob/master/doc/specs/thrift-binary-protocol.md

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "jaeger/binary_writer.h"  // BType, kBinaryVersion1
#include "jaeger/compact_reader.h"  // FieldHeader, ListHeader, MessageHeader, ReadError

namespace litetrace::detail {

class BinaryReader {
 public:
  static constexpr int kMaxDepth = 32;

  BinaryReader(const uint8_t* data, size_t size) : data_(data), size_(size) {}

  bool ok() const { return error_ == ReadError::kNone; }
  ReadError error() const { return error_; }
  size_t position() const { return pos_; }
  size_t remaining() const { return size_ - pos_; }

  uint8_t read_byte() { return static_cast<uint8_t>(read_big_endian(1)); }
  int16_t read_i16() { return static_cast<int16_t>(read_big_endian(2)); }
  int32_t read_i32() { return static_cast<int32_t>(read_big_endian(4)); }
  int64_t read_i64() { return static_cast<int64_t>(read_big_endian(8)); }
  double read_double() {
    const uint64_t bits = read_big_endian(8);
    double v;
    std::memcpy(&v, &bits, sizeof v);
    return v;
  }
  // A view into the input; valid while the input is.
  std::string_view read_binary() {
    const int32_t n = read_i32();
    if (!ok()) return {};
    if (n < 0) {
      fail(ReadError::kBadLength);
      return {};
    }
    if (static_cast<size_t>(n) > remaining()) {
      fail(ReadError::kTruncated);
      return {};
    }
    const std::string_view v(reinterpret_cast<const char*>(data_ + pos_), static_cast<size_t>(n));
    pos_ += static_cast<size_t>(n);
    return v;
  }

  // The strict form only: version 1 in the first word (what every Jaeger client sends).
  MessageHeader read_message_begin() {
    MessageHeader h;
    const auto word = static_cast<uint32_t>(read_i32());
    if (!ok()) return h;
    if ((word & 0xFFFF0000u) != kBinaryVersion1) {
      fail(ReadError::kBadHeader);
      return h;
    }
    h.type = static_cast<MessageType>(word & 0xFF);
    h.name = read_binary();
    h.seqid = read_i32();
    return h;
  }

  void struct_begin() {
    if (!ok()) return;
    if (depth_ >= kMaxDepth) {
      fail(ReadError::kNestingTooDeep);
      return;
    }
    ++depth_;
  }
  void struct_end() {
    if (depth_ > 0) --depth_;
  }
  FieldHeader read_field_header() {
    FieldHeader f;
    const uint8_t type = read_byte();
    if (!ok() || type == kStop) {
      f.stop = true;
      return f;
    }
    f.id = read_i16();
    if (type == static_cast<uint8_t>(BType::kBool)) {
      f.bool_value = read_byte() != 0;
      f.type = f.bool_value ? CType::kBoolTrue : CType::kBoolFalse;
    } else if (!to_ctype(type, f.type)) {
      fail(ReadError::kBadType);
    }
    if (!ok()) f.stop = true;
    return f;
  }
  ListHeader read_list_header() {
    ListHeader h;
    const uint8_t element = read_byte();
    const int32_t count = read_i32();
    if (!ok()) return h;
    if (element == static_cast<uint8_t>(BType::kBool)) {
      h.element = CType::kBoolTrue;  // a list's bools are a byte each, as in the compact protocol
    } else if (!to_ctype(element, h.element)) {
      fail(ReadError::kBadType);
      return h;
    }
    // Every element takes at least a byte: a count beyond what is left is a lie.
    if (count < 0 || static_cast<size_t>(count) > remaining()) {
      fail(ReadError::kBadLength);
      return h;
    }
    h.count = static_cast<uint32_t>(count);
    return h;
  }

  // Skips one value of the given type (unknown fields; forward compatibility). A bool
  // here is a list element: one byte.
  void skip(CType type) {
    if (!ok()) return;
    switch (type) {
      case CType::kBoolTrue:
      case CType::kBoolFalse:
      case CType::kI8: read_byte(); return;
      case CType::kI16: read_i16(); return;
      case CType::kI32: read_i32(); return;
      case CType::kI64:
      case CType::kDouble: read_i64(); return;
      case CType::kBinary: read_binary(); return;
      case CType::kList:
      case CType::kSet: {
        if (!enter()) return;
        const ListHeader h = read_list_header();
        for (uint32_t i = 0; i < h.count && ok(); ++i) skip(h.element);
        --depth_;
        return;
      }
      case CType::kMap: {
        if (!enter()) return;
        CType key = CType::kI8;
        CType value = CType::kI8;
        const uint8_t kt = read_byte();
        const uint8_t vt = read_byte();
        const int32_t count = read_i32();
        if (ok() && (!element_type(kt, key) || !element_type(vt, value))) fail(ReadError::kBadType);
        if (ok() && (count < 0 || static_cast<size_t>(count) > remaining())) fail(ReadError::kBadLength);
        for (int32_t i = 0; i < count && ok(); ++i) {
          skip(key);
          skip(value);
        }
        --depth_;
        return;
      }
      case CType::kStruct: {
        struct_begin();
        for (;;) {
          const FieldHeader f = read_field_header();
          if (f.stop) break;
          if (f.type != CType::kBoolTrue && f.type != CType::kBoolFalse) skip(f.type);
        }
        struct_end();
        return;
      }
    }
    fail(ReadError::kBadType);
  }

 private:
  static bool to_ctype(uint8_t type, CType& out) {
    switch (static_cast<BType>(type)) {
      case BType::kByte: out = CType::kI8; return true;
      case BType::kDouble: out = CType::kDouble; return true;
      case BType::kI16: out = CType::kI16; return true;
      case BType::kI32: out = CType::kI32; return true;
      case BType::kI64: out = CType::kI64; return true;
      case BType::kString: out = CType::kBinary; return true;
      case BType::kStruct: out = CType::kStruct; return true;
      case BType::kMap: out = CType::kMap; return true;
      case BType::kSet: out = CType::kSet; return true;
      case BType::kList: out = CType::kList; return true;
      case BType::kBool: break;
    }
    return false;
  }
  static bool element_type(uint8_t type, CType& out) {
    if (type == static_cast<uint8_t>(BType::kBool)) {
      out = CType::kBoolTrue;
      return true;
    }
    return to_ctype(type, out);
  }
  bool enter() {
    if (depth_ >= kMaxDepth) {
      fail(ReadError::kNestingTooDeep);
      return false;
    }
    ++depth_;
    return true;
  }
  uint64_t read_big_endian(size_t n) {
    if (!ok()) return 0;
    if (remaining() < n) {
      fail(ReadError::kTruncated);
      pos_ = size_;
      return 0;
    }
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v = v << 8 | data_[pos_ + i];
    pos_ += n;
    return v;
  }
  void fail(ReadError e) {
    if (error_ == ReadError::kNone) error_ = e;
  }

  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
  ReadError error_ = ReadError::kNone;
  int depth_ = 0;
};

}  // namespace litetrace::detail
