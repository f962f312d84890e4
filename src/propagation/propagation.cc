// The propagation formats (propagation.h). Every parser checks its whole header before it
// touches the context, so a malformed header changes nothing.
//
// Specifications followed:
//   W3C Trace Context (traceparent, tracestate), W3C Baggage,
//   Jaeger's "Propagation Format" (uber-trace-id, uberctx-*),
//   openzipkin/b3-propagation (b3, X-B3-*).

#include "litetrace/propagation.h"

#include <algorithm>

#include "core/text.h"

namespace litetrace {

namespace {

using detail::append_hex;
using detail::hex_value;
using detail::is_unreserved;
using detail::percent_decode;
using detail::percent_encode;
using detail::trim_ows;

constexpr size_t kMaxTraceStateMembers = 32;
constexpr size_t kMaxBaggageMembers = 180;   // W3C Baggage limits
constexpr size_t kMaxBaggageBytes = 8192;

enum class HexCase : uint8_t { kLowerOnly, kAny };

// 1 to 16 hex digits.
bool parse_hex64(std::string_view s, HexCase hex_case, uint64_t& out) {
  if (s.empty() || s.size() > 16) return false;
  uint64_t v = 0;
  for (const char c : s) {
    if (hex_case == HexCase::kLowerOnly && c >= 'A' && c <= 'F') return false;
    const int d = hex_value(c);
    if (d < 0) return false;
    v = (v << 4) | static_cast<uint64_t>(d);
  }
  out = v;
  return true;
}

// 1 to 32 hex digits; shorter ids are zero-padded on the left (Jaeger, B3 64-bit ids).
bool parse_trace_id(std::string_view s, HexCase hex_case, TraceId& out) {
  if (s.empty() || s.size() > 32) return false;
  TraceId id;
  if (s.size() > 16) {
    if (!parse_hex64(s.substr(0, s.size() - 16), hex_case, id.high)) return false;
    s.remove_prefix(s.size() - 16);
  }
  if (!parse_hex64(s, hex_case, id.low)) return false;
  out = id;
  return true;
}

// Calls `f` with each piece of `s` between `separator`s (empty pieces included); stops
// and returns false as soon as `f` does.
template <typename F>
bool for_each_piece(std::string_view s, char separator, F&& f) {
  for (;;) {
    const size_t at = s.find(separator);
    if (!f(s.substr(0, at))) return false;
    if (at == std::string_view::npos) return true;
    s.remove_prefix(at + 1);
  }
}

// Splits `s` at `separator` into at most N pieces; the count, or 0 when there are more.
template <size_t N>
size_t split_at_most(std::string_view s, char separator, std::string_view (&parts)[N]) {
  size_t count = 0;
  const bool ok = for_each_piece(s, separator, [&](std::string_view part) {
    if (count == N) return false;
    parts[count++] = part;
    return true;
  });
  return ok ? count : 0;
}

// ---- W3C Trace Context ----

bool is_lower_hex(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool parse_traceparent(std::string_view v, SpanContext& out) {
  // version "-" trace-id "-" parent-id "-" trace-flags: 2 + 1 + 32 + 1 + 16 + 1 + 2
  constexpr size_t kVersion00Size = 55;
  if (v.size() < kVersion00Size || v[2] != '-' || v[35] != '-' || v[52] != '-') return false;
  const std::string_view version = v.substr(0, 2);
  if (!is_lower_hex(version) || version == "ff") return false;
  if (version == "00" && v.size() != kVersion00Size) return false;
  // A later version may append fields after another '-'; its first four are read as 00's.
  if (v.size() > kVersion00Size && v[kVersion00Size] != '-') return false;
  const std::string_view trace = v.substr(3, 32);
  const std::string_view span = v.substr(36, 16);
  const std::string_view flags = v.substr(53, 2);
  if (!is_lower_hex(trace) || !is_lower_hex(span) || !is_lower_hex(flags)) return false;
  SpanContext sc;
  uint64_t flag_bits = 0;
  if (!parse_trace_id(trace, HexCase::kLowerOnly, sc.trace_id) ||
      !parse_hex64(span, HexCase::kLowerOnly, sc.span_id) || !parse_hex64(flags, HexCase::kLowerOnly, flag_bits)) {
    return false;
  }
  if (!sc.valid()) return false;  // all-zero trace id or parent id
  sc.flags = static_cast<uint8_t>(flag_bits & kTraceFlagSampled);
  sc.remote = true;
  out = sc;
  return true;
}

bool is_key_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '*' || c == '/';
}

// simple-key = lcalpha 0*255(keychar); multi-tenant-key = tenant-id "@" system-id,
// tenant-id = (lcalpha / DIGIT) 0*240(keychar), system-id = lcalpha 0*13(keychar).
bool valid_tracestate_key(std::string_view key) {
  auto run = [](std::string_view s, bool digit_first, size_t max) {
    if (s.empty() || s.size() > max) return false;
    if (!((s[0] >= 'a' && s[0] <= 'z') || (digit_first && s[0] >= '0' && s[0] <= '9'))) return false;
    return std::all_of(s.begin(), s.end(), is_key_char);
  };
  const size_t at = key.find('@');
  if (at == std::string_view::npos) return run(key, false, 256);
  return run(key.substr(0, at), true, 241) && run(key.substr(at + 1), false, 14);
}

// value = 0*255(chr) nblk-chr; chr = %x20 / nblk-chr; nblk-chr = %x21-2B / %x2D-3C / %x3E-7E
bool valid_tracestate_value(std::string_view value) {
  if (value.empty() || value.size() > 256 || value.back() == ' ') return false;
  return std::all_of(value.begin(), value.end(), [](char c) { return c >= 0x20 && c <= 0x7E && c != ',' && c != '='; });
}

// Validates a tracestate header and returns it with empty members and the space around
// members removed; false when any member is malformed, keys repeat or there are more
// than 32 members.
bool normalize_tracestate(std::string_view header, std::string& out) {
  std::string_view keys[kMaxTraceStateMembers];
  size_t count = 0;
  std::string result;
  const bool ok = for_each_piece(header, ',', [&](std::string_view member) {
    member = trim_ows(member);
    if (member.empty()) return true;
    if (count == kMaxTraceStateMembers) return false;
    const size_t eq = member.find('=');
    if (eq == std::string_view::npos) return false;
    const std::string_view key = member.substr(0, eq);
    if (!valid_tracestate_key(key) || !valid_tracestate_value(member.substr(eq + 1))) return false;
    if (std::find(keys, keys + count, key) != keys + count) return false;
    keys[count++] = key;
    if (!result.empty()) result += ',';
    result += member;
    return true;
  });
  if (!ok) return false;
  out = std::move(result);
  return true;
}

// ---- W3C Baggage ----

// RFC 7230 tchar.
bool is_token_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}
bool is_token(std::string_view s) { return !s.empty() && std::all_of(s.begin(), s.end(), is_token_char); }

// baggage-octet = %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E
bool is_baggage_octet(char c) { return c >= 0x21 && c <= 0x7E && c != '"' && c != ',' && c != ';' && c != '\\'; }

// key OWS "=" OWS value; for properties the "=" part is optional.
bool split_baggage_pair(std::string_view s, bool value_required, std::string_view& key, std::string_view& value) {
  const size_t eq = s.find('=');
  if (eq == std::string_view::npos) {
    if (value_required) return false;
    key = trim_ows(s);
    value = {};
    return is_token(key);
  }
  key = trim_ows(s.substr(0, eq));
  value = trim_ows(s.substr(eq + 1));
  return is_token(key) && std::all_of(value.begin(), value.end(), is_baggage_octet);
}

bool parse_baggage(std::string_view header, Baggage& out) {
  if (header.size() > kMaxBaggageBytes) return false;
  Baggage result;
  std::string decoded;
  const bool ok = for_each_piece(header, ',', [&](std::string_view member) {
    if (result.size() == kMaxBaggageMembers) return false;
    // list-member = key OWS "=" OWS value *( OWS ";" OWS property ); properties are
    // checked and not kept.
    std::string_view key;
    std::string_view value;
    bool first = true;
    const bool member_ok = for_each_piece(member, ';', [&](std::string_view part) {
      std::string_view k;
      std::string_view v;
      if (!split_baggage_pair(part, first, k, v)) return false;
      if (first) {
        key = k;
        value = v;
        first = false;
      }
      return true;
    });
    if (!member_ok || !percent_decode(value, false, decoded)) return false;
    result.emplace_back(std::string(key), decoded);
    return true;
  });
  if (!ok) return false;
  out = std::move(result);
  return true;
}

// ---- B3 ----

bool parse_b3_ids(std::string_view trace, std::string_view span, SpanContext& sc) {
  if ((trace.size() != 16 && trace.size() != 32) || span.size() != 16) return false;
  if (!is_lower_hex(trace) || !is_lower_hex(span)) return false;
  return parse_trace_id(trace, HexCase::kLowerOnly, sc.trace_id) &&
         parse_hex64(span, HexCase::kLowerOnly, sc.span_id) && sc.valid();
}

bool valid_b3_parent(std::string_view parent) { return parent.size() == 16 && is_lower_hex(parent); }

// b3: {trace id}-{span id}[-{sampling state}[-{parent span id}]]; a lone sampling state
// ("0", "1", "d") carries no context and is not used.
bool parse_b3_single(std::string_view v, SpanContext& out) {
  std::string_view parts[4];
  const size_t count = split_at_most(v, '-', parts);
  if (count < 2) return false;
  SpanContext sc;
  if (!parse_b3_ids(parts[0], parts[1], sc)) return false;
  if (count >= 3) {
    if (parts[2] == "1") {
      sc.flags = kTraceFlagSampled;
    } else if (parts[2] == "d") {
      sc.flags = kTraceFlagSampled | kTraceFlagDebug;
    } else if (parts[2] != "0") {
      return false;
    }
  }
  if (count == 4 && !valid_b3_parent(parts[3])) return false;
  sc.remote = true;
  out = sc;
  return true;
}

bool parse_b3_multi(HeaderGetter get, SpanContext& out) {
  const std::string_view trace = get("x-b3-traceid");
  const std::string_view span = get("x-b3-spanid");
  if (trace.empty() && span.empty()) return false;
  SpanContext sc;
  if (!parse_b3_ids(trace, span, sc)) return false;
  const std::string_view parent = get("x-b3-parentspanid");
  if (!parent.empty() && !valid_b3_parent(parent)) return false;
  const std::string_view sampled = get("x-b3-sampled");
  const std::string_view flags = get("x-b3-flags");
  if (sampled == "1" || sampled == "true") {
    sc.flags = kTraceFlagSampled;
  } else if (!sampled.empty() && sampled != "0" && sampled != "false") {
    return false;
  }
  if (flags == "1") {
    sc.flags = kTraceFlagSampled | kTraceFlagDebug;
  } else if (!flags.empty() && flags != "0") {
    return false;
  }
  sc.remote = true;
  out = sc;
  return true;
}

// ---- Jaeger ----

bool parse_uber_trace_id(std::string_view header, SpanContext& out) {
  // Some clients URL-encode the whole value (':' as %3A).
  std::string decoded;
  if (header.find('%') != std::string_view::npos) {
    if (!percent_decode(header, false, decoded)) return false;
    header = decoded;
  }
  std::string_view parts[4];
  if (split_at_most(header, ':', parts) != 4) return false;
  SpanContext sc;
  uint64_t parent = 0;
  uint64_t flags = 0;
  if (!parse_trace_id(parts[0], HexCase::kAny, sc.trace_id) || !parse_hex64(parts[1], HexCase::kAny, sc.span_id) ||
      !parse_hex64(parts[2], HexCase::kAny, parent) || parts[3].size() > 2 ||
      !parse_hex64(parts[3], HexCase::kAny, flags)) {
    return false;
  }
  if (!sc.valid()) return false;  // zero trace id or zero span id
  sc.flags = static_cast<uint8_t>(flags & (kTraceFlagSampled | kTraceFlagDebug));
  if ((sc.flags & kTraceFlagDebug) != 0) sc.flags |= kTraceFlagSampled;  // debug implies sampled
  sc.remote = true;
  out = sc;
  return true;
}

constexpr std::string_view kJaegerBaggagePrefix = "uberctx-";

}  // namespace

