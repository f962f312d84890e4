#include "otlp_request.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "jaeger/span_printer.h"
#include "core/json_reader.h"
#include "core/json_text.h"
#include "core/text.h"
#include "jaeger/jaeger_encoder.h"
#include "otlp/proto_reader.h"

namespace litetrace::tools {
namespace {

using detail::JsonValue;
using detail::ProtoField;
using detail::ProtoReader;
using detail::WireType;

// ---- the request as sent, owning its strings: what both front ends produce ----

struct Value {
  enum class Kind : uint8_t { kEmpty, kString, kBool, kInt, kDouble, kBytes, kJson };
  Kind kind = Kind::kEmpty;
  std::string text;  // kString, kBytes, kJson (an array or key-value list as JSON text)
  bool boolean = false;
  int64_t integer = 0;
  double number = 0;
};

struct Attribute {
  std::string key;
  Value value;
};

struct Event {
  uint64_t time = 0;
  std::string name;
  std::vector<Attribute> attributes;
  uint32_t dropped = 0;
};

struct Link {
  std::string trace_id;  // raw bytes
  std::string span_id;
  std::string trace_state;
  std::vector<Attribute> attributes;
  uint32_t dropped = 0;
  uint32_t flags = 0;
};

struct Span {
  std::string trace_id;  // raw bytes
  std::string span_id;
  std::string trace_state;
  std::string parent_span_id;
  uint32_t flags = 0;
  std::string name;
  int64_t kind = 0;
  uint64_t start = 0;
  uint64_t end = 0;
  std::vector<Attribute> attributes;
  uint32_t dropped_attributes = 0;
  std::vector<Event> events;
  uint32_t dropped_events = 0;
  std::vector<Link> links;
  uint32_t dropped_links = 0;
  int64_t status_code = 0;
  std::string status_message;
  std::string invalid;  // a front end's reason to reject it (an id that is not hex)
};

struct Scope {
  std::string name;
  std::string version;
  std::vector<Span> spans;
};

struct Resource {
  std::vector<Attribute> attributes;
  std::vector<Scope> scopes;
};

// ---- JSON text for array and key-value-list values ----

// As litetrace writes an array's doubles (core/array_json.h): "2.0" for a whole one, and
// the strings "NaN", "Infinity", "-Infinity" for what JSON has no number for.
std::string json_number(double d) {
  std::string out;
  detail::append_double_text(out, d);
  return std::isfinite(d) ? out : "\"" + out + "\"";
}

std::string value_json(const Value& v) {
  switch (v.kind) {
    case Value::Kind::kEmpty: return "null";
    case Value::Kind::kString: return detail::json_string(v.text);
    case Value::Kind::kBool: return v.boolean ? "true" : "false";
    case Value::Kind::kInt: return std::to_string(v.integer);
    case Value::Kind::kDouble: return json_number(v.number);
    case Value::Kind::kBytes: {
      std::string out = "\"";
      detail::append_base64(out, v.text);
      return out + "\"";
    }
    case Value::Kind::kJson: return v.text;
  }
  return "null";
}

// ---- protobuf ----

const char* wire_type_name(WireType t) {
  switch (t) {
    case WireType::kVarint: return "varint";
    case WireType::kFixed64: return "fixed64";
    case WireType::kLengthDelimited: return "length-delimited";
    case WireType::kFixed32: return "fixed32";
  }
  return "?";
}

class ProtoDecoder {
 public:
  bool request(std::string_view body, std::vector<Resource>& out) {
    return each(body, "ExportTraceServiceRequest", [&](const ProtoField& f) {
      if (f.number != 1) return true;
      if (!expect(f, WireType::kLengthDelimited, "resource_spans")) return false;
      out.emplace_back();
      return nested("resource_spans", out.size() - 1, [&] { return resource_spans(f.bytes, out.back()); });
    });
  }

  std::string error;

