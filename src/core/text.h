#pragma once

// Small text helpers shared by the header, URL and environment parsers: ASCII only, no
// locale, no allocation but the output strings.

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "core/compiler.h"

namespace litetrace::detail {

// `to` made a copy of `from`, through the string's replace, which every program links:
// a copy assignment would import the string's _M_assign from the C++ runtime, and a
// construction from a pointer and a length would link a construction of its own.
inline void copy_text(std::string& to, std::string_view from) { to.assign(from.data(), from.size()); }

// 0-15 for a hex digit of either case, else -1.
inline int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// `digits` lower-case hex digits of `v` (its low 4 × digits bits), zero-padded.
inline void append_hex(std::string& out, uint64_t v, int digits) {
  static constexpr char kDigits[] = "0123456789abcdef";
  for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4) out += kDigits[(v >> shift) & 0xF];
}

// 8 lowercase hex digits of `v`, computed eight at a time: each nibble spread into a byte,
// then '0'-'9' or 'a'-'f' added to all of them at once.
inline char* write_hex32(char* p, uint32_t v) {
  uint64_t x = v;
  x = ((x & 0xFFFF0000u) << 16) | (x & 0xFFFFu);
  x = ((x & 0x0000FF000000FF00u) << 8) | (x & 0x000000FF000000FFu);
  x = ((x & 0x00F000F000F000F0u) << 4) | (x & 0x000F000F000F000Fu);
  // Now byte k (from the low end) holds nibble k from the low end; 'a' - '0' - 10 = 0x27.
  const uint64_t letters = ((x + 0x0606060606060606u) >> 4) & 0x0101010101010101u;
  x += 0x3030303030303030u + 0x27 * letters;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  x = __builtin_bswap64(x);  // the most significant digit first in memory
#endif
  std::memcpy(p, &x, 8);
  return p + 8;
}

// 16 lowercase hex digits of `v`.
inline char* write_hex64(char* p, uint64_t v) {
  p = write_hex32(p, static_cast<uint32_t>(v >> 32));
  return write_hex32(p, static_cast<uint32_t>(v));
}

// RFC 4648 base64 of `bytes`, padded: written at `p`, which has room for
// base64_size(bytes.size()) bytes; returns the end.
constexpr size_t base64_size(size_t n) { return (n + 2) / 3 * 4; }
inline char* write_base64(char* p, std::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (size_t i = 0; i < bytes.size(); i += 3) {
    const size_t n = bytes.size() - i < 3 ? bytes.size() - i : 3;
    uint32_t v = 0;
    for (size_t k = 0; k < 3; ++k) v = v << 8 | (k < n ? static_cast<unsigned char>(bytes[i + k]) : 0u);
    for (size_t k = 0; k < 4; ++k) *p++ = k <= n ? kAlphabet[(v >> (18 - 6 * k)) & 63] : '=';
  }
  return p;
}

// The same, appended to `out`.
inline void append_base64(std::string& out, std::string_view bytes) {
  const size_t at = out.size();
  out.resize(at + base64_size(bytes.size()));
  write_base64(out.data() + at, bytes);
}

// The longest prefix of `s` of at most `limit` bytes that does not split a UTF-8 sequence.
inline std::string_view utf8_prefix(std::string_view s, size_t limit) {
  if (s.size() <= limit) return s;
  size_t n = limit;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
}

// The length of the well-formed UTF-8 sequence at the start of `s` (RFC 3629: no overlong
// forms, no surrogates, nothing above U+10FFFF), or 0 when it is not one.
inline size_t utf8_sequence_length(std::string_view s) {
  const auto at = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  const auto cont = [&](size_t i, unsigned lo = 0x80, unsigned hi = 0xBF) {
    return i < s.size() && at(i) >= lo && at(i) <= hi;
  };
  const unsigned c = at(0);
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c == 0xE0) return cont(1, 0xA0) && cont(2) ? 3 : 0;
  if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) return cont(1) && cont(2) ? 3 : 0;
  if (c == 0xED) return cont(1, 0x80, 0x9F) && cont(2) ? 3 : 0;  // not a surrogate
  if (c == 0xF0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (c >= 0xF1 && c <= 0xF3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (c == 0xF4) return cont(1, 0x80, 0x8F) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

// Whether `s` is well-formed UTF-8 throughout (utf8_sequence_length at every sequence).
inline bool is_valid_utf8(std::string_view s) {
  // ASCII, the common case: every byte's high bit OR-ed together, with loads of eight or
  // four bytes (the last one overlapping the one before) and no branch per byte.
  {
    const char* p = s.data();
    const size_t n = s.size();
    uint64_t high = 0;
    if (n >= 8) {
      for (size_t i = 0; i + 8 <= n; i += 8) {
        uint64_t word;
        std::memcpy(&word, p + i, 8);
        high |= word;
      }
      uint64_t last;
      std::memcpy(&last, p + n - 8, 8);
      high |= last;
    } else if (n >= 4) {
      uint32_t first, last;
      std::memcpy(&first, p, 4);
      std::memcpy(&last, p + n - 4, 4);
      high = first | last;
    } else {
      for (size_t i = 0; i < n; ++i) high |= static_cast<unsigned char>(p[i]);
    }
    if ((high & 0x8080808080808080u) == 0) return true;
  }
  size_t i = 0;
  while (i < s.size()) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    const size_t n = utf8_sequence_length(s.substr(i));
    if (n == 0) return false;
    i += n;
  }
  return true;
}

// `s` with every byte that does not start a well-formed sequence replaced by U+FFFD.
inline std::string to_valid_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 8);
  for (size_t i = 0; i < s.size();) {
    const size_t n = utf8_sequence_length(s.substr(i));
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

// A name for a diagnostic: at most 64 bytes of it, cut at a UTF-8 boundary, "..." when cut.
// Made at its length and filled: concatenation linked two more string functions.
LITETRACE_COLD inline std::string quoted_for_diagnostic(std::string_view name) {
  const std::string_view head = utf8_prefix(name, 64);
  const std::string_view close = head.size() < name.size() ? "...\"" : "\"";
  std::string quoted(1 + head.size() + close.size(), '"');
  if (!head.empty()) std::memcpy(&quoted[1], head.data(), head.size());
  std::memcpy(&quoted[1 + head.size()], close.data(), close.size());
  return quoted;
}

// Without the spaces and tabs around it (HTTP's OWS).
inline std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

inline bool equals_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    char y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

// RFC 3986 unreserved: what a URL component never needs to encode.
inline bool is_unreserved(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

// %XX sequences decoded ('+' as a space when asked, as URL query components have it);
// false on a '%' not followed by two hex digits.
inline bool percent_decode(std::string_view in, bool plus_is_space, std::string& out) {
  out.clear();
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;
      const int hi = hex_value(in[i + 1]);
      const int lo = hex_value(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += plus_is_space && c == '+' ? ' ' : c;
    }
  }
  return true;
}

// %-encodes every byte for which keep() is false, and '%' itself.
template <typename Keep>
std::string percent_encode(std::string_view in, Keep keep) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(in.size());
  for (const char c : in) {
    if (c != '%' && keep(c)) {
      out += c;
    } else {
      const auto u = static_cast<unsigned char>(c);
      out += '%';
      out += kDigits[u >> 4];
      out += kDigits[u & 0xF];
    }
  }
  return out;
}

}  // namespace litetrace::detail
