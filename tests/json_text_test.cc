// JSON text as the Zipkin exporter and the span printer write it (core/json_text.h):
// string literals escaped and repaired to valid UTF-8, integers in decimal, doubles that
// read back exactly and look like doubles.

#include "core/json_text.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string>

namespace litetrace::detail {
namespace {

std::string json(std::string_view s) {
  std::string out;
  append_json_string(out, s);
  return out;
}

std::string decimal(int64_t v) {
  char buf[24];
  return std::string(buf, write_decimal(buf, v));
}

std::string double_text(double d) {
  std::string out;
  append_double_text(out, d);
  return out;
}

TEST(JsonText, StringsAreEscapedAndRepaired) {
  EXPECT_EQ(json(""), "\"\"");
  EXPECT_EQ(json("plain text/1"), "\"plain text/1\"");
  EXPECT_EQ(json("q\"b\\"), "\"q\\\"b\\\\\"");
  EXPECT_EQ(json("\n\t\r\b\f"), "\"\\n\\t\\r\\b\\f\"");
  EXPECT_EQ(json(std::string("\x00\x01\x1f\x7f", 4)), "\"\\u0000\\u0001\\u001f\\u007f\"");
  EXPECT_EQ(json("\xC3\xBC\xE6\x97\xA5\xF0\x9F\x98\x80"), "\"\xC3\xBC\xE6\x97\xA5\xF0\x9F\x98\x80\"");
  // Each byte that does not start a well-formed sequence becomes U+FFFD.
  EXPECT_EQ(json("a\x80" "b"), "\"a\xEF\xBF\xBD" "b\"");
  EXPECT_EQ(json("\xE6\x97"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");                    // truncated
  EXPECT_EQ(json("\xC0\xAF"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");                    // overlong
  EXPECT_EQ(json("\xED\xA0\x80"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");  // a surrogate
  // The bound holds for the worst case.
  const std::string controls(100, '\x01');
  EXPECT_EQ(json(controls).size(), json_string_bound(controls.size()));
}

// Every byte value at every place of texts of 1 to 24 bytes, the rest plain: what the
// eight-byte test lets through is checked against the byte-by-byte rule, at the start,
// inside and across the tail of each eight-byte step.
TEST(JsonText, EveryByteIsEscapedWhereverItStands) {
  const auto escaped = [](unsigned char c) -> std::string {
    switch (c) {
      case '"': return "\\\"";
      case '\\': return "\\\\";
      case '\n': return "\\n";
      case '\t': return "\\t";
      case '\r': return "\\r";
      case '\b': return "\\b";
      case '\f': return "\\f";
      default: break;
    }
    if (c >= 0x80) return "\xEF\xBF\xBD";  // alone, no byte of 0x80 and above is UTF-8
    if (c < 0x20 || c == 0x7F) {
      static constexpr char kDigits[] = "0123456789abcdef";
      return std::string("\\u00") + kDigits[c >> 4] + kDigits[c & 15];
    }
    return std::string(1, static_cast<char>(c));
  };
  int checked = 0;
  for (size_t size = 1; size <= 24; ++size) {
    for (size_t at = 0; at < size; ++at) {
      for (int c = 0; c < 256; ++c) {
        std::string text(size, 'a');
        text[at] = static_cast<char>(c);
        const std::string before(at, 'a');
        const std::string after(size - at - 1, 'a');
        const std::string expected = "\"" + before + escaped(static_cast<unsigned char>(c)) + after + "\"";
        ASSERT_EQ(json(text), expected) << "byte " << c << " at " << at << " of " << size;
        ++checked;
      }
    }
  }
  EXPECT_EQ(checked, 256 * (24 * 25 / 2));
  // 0x7F among plain bytes, and 0xFF before 0x7E, which the eight-byte test's carry makes
  // look like 0x7F (the step is then taken byte by byte).
  EXPECT_EQ(json("abcdefg\x7Fhijklmno"), "\"abcdefg\\u007fhijklmno\"");
  EXPECT_EQ(json("\xFF\x7E" "cdefghijklmnop"), "\"\xEF\xBF\xBD~cdefghijklmnop\"");
}

TEST(JsonText, IntegersInDecimal) {
  for (const int64_t v : {int64_t{0}, int64_t{7}, int64_t{10}, int64_t{99}, int64_t{100}, int64_t{-1},
                          int64_t{-10}, int64_t{1700000000123456}, std::numeric_limits<int64_t>::max(),
                          std::numeric_limits<int64_t>::min()}) {
    EXPECT_EQ(decimal(v), std::to_string(v));
  }
}

TEST(JsonText, DoublesReadBackAndLookLikeDoubles) {
  EXPECT_EQ(double_text(2.0), "2.0");
  EXPECT_EQ(double_text(-0.0), "-0.0");
  EXPECT_EQ(double_text(0.1), "0.1");
  EXPECT_EQ(double_text(1e300), "1e+300");
  EXPECT_EQ(double_text(std::numeric_limits<double>::quiet_NaN()), "NaN");
  EXPECT_EQ(double_text(std::numeric_limits<double>::infinity()), "Infinity");
  EXPECT_EQ(double_text(-std::numeric_limits<double>::infinity()), "-Infinity");
  for (const double d : {std::numeric_limits<double>::denorm_min(), std::numeric_limits<double>::max(),
                         -std::numeric_limits<double>::lowest(), 123456789012345680.0, 1.0 / 3}) {
    const std::string text = double_text(d);
    EXPECT_LE(text.size(), kDoubleTextBound);
    EXPECT_EQ(std::strtod(text.c_str(), nullptr), d) << text;  // strtod: subnormals too
  }
}

}  // namespace
}  // namespace litetrace::detail