 private:
  // Calls `on_field` for each field of `message`; a malformed message is an error.
  template <typename F>
  bool each(std::string_view message, const char* type, F on_field) {
    ProtoReader r(message);
    ProtoField f;
    while (r.next(f)) {
      if (!on_field(f)) return false;
    }
    if (!r.ok()) return fail(std::string("malformed ") + type + " (a bad tag, varint or length)");
    return true;
  }
  template <typename F>
  bool nested(const char* field, size_t index, F decode) {
    if (decode()) return true;
    error = std::string(field) + "[" + std::to_string(index) + "]." + error;
    return false;
  }
  template <typename F>
  bool nested(const char* field, F decode) {
    if (decode()) return true;
    error = std::string(field) + "." + error;
    return false;
  }
  bool fail(std::string why) {
    error = std::move(why);
    return false;
  }
  bool expect(const ProtoField& f, WireType t, const char* name) {
    if (f.type == t) return true;
    return fail(std::string(name) + " (field " + std::to_string(f.number) + ") has wire type " +
                wire_type_name(f.type) + ", not " + wire_type_name(t));
  }
  bool string_field(const ProtoField& f, const char* name, std::string& out) {
    if (!expect(f, WireType::kLengthDelimited, name)) return false;
    out = std::string(f.bytes);
    return true;
  }
  bool u32_field(const ProtoField& f, const char* name, uint32_t& out) {
    if (!expect(f, WireType::kVarint, name)) return false;
    out = static_cast<uint32_t>(f.value);  // a varint wider than 32 bits is truncated, as protobuf does
    return true;
  }
  bool i64_field(const ProtoField& f, const char* name, int64_t& out) {
    if (!expect(f, WireType::kVarint, name)) return false;
    out = static_cast<int64_t>(f.value);
    return true;
  }
  bool fixed64_field(const ProtoField& f, const char* name, uint64_t& out) {
    if (!expect(f, WireType::kFixed64, name)) return false;
    out = f.value;
    return true;
  }
  bool fixed32_field(const ProtoField& f, const char* name, uint32_t& out) {
    if (!expect(f, WireType::kFixed32, name)) return false;
    out = static_cast<uint32_t>(f.value);
    return true;
  }
  bool attribute_field(const ProtoField& f, const char* name, std::vector<Attribute>& out) {
    if (!expect(f, WireType::kLengthDelimited, name)) return false;
    out.emplace_back();
    return nested(name, out.size() - 1, [&] { return key_value(f.bytes, out.back()); });
  }

  bool resource_spans(std::string_view m, Resource& out) {
    return each(m, "ResourceSpans", [&](const ProtoField& f) {
      switch (f.number) {
        case 1:
          if (!expect(f, WireType::kLengthDelimited, "resource")) return false;
          return nested("resource", [&] {
            return each(f.bytes, "Resource", [&](const ProtoField& g) {
              return g.number != 1 || attribute_field(g, "attributes", out.attributes);
            });
          });
        case 2:
          if (!expect(f, WireType::kLengthDelimited, "scope_spans")) return false;
          out.scopes.emplace_back();
          return nested("scope_spans", out.scopes.size() - 1, [&] { return scope_spans(f.bytes, out.scopes.back()); });
        default: return true;
      }
    });
  }

  bool scope_spans(std::string_view m, Scope& out) {
    return each(m, "ScopeSpans", [&](const ProtoField& f) {
      switch (f.number) {
        case 1:
          if (!expect(f, WireType::kLengthDelimited, "scope")) return false;
          return nested("scope", [&] {
            return each(f.bytes, "InstrumentationScope", [&](const ProtoField& g) {
              switch (g.number) {
                case 1: return string_field(g, "name", out.name);
                case 2: return string_field(g, "version", out.version);
                default: return true;
              }
            });
          });
        case 2:
          if (!expect(f, WireType::kLengthDelimited, "spans")) return false;
          out.spans.emplace_back();
          return nested("spans", out.spans.size() - 1, [&] { return span(f.bytes, out.spans.back()); });
        default: return true;
      }
    });
  }

  bool span(std::string_view m, Span& s) {
    return each(m, "Span", [&](const ProtoField& f) {
      switch (f.number) {
        case 1: return string_field(f, "trace_id", s.trace_id);
        case 2: return string_field(f, "span_id", s.span_id);
        case 3: return string_field(f, "trace_state", s.trace_state);
        case 4: return string_field(f, "parent_span_id", s.parent_span_id);
        case 5: return string_field(f, "name", s.name);
        case 6: return i64_field(f, "kind", s.kind);
        case 7: return fixed64_field(f, "start_time_unix_nano", s.start);
        case 8: return fixed64_field(f, "end_time_unix_nano", s.end);
        case 9: return attribute_field(f, "attributes", s.attributes);
        case 10: return u32_field(f, "dropped_attributes_count", s.dropped_attributes);
        case 11:
          if (!expect(f, WireType::kLengthDelimited, "events")) return false;
          s.events.emplace_back();
          return nested("events", s.events.size() - 1, [&] { return event(f.bytes, s.events.back()); });
        case 12: return u32_field(f, "dropped_events_count", s.dropped_events);
        case 13:
          if (!expect(f, WireType::kLengthDelimited, "links")) return false;
          s.links.emplace_back();
          return nested("links", s.links.size() - 1, [&] { return link(f.bytes, s.links.back()); });
        case 14: return u32_field(f, "dropped_links_count", s.dropped_links);
        case 15:
          if (!expect(f, WireType::kLengthDelimited, "status")) return false;
          return nested("status", [&] {
            return each(f.bytes, "Status", [&](const ProtoField& g) {
              switch (g.number) {
                case 2: return string_field(g, "message", s.status_message);
                case 3: return i64_field(g, "code", s.status_code);
                default: return true;
              }
            });
          });
        case 16: return fixed32_field(f, "flags", s.flags);
        default: return true;
      }
    });
  }

