#pragma once

// Apache Thrift binary protocol writer over a caller-provided buffer: what the Jaeger
// collector takes over HTTP (POST /api/traces, a bare Batch) and the agent on UDP 6832
// (an emitBatch message).
//
// The same interface as CompactWriter (compact_writer.h), so the Jaeger encoder writes
// either protocol from one code path: a sizing mode (default constructor) that only counts,
// a sticky first error, and the compact writer's type names (CType), which this writer
// translates to the binary protocol's type ids.
//
// Binary protocol: a field header is the type byte and the i16 field id; integers are
// fixed width, big-endian; a double is its 8 IEEE bytes, big-endian; a string is an i32
// length and the bytes; a list header is the element type byte and an i32 count; a struct
// ends with a 0 byte. A message begins (strict form) with the i32 0x80010000 | type, the
// method name as a string, and the i32 seqid.
//
// Spec: https://github.com/apache/thrift/blob/master/doc/specs/thrift-binary-protocol.md

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "core/byte_copy.h"
#include "jaeger/compact_writer.h"  // CType, MessageType, WriteError, kStop

namespace litetrace::detail {

// Binary protocol type ids.
enum class BType : uint8_t {
  kBool = 2,
  kByte = 3,
  kDouble = 4,
  kI16 = 6,
  kI32 = 8,
  kI64 = 10,
  kString = 11,
  kStruct = 12,
  kMap = 13,
  kSet = 14,
  kList = 15,
};

constexpr BType binary_type(CType t) {
  switch (t) {
    case CType::kBoolTrue:
    case CType::kBoolFalse: return BType::kBool;
    case CType::kI8: return BType::kByte;
    case CType::kI16: return BType::kI16;
    case CType::kI32: return BType::kI32;
    case CType::kI64: return BType::kI64;
    case CType::kDouble: return BType::kDouble;
    case CType::kBinary: return BType::kString;
    case CType::kList: return BType::kList;
    case CType::kSet: return BType::kSet;
    case CType::kMap: return BType::kMap;
    case CType::kStruct: return BType::kStruct;
  }
  return BType::kStruct;
}

constexpr uint32_t kBinaryVersion1 = 0x80010000u;

// kChecked = false is the same writer without a bound, as BasicCompactWriter<false>: no
// sizing mode, no capacity, depth or length checks, for a caller that has sized the bytes
// and claimed their room (claim_struct()).
template <bool kChecked>
class BasicBinaryWriter {
 public:
  static constexpr int kMaxDepth = 16;

  // Sizing mode: counts bytes, writes nothing, never overflows.
  BasicBinaryWriter() : capacity_(SIZE_MAX) { static_assert(kChecked, "an unchecked writer writes"); }
  // Writing mode over a caller-owned buffer.
  BasicBinaryWriter(uint8_t* buf, size_t capacity) : buf_(buf), capacity_(capacity) {}
  // Unchecked: at least as many bytes from `buf` as the caller will write.
  explicit BasicBinaryWriter(uint8_t* buf) : buf_(buf), capacity_(SIZE_MAX) {
    static_assert(!kChecked, "a checked writer needs a capacity");
  }

  bool ok() const { return error_ == WriteError::kNone; }
  WriteError error() const { return error_; }
  size_t size() const { return pos_; }
  bool sizing() const { return kChecked && buf_ == nullptr; }

  // ---- raw values ----
  void write_byte(uint8_t b) { write_big_endian(b, 1); }
  void write_i16(int16_t v) { write_big_endian(static_cast<uint16_t>(v), 2); }
  void write_i32(int32_t v) { write_big_endian(static_cast<uint32_t>(v), 4); }
  void write_i64(int64_t v) { write_big_endian(static_cast<uint64_t>(v), 8); }
  void write_double(double v) {
    uint64_t bits = 0;
    std::memcpy(&bits, &v, sizeof bits);
    write_big_endian(bits, 8);
  }
  // An i32 length, then the bytes.
  void write_binary(std::string_view bytes) {
    if (kChecked && bytes.size() > INT32_MAX) {
      fail(WriteError::kOverflow);
      return;
    }
    write_i32(static_cast<int32_t>(bytes.size()));
    write_raw(bytes.data(), bytes.size());
  }
  void write_raw(const void* data, size_t n) {
    if (!reserve(n)) return;
    if (!sizing()) {
      if (n <= 16) {
        move_bytes(buf_ + pos_, data, n);
      } else {
        std::memcpy(buf_ + pos_, data, n);
      }
    }
    pos_ += n;
  }