// ---- PropagationContext ----

PropagationContext PropagationContext::with_span(const SpanContext& span) const {
  PropagationContext c = *this;
  c.span_context = span;
  return c;
}

void PropagationContext::set_baggage(std::string_view key, std::string_view value) {
  for (auto& entry : baggage) {
    if (entry.first == key) {
      entry.second = std::string(value);
      return;
    }
  }
  baggage.emplace_back(std::string(key), std::string(value));
}

std::string_view PropagationContext::baggage_value(std::string_view key) const {
  for (const auto& entry : baggage) {
    if (entry.first == key) return entry.second;
  }
  return {};
}

namespace detail {
bool header_name_equal(std::string_view a, std::string_view b) { return equals_ignoring_case(a, b); }
}  // namespace detail

// ---- W3C Trace Context ----

void W3CTraceContextPropagator::inject(const PropagationContext& context, HeaderSetter set) const {
  const SpanContext& sc = context.span_context;
  if (!sc.valid()) return;
  std::string v = "00-" + sc.trace_id_hex() + "-";
  append_hex(v, sc.span_id, 16);
  v += sc.sampled() ? "-01" : "-00";
  set("traceparent", v);
  std::string state;
  if (!context.trace_state.empty() && normalize_tracestate(context.trace_state, state) && !state.empty()) {
    set("tracestate", state);
  }
}