  bool event(std::string_view m, Event& e) {
    return each(m, "Span.Event", [&](const ProtoField& f) {
      switch (f.number) {
        case 1: return fixed64_field(f, "time_unix_nano", e.time);
        case 2: return string_field(f, "name", e.name);
        case 3: return attribute_field(f, "attributes", e.attributes);
        case 4: return u32_field(f, "dropped_attributes_count", e.dropped);
        default: return true;
      }
    });
  }

  bool link(std::string_view m, Link& l) {
    return each(m, "Span.Link", [&](const ProtoField& f) {
      switch (f.number) {
        case 1: return string_field(f, "trace_id", l.trace_id);
        case 2: return string_field(f, "span_id", l.span_id);
        case 3: return string_field(f, "trace_state", l.trace_state);
        case 4: return attribute_field(f, "attributes", l.attributes);
        case 5: return u32_field(f, "dropped_attributes_count", l.dropped);
        case 6: return fixed32_field(f, "flags", l.flags);
        default: return true;
      }
    });
  }

  bool key_value(std::string_view m, Attribute& a) {
    return each(m, "KeyValue", [&](const ProtoField& f) {
      switch (f.number) {
        case 1: return string_field(f, "key", a.key);
        case 2:
          if (!expect(f, WireType::kLengthDelimited, "value")) return false;
          return nested("value", [&] { return any_value(f.bytes, a.value, 0); });
        default: return true;
      }
    });
  }

  // AnyValue; a oneof, so the last member present wins.
  bool any_value(std::string_view m, Value& v, int depth) {
    if (depth > 32) return fail("values nested deeper than 32");
    return each(m, "AnyValue", [&](const ProtoField& f) {
      switch (f.number) {
        case 1: v.kind = Value::Kind::kString; return string_field(f, "string_value", v.text);
        case 2:
          v.kind = Value::Kind::kBool;
          if (!expect(f, WireType::kVarint, "bool_value")) return false;
          v.boolean = f.value != 0;
          return true;
        case 3: v.kind = Value::Kind::kInt; return i64_field(f, "int_value", v.integer);
        case 4: {
          v.kind = Value::Kind::kDouble;
          uint64_t bits = 0;
          if (!fixed64_field(f, "double_value", bits)) return false;
          std::memcpy(&v.number, &bits, sizeof bits);
          return true;
        }
        case 5:
        case 6: {
          const bool list = f.number == 6;
          if (!expect(f, WireType::kLengthDelimited, list ? "kvlist_value" : "array_value")) return false;
          v.kind = Value::Kind::kJson;
          v.text = list ? "{" : "[";
          size_t n = 0;
          const bool ok = each(f.bytes, list ? "KeyValueList" : "ArrayValue", [&](const ProtoField& g) {
            if (g.number != 1) return true;
            if (!expect(g, WireType::kLengthDelimited, "values")) return false;
            if (n++ != 0) v.text += ",";
            if (list) {
              Attribute kv;
              if (!key_value(g.bytes, kv)) return false;
              v.text += detail::json_string(kv.key) + ":" + value_json(kv.value);
            } else {
              Value item;
              if (!any_value(g.bytes, item, depth + 1)) return false;
              v.text += value_json(item);
            }
            return true;
          });
          v.text += list ? "}" : "]";
          return ok;
        }
        case 7: v.kind = Value::Kind::kBytes; return string_field(f, "bytes_value", v.text);
        default: return true;
      }
    });
  }
};

// ---- OTLP/JSON ----

class JsonDecoder {
 public:
  bool request(const JsonValue& root, std::vector<Resource>& out) {
    if (!root.is(JsonValue::Type::kObject)) return fail("the request is not a JSON object");
    return array(root, "resourceSpans", "resource_spans", [&](const JsonValue& rs) {
      out.emplace_back();
      return resource_spans(rs, out.back());
    });
  }