  // ---- message ----
  void message_begin(std::string_view name, MessageType type, int32_t seqid) {
    write_i32(static_cast<int32_t>(kBinaryVersion1 | static_cast<uint32_t>(type)));
    write_binary(name);
    write_i32(seqid);
  }

  // ---- structs and fields ----
  void struct_begin() {
    if constexpr (kChecked) {
      if (depth_ >= kMaxDepth) {
        fail(WriteError::kNestingTooDeep);
        return;
      }
      ++depth_;
    }
  }
  // As the compact writer's (compact_writer.h): this protocol keeps no field ids.
  int16_t leaf_struct_begin() {
    struct_begin();
    return 0;
  }
  void leaf_struct_end(int16_t /*enclosing*/) { struct_end(); }
  // Room for a whole struct of `n` bytes (its stop byte included) that holds no struct:
  // where the caller writes it, or nullptr when there is nothing to write (sizing mode, or
  // an error, which is recorded as struct_begin() and the writes would record it).
  uint8_t* claim_struct(size_t n) {
    if (depth_ >= kMaxDepth) {
      fail(WriteError::kNestingTooDeep);
      return nullptr;
    }
    if (!reserve(n)) return nullptr;
    uint8_t* at = buf_ != nullptr ? buf_ + pos_ : nullptr;
    pos_ += n;
    return at;
  }
  void struct_end() {
    if constexpr (kChecked) {
      if (depth_ == 0) {
        fail(WriteError::kUnbalanced);
        return;
      }
      --depth_;
    }
    write_byte(kStop);
  }
  void field_header(int16_t id, CType type) {
    write_byte(static_cast<uint8_t>(binary_type(type)));
    write_i16(id);
  }
  // Field ids are absolute in the binary protocol: nothing to continue from.
  void set_last_field_id(int16_t) {}
  // As the compact writer's, for the record encoder (record_encoder.cc): bytes that another
  // writer wrote where this one stands. Unchecked only.
  void advance(size_t n, int16_t /*last field id*/ = 0) {
    static_assert(!kChecked, "a checked writer checks what it writes");
    pos_ += n;
  }
  void field_bool(int16_t id, bool v) {
    field_header(id, CType::kBoolTrue);
    write_byte(v ? 1 : 0);
  }
  void field_i32(int16_t id, int32_t v) {
    field_header(id, CType::kI32);
    write_i32(v);
  }
  void field_i64(int16_t id, int64_t v) {
    field_header(id, CType::kI64);
    write_i64(v);
  }
  // As the compact writer's: every i64 takes eight bytes here, so there is nothing to deposit.
  void field_wide_i64(int16_t id, int64_t v, bool /*deposit*/) { field_i64(id, v); }
  void field_double(int16_t id, double v) {
    field_header(id, CType::kDouble);
    write_double(v);
  }
  void field_binary(int16_t id, std::string_view v) {
    field_header(id, CType::kBinary);
    write_binary(v);
  }
  void field_struct_begin(int16_t id) {
    field_header(id, CType::kStruct);
    struct_begin();
  }
  void field_list_begin(int16_t id, CType element, size_t count) {
    field_header(id, CType::kList);
    list_header(element, count);
  }
  void list_header(CType element, size_t count) {
    if (kChecked && count > INT32_MAX) {
      fail(WriteError::kOverflow);
      return;
    }
    write_byte(static_cast<uint8_t>(binary_type(element)));
    write_i32(static_cast<int32_t>(count));
  }

 private:
  // The low n bytes of v (1 to 8), most significant first.
  void write_big_endian(uint64_t v, size_t n) {
    if (!reserve(n)) return;
    if (!sizing()) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ && defined(__GNUC__)
      const uint64_t swapped = __builtin_bswap64(v << (8 * (8 - n)));  // its first n bytes are the ones
      std::memcpy(buf_ + pos_, &swapped, n);
#else
      for (size_t i = 0; i < n; ++i) buf_[pos_ + i] = static_cast<uint8_t>(v >> (8 * (n - 1 - i)));
#endif
    }
    pos_ += n;
  }
  // As CompactWriter: after an error the capacity is cut to the position.
  bool reserve(size_t n) {
    if (kChecked && n > capacity_ - pos_) {
      fail(WriteError::kOverflow);
      return false;
    }
    return true;
  }
  void fail(WriteError e) {
    if (error_ == WriteError::kNone) error_ = e;
    capacity_ = pos_;
  }

  uint8_t* buf_ = nullptr;
  size_t capacity_ = 0;
  size_t pos_ = 0;
  WriteError error_ = WriteError::kNone;
  int depth_ = 0;
};

using BinaryWriter = BasicBinaryWriter<true>;
using BinaryRawWriter = BasicBinaryWriter<false>;

}  // namespace litetrace::detail