void W3CTraceContextPropagator::extract(HeaderGetter get, HeaderLister, PropagationContext& context) const {
  SpanContext sc;
  if (!parse_traceparent(get("traceparent"), sc)) return;
  context.span_context = sc;
  // A malformed tracestate is dropped; the traceparent stands on its own.
  std::string state;
  if (!normalize_tracestate(get("tracestate"), state)) state.clear();
  context.trace_state = std::move(state);
}

// ---- W3C Baggage ----

void W3CBaggagePropagator::inject(const PropagationContext& context, HeaderSetter set) const {
  std::string v;
  size_t members = 0;
  for (const auto& [key, value] : context.baggage) {
    if (!is_token(key)) continue;
    const std::string member = key + "=" + percent_encode(value, is_baggage_octet);
    // Entries past the limits are left out rather than making the header invalid.
    if (members == kMaxBaggageMembers || v.size() + 1 + member.size() > kMaxBaggageBytes) break;
    if (!v.empty()) v += ',';
    v += member;
    ++members;
  }
  if (!v.empty()) set("baggage", v);
}

void W3CBaggagePropagator::extract(HeaderGetter get, HeaderLister, PropagationContext& context) const {
  const std::string_view header = get("baggage");
  Baggage parsed;
  if (header.empty() || !parse_baggage(header, parsed)) return;
  for (const auto& [key, value] : parsed) context.set_baggage(key, value);
}