  std::string error;

 private:
  bool fail(std::string why) {
    error = std::move(why);
    return false;
  }
  // A member by its lowerCamelCase name or, as protobuf's JSON mapping also accepts, its
  // proto name.
  static const JsonValue* member(const JsonValue& object, const char* camel, const char* proto) {
    const JsonValue* v = object.find(camel);
    if (v == nullptr && proto != nullptr) v = object.find(proto);
    return v != nullptr && v->is(JsonValue::Type::kNull) ? nullptr : v;
  }
  // Each object of the array member `camel` (absent: none), its index in errors.
  template <typename F>
  bool array(const JsonValue& object, const char* camel, const char* proto, F each) {
    const JsonValue* list = member(object, camel, proto);
    if (list == nullptr) return true;
    if (!list->is(JsonValue::Type::kArray)) return fail(std::string(camel) + " is not an array");
    for (size_t i = 0; i < list->items().size(); ++i) {
      const JsonValue& item = list->items()[i];
      if (!item.is(JsonValue::Type::kObject)) return fail(std::string(camel) + "[" + std::to_string(i) + "] is not an object");
      if (!each(item)) {
        error = std::string(camel) + "[" + std::to_string(i) + "]." + error;
        return false;
      }
    }
    return true;
  }
  template <typename F>
  bool object(const JsonValue& parent, const char* camel, const char* proto, F decode) {
    const JsonValue* v = member(parent, camel, proto);
    if (v == nullptr) return true;
    if (!v->is(JsonValue::Type::kObject)) return fail(std::string(camel) + " is not an object");
    if (decode(*v)) return true;
    error = std::string(camel) + "." + error;
    return false;
  }
  bool string(const JsonValue& o, const char* camel, const char* proto, std::string& out) {
    const JsonValue* v = member(o, camel, proto);
    if (v == nullptr) return true;
    if (!v->is(JsonValue::Type::kString)) return fail(std::string(camel) + " is not a string");
    out = v->string();
    return true;
  }
  // An integer: a JSON number, or (for 64-bit fields, as OTLP/JSON writes them) a string
  // of decimal digits.
  bool integer(const JsonValue& o, const char* camel, const char* proto, bool is_signed, uint64_t& out) {
    const JsonValue* v = member(o, camel, proto);
    if (v == nullptr) return true;
    const std::string name = camel;
    if (v->is(JsonValue::Type::kNumber)) {
      const double d = v->number();
      if (d != std::floor(d) || d < (is_signed ? -9223372036854775808.0 : 0) || d >= 18446744073709551616.0) {
        return fail(name + " is not an integer");
      }
      out = d < 0 ? static_cast<uint64_t>(static_cast<int64_t>(d)) : static_cast<uint64_t>(d);
      return true;
    }
    if (!v->is(JsonValue::Type::kString)) return fail(name + " is neither a number nor a string of digits");
    const std::string& s = v->string();
    const char* first = s.data();
    const char* last = s.data() + s.size();
    std::from_chars_result r{};
    if (is_signed) {
      int64_t x = 0;
      r = std::from_chars(first, last, x);
      out = static_cast<uint64_t>(x);
    } else {
      r = std::from_chars(first, last, out);
    }
    if (s.empty() || r.ec != std::errc() || r.ptr != last) return fail(name + " \"" + s + "\" is not an integer");
    return true;
  }
  template <typename T>
  bool narrow(const JsonValue& o, const char* camel, const char* proto, T& out) {
    uint64_t v = 0;
    if (!integer(o, camel, proto, std::is_signed<T>::value, v)) return false;
    out = static_cast<T>(v);
    return true;
  }
  // An enum: its number or its name.
  bool enumeration(const JsonValue& o, const char* camel, const char* prefix, const char* const* names, size_t n,
                   int64_t& out) {
    const JsonValue* v = member(o, camel, nullptr);
    if (v != nullptr && v->is(JsonValue::Type::kString)) {
      for (size_t i = 0; i < n; ++i) {
        if (v->string() == std::string(prefix) + names[i]) {
          out = static_cast<int64_t>(i);
          return true;
        }
      }
      if (v->string().find_first_not_of("-0123456789") != std::string::npos) {
        return fail(std::string(camel) + " \"" + v->string() + "\" is not a known value");
      }
    }
    return narrow(o, camel, nullptr, out);
  }
  // Ids are hex in OTLP/JSON (not base64, as protobuf's own JSON mapping would have it).
  bool id(const JsonValue& o, const char* camel, const char* proto, std::string& out, std::string& invalid) {
    std::string hex;
    if (!string(o, camel, proto, hex)) return false;
    out.clear();
    for (size_t i = 0; i + 1 < hex.size(); i += 2) {
      int byte = 0;
      for (size_t k = i; k < i + 2; ++k) {
        const int c = hex[k] | 0x20;
        const int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (d < 0) {
          if (invalid.empty()) invalid = std::string(camel) + " \"" + hex + "\" is not hex";
          return true;
        }
        byte = byte * 16 + d;
      }
      out += static_cast<char>(byte);
    }
    if (hex.size() % 2 != 0 && invalid.empty()) invalid = std::string(camel) + " \"" + hex + "\" is not hex";
    return true;
  }
  bool attributes(const JsonValue& o, std::vector<Attribute>& out) {
    return array(o, "attributes", nullptr, [&](const JsonValue& kv) {
      out.emplace_back();
      return key_value(kv, out.back());
    });
  }
  bool key_value(const JsonValue& kv, Attribute& a) {
    if (!string(kv, "key", nullptr, a.key)) return false;
    return object(kv, "value", nullptr, [&](const JsonValue& v) { return any_value(v, a.value, 0); });
  }

