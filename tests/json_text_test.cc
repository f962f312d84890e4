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
