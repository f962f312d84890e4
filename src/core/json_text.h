#pragma once

// Writing JSON text: string literals and doubles, for the formats that send JSON (Zipkin)
// and the printers that show it (span_printer.h). No locale, no allocation but the output.

#include <charconv>
#include <cmath>
#include <string>
#include <string_view>

#include "core/text.h"

namespace litetrace::detail {

// `s` as a JSON string literal (RFC 8259), appended to `out`: '"', '\' and control
// characters (and DEL) escaped; every byte that does not start a well-formed UTF-8
// sequence replaced by U+FFFD, so that the text is always valid JSON.
inline void append_json_string(std::string& out, std::string_view s) {
  static constexpr char kDigits[] = "0123456789abcdef";
  out += '"';
  size_t run = 0;  // the start of the bytes that need nothing, not yet appended
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
      ++i;
      continue;
    }
    size_t n = 1;
    if (c >= 0x80) {
      n = utf8_sequence_length(s.substr(i));
      if (n != 0) {
        i += n;
        continue;
      }
    }
    out.append(s.data() + run, i - run);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c >= 0x80) {
          out += "\xEF\xBF\xBD";
        } else {
          out += "\\u00";
          out += kDigits[c >> 4];
          out += kDigits[c & 15];
        }
    }
    i += 1;
    run = i;
  }
  out.append(s.data() + run, s.size() - run);
  out += '"';
}

// A double as text that reads back as the same double and looks like one: the shortest
// round-trip form, with ".0" when it would read as an integer ("2.0", "-0.0", "1e+300");
// "NaN", "Infinity" and "-Infinity" for what is not finite.
inline void append_double_text(std::string& out, double d) {
  if (std::isnan(d)) {
    out += "NaN";
    return;
  }
  if (std::isinf(d)) {
    out += d > 0 ? "Infinity" : "-Infinity";
    return;
  }
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, d);
  const std::string_view text(buf, static_cast<size_t>(r.ptr - buf));
  out += text;
  if (text.find_first_of(".e") == std::string_view::npos) out += ".0";
}

}  // namespace litetrace::detail