  bool any_value(const JsonValue& o, Value& v, int depth) {
    if (depth > 32) return fail("values nested deeper than 32");
    if (const JsonValue* s = member(o, "stringValue", "string_value")) {
      if (!s->is(JsonValue::Type::kString)) return fail("stringValue is not a string");
      v.kind = Value::Kind::kString;
      v.text = s->string();
    } else if (const JsonValue* b = member(o, "boolValue", "bool_value")) {
      if (!b->is(JsonValue::Type::kBool)) return fail("boolValue is not true or false");
      v.kind = Value::Kind::kBool;
      v.boolean = b->boolean();
    } else if (member(o, "intValue", "int_value") != nullptr) {
      v.kind = Value::Kind::kInt;
      return narrow(o, "intValue", "int_value", v.integer);
    } else if (const JsonValue* d = member(o, "doubleValue", "double_value")) {
      v.kind = Value::Kind::kDouble;
      if (d->is(JsonValue::Type::kNumber)) {
        v.number = d->number();
      } else if (d->is(JsonValue::Type::kString) && d->string() == "NaN") {
        v.number = std::nan("");
      } else if (d->is(JsonValue::Type::kString) && (d->string() == "Infinity" || d->string() == "-Infinity")) {
        v.number = d->string()[0] == '-' ? -HUGE_VAL : HUGE_VAL;
      } else {
        return fail("doubleValue is not a number");
      }
    } else if (const JsonValue* bytes = member(o, "bytesValue", "bytes_value")) {
      v.kind = Value::Kind::kBytes;
      if (!bytes->is(JsonValue::Type::kString) || !base64_decode(bytes->string(), v.text)) {
        return fail("bytesValue is not base64");
      }
    } else if (member(o, "arrayValue", "array_value") != nullptr || member(o, "kvlistValue", "kvlist_value") != nullptr) {
      const bool list = member(o, "arrayValue", "array_value") == nullptr;
      v.kind = Value::Kind::kJson;
      v.text = list ? "{" : "[";
      size_t n = 0;
      const bool ok = object(o, list ? "kvlistValue" : "arrayValue", list ? "kvlist_value" : "array_value",
                             [&](const JsonValue& inner) {
                               return array(inner, "values", nullptr, [&](const JsonValue& item) {
                                 if (n++ != 0) v.text += ",";
                                 if (list) {
                                   Attribute kv;
                                   if (!key_value(item, kv)) return false;
                                   v.text += detail::json_string(kv.key) + ":" + value_json(kv.value);
                                 } else {
                                   Value x;
                                   if (!any_value(item, x, depth + 1)) return false;
                                   v.text += value_json(x);
                                 }
                                 return true;
                               });
                             });
      v.text += list ? "}" : "]";
      return ok;
    }
    return true;
  }

