#include "jaeger/compact_reader.h"

#include <cstring>

namespace litetrace::detail {

const char* to_string(ReadError e) noexcept {
  switch (e) {
    case ReadError::kNone: return "ok";
    case ReadError::kTruncated: return "truncated input";
    case ReadError::kBadVarint: return "malformed varint";
    case ReadError::kBadType: return "unknown type";
    case ReadError::kNestingTooDeep: return "nesting too deep";
    case ReadError::kBadHeader: return "not a message of this protocol";
    case ReadError::kBadLength: return "impossible length";
  }
  return "unknown error";
}

uint8_t CompactReader::read_byte() {
  if (!ok()) return 0;
  if (pos_ >= size_) {
    fail(ReadError::kTruncated);
    return 0;
  }
  return data_[pos_++];
}

uint64_t CompactReader::read_varint() {
  uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    const uint8_t b = read_byte();
    if (!ok()) return 0;
    // The tenth byte may only carry the top bit of a 64-bit value.
    if (shift == 63 && (b & 0x7E) != 0) break;
    v |= static_cast<uint64_t>(b & 0x7F) << shift;
    if ((b & 0x80) == 0) return v;
  }
  fail(ReadError::kBadVarint);
  return 0;
}

int16_t CompactReader::read_i16() {
  const uint64_t z = read_varint();
  if (z > 0xFFFF) fail(ReadError::kBadVarint);
  if (!ok()) return 0;
  return static_cast<int16_t>((z >> 1) ^ (~(z & 1) + 1));
}

int32_t CompactReader::read_i32() {
  const uint64_t z = read_varint();
  if (z > 0xFFFFFFFFu) fail(ReadError::kBadVarint);
  if (!ok()) return 0;
  return static_cast<int32_t>(static_cast<uint32_t>((z >> 1) ^ (~(z & 1) + 1)));
}

int64_t CompactReader::read_i64() {
  const uint64_t z = read_varint();
  return static_cast<int64_t>((z >> 1) ^ (~(z & 1) + 1));
}

double CompactReader::read_double() {
  if (!ok()) return 0;
  if (remaining() < 8) {
    fail(ReadError::kTruncated);
    return 0;
  }
  uint64_t bits = 0;
  for (size_t i = 0; i < 8; ++i) bits |= static_cast<uint64_t>(data_[pos_ + i]) << (8 * i);
  pos_ += 8;
  double v = 0;
  std::memcpy(&v, &bits, sizeof v);
  return v;
}

std::string_view CompactReader::read_binary() {
  const uint64_t n = read_varint();
  if (!ok()) return {};
  if (n > remaining()) {
    fail(ReadError::kTruncated);
    return {};
  }
  const std::string_view v(reinterpret_cast<const char*>(data_ + pos_), static_cast<size_t>(n));
  pos_ += static_cast<size_t>(n);
  return v;
}

MessageHeader CompactReader::read_message_begin() {
  MessageHeader h;
  const uint8_t protocol = read_byte();
  const uint8_t type_version = read_byte();
  if (!ok()) return h;
  if (protocol != kProtocolId || (type_version & 0x1F) != kProtocolVersion) {
    fail(ReadError::kBadHeader);
    return h;
  }
  const uint8_t type = static_cast<uint8_t>(type_version >> 5);
  if (type < 1 || type > 4) {
    fail(ReadError::kBadHeader);
    return h;
  }
  h.type = static_cast<MessageType>(type);
  const uint64_t seqid = read_varint();
  if (seqid > 0xFFFFFFFFu) fail(ReadError::kBadVarint);
  h.seqid = static_cast<int32_t>(static_cast<uint32_t>(seqid));
  h.name = read_binary();
  return h;
}

void CompactReader::struct_begin() {
  if (!ok()) return;
  if (depth_ >= kMaxDepth) {
    fail(ReadError::kNestingTooDeep);
    return;
  }
  last_id_stack_[depth_++] = last_id_;
  last_id_ = 0;
}

void CompactReader::struct_end() {
  if (depth_ > 0) last_id_ = last_id_stack_[--depth_];
}

FieldHeader CompactReader::read_field_header() {
  FieldHeader f;
  const uint8_t b = read_byte();
  if (!ok()) {
    f.stop = true;
    return f;
  }
  if (b == kStop) {
    f.stop = true;
    return f;
  }
  const uint8_t type = b & 0x0F;
  if (!valid_type(type)) {
    fail(ReadError::kBadType);
    f.stop = true;
    return f;
  }
  const uint8_t delta = static_cast<uint8_t>(b >> 4);
  f.id = delta != 0 ? static_cast<int16_t>(last_id_ + delta) : read_i16();
  f.type = static_cast<CType>(type);
  f.bool_value = f.type == CType::kBoolTrue;
  last_id_ = f.id;
  if (!ok()) f.stop = true;
  return f;
}

ListHeader CompactReader::read_list_header() {
  ListHeader h;
  const uint8_t b = read_byte();
  if (!ok()) return h;
  const uint8_t type = b & 0x0F;
  // Apache Thrift writes bool list elements with type 1 or 2; both mean "bool".
  if (!valid_type(type)) {
    fail(ReadError::kBadType);
    return h;
  }
  h.element = static_cast<CType>(type);
  uint64_t count = b >> 4;
  if (count == 15) count = read_varint();
  // Every element takes at least one byte, so a count beyond the input is a lie.
  if (ok() && count > remaining()) {
    fail(ReadError::kBadLength);
    return h;
  }
  h.count = static_cast<uint32_t>(count);
  return h;
}

void CompactReader::skip(CType type) {
  if (!ok()) return;
  switch (type) {
    case CType::kBoolTrue:
    case CType::kBoolFalse:  // inside a struct the value is in the header: a list element
    case CType::kI8:
      read_byte();
      return;
    case CType::kI16: read_i16(); return;
    case CType::kI32: read_i32(); return;
    case CType::kI64: read_varint(); return;
    case CType::kDouble:
      read_double();
      return;
    case CType::kBinary: read_binary(); return;
    case CType::kList:
    case CType::kSet: {
      if (depth_ >= kMaxDepth) {
        fail(ReadError::kNestingTooDeep);
        return;
      }
      ++depth_;
      const ListHeader h = read_list_header();
      for (uint32_t i = 0; i < h.count && ok(); ++i) skip(h.element);
      --depth_;
      return;
    }
    case CType::kMap: {
      if (depth_ >= kMaxDepth) {
        fail(ReadError::kNestingTooDeep);
        return;
      }
      ++depth_;
      const uint64_t count = read_varint();
      if (ok() && count > remaining()) fail(ReadError::kBadLength);
      if (ok() && count > 0) {
        const uint8_t kv = read_byte();
        const uint8_t kt = kv >> 4;
        const uint8_t vt = kv & 0x0F;
        if (!valid_type(kt) || !valid_type(vt)) fail(ReadError::kBadType);
        for (uint64_t i = 0; i < count && ok(); ++i) {
          skip(static_cast<CType>(kt));
          skip(static_cast<CType>(vt));
        }
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

}  // namespace litetrace::detail