// ---- Jaeger ----

void JaegerPropagator::inject(const PropagationContext& context, HeaderSetter set) const {
  const SpanContext& sc = context.span_context;
  if (sc.valid()) {
    std::string v;
    if (sc.trace_id.high != 0) append_hex(v, sc.trace_id.high, 16);
    append_hex(v, sc.trace_id.low, 16);
    v += ':';
    append_hex(v, sc.span_id, 16);
    v += ":0:";  // the parent span id is deprecated; 0 says "not given"
    append_hex(v, (sc.flags & kTraceFlagDebug) != 0 ? kTraceFlagSampled | kTraceFlagDebug : sc.sampled() ? 1 : 0, 1);
    set("uber-trace-id", v);
  }
  for (const auto& [key, value] : context.baggage) {
    if (!is_token(key)) continue;
    set(std::string(kJaegerBaggagePrefix) + key, percent_encode(value, is_unreserved));
  }
}

void JaegerPropagator::extract(HeaderGetter get, HeaderLister list, PropagationContext& context) const {
  const std::string_view header = get("uber-trace-id");
  SpanContext sc;
  if (!header.empty()) {
    if (!parse_uber_trace_id(header, sc)) return;  // malformed: nothing from this format
    context.span_context = sc;
  }
  if (!list) return;
  std::string decoded;
  list([&](std::string_view name) {
    if (name.size() <= kJaegerBaggagePrefix.size() ||
        !detail::header_name_equal(name.substr(0, kJaegerBaggagePrefix.size()), kJaegerBaggagePrefix)) {
      return;
    }
    std::string key(name.substr(kJaegerBaggagePrefix.size()));
    for (char& c : key) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    // Jaeger clients encode values as URL query components ('+' for a space); an entry
    // that does not decode is skipped.
    if (is_token(key) && percent_decode(get(name), true, decoded)) context.set_baggage(key, decoded);
  });
}

