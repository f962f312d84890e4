#include "otlp/otlp_mapper.h"

#include <algorithm>
#include <cstring>

#include "core/text.h"

namespace litetrace::detail::otlp {
namespace {

uint64_t unix_ns_or_zero(int64_t ns) { return ns > 0 ? static_cast<uint64_t>(ns) : 0; }

// Only the W3C sampled bit: litetrace's debug bit (kTraceFlagDebug) is not a W3C flag.
uint32_t context_flags(uint8_t trace_flags, bool remote) {
  return (trace_flags & 0x01u) | kFlagsContextHasIsRemote | (remote ? kFlagsContextIsRemote : 0u);
}

}  // namespace

void RequestBuilder::add(const uint8_t* record) {
  uint32_t size;
  std::memcpy(&size, record, sizeof size);  // SpanRecordHeader::size, the whole record
  offsets_.push_back(records_.size());
  records_.insert(records_.end(), record, record + size);
}

void RequestBuilder::clear() {
  records_.clear();
  offsets_.clear();
  clear_built();
}

void RequestBuilder::clear_built() {
  spans_.clear();
  attributes_.clear();
  events_.clear();
  links_.clear();
  scopes_.clear();
  repaired_.clear();
}

std::string_view RequestBuilder::text(std::string_view s) {
  if (is_valid_utf8(s)) return s;
  repaired_.push_back(to_valid_utf8(s));
  return repaired_.back();
}

ResourceSpans RequestBuilder::build(Slice<KeyValue> resource) {
  clear_built();

  // Reserve everything first: the views handed out point into these vectors.
  size_t attributes = 0;
  size_t events = 0;
  size_t links = 0;
  std::vector<const TracerScope*> scope_order;
  std::vector<size_t> scope_of(offsets_.size());
  for (size_t i = 0; i < offsets_.size(); ++i) {
    RecordReader reader(records_.data() + offsets_[i]);
    const SpanRecordHeader& h = reader.header();
    attributes += h.attribute_count;
    events += h.event_count;
    links += h.link_count;
    RecordItem item;
    while (reader.next(item)) {
      if (item.kind == ItemKind::kEventAttribute) ++attributes;
    }
    const auto at = std::find(scope_order.begin(), scope_order.end(), h.scope);
    scope_of[i] = static_cast<size_t>(at - scope_order.begin());
    if (at == scope_order.end()) scope_order.push_back(h.scope);
  }
  spans_.reserve(offsets_.size());
  attributes_.reserve(attributes);
  events_.reserve(events);
  links_.reserve(links);
  scopes_.reserve(scope_order.size());

  for (size_t s = 0; s < scope_order.size(); ++s) {
    const size_t first = spans_.size();
    for (size_t i = 0; i < offsets_.size(); ++i) {
      if (scope_of[i] != s) continue;
      spans_.emplace_back();
      map(records_.data() + offsets_[i], spans_.back());
    }
    ScopeSpans ss;
    if (scope_order[s] != nullptr) ss.scope = {text(scope_order[s]->name), text(scope_order[s]->version)};
    ss.spans = {spans_.data() + first, spans_.size() - first};
    scopes_.push_back(ss);
  }
  return {resource, {scopes_.data(), scopes_.size()}};
}

void RequestBuilder::map(const uint8_t* record, Span& out) {
  RecordItem item;
  const auto to_value = [](const RecordAttribute& a, std::string_view string) {
    switch (a.type) {  // the record's value types (span_record.h)
      case detail::ValueType::kString: return AnyValue::string(string);
      case detail::ValueType::kBytes: return AnyValue::binary(a.bytes);
      case detail::ValueType::kBool: return AnyValue::of(a.integer != 0);
      case detail::ValueType::kInt64: return AnyValue::of(a.integer);
      case detail::ValueType::kDouble: return AnyValue::of(a.number);
    }
    return AnyValue::string(string);
  };
  const auto attribute = [&](const RecordAttribute& a) {
    attributes_.push_back(
        {text(a.key), to_value(a, a.type == detail::ValueType::kString ? text(a.bytes) : std::string_view())});
  };

  // The span's own attributes first, together: set_attribute() may come between events.
  RecordReader attributes_pass(record);
  const size_t first_attribute = attributes_.size();
  while (attributes_pass.next(item)) {
    if (item.kind == ItemKind::kAttribute) attribute(item.attribute);
  }
  out.attributes = {attributes_.data() + first_attribute, attributes_.size() - first_attribute};

  RecordReader reader(record);
  const SpanRecordHeader& h = reader.header();
  const size_t first_event = events_.size();
  const size_t first_link = links_.size();
  while (reader.next(item)) {
    switch (item.kind) {
      case ItemKind::kName: out.name = text(item.text); break;
      case ItemKind::kTraceState: out.trace_state = text(item.text); break;
      case ItemKind::kStatusDescription: out.status_message = text(item.text); break;
      case ItemKind::kEvent: {
        Event e;
        e.time_unix_nano = unix_ns_or_zero(event_unix_ns(item, *clock_));
        e.name = text(item.text);
        e.dropped_attributes_count = item.dropped;
        e.attributes = {attributes_.data() + attributes_.size(), 0};
        events_.push_back(e);
        break;
      }
      case ItemKind::kEventAttribute:
        attribute(item.attribute);
        ++events_.back().attributes.size;  // its attributes come right after it
        break;
      case ItemKind::kLink: {
        Link l;
        l.trace_id = {item.trace_id_high, item.trace_id_low};
        l.span_id = item.span_id;
        l.flags = context_flags(item.trace_flags, item.remote);
        links_.push_back(l);
        break;
      }
      default: break;  // the span's attributes: done above
    }
  }
  out.events = {events_.data() + first_event, events_.size() - first_event};
  out.links = {links_.data() + first_link, links_.size() - first_link};

  const SpanTimes times = record_times(h, *clock_);
  out.trace_id = {h.trace_id_high, h.trace_id_low};
  out.span_id = h.span_id;
  out.parent_span_id = h.parent_span_id;
  out.flags = context_flags(h.trace_flags, h.parent_remote != 0);
  out.kind = static_cast<SpanKind>(h.kind + 1);  // litetrace's kinds start at internal = 0
  out.start_time_unix_nano = unix_ns_or_zero(times.start_unix_ns);
  out.end_time_unix_nano = unix_ns_or_zero(times.start_unix_ns + times.duration_ns);
  out.dropped_attributes_count = h.dropped_attributes;
  out.dropped_events_count = h.dropped_events;
  out.dropped_links_count = h.dropped_links;
  out.status_code = static_cast<StatusCode>(h.status);
}

}  // namespace litetrace::detail::otlp
