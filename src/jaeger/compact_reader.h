#pragma once

// Apache Thrift compact protocol reader over a byte range, for litetrace-dump, tests and
// fuzzing. It trusts nothing: every length is checked against what is left, nesting is
// bounded, and the first error is sticky (every later read returns a zero value).

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "jaeger/compact_writer.h"

namespace litetrace::detail {

enum class ReadError : uint8_t {
  kNone = 0,
  kTruncated,       // the input ended inside a value
  kBadVarint,       // more than 10 bytes, or bits past 64
  kBadType,         // a type id the compact protocol does not define
  kNestingTooDeep,  // more than kMaxDepth nested structs/containers
  kBadHeader,       // a message header that is not compact protocol version 1
  kBadLength,       // a negative or impossible size
};

const char* to_string(ReadError e) noexcept;

struct FieldHeader {
  int16_t id = 0;
  CType type = CType::kI8;
  bool stop = false;
  bool bool_value = false;  // for kBoolTrue/kBoolFalse fields
};

struct ListHeader {
  CType element = CType::kI8;
  uint32_t count = 0;
};

struct MessageHeader {
  MessageType type = MessageType::kCall;
  int32_t seqid = 0;
  std::string_view name;
};

class CompactReader {
 public:
  static constexpr int kMaxDepth = 32;

  CompactReader(const uint8_t* data, size_t size) : data_(data), size_(size) {}

  bool ok() const { return error_ == ReadError::kNone; }
  ReadError error() const { return error_; }
  size_t position() const { return pos_; }
  size_t remaining() const { return size_ - pos_; }

  uint8_t read_byte();
  uint64_t read_varint();
  int16_t read_i16();
  int32_t read_i32();
  int64_t read_i64();
  double read_double();
  // A view into the input; valid while the input is.
  std::string_view read_binary();

  MessageHeader read_message_begin();

  void struct_begin();
  void struct_end();  // does not consume the stop; read_field_header() did
  FieldHeader read_field_header();
  ListHeader read_list_header();

  // Skips one value of the given type (unknown fields; forward compatibility).
  void skip(CType type);

 private:
  void fail(ReadError e) {
    if (error_ == ReadError::kNone) error_ = e;
  }
  bool valid_type(uint8_t t) const { return t >= 1 && t <= 12; }

  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
  ReadError error_ = ReadError::kNone;
  int depth_ = 0;
  int16_t last_id_ = 0;
  int16_t last_id_stack_[kMaxDepth] = {};
};

}  // namespace litetrace::detail
