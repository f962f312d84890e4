#include "core/json_reader.h"

#include <charconv>
#include <cmath>
#include <utility>

#include "core/text.h"

namespace litetrace::detail {

const JsonValue* JsonValue::find(std::string_view key) const {
  if (type_ != Type::kObject) return nullptr;
  for (size_t i = keys_.size(); i-- > 0;) {
    if (keys_[i] == key) return &items_[i];
  }
  return nullptr;
}

class JsonParser {
 public:
  JsonParser(std::string_view text, size_t max_depth) : text_(text), max_depth_(max_depth) {}

  bool parse(JsonValue& out, std::string* error) {
    skip_space();
    bool ok = value(out, 0);
    if (ok) {
      skip_space();
      if (pos_ != text_.size()) ok = fail("unexpected data after the JSON value");
    }
    if (!ok && error != nullptr) *error = "at byte " + std::to_string(error_pos_) + ": " + error_;
    return ok;
  }

 private:
  bool fail(const char* message) {
    error_ = message;
    error_pos_ = pos_;
    return false;
  }
  bool at_end() const { return pos_ >= text_.size(); }
  char peek() const { return text_[pos_]; }

  void skip_space() {
    while (!at_end() && (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r')) ++pos_;
  }

  bool literal(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return fail("invalid literal");
    pos_ += word.size();
    return true;
  }

  bool value(JsonValue& out, size_t depth) {
    if (at_end()) return fail("unexpected end of input");
    switch (peek()) {
      case '{': return object(out, depth + 1);
      case '[': return array(out, depth + 1);
      case '"':
        out.type_ = JsonValue::Type::kString;
        return string(out.string_);
      case 't':
        out.type_ = JsonValue::Type::kBool;
        out.bool_ = true;
        return literal("true");
      case 'f':
        out.type_ = JsonValue::Type::kBool;
        out.bool_ = false;
        return literal("false");
      case 'n':
        out.type_ = JsonValue::Type::kNull;
        return literal("null");
      default: return number(out);
    }
  }

  bool object(JsonValue& out, size_t depth) {
    if (depth > max_depth_) return fail("nested too deeply");
    out.type_ = JsonValue::Type::kObject;
    ++pos_;  // '{'
    skip_space();
    if (!at_end() && peek() == '}') {
      ++pos_;
      return true;
    }
    for (;;) {
      skip_space();
      if (at_end() || peek() != '"') return fail("expected a string as object key");
      std::string key;
      if (!string(key)) return false;
      skip_space();
      if (at_end() || peek() != ':') return fail("expected ':' after an object key");
      ++pos_;
      skip_space();
      JsonValue member;
      if (!value(member, depth)) return false;
      out.keys_.push_back(std::move(key));
      out.items_.push_back(std::move(member));
      skip_space();
      if (at_end()) return fail("unterminated object");
      if (peek() == '}') {
        ++pos_;
        return true;
      }
      if (peek() != ',') return fail("expected ',' or '}' in an object");
      ++pos_;
    }
  }

  bool array(JsonValue& out, size_t depth) {
    if (depth > max_depth_) return fail("nested too deeply");
    out.type_ = JsonValue::Type::kArray;
    ++pos_;  // '['
    skip_space();
    if (!at_end() && peek() == ']') {
      ++pos_;
      return true;
    }
    for (;;) {
      skip_space();
      JsonValue item;
      if (!value(item, depth)) return false;
      out.items_.push_back(std::move(item));
      skip_space();
      if (at_end()) return fail("unterminated array");
      if (peek() == ']') {
        ++pos_;
        return true;
      }
      if (peek() != ',') return fail("expected ',' or ']' in an array");
      ++pos_;
    }
  }

  static bool is_digit(char c) { return c >= '0' && c <= '9'; }

  bool number(JsonValue& out) {
    const size_t start = pos_;
    if (!at_end() && peek() == '-') ++pos_;
    if (at_end() || !is_digit(peek())) return fail("invalid value");
    if (peek() == '0') {
      ++pos_;
      if (!at_end() && is_digit(peek())) return fail("leading zero in a number");
    } else {
      while (!at_end() && is_digit(peek())) ++pos_;
    }
    if (!at_end() && peek() == '.') {
      ++pos_;
      if (at_end() || !is_digit(peek())) return fail("expected a digit after '.'");
      while (!at_end() && is_digit(peek())) ++pos_;
    }
    if (!at_end() && (peek() == 'e' || peek() == 'E')) {
      ++pos_;
      if (!at_end() && (peek() == '+' || peek() == '-')) ++pos_;
      if (at_end() || !is_digit(peek())) return fail("expected a digit in the exponent");
      while (!at_end() && is_digit(peek())) ++pos_;
    }
    // from_chars: no locale (strtod would read "0,5" in some).
    double v = 0;
    const auto [end, ec] = std::from_chars(text_.data() + start, text_.data() + pos_, v);
    if (ec == std::errc::result_out_of_range || !std::isfinite(v)) {
      pos_ = start;
      return fail("number out of range");
    }
    if (ec != std::errc() || end != text_.data() + pos_) {
      pos_ = start;
      return fail("invalid number");
    }
    out.type_ = JsonValue::Type::kNumber;
    out.number_ = v;
    return true;
  }

  bool hex4(uint32_t& out) {
    if (text_.size() - pos_ < 4) return fail("truncated \\u escape");
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      const int d = hex_value(text_[pos_++]);
      if (d < 0) return fail("invalid \\u escape");
      v = v * 16 + static_cast<uint32_t>(d);
    }
    out = v;
    return true;
  }

  static void append_utf8(std::string& s, uint32_t cp) {
    if (cp < 0x80) {
      s += static_cast<char>(cp);
    } else if (cp < 0x800) {
      s += static_cast<char>(0xC0 | (cp >> 6));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      s += static_cast<char>(0xE0 | (cp >> 12));
      s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      s += static_cast<char>(0xF0 | (cp >> 18));
      s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  // One UTF-8 sequence starting at pos_ (its first byte >= 0x80), copied to `out`.
  bool utf8_sequence(std::string& out) {
    const auto b0 = static_cast<unsigned char>(peek());
    size_t n = 0;
    uint32_t cp = 0;
    uint32_t min = 0;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
      n = 2, cp = b0 & 0x1Fu, min = 0x80;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
      n = 3, cp = b0 & 0x0Fu, min = 0x800;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
      n = 4, cp = b0 & 0x07u, min = 0x10000;
    } else {
      return fail("invalid UTF-8 in a string");
    }
    if (text_.size() - pos_ < n) return fail("invalid UTF-8 in a string");
    for (size_t i = 1; i < n; ++i) {
      const auto b = static_cast<unsigned char>(text_[pos_ + i]);
      if ((b & 0xC0) != 0x80) return fail("invalid UTF-8 in a string");
      cp = (cp << 6) | (b & 0x3Fu);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return fail("invalid UTF-8 in a string");
    out.append(text_.data() + pos_, n);
    pos_ += n;
    return true;
  }

  bool string(std::string& out) {
    ++pos_;  // '"'
    for (;;) {
      if (at_end()) return fail("unterminated string");
      const char c = peek();
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (static_cast<unsigned char>(c) < 0x20) return fail("control character in a string");
      if (static_cast<unsigned char>(c) >= 0x80) {
        if (!utf8_sequence(out)) return false;
        continue;
      }
      ++pos_;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (at_end()) return fail("unterminated string");
      const char e = text_[pos_++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          uint32_t cp = 0;
          if (!hex4(cp)) return false;
          if (cp >= 0xDC00 && cp <= 0xDFFF) return fail("unpaired surrogate in a \\u escape");
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            uint32_t low = 0;
            if (text_.substr(pos_, 2) != "\\u") return fail("unpaired surrogate in a \\u escape");
            pos_ += 2;
            if (!hex4(low)) return false;
            if (low < 0xDC00 || low > 0xDFFF) return fail("unpaired surrogate in a \\u escape");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          }
          append_utf8(out, cp);
          break;
        }
        default: --pos_; return fail("invalid escape in a string");
      }
    }
  }

  std::string_view text_;
  size_t max_depth_;
  size_t pos_ = 0;
  const char* error_ = "";
  size_t error_pos_ = 0;
};

bool parse_json(std::string_view text, JsonValue& out, std::string* error, size_t max_depth) {
  JsonValue v;
  if (!JsonParser(text, max_depth).parse(v, error)) return false;
  out = std::move(v);
  return true;
}

}  // namespace litetrace::detail
