#pragma once

// Writing JSON text: string literals and doubles, for the formats that send JSON (Zipkin)
// and the printers that show it (span_printer.h). No locale, no allocation but the output.
//
// The write_* functions write at `p`, which must have room for the bound each states, and
// return the end of what they wrote; the append_* functions append to a std::string.

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "core/text.h"

namespace litetrace::detail {

// The most bytes write_json_string() writes for `n` bytes of text: each byte at most six
// ("\u0001"), and the quotes.
constexpr size_t json_string_bound(size_t n) { return 6 * n + 2; }

// `s` as a JSON string literal (RFC 8259): '"', '\' and control characters (and DEL)
// escaped; every byte that does not start a well-formed UTF-8 sequence replaced by U+FFFD,
// so that the text is always valid JSON. Writes at most json_string_bound(s.size()).
namespace json_detail {
// 1 for the bytes a JSON string holds as they are: printable ASCII but '"' and '\'.
struct PlainTable {
  bool plain[256];
};
constexpr PlainTable make_plain_table() {
  PlainTable t{};
  for (int c = 0x20; c < 0x7F; ++c) t.plain[c] = c != '"' && c != '\\';
  return t;
}
inline constexpr PlainTable kPlain = make_plain_table();

// Whether the Word's worth of bytes at `s` is all plain, tested at once (SWAR): no byte
// below 0x20, none '"' or '\', none 0x7F or above. Each test is exact for "some byte", so
// no byte that needs escaping passes; a byte above one of 0xFF may be taken for 0x7F,
// which only sends the text byte by byte.
template <typename Word>
bool plain_word(const char* s) {
  constexpr Word kOnes = static_cast<Word>(0x0101010101010101u);
  constexpr Word kHigh = static_cast<Word>(0x8080808080808080u);
  Word w;
  std::memcpy(&w, s, sizeof w);
  const Word quote = w ^ static_cast<Word>(kOnes * '"');
  const Word backslash = w ^ static_cast<Word>(kOnes * '\\');
  // A byte below 0x20; a byte 0 in `quote` (a '"'), in `backslash` (a '\').
  const Word control = static_cast<Word>(w - kOnes * 0x20) & static_cast<Word>(~w);
  const Word quotes = static_cast<Word>(quote - kOnes) & static_cast<Word>(~quote);
  const Word backslashes = static_cast<Word>(backslash - kOnes) & static_cast<Word>(~backslash);
  const Word high = w | static_cast<Word>(w + kOnes);  // some byte 0x7F or above
  return ((control | quotes | backslashes | high) & kHigh) == 0;
}

// `s` copied to `out` when all of it is plain, the common case (names, keys, most values),
// by words: eight bytes at a time and the last eight overlapping the ones before, or for
// four to seven bytes two overlapping fours. False for text shorter than four bytes, and
// for text that needs a byte escaped or repaired (what was copied then means nothing).
inline bool copy_if_plain(char* out, std::string_view s) {
  const char* in = s.data();
  const size_t n = s.size();
  if (n >= 8) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
      if (!plain_word<uint64_t>(in + i)) return false;
      std::memcpy(out + i, in + i, 8);
    }
    if (i == n) return true;
    if (!plain_word<uint64_t>(in + n - 8)) return false;
    std::memcpy(out + n - 8, in + n - 8, 8);
    return true;
  }
  if (n < 4 || !plain_word<uint32_t>(in) || !plain_word<uint32_t>(in + n - 4)) return false;
  std::memcpy(out, in, 4);
  std::memcpy(out + n - 4, in + n - 4, 4);
  return true;
}
}  // namespace json_detail

inline char* write_json_string(char* p, std::string_view s) {
  static constexpr char kDigits[] = "0123456789abcdef";
  *p++ = '"';
  if (json_detail::copy_if_plain(p, s)) {
    p += s.size();
    *p++ = '"';
    return p;
  }
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (json_detail::kPlain.plain[c]) {  // byte by byte: no call per run, for short text
      *p++ = static_cast<char>(c);
      ++i;
      continue;
    }
    if (c >= 0x80) {
      const size_t n = utf8_sequence_length(s.substr(i));
      if (n != 0) {
        std::memcpy(p, s.data() + i, n);
        p += n;
        i += n;
        continue;
      }
      std::memcpy(p, "\xEF\xBF\xBD", 3);  // U+FFFD
      p += 3;
      ++i;
      continue;
    }
    *p++ = '\\';
    switch (c) {
      case '"': *p++ = '"'; break;
      case '\\': *p++ = '\\'; break;
      case '\n': *p++ = 'n'; break;
      case '\t': *p++ = 't'; break;
      case '\r': *p++ = 'r'; break;
      case '\b': *p++ = 'b'; break;
      case '\f': *p++ = 'f'; break;
      default:
        std::memcpy(p, "u00", 3);
        p[3] = kDigits[c >> 4];
        p[4] = kDigits[c & 15];
        p += 5;
    }
    ++i;
  }
  *p++ = '"';
  return p;
}

inline void append_json_string(std::string& out, std::string_view s) {
  const size_t at = out.size();
  out.resize(at + json_string_bound(s.size()));
  char* end = write_json_string(out.data() + at, s);
  out.resize(static_cast<size_t>(end - out.data()));
}

// `v` in decimal, two digits at a time; at most 20 bytes.
inline char* write_decimal(char* p, int64_t v) {
  static constexpr char kPairs[] =
      "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
      "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
      "8081828384858687888990919293949596979899";
  uint64_t u = static_cast<uint64_t>(v);
  if (v < 0) {
    *p++ = '-';
    u = 0 - u;
  }
  char digits[20];
  char* d = digits + sizeof digits;
  while (u >= 100) {
    d -= 2;
    std::memcpy(d, kPairs + 2 * (u % 100), 2);
    u /= 100;
  }
  if (u >= 10) {
    d -= 2;
    std::memcpy(d, kPairs + 2 * u, 2);
  } else {
    *--d = static_cast<char>('0' + u);
  }
  const auto n = static_cast<size_t>(digits + sizeof digits - d);
  std::memcpy(p, d, n);
  return p + n;
}

// The most bytes write_double_text() writes.
constexpr size_t kDoubleTextBound = 32;

// A double as text that reads back as the same double and looks like one: the shortest
// round-trip form, with ".0" when it would read as an integer ("2.0", "-0.0", "1e+300");
// "NaN", "Infinity" and "-Infinity" for what is not finite.
inline char* write_double_text(char* p, double d) {
  if (std::isnan(d)) {
    std::memcpy(p, "NaN", 3);
    return p + 3;
  }
  if (std::isinf(d)) {
    const std::string_view text = d > 0 ? "Infinity" : "-Infinity";
    std::memcpy(p, text.data(), text.size());
    return p + text.size();
  }
  char* const start = p;
  p = std::to_chars(p, p + 30, d).ptr;
  if (std::string_view(start, static_cast<size_t>(p - start)).find_first_of(".e") == std::string_view::npos) {
    std::memcpy(p, ".0", 2);
    p += 2;
  }
  return p;
}

inline void append_double_text(std::string& out, double d) {
  char buf[kDoubleTextBound];
  out.append(buf, write_double_text(buf, d));
}

}  // namespace litetrace::detail
