#pragma once

// How the conformance emitters write what they recorded for their judges: bytes as a JSON
// string of lowercase hex, so the comparison is exact for every byte (invalid UTF-8, NUL)
// and every double (its bits: NaN payloads, -0.0, infinities).

#include <cstring>
#include <string>
#include <string_view>

namespace litetrace::test {

// "\"6869\"" for "hi".
inline std::string json_hex(std::string_view bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out = "\"";
  for (const char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out + "\"";
}

// A double's 8 bytes in memory order (little-endian hosts: as Python's struct.pack('<d')).
inline std::string json_hex(double v) {
  char bits[8];
  std::memcpy(bits, &v, sizeof bits);
  return json_hex(std::string_view(bits, sizeof bits));
}

}  // namespace litetrace::test
