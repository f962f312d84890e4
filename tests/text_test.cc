// The UTF-8 check every OTLP string goes through (core/text.h): its ASCII fast path reads
// words and overlapping tails, so every length and every position of a non-ASCII byte is
// tried against a byte-by-byte reference.

#include "core/text.h"

#include <gtest/gtest.h>

#include <string>

namespace litetrace::detail {
namespace {

// The reference: sequence by sequence, no fast path.
bool valid_by_sequences(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const size_t n = utf8_sequence_length(s.substr(i));
    if (n == 0) return false;
    i += n;
  }
  return true;
}

TEST(Utf8, EveryLengthAndEveryPositionOfANonAsciiByte) {
  const std::string inserts[] = {"\x80", "\xC3\xBC", "\xE6\x97\xA5", "\xF0\x9F\x98\x80", "\xC0\x80", "\xED\xA0\x80",
                                 "\xF4\x90\x80\x80", "\xE6\x97", "\xFF"};
  for (size_t length = 0; length <= 40; ++length) {
    const std::string ascii(length, 'a');
    EXPECT_TRUE(is_valid_utf8(ascii)) << length;
    for (size_t at = 0; at <= length; ++at) {
      for (const std::string& insert : inserts) {
        const std::string s = ascii.substr(0, at) + insert + ascii.substr(at);
        EXPECT_EQ(is_valid_utf8(s), valid_by_sequences(s)) << length << " " << at;
      }
    }
  }
  EXPECT_TRUE(is_valid_utf8("gr\xC3\xBC\xC3\x9F dich, \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x98\x80"));
  EXPECT_FALSE(is_valid_utf8("abc\xC3"));          // cut short
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80xxxxx"));  // a surrogate
  EXPECT_FALSE(is_valid_utf8("xxxxxxx\xC1\xBF"));    // overlong
}

// A name in a diagnostic: quoted whole up to 64 bytes; longer, cut at a UTF-8 boundary at
// or before 64 bytes and marked.
TEST(QuotedForDiagnostic, QuotesShortNamesAndCutsLongOnes) {
  EXPECT_EQ(quoted_for_diagnostic(""), "\"\"");
  EXPECT_EQ(quoted_for_diagnostic("http.method"), "\"http.method\"");
  const std::string exact(64, 'k');
  EXPECT_EQ(quoted_for_diagnostic(exact), "\"" + exact + "\"");
  EXPECT_EQ(quoted_for_diagnostic(exact + "x"), "\"" + exact + "...\"");
  // 63 ASCII bytes and a two-byte character across the 64th: the character goes whole.
  const std::string across = std::string(63, 'k') + "\xC3\xBC";
  EXPECT_EQ(quoted_for_diagnostic(across), "\"" + std::string(63, 'k') + "...\"");
}

}  // namespace
}  // namespace litetrace::detail