  static bool base64_decode(const std::string& text, std::string& out) {
    out.clear();
    uint32_t bits = 0;
    int count = 0;
    size_t padding = 0;
    for (const char c : text) {
      int d;
      if (c >= 'A' && c <= 'Z') d = c - 'A';
      else if (c >= 'a' && c <= 'z') d = c - 'a' + 26;
      else if (c >= '0' && c <= '9') d = c - '0' + 52;
      else if (c == '+' || c == '-') d = 62;  // standard or URL-safe alphabet
      else if (c == '/' || c == '_') d = 63;
      else if (c == '=') {
        ++padding;
        continue;
      } else {
        return false;
      }
      if (padding != 0) return false;  // data after padding
      bits = bits << 6 | static_cast<uint32_t>(d);
      if (++count == 4) {
        for (int k = 2; k >= 0; --k) out += static_cast<char>((bits >> (8 * k)) & 0xFF);
        bits = 0;
        count = 0;
      }
    }
    if (count == 1 || padding > 2) return false;
    if (count == 2) out += static_cast<char>((bits >> 4) & 0xFF);
    if (count == 3) {
      out += static_cast<char>((bits >> 10) & 0xFF);
      out += static_cast<char>((bits >> 2) & 0xFF);
    }
    return true;
  }

  bool resource_spans(const JsonValue& rs, Resource& out) {
    return object(rs, "resource", nullptr, [&](const JsonValue& r) { return attributes(r, out.attributes); }) &&
           array(rs, "scopeSpans", "scope_spans", [&](const JsonValue& ss) {
             out.scopes.emplace_back();
             Scope& scope = out.scopes.back();
             return object(ss, "scope", nullptr,
                           [&](const JsonValue& s) {
                             return string(s, "name", nullptr, scope.name) &&
                                    string(s, "version", nullptr, scope.version);
                           }) &&
                    array(ss, "spans", nullptr, [&](const JsonValue& s) {
                      scope.spans.emplace_back();
                      return span(s, scope.spans.back());
                    });
           });
  }

  bool span(const JsonValue& o, Span& s) {
    static const char* const kKinds[] = {"UNSPECIFIED", "INTERNAL", "SERVER", "CLIENT", "PRODUCER", "CONSUMER"};
    static const char* const kCodes[] = {"UNSET", "OK", "ERROR"};
    return id(o, "traceId", "trace_id", s.trace_id, s.invalid) && id(o, "spanId", "span_id", s.span_id, s.invalid) &&
           string(o, "traceState", "trace_state", s.trace_state) &&
           id(o, "parentSpanId", "parent_span_id", s.parent_span_id, s.invalid) &&
           narrow(o, "flags", nullptr, s.flags) && string(o, "name", nullptr, s.name) &&
           enumeration(o, "kind", "SPAN_KIND_", kKinds, 6, s.kind) &&
           integer(o, "startTimeUnixNano", "start_time_unix_nano", false, s.start) &&
           integer(o, "endTimeUnixNano", "end_time_unix_nano", false, s.end) && attributes(o, s.attributes) &&
           narrow(o, "droppedAttributesCount", "dropped_attributes_count", s.dropped_attributes) &&
           array(o, "events", nullptr,
                 [&](const JsonValue& e) {
                   s.events.emplace_back();
                   Event& ev = s.events.back();
                   return integer(e, "timeUnixNano", "time_unix_nano", false, ev.time) &&
                          string(e, "name", nullptr, ev.name) && attributes(e, ev.attributes) &&
                          narrow(e, "droppedAttributesCount", "dropped_attributes_count", ev.dropped);
                 }) &&
           narrow(o, "droppedEventsCount", "dropped_events_count", s.dropped_events) &&
           array(o, "links", nullptr,
                 [&](const JsonValue& l) {
                   s.links.emplace_back();
                   Link& link = s.links.back();
                   return id(l, "traceId", "trace_id", link.trace_id, s.invalid) &&
                          id(l, "spanId", "span_id", link.span_id, s.invalid) &&
                          string(l, "traceState", "trace_state", link.trace_state) && attributes(l, link.attributes) &&
                          narrow(l, "droppedAttributesCount", "dropped_attributes_count", link.dropped) &&
                          narrow(l, "flags", nullptr, link.flags);
                 }) &&
           narrow(o, "droppedLinksCount", "dropped_links_count", s.dropped_links) &&
           object(o, "status", nullptr, [&](const JsonValue& st) {
             return string(st, "message", nullptr, s.status_message) &&
                    enumeration(st, "code", "STATUS_CODE_", kCodes, 3, s.status_code);
           });
  }
};

// ---- to the Jaeger model ----

uint64_t big_endian(std::string_view bytes) {
  uint64_t v = 0;
  for (const char c : bytes) v = v << 8 | static_cast<unsigned char>(c);
  return v;
}

bool all_zero(std::string_view bytes) { return bytes.find_first_not_of('\0') == std::string_view::npos; }

// Why the span's ids make it invalid, or empty.
std::string invalid_ids(const Span& s) {
  if (!s.invalid.empty()) return s.invalid;
  const auto check = [](std::string_view what, std::string_view id, size_t size) -> std::string {
    if (id.size() != size) return std::string(what) + " is " + std::to_string(id.size()) + " bytes, not " + std::to_string(size);
    if (all_zero(id)) return std::string(what) + " is all zeros";
    return {};
  };
  std::string why = check("trace_id", s.trace_id, 16);
  if (why.empty()) why = check("span_id", s.span_id, 8);
  if (why.empty() && !s.parent_span_id.empty() && s.parent_span_id.size() != 8) {
    why = "parent_span_id is " + std::to_string(s.parent_span_id.size()) + " bytes, not 8 or none";
  }
  for (size_t i = 0; i < s.links.size() && why.empty(); ++i) {
    why = check("links[" + std::to_string(i) + "].trace_id", s.links[i].trace_id, 16);
    if (why.empty()) why = check("links[" + std::to_string(i) + "].span_id", s.links[i].span_id, 8);
  }
  return why;
}

int64_t to_us(uint64_t unix_ns) {
  const auto ns = static_cast<int64_t>(unix_ns);
  return ns >= 0 ? ns / 1000 : -((-ns + 999) / 1000);
}

class ToJaeger {
 public:
  explicit ToJaeger(ReceivedRequest& out) : out_(out) {}