// ---- B3 ----

void B3Propagator::inject(const PropagationContext& context, HeaderSetter set) const {
  const SpanContext& sc = context.span_context;
  if (!sc.valid()) return;
  const bool debug = (sc.flags & kTraceFlagDebug) != 0;
  std::string span;
  append_hex(span, sc.span_id, 16);
  if (encoding_ == Encoding::kSingleHeader) {
    set("b3", sc.trace_id_hex() + "-" + span + (debug ? "-d" : sc.sampled() ? "-1" : "-0"));
    return;
  }
  set("x-b3-traceid", sc.trace_id_hex());
  set("x-b3-spanid", span);
  if (debug) {
    set("x-b3-flags", "1");  // debug implies sampled; the two headers are exclusive
  } else {
    set("x-b3-sampled", sc.sampled() ? "1" : "0");
  }
}

void B3Propagator::extract(HeaderGetter get, HeaderLister, PropagationContext& context) const {
  SpanContext sc;
  const std::string_view single = get("b3");
  if ((!single.empty() && parse_b3_single(single, sc)) || parse_b3_multi(get, sc)) context.span_context = sc;
}

// ---- composite ----

void CompositePropagator::inject(const PropagationContext& context, HeaderSetter set) const {
  for (const auto& member : members_) member->inject(context, set);
}

void CompositePropagator::extract(HeaderGetter get, HeaderLister list, PropagationContext& context) const {
  for (const auto& member : members_) member->extract(get, list, context);
}

std::shared_ptr<const Propagator> make_propagator(std::string_view names, std::string* error) {
  std::vector<std::shared_ptr<const Propagator>> members;
  std::vector<std::string_view> seen;
  std::string problem;
  for_each_piece(names, ',', [&](std::string_view name) {
    name = trim_ows(name);
    if (std::find(seen.begin(), seen.end(), name) != seen.end()) return true;
    seen.push_back(name);
    if (name == "tracecontext") {
      members.push_back(std::make_shared<W3CTraceContextPropagator>());
    } else if (name == "baggage") {
      members.push_back(std::make_shared<W3CBaggagePropagator>());
    } else if (name == "b3") {
      members.push_back(std::make_shared<B3Propagator>(B3Propagator::Encoding::kSingleHeader));
    } else if (name == "b3multi") {
      members.push_back(std::make_shared<B3Propagator>(B3Propagator::Encoding::kMultiHeader));
    } else if (name == "jaeger") {
      members.push_back(std::make_shared<JaegerPropagator>());
    } else if (name != "none") {
      problem = "unknown propagator '" + std::string(name) +
                "' (known: tracecontext, baggage, b3, b3multi, jaeger, none)";
      return false;
    }
    return true;
  });
  if (!problem.empty()) {
    if (error != nullptr) *error = problem;
    return nullptr;
  }
  if (members.size() == 1) return members.front();
  return std::make_shared<CompositePropagator>(std::move(members));
}

}  // namespace litetrace
