#pragma once

// An array attribute as a JSON list, for the formats that have no array values: a Jaeger
// string tag and a Zipkin tag (the OpenTelemetry specification: "serialized to string like
// a JSON list"). Strings JSON-escaped (each byte that is not UTF-8 becomes U+FFFD),
// booleans, integers in decimal, doubles as json_text.h writes them, with NaN and the
// infinities as the strings "NaN", "Infinity", "-Infinity" (JSON has no such numbers).

#include <cmath>
#include <string>

#include "core/json_text.h"
#include "core/record_reader.h"

namespace litetrace::detail {

// The most bytes write_array_json() writes: each element byte gives at most six (a string
// element's 4-byte length and bytes, an 8-byte number, a 1-byte bool), and the brackets.
inline size_t array_json_bound(const RecordAttribute& a) { return 6 * a.bytes.size() + 2; }

// One element (of an array, or an event's attribute in an annotation) as a JSON value.
inline char* write_element_json(char* p, const RecordAttribute& e) {
  switch (e.type) {
    case ValueType::kString: return write_json_string(p, e.bytes);
    case ValueType::kBool:
      std::memcpy(p, e.integer != 0 ? "true" : "false", e.integer != 0 ? 4 : 5);
      return p + (e.integer != 0 ? 4 : 5);
    case ValueType::kInt64: return write_decimal(p, e.integer);
    case ValueType::kDouble: {
      const bool finite = std::isfinite(e.number);
      if (!finite) *p++ = '"';
      p = write_double_text(p, e.number);
      if (!finite) *p++ = '"';
      return p;
    }
    default: return p;
  }
}

inline char* write_array_json(char* p, const RecordAttribute& a) {
  *p++ = '[';
  bool first = true;
  for_each_element(a, [&](const RecordAttribute& e) {
    if (!first) *p++ = ',';
    first = false;
    p = write_element_json(p, e);
  });
  *p++ = ']';
  return p;
}

inline void append_array_json(std::string& out, const RecordAttribute& a) {
  const size_t at = out.size();
  out.resize(at + array_json_bound(a));
  char* end = write_array_json(out.data() + at, a);
  out.resize(static_cast<size_t>(end - out.data()));
}

}  // namespace litetrace::detail