  void resource(Resource& r) {
    detail::DecodedBatch& batch = out_.batches.emplace_back();
    std::vector<detail::Tag>& process_tags = out_.tags.emplace_back();
    for (Attribute& a : r.attributes) {
      if (a.key == "service.name" && a.value.kind == Value::Kind::kString) {
        batch.process.service_name = keep(a.value.text);
      } else {
        process_tags.push_back(tag(a));
      }
    }
    batch.process.tags = {process_tags.data(), process_tags.size()};
    for (Scope& scope : r.scopes) {
      for (Span& s : scope.spans) {
        const std::string why = invalid_ids(s);
        if (!why.empty()) {
          if (out_.rejected_spans++ == 0) out_.rejected_reason = "span \"" + s.name + "\": " + why;
          continue;
        }
        batch.spans.push_back(span(s, scope));
        ++out_.spans;
      }
    }
  }

 private:
  std::string_view keep(std::string& s) { return out_.strings.emplace_back(std::move(s)); }

  detail::Tag tag(const Attribute& a) {
    const std::string_view key = out_.strings.emplace_back(a.key);
    switch (a.value.kind) {
      case Value::Kind::kString: return detail::Tag::string(key, out_.strings.emplace_back(a.value.text));
      case Value::Kind::kBool: return detail::Tag::boolean(key, a.value.boolean);
      case Value::Kind::kInt: return detail::Tag::int64(key, a.value.integer);
      case Value::Kind::kDouble: return detail::Tag::float64(key, a.value.number);
      case Value::Kind::kBytes: return detail::Tag::binary(key, out_.strings.emplace_back(a.value.text));
      case Value::Kind::kJson: return detail::Tag::string(key, out_.strings.emplace_back(a.value.text));
      case Value::Kind::kEmpty: break;
    }
    return detail::Tag::string(key, {});
  }

