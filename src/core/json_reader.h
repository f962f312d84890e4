#pragma once

// A small, strict JSON reader (RFC 8259) for what servers answer (the Jaeger sampling
// strategy, an OTLP/JSON response): a document becomes a tree of JsonValues. Strict means: one value and nothing after it but
// whitespace, no comments, no trailing commas, no leading zeros, no control characters or
// invalid UTF-8 in strings, no unpaired surrogates; nesting deeper than `max_depth` is
// refused rather than risking the stack. Errors say what and at which byte.
//
// Thread: any; no shared state.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace litetrace::detail {

class JsonValue {
 public:
  enum class Type : uint8_t { kNull, kBool, kNumber, kString, kArray, kObject };

  Type type() const { return type_; }
  bool is(Type t) const { return type_ == t; }
  bool boolean() const { return bool_; }
  double number() const { return number_; }
  const std::string& string() const { return string_; }
  const std::vector<JsonValue>& items() const { return items_; }  // array items, object values
  const std::vector<std::string>& keys() const { return keys_; }  // object keys, in order

  // An object's member (the last one when a key repeats), or nullptr.
  const JsonValue* find(std::string_view key) const;

 private:
  friend class JsonParser;
  Type type_ = Type::kNull;
  bool bool_ = false;
  double number_ = 0;
  std::string string_;
  std::vector<JsonValue> items_;
  std::vector<std::string> keys_;
};

// Parses `text` into `out`; on failure returns false and, when `error` is given, a message
// such as "at byte 17: expected ':' after an object key".
bool parse_json(std::string_view text, JsonValue& out, std::string* error = nullptr, size_t max_depth = 64);

}  // namespace litetrace::detail
