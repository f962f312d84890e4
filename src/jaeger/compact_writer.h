#pragma once

// Apache Thrift compact protocol writer over a caller-provided buffer.
//
// Two modes share one code path: a writing mode over [buf, buf + capacity) and a sizing
// mode (default constructor) that only counts the bytes it would write, so every size the
// exporter needs is computed by the same code that writes the bytes. The first error is
// sticky: once a write does not fit, nothing more is written and ok() stays false, so a
// caller checks once at the end (the nanopb pb_ostream_t pattern).
//
// Spec: https://github.com/apache/thrift/blob/master/doc/specs/thrift-compact-protocol.md

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "core/byte_copy.h"
#include "core/compiler.h"

namespace litetrace::detail {

// Compact protocol type ids, as they appear in field and list headers.
enum class CType : uint8_t {
  kBoolTrue = 1,
  kBoolFalse = 2,
  kI8 = 3,
  kI16 = 4,
  kI32 = 5,
  kI64 = 6,
  kDouble = 7,
  kBinary = 8,
  kList = 9,
  kSet = 10,
  kMap = 11,
  kStruct = 12,
};

// Message types in the message header.
enum class MessageType : uint8_t { kCall = 1, kReply = 2, kException = 3, kOneway = 4 };

constexpr uint8_t kProtocolId = 0x82;
constexpr uint8_t kProtocolVersion = 1;
constexpr uint8_t kStop = 0x00;

constexpr uint64_t zigzag64(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
constexpr uint32_t zigzag32(int32_t v) {
  return (static_cast<uint32_t>(v) << 1) ^ static_cast<uint32_t>(v >> 31);
}
constexpr size_t varint_size(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}
constexpr size_t binary_size(size_t length) { return varint_size(length) + length; }
constexpr size_t field_header_size(int16_t last_id, int16_t id) {
  const int delta = id - last_id;
  return (delta > 0 && delta <= 15) ? 1 : 1 + varint_size(zigzag32(id));
}
constexpr size_t list_header_size(size_t count) {
  return count <= 14 ? 1 : 1 + varint_size(count);
}
constexpr size_t message_header_size(std::string_view name, int32_t seqid) {
  return 2 + varint_size(static_cast<uint32_t>(seqid)) + binary_size(name.size());
}

// Whether this CPU has BMI2's pdep and runs it in hardware (a few cycles): x86-64 with
// BMI2, but for AMD's and Hygon's before Zen 3, which run it in microcode (tens to hundreds
// of cycles). Asks the CPU once.
bool has_fast_bit_deposit();

#if defined(__x86_64__) && defined(__GNUC__)
#define LITETRACE_BIT_DEPOSIT 1
// v's low 56 bits, seven to each of eight bytes: BMI2's pdep, written as assembly so that the
// code needs no -mbmi2 (callers reach it only where has_fast_bit_deposit()).
inline uint64_t deposit_7_bits_a_byte(uint64_t v) {
  uint64_t spread;
  __asm__("pdep {%2, %1, %0|%0, %1, %2}" : "=r"(spread) : "r"(v), "r"(uint64_t{0x7F7F7F7F7F7F7F7F}));
  return spread;
}
#endif

// write_wide_varint(v) of an unchecked writer at `at`, out of line; returns the bytes written.
size_t put_wide_varint(uint8_t* at, uint64_t v);

enum class WriteError : uint8_t {
  kNone = 0,
  kOverflow,        // the buffer is full
  kNestingTooDeep,  // more than kMaxDepth nested structs
  kUnbalanced,      // struct_end() without struct_begin()
};

// kChecked = false is the same writer without a bound: no sizing mode, no capacity check,
// for a caller that knows the bytes fit (jaeger_encoder.h's span_size_bound()).
template <bool kChecked>
class BasicCompactWriter {
 public:
  static constexpr int kMaxDepth = kChecked ? 16 : 4;
  static_assert(kChecked || kMaxDepth * 16 <= 64, "the unchecked writer's stack is one 64-bit integer");

  // Sizing mode: counts bytes, writes nothing, never overflows.
  BasicCompactWriter() : capacity_(SIZE_MAX) { static_assert(kChecked, "an unchecked writer writes"); }
  // Writing mode over a caller-owned buffer.
  BasicCompactWriter(uint8_t* buf, size_t capacity) : buf_(buf), capacity_(capacity) {}
  // Unchecked: at least as many bytes from `buf` as the caller will write.
  explicit BasicCompactWriter(uint8_t* buf) : buf_(buf), capacity_(SIZE_MAX) {
    static_assert(!kChecked, "a checked writer needs a capacity");
  }

  bool ok() const { return error_ == WriteError::kNone; }
  WriteError error() const { return error_; }
  // Bytes written (or counted) so far; stops growing at the first error.
  size_t size() const { return pos_; }
  bool sizing() const { return kChecked && buf_ == nullptr; }

  // ---- raw values ----
  void write_byte(uint8_t b) {
    if constexpr (kChecked) return put(&b, 1);
    buf_[pos_++] = b;
  }
  // Unsigned LEB128.
  void write_varint(uint64_t v) {
    if constexpr (kChecked) {
      // The checked writer serves cold paths (a Process, a batch's head and tail, sizing):
      // one loop and put()'s bound, fewer bytes of code in every field it writes.
      uint8_t bytes[kMaxVarint];
      size_t n = 0;
      while (v >= 0x80) {
        bytes[n++] = static_cast<uint8_t>(v | 0x80);
        v >>= 7;
      }
      bytes[n++] = static_cast<uint8_t>(v);
      return put(bytes, n);
    }
    // Unchecked: the caller's bound holds the longest varint.
    uint8_t* p = buf_ + pos_;
    while (v >= 0x80) {
      *p++ = static_cast<uint8_t>(v | 0x80);
      v >>= 7;
    }
    *p++ = static_cast<uint8_t>(v);
    pos_ = static_cast<size_t>(p - buf_);
  }
  // A varint that is likely wide (a random id, a time in microseconds). A value of 2^49 or
  // more takes eight bytes or more: unchecked, its first seven are written straight, with no
  // test between them.
  void write_wide_varint(uint64_t v) {
    if (kChecked || (v >> 49) == 0) return write_varint(v);
    uint8_t* p = buf_ + pos_;
    p[0] = static_cast<uint8_t>(v | 0x80);
    p[1] = static_cast<uint8_t>((v >> 7) | 0x80);
    p[2] = static_cast<uint8_t>((v >> 14) | 0x80);
    p[3] = static_cast<uint8_t>((v >> 21) | 0x80);
    p[4] = static_cast<uint8_t>((v >> 28) | 0x80);
    p[5] = static_cast<uint8_t>((v >> 35) | 0x80);
    p[6] = static_cast<uint8_t>((v >> 42) | 0x80);
    pos_ += 7;
    write_varint(v >> 49);
  }
  // The same, with `deposit` (has_fast_bit_deposit()): a value of 2^49 or more has its low
  // 56 bits spread to eight bytes by one pdep and stored at once, and its top byte (at 2^56
  // and up) and the tenth (at 2^63 and up) written without a test. It may write one byte
  // past the varint, within the ten a varint can take.
  void write_wide_varint(uint64_t v, bool deposit) {
#if defined(LITETRACE_BIT_DEPOSIT)
    if (!kChecked && deposit && (v >> 49) != 0) {
      uint8_t* p = buf_ + pos_;
      const uint64_t spread = deposit_7_bits_a_byte(v);
      const uint64_t top = v >> 56;
      // x86 is little-endian: the first byte in memory is the lowest.
      if (top == 0) {  // eight bytes
        const uint64_t bytes = spread | 0x0080808080808080u;
        std::memcpy(p, &bytes, sizeof bytes);
        pos_ += 8;
        return;
      }
      const uint64_t bytes = spread | 0x8080808080808080u;
      std::memcpy(p, &bytes, sizeof bytes);
      p[8] = static_cast<uint8_t>(top);  // seven bits, and the eighth is the continuation bit
      p[9] = static_cast<uint8_t>(top >> 7);
      pos_ += 9 + static_cast<size_t>(top >> 7);
      return;
    }
    // Without pdep: a one-byte value (a root's parent id) inline, a longer one out of line.
    if (!kChecked && v >= 0x80) {
      pos_ += put_wide_varint(buf_ + pos_, v);
      return;
    }
    return write_varint(v);
#else
    static_cast<void>(deposit);
#endif
    write_wide_varint(v);
  }
  void write_i16(int16_t v) { write_varint(zigzag32(v)); }
  void write_i32(int32_t v) { write_varint(zigzag32(v)); }
  void write_i64(int64_t v) { write_varint(zigzag64(v)); }
  // 8 bytes, little-endian, whatever the host order.
  void write_double(double v) {
    uint64_t bits = 0;
    std::memcpy(&bits, &v, sizeof bits);
    if constexpr (kChecked) {
      uint8_t bytes[8];
      for (size_t i = 0; i < 8; ++i) bytes[i] = static_cast<uint8_t>(bits >> (8 * i));
      return put(bytes, sizeof bytes);
    }
    for (size_t i = 0; i < 8; ++i) buf_[pos_ + i] = static_cast<uint8_t>(bits >> (8 * i));
    pos_ += 8;
  }
  // Varint length, then the bytes (strings are UTF-8 by contract, not checked here).
  void write_binary(std::string_view bytes) {
    write_varint(bytes.size());
    write_raw(bytes.data(), bytes.size());
  }
  // Bytes that are already compact-encoded (a cached Process, a span being re-packed).
  void write_raw(const void* data, size_t n) {
    if constexpr (kChecked) {
      put(data, n);
    } else {
      copy_in(data, n);
    }
  }

  // ---- message ----
  // 0x82, (type << 5) | version, seqid as a plain varint, method name.
  void message_begin(std::string_view name, MessageType type, int32_t seqid) {
    write_byte(kProtocolId);
    write_byte(static_cast<uint8_t>((static_cast<uint8_t>(type) << 5) | kProtocolVersion));
    write_varint(static_cast<uint32_t>(seqid));
    write_binary(name);
  }

  // ---- structs and fields ----
  // A struct body starts with last field id 0. List elements call this directly (they
  // carry no field header); fields of struct type use field_struct_begin().
  void struct_begin() {
    if (depth_ >= kMaxDepth) {
      fail(WriteError::kNestingTooDeep);
      return;
    }
    if constexpr (kChecked) {
      last_id_stack_[depth_] = last_id_;
    } else {
      saved_ids_ = (saved_ids_ << 16) | static_cast<uint16_t>(last_id_);
    }
    ++depth_;
    last_id_ = 0;
  }
  void struct_end() {
    if (depth_ == 0) {
      fail(WriteError::kUnbalanced);
      return;
    }
    write_byte(kStop);
    --depth_;
    if constexpr (kChecked) {
      last_id_ = last_id_stack_[depth_];
    } else {
      last_id_ = static_cast<int16_t>(static_cast<uint16_t>(saved_ids_));
      saved_ids_ >>= 16;
    }
  }
  // A struct that holds no struct (a Tag). The unchecked writer gives the enclosing struct's
  // last field id to the caller, to hand back to leaf_struct_end(), rather than to its stack
  // (below): a local stays in a register in the encoders' loops over tags. The checked
  // writer keeps its stack and its nesting checks.
  int16_t leaf_struct_begin() {
    if constexpr (kChecked) {
      struct_begin();
      return 0;
    } else {
      const int16_t enclosing = last_id_;
      last_id_ = 0;
      return enclosing;
    }
  }
  void leaf_struct_end(int16_t enclosing) {
    if constexpr (kChecked) {
      static_cast<void>(enclosing);
      struct_end();
    } else {
      write_byte(kStop);
      last_id_ = enclosing;
    }
  }
  // Short form (delta << 4 | type) when 0 < delta <= 15, else type then zigzag id.
  void field_header(int16_t id, CType type) {
    const int delta = id - last_id_;
    if (delta > 0 && delta <= 15) {
      write_byte(static_cast<uint8_t>((delta << 4) | static_cast<int>(type)));
    } else {
      write_byte(static_cast<uint8_t>(type));
      write_i16(id);
    }
    last_id_ = id;
  }
  // Continues a struct whose earlier fields another writer wrote (the packet builder writes
  // a Batch's head and tail separately around the spans): the next field header is then
  // relative to `id`.
  void set_last_field_id(int16_t id) { last_id_ = id; }
  // Takes `n` bytes that another writer wrote where this one stands, ending with field `id`
  // (so that this writer's address need not be passed on, and it stays in registers).
  void advance(size_t n, int16_t id) {
    pos_ += n;
    last_id_ = id;
  }
  // Takes whole list elements (structs) that another writer wrote where this one stands: the
  // last field id stays as it was.
  void advance(size_t n) { pos_ += n; }
  // A bool field's value lives in the header's type nibble.
  void field_bool(int16_t id, bool v) { field_header(id, v ? CType::kBoolTrue : CType::kBoolFalse); }
  void field_i32(int16_t id, int32_t v) {
    field_header(id, CType::kI32);
    write_i32(v);
  }
  void field_i64(int16_t id, int64_t v) {
    field_header(id, CType::kI64);
    write_i64(v);
  }
  // The same bytes as field_i64(), for a value that is likely wide (write_wide_varint).
  void field_wide_i64(int16_t id, int64_t v) {
    field_header(id, CType::kI64);
    write_wide_varint(zigzag64(v));
  }
  void field_wide_i64(int16_t id, int64_t v, bool deposit) {
    field_header(id, CType::kI64);
    write_wide_varint(zigzag64(v), deposit);
  }
  void field_double(int16_t id, double v) {
    field_header(id, CType::kDouble);
    write_double(v);
  }
  LITETRACE_ALWAYS_INLINE void field_binary(int16_t id, std::string_view v) {
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
  // (count << 4 | type) for up to 14 elements, else 0xF0 | type and a varint count.
  void list_header(CType element, size_t count) {
    if (count <= 14) {
      write_byte(static_cast<uint8_t>((count << 4) | static_cast<uint8_t>(element)));
    } else {
      write_byte(static_cast<uint8_t>(0xF0 | static_cast<uint8_t>(element)));
      write_varint(count);
    }
  }

 private:
  static constexpr size_t kMaxVarint = 10;

  // Every byte the checked writer writes goes through here, out of line: its callers are
  // cold (a Process, a batch's head and tail, sizing), and each field it writes stays a few calls.
  LITETRACE_NOINLINE void put(const void* data, size_t n) { copy_in(data, n); }
  void copy_in(const void* data, size_t n) {
    if (!reserve(n)) return;
    if (!sizing()) {
      // Keys and short values without a call into libc; longer runs with memcpy.
      if (n <= 16) {
        move_bytes(buf_ + pos_, data, n);
      } else {
        std::memcpy(buf_ + pos_, data, n);
      }
    }
    pos_ += n;
  }

  // One comparison per write: after an error the capacity is cut to the position, so every
  // later write fails here too (sizing mode has unbounded capacity).
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
  int16_t last_id_ = 0;
  // The enclosing structs' last field ids: the checked writer's in an array, the unchecked
  // one's in an integer, 16 bits a level, the innermost lowest. Clang 14 kept the array,
  // indexed by depth_, in memory, and with it the whole writer and the encoder's position in
  // it: with the integer and leaf_struct_begin(), the Jaeger batcher built by clang 14 takes
  // 815 instructions a span, not 963 (GCC 12: 712, not 715).
  int16_t last_id_stack_[kChecked ? kMaxDepth : 1] = {};
  uint64_t saved_ids_ = 0;
};

using CompactWriter = BasicCompactWriter<true>;
using CompactRawWriter = BasicCompactWriter<false>;

}  // namespace litetrace::detail