  detail::Span span(Span& s, Scope& scope) {
    detail::Span j;
    j.trace_id_high = big_endian(std::string_view(s.trace_id).substr(0, 8));
    j.trace_id_low = big_endian(std::string_view(s.trace_id).substr(8));
    j.span_id = big_endian(s.span_id);
    j.parent_span_id = big_endian(s.parent_span_id);
    j.operation_name = keep(s.name);
    j.flags = static_cast<int32_t>(s.flags & detail::kFlagSampled);
    j.start_time_us = to_us(s.start);
    j.duration_us = (static_cast<int64_t>(s.end - s.start) + 999) / 1000;  // rounded up, as the exporter does

    // The mapping's tags first, in the Jaeger exporter's order (span_mapper.cc).
    std::vector<detail::Tag>& tags = out_.tags.emplace_back();
    static const char* const kKinds[] = {nullptr, nullptr, "server", "client", "producer", "consumer"};
    if (s.kind >= 2 && s.kind <= 5) tags.push_back(detail::Tag::string("span.kind", kKinds[s.kind]));
    if (s.status_code == 1) {
      tags.push_back(detail::Tag::string("otel.status_code", "OK"));
    } else if (s.status_code == 2) {
      tags.push_back(detail::Tag::string("otel.status_code", "ERROR"));
      if (!s.status_message.empty()) tags.push_back(detail::Tag::string("otel.status_description", keep(s.status_message)));
      tags.push_back(detail::Tag::boolean("error", true));
    }
    if (!scope.name.empty()) {
      const std::string_view name = out_.strings.emplace_back(scope.name);
      tags.push_back(detail::Tag::string("otel.scope.name", name));
      tags.push_back(detail::Tag::string("otel.library.name", name));
      if (!scope.version.empty()) {
        const std::string_view version = out_.strings.emplace_back(scope.version);
        tags.push_back(detail::Tag::string("otel.scope.version", version));
        tags.push_back(detail::Tag::string("otel.library.version", version));
      }
    }
    if (!s.trace_state.empty()) tags.push_back(detail::Tag::string("w3c.tracestate", keep(s.trace_state)));
    const size_t mapping = tags.size();
    for (const Attribute& a : s.attributes) {
      bool taken = (s.dropped_attributes != 0 && a.key == detail::kDroppedTagsKey) ||
                   (s.dropped_events != 0 && a.key == detail::kDroppedLogsKey) ||
                   (s.dropped_links != 0 && a.key == detail::kDroppedReferencesKey);
      for (size_t i = 0; i < mapping && !taken; ++i) taken = tags[i].key == a.key;
      if (!taken) tags.push_back(tag(a));
    }
    j.tags = {tags.data(), tags.size()};

    std::vector<detail::Log>& logs = out_.logs.emplace_back();
    for (Event& e : s.events) {
      std::vector<detail::Tag>& fields = out_.tags.emplace_back();
      fields.push_back(detail::Tag::string("event", keep(e.name)));
      if (e.dropped != 0) fields.push_back(detail::Tag::int64(detail::kDroppedTagsKey, e.dropped));
      for (const Attribute& a : e.attributes) {
        if (e.dropped == 0 || a.key != detail::kDroppedTagsKey) fields.push_back(tag(a));
      }
      logs.push_back(detail::Log{to_us(e.time), {fields.data(), fields.size()}});
    }
    j.logs = {logs.data(), logs.size()};

    // References: the parent first as CHILD_OF, then the links, when there are links.
    std::vector<detail::SpanRef>& refs = out_.refs.emplace_back();
    if (!s.links.empty() && j.parent_span_id != 0) {
      refs.push_back({detail::RefType::kChildOf, j.trace_id_low, j.trace_id_high, j.parent_span_id});
    }
    for (const Link& l : s.links) {
      refs.push_back({detail::RefType::kFollowsFrom, big_endian(std::string_view(l.trace_id).substr(8)),
                      big_endian(std::string_view(l.trace_id).substr(0, 8)), big_endian(l.span_id)});
    }
    j.references = {refs.data(), refs.size()};
    j.dropped_tags = s.dropped_attributes;
    j.dropped_logs = s.dropped_events;
    j.dropped_references = s.dropped_links;
    return j;
  }

  ReceivedRequest& out_;
};

bool to_jaeger(std::vector<Resource>& resources, ReceivedRequest& out) {
  ToJaeger convert(out);
  for (Resource& r : resources) convert.resource(r);
  return true;
}

}  // namespace

bool decode_otlp_protobuf(std::string_view body, ReceivedRequest& out, std::string* error) {
  out = ReceivedRequest{};
  std::vector<Resource> resources;
  ProtoDecoder decoder;
  if (!decoder.request(body, resources)) {
    if (error != nullptr) *error = decoder.error;
    return false;
  }
  return to_jaeger(resources, out);
}

bool decode_otlp_json(std::string_view body, ReceivedRequest& out, std::string* error) {
  out = ReceivedRequest{};
  JsonValue root;
  std::string why;
  if (!detail::parse_json(body, root, &why)) {
    if (error != nullptr) *error = "not JSON: " + why;
    return false;
  }
  std::vector<Resource> resources;
  JsonDecoder decoder;
  if (!decoder.request(root, resources)) {
    if (error != nullptr) *error = decoder.error;
    return false;
  }
  return to_jaeger(resources, out);
}

}  // namespace litetrace::tools
