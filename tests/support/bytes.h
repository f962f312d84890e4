#pragma once

// Golden-byte helpers: run an encoding once in sizing mode and once into an exactly sized
// buffer, check both agree, and compare with bytes written out in hex.

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "jaeger/compact_writer.h"
#include "otlp/proto_writer.h"

namespace litetrace::test {

using Bytes = std::vector<uint8_t>;

// With a CompactWriter (Thrift) unless another writer is named (encode_bytes<ProtoWriter>).
template <typename Writer = detail::CompactWriter, typename Encode>
Bytes encode_bytes(Encode encode) {
  Writer sizer;
  encode(sizer);
  EXPECT_TRUE(sizer.ok());
  Bytes out(sizer.size());
  Writer w(out.data(), out.size());
  encode(w);
  EXPECT_TRUE(w.ok()) << "sizing mode counted fewer bytes than writing needs";
  EXPECT_EQ(w.size(), out.size()) << "sizing mode and writing mode disagree";
  return out;
}

// "82 81 00" -> {0x82, 0x81, 0x00}; also accepts 'text' runs for ASCII.
inline Bytes hex(const std::string& spec) {
  Bytes out;
  for (size_t i = 0; i < spec.size();) {
    const char c = spec[i];
    if (c == ' ') {
      ++i;
    } else if (c == '\'') {
      const size_t end = spec.find('\'', i + 1);
      for (size_t j = i + 1; j < end; ++j) out.push_back(static_cast<uint8_t>(spec[j]));
      i = end + 1;
    } else {
      out.push_back(static_cast<uint8_t>(std::stoul(spec.substr(i, 2), nullptr, 16)));
      i += 2;
    }
  }
  return out;
}

inline std::string to_hex(const Bytes& b) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  for (uint8_t x : b) {
    if (!s.empty()) s += ' ';
    s += digits[x >> 4];
    s += digits[x & 15];
  }
  return s;
}

}  // namespace litetrace::test

namespace litetrace::test {

#define LITETRACE_EXPECT_BYTES(actual, spec) EXPECT_EQ(to_hex(actual), to_hex(hex(spec)))

}  // namespace litetrace::test
