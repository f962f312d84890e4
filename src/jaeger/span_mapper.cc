#include "jaeger/span_mapper.h"

#include <algorithm>

#include "litetrace/sampler.h"
#include "litetrace/trace.h"

namespace litetrace::detail {
namespace {

Tag read_attribute(const uint8_t*& p) {
  const auto head = get<AttributeItemHead>(p);
  Tag t;
  switch (static_cast<ValueType>(head.type)) {
    case ValueType::kString:
    case ValueType::kBytes:
      t.type = head.type == static_cast<uint8_t>(ValueType::kString) ? TagType::kString : TagType::kBinary;
      t.key = get_bytes(p, head.key_length);
      t.str = get_bytes(p, head.value_length);
      return t;
    case ValueType::kBool: t = Tag::boolean({}, get<int64_t>(p) != 0); break;
    case ValueType::kInt64: t = Tag::int64({}, get<int64_t>(p)); break;
    case ValueType::kDouble: t = Tag::float64({}, get<double>(p)); break;
  }
  t.key = get_bytes(p, head.key_length);
  return t;
}

int64_t to_us(int64_t ns) { return ns >= 0 ? ns / 1000 : -((-ns + 999) / 1000); }

}  // namespace

const Span& SpanMapper::map(const uint8_t* record) {
  SpanRecordHeader h;
  std::memcpy(&h, record, sizeof h);
  const uint8_t* p = record + sizeof h;
  const uint8_t* const end = p + h.items_size;

  tags_.clear();
  user_tags_.clear();
  logs_.clear();
  log_field_begin_.clear();
  log_fields_.clear();
  refs_.clear();
  span_ = Span{};

  std::string_view name;
  std::string_view status_description;
  uint16_t event_dropped = 0;  // of the event being read
  while (p < end) {
    // Attribute items keep their kind inside their head; the others are read after it.
    const auto kind = static_cast<ItemKind>(*p);
    if (kind != ItemKind::kAttribute && kind != ItemKind::kDeadAttribute && kind != ItemKind::kEventAttribute) ++p;
    switch (kind) {
      case ItemKind::kName: name = get_bytes(p, get<uint16_t>(p)); break;
      case ItemKind::kAttribute: user_tags_.push_back(read_attribute(p)); break;
      case ItemKind::kDeadAttribute: read_attribute(p); break;
      case ItemKind::kEvent: {
        const bool unix_ns = get<uint8_t>(p) != 0;
        const auto time = get<uint64_t>(p);
        event_dropped = get<uint16_t>(p);
        const auto name_len = get<uint16_t>(p);  // its kEventAttribute items follow
        Log log;
        log.timestamp_us = to_us(unix_ns ? static_cast<int64_t>(time) : clock_->to_unix_ns(time));
        logs_.push_back(log);
        log_field_begin_.push_back(log_fields_.size());
        log_fields_.push_back(Tag::string("event", get_bytes(p, name_len)));
        // An event's own dropped count, as the specification puts it on the entity that
        // dropped (mapping-to-non-otlp.md); a user field of that name gives way to it.
        if (event_dropped != 0) log_fields_.push_back(Tag::int64("otel.dropped_attributes_count", event_dropped));
        break;
      }
      case ItemKind::kEventAttribute: {
        Tag field = read_attribute(p);
        if (event_dropped == 0 || field.key != "otel.dropped_attributes_count") log_fields_.push_back(field);
        break;
      }
      case ItemKind::kLink: {
        get<uint8_t>(p);  // the linked span's flags: Jaeger references have no place for them
        SpanRef ref;
        ref.type = RefType::kFollowsFrom;
        ref.trace_id_high = get<uint64_t>(p);
        ref.trace_id_low = get<uint64_t>(p);
        ref.span_id = get<uint64_t>(p);
        refs_.push_back(ref);
        break;
      }
      case ItemKind::kStatusDescription: status_description = get_bytes(p, get<uint16_t>(p)); break;
      case ItemKind::kDeadText: get_bytes(p, get<uint16_t>(p)); break;
      default: p = end; break;  // cannot happen: only Span writes records
    }
  }
  // The logs' field arrays are final only now (log_fields_ may have grown).
  for (size_t i = 0; i < logs_.size(); ++i) {
    const size_t first = log_field_begin_[i];
    const size_t last = i + 1 < logs_.size() ? log_field_begin_[i + 1] : log_fields_.size();
    logs_[i].fields = {log_fields_.data() + first, last - first};
  }
  // References: the parent first as CHILD_OF, then the links, when there are links.
  if (!refs_.empty() && h.parent_span_id != 0) {
    refs_.insert(refs_.begin(), SpanRef{RefType::kChildOf, h.trace_id_low, h.trace_id_high, h.parent_span_id});
  }

  switch (static_cast<SpanKind>(h.kind)) {
    case SpanKind::kServer: tags_.push_back(Tag::string("span.kind", "server")); break;
    case SpanKind::kClient: tags_.push_back(Tag::string("span.kind", "client")); break;
    case SpanKind::kProducer: tags_.push_back(Tag::string("span.kind", "producer")); break;
    case SpanKind::kConsumer: tags_.push_back(Tag::string("span.kind", "consumer")); break;
    case SpanKind::kInternal: break;
  }
  if (h.status == static_cast<uint8_t>(StatusCode::kOk)) {
    tags_.push_back(Tag::string("otel.status_code", "OK"));
  } else if (h.status == static_cast<uint8_t>(StatusCode::kError)) {
    tags_.push_back(Tag::string("otel.status_code", "ERROR"));
    if (!status_description.empty()) tags_.push_back(Tag::string("otel.status_description", status_description));
    tags_.push_back(Tag::boolean("error", true));  // Jaeger ignores a string "true"
  }
  if (h.scope != nullptr && !h.scope->name.empty()) {
    tags_.push_back(Tag::string("otel.scope.name", h.scope->name));
    tags_.push_back(Tag::string("otel.library.name", h.scope->name));
    if (!h.scope->version.empty()) {
      tags_.push_back(Tag::string("otel.scope.version", h.scope->version));
      tags_.push_back(Tag::string("otel.library.version", h.scope->version));
    }
  }
  switch (static_cast<SamplerType>(h.sampler_type)) {
    case SamplerType::kNone: break;
    case SamplerType::kConst:
      tags_.push_back(Tag::string("sampler.type", "const"));
      tags_.push_back(Tag::boolean("sampler.param", h.sampler_param != 0));
      break;
    default:
      tags_.push_back(Tag::string("sampler.type", to_string(static_cast<SamplerType>(h.sampler_type))));
      tags_.push_back(Tag::float64("sampler.param", h.sampler_param));
      break;
  }
  // The mapping's tags come first, so trimming (which keeps a prefix of the tags) takes the
  // user's attributes before them; a user attribute with the key of one of them, or of a
  // dropped count the encoder will write, is left out: one tag per key, the mapping's.
  const size_t mapping_tags = tags_.size();
  const auto taken = [&](std::string_view key) {
    for (size_t i = 0; i < mapping_tags; ++i) {
      if (tags_[i].key == key) return true;
    }
    return (h.dropped_attributes != 0 && key == "otel.dropped_attributes_count") ||
           (h.dropped_events != 0 && key == "otel.dropped_events_count") ||
           (h.dropped_links != 0 && key == "otel.dropped_links_count");
  };
  for (const Tag& t : user_tags_) {
    if (!taken(t.key)) tags_.push_back(t);
  }

  // Counter times become a start and a duration together (TickConverter::span_times): the
  // duration from the monotonic clock, never shorter than the time the span was open.
  // Durations round up to whole microseconds for the same reason.
  SpanTimes times;
  const bool start_ticks = (h.time_flags & kStartIsUnixNs) == 0;
  const bool end_ticks = (h.time_flags & kEndIsUnixNs) == 0;
  if (start_ticks && end_ticks) {
    times = clock_->span_times(h.start, h.end);
  } else {
    times.start_unix_ns = start_ticks ? clock_->to_unix_ns(h.start) : static_cast<int64_t>(h.start);
    const int64_t end_ns = end_ticks ? clock_->to_unix_ns(h.end) : static_cast<int64_t>(h.end);
    times.duration_ns = std::max<int64_t>(end_ns - times.start_unix_ns, 0);  // never negative
  }

  span_.trace_id_low = h.trace_id_low;
  span_.trace_id_high = h.trace_id_high;
  span_.span_id = h.span_id;
  span_.parent_span_id = h.parent_span_id;
  span_.operation_name = name;
  span_.references = {refs_.data(), refs_.size()};
  span_.flags = h.trace_flags & (kFlagSampled | kFlagDebug);
  span_.start_time_us = to_us(times.start_unix_ns);
  span_.duration_us = (times.duration_ns + 999) / 1000;
  span_.tags = {tags_.data(), tags_.size()};
  span_.logs = {logs_.data(), logs_.size()};
  span_.dropped_tags = h.dropped_attributes;
  span_.dropped_logs = h.dropped_events;
  span_.dropped_references = h.dropped_links;
  return span_;
}

}  // namespace litetrace::detail
