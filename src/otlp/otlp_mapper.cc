#include "otlp/otlp_mapper.h"

#include <cstddef>
#include <cstring>

#include "core/compiler.h"
#include "core/text.h"
#include "otlp/otlp_encoder.h"
#include "otlp/otlp_json.h"

namespace litetrace::detail::otlp {
bool RequestBuilder::add(const uint8_t* record) {
  if (!json_ && direct_) {
    const PlainSpan plain = add_plain(record, kRulesApplied);
    if (plain != PlainSpan::kNotPlain) return plain == PlainSpan::kWritten;
  }
  const TracerScope* scope_of_span;  // the header's field alone, not a copy of the header
  std::memcpy(&scope_of_span, record + offsetof(SpanRecordHeader, scope), sizeof scope_of_span);
  Scope& scope = scope_of(scope_of_span);
  Span span;
  map(record, span);
  bool ok = true;
  if (json_) {
    const size_t before = scope.json.size();  // a span that does not fit is taken out whole
    ok = (before == 0 || scope.json.append(",")) && append_span_json(scope.json, span);
    if (!ok) scope.json.truncate(before);
  } else {
    ok = append_span_field(scope.protobuf, span);
  }
  repaired_.clear();
  if (ok) ++spans_;
  return ok;
}

RequestBuilder::Scope& RequestBuilder::scope_of(const TracerScope* scope) {
  for (size_t i = 0; i < used_scopes_; ++i) {
    if (scopes_[i].scope == scope) return scopes_[i];
  }
  if (used_scopes_ == scopes_.size()) scopes_.emplace_back();
  Scope& s = scopes_[used_scopes_++];
  s.scope = scope;
  s.protobuf.clear();
  s.json.clear();
  return s;
}

void RequestBuilder::clear() {
  for (size_t i = 0; i < used_scopes_; ++i) {
    scopes_[i].protobuf.clear();
    scopes_[i].json.clear();
  }
  used_scopes_ = 0;
  spans_ = 0;
}

std::string_view RequestBuilder::text(std::string_view s) {
  if (is_valid_utf8(s)) return s;
  repaired_.push_back(to_valid_utf8(s));
  return repaired_.back();
}

bool RequestBuilder::build(Slice<KeyValue> resource, ByteBuffer& body) {
  encoded_.clear();
  for (size_t i = 0; i < used_scopes_; ++i) {
    const TracerScope* scope = scopes_[i].scope;
    InstrumentationScope is;
    if (scope != nullptr) is = {text(scope->name), text(scope->version)};
    encoded_.push_back({is, json_ ? scopes_[i].json.view() : scopes_[i].protobuf.view()});
  }
  bool ok = true;
  if (json_) {
    ok = append_request_json(body, resource, {encoded_.data(), encoded_.size()});
  } else {
    ok = append_request(body, resource, {encoded_.data(), encoded_.size()});
  }
  repaired_.clear();
  return ok;
}

// The header's fields, as map() and add_plain() map them.
LITETRACE_ALWAYS_INLINE void RequestBuilder::map_header(const RecordHeaderView& h, Span& out) const {
  const SpanTimes times = record_times(h.time_flags(), h.start(), h.end(), *clock_);
  out.trace_id = {h.trace_id_high(), h.trace_id_low()};
  out.span_id = h.span_id();
  out.parent_span_id = h.parent_span_id();
  out.flags = context_flags(h.trace_flags(), h.parent_remote() != 0);
  out.kind = static_cast<SpanKind>(h.kind() + 1);  // litetrace's kinds start at internal = 0
  out.start_time_unix_nano = unix_ns_or_zero(times.start_unix_ns);
  out.end_time_unix_nano = unix_ns_or_zero(times.start_unix_ns + times.duration_ns);
  out.dropped_attributes_count = h.dropped_attributes();
  out.dropped_events_count = h.dropped_events();
  out.dropped_links_count = h.dropped_links();
  out.status_code = static_cast<StatusCode>(h.status());
}

void RequestBuilder::map(const uint8_t* record, Span& out) {
  const auto scalar = [&](const RecordAttribute& a) {
    switch (a.type) {  // the record's value types (span_record.h)
      case detail::ValueType::kString: return AnyValue::string(text(a.bytes));
      case detail::ValueType::kBytes: return AnyValue::binary(a.bytes);
      case detail::ValueType::kBool: return AnyValue::of(a.integer != 0);
      case detail::ValueType::kInt64: return AnyValue::of(a.integer);
      case detail::ValueType::kDouble: return AnyValue::of(a.number);
      default: return AnyValue::string({});
    }
  };
  const auto attribute = [&](const RecordAttribute& a) LITETRACE_INLINE_LAMBDA -> KeyValue {
    if (!is_array(a.type)) return {text(a.key), scalar(a)};
    // An ArrayValue: its elements go to array_values_, which may still grow; where they
    // start is kept in `integer` until the lists are final.
    AnyValue v = AnyValue::array({nullptr, 0});
    v.integer = static_cast<int64_t>(array_values_.size());
    for_each_element(a, [&](const RecordAttribute& e) { array_values_.push_back(scalar(e)); });
    v.values.size = array_values_.size() - static_cast<size_t>(v.integer);
    return {text(a.key), v};
  };

  attributes_.clear();
  event_attributes_.clear();
  event_attribute_begin_.clear();
  events_.clear();
  links_.clear();
  link_attributes_.clear();
  link_attribute_begin_.clear();
  array_values_.clear();
  // One pass. The span's own attributes and the events' go to separate lists (set_attribute()
  // may come between events); the events' slices are set once the lists are final.
  RecordReader reader(record);
  const RecordHeaderView h(record);
  RecordItem item;
  while (reader.next(item)) {
    switch (item.kind) {
      case ItemKind::kName: out.name = text(item.text); break;
      case ItemKind::kAttribute: attributes_.push_back(attribute(item.attribute)); break;
      case ItemKind::kTraceState: out.trace_state = text(item.text); break;
      case ItemKind::kStatusDescription: out.status_message = text(item.text); break;
      case ItemKind::kEvent: {
        Event e;
        e.time_unix_nano = unix_ns_or_zero(event_unix_ns(item, *clock_));
        e.name = text(item.text);
        e.dropped_attributes_count = item.dropped;
        events_.push_back(e);
        event_attribute_begin_.push_back(event_attributes_.size());
        break;
      }
      case ItemKind::kEventAttribute: event_attributes_.push_back(attribute(item.attribute)); break;
      case ItemKind::kLink: {
        Link l;
        l.trace_id = {item.trace_id_high, item.trace_id_low};
        l.span_id = item.span_id;
        l.flags = context_flags(item.trace_flags, item.remote);
        l.dropped_attributes_count = item.dropped;
        links_.push_back(l);
        link_attribute_begin_.push_back(link_attributes_.size());
        break;
      }
      case ItemKind::kLinkAttribute: link_attributes_.push_back(attribute(item.attribute)); break;
      default: break;
    }
  }
  // The lists are final: arrays get their elements (when there are any arrays), events and
  // links their attributes.
  if (!array_values_.empty()) {
    for (std::vector<KeyValue>* list : {&attributes_, &event_attributes_, &link_attributes_}) {
      for (KeyValue& kv : *list) {
        if (kv.value.type == ValueType::kArray) kv.value.values.data = array_values_.data() + kv.value.integer;
      }
    }
  }
  for (size_t i = 0; i < events_.size(); ++i) {
    const size_t first = event_attribute_begin_[i];
    const size_t last = i + 1 < events_.size() ? event_attribute_begin_[i + 1] : event_attributes_.size();
    events_[i].attributes = {event_attributes_.data() + first, last - first};
  }
  for (size_t i = 0; i < links_.size(); ++i) {
    const size_t first = link_attribute_begin_[i];
    const size_t last = i + 1 < links_.size() ? link_attribute_begin_[i + 1] : link_attributes_.size();
    links_[i].attributes = {link_attributes_.data() + first, last - first};
  }
  out.attributes = {attributes_.data(), attributes_.size()};
  out.events = {events_.data(), events_.size()};
  out.links = {links_.data(), links_.size()};

  map_header(h, out);
}

// The header's fields as map() maps them; the rest straight from the record.
PlainSpan RequestBuilder::add_plain(const uint8_t* record, const AttributeLimits& rules) {
  if (json_ || !direct_) return PlainSpan::kNotPlain;
  const RecordHeaderView h(record);
  Span span;
  map_header(h, span);
  const PlainSpan plain = append_plain_span_field(scope_of(h.scope()).protobuf, record, span, *clock_, rules);
  if (plain == PlainSpan::kWritten) ++spans_;
  return plain;
}

}  // namespace litetrace::detail::otlp
