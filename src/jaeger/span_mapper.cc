#include "jaeger/span_mapper.h"

#include <utility>

#include "core/array_json.h"
#include "core/record_reader.h"
#include "core/text.h"
#include "jaeger/jaeger_encoder.h"
#include "litetrace/sampler.h"
#include "litetrace/trace.h"

namespace litetrace::detail {
namespace {

Tag to_tag(const RecordAttribute& a, std::deque<std::string>& texts) {
  if (!is_array(a.type)) return scalar_tag(a);
  // An array: a string tag holding the JSON list, as the specification says for formats
  // without arrays.
  std::string& text = texts.emplace_back();
  append_array_json(text, a);
  return Tag::string(a.key, text);
}

std::string_view hex_text(std::deque<std::string>& texts, uint64_t high, uint64_t low, bool wide) {
  std::string& text = texts.emplace_back();
  if (wide) append_hex(text, high, 16);
  append_hex(text, low, 16);
  return text;
}

}  // namespace

const Span& SpanMapper::map(const uint8_t* record) {
  RecordReader reader(record);
  const SpanRecordHeader& h = reader.header();

  tags_.clear();
  user_tags_.clear();
  logs_.clear();
  log_field_begin_.clear();
  log_fields_.clear();
  refs_.clear();
  texts_.clear();
  link_logs_.clear();
  span_ = Span{};

  std::string_view name;
  std::string_view status_description;
  uint16_t event_dropped = 0;  // of the event being read
  // Every element below is pushed as an rvalue (std::move on the trivially copyable locals
  // too), so that a program holds one growth path of std::vector per element type.
  RecordItem item;
  while (reader.next(item)) {
    switch (item.kind) {
      case ItemKind::kName: name = item.text; break;
      case ItemKind::kAttribute: user_tags_.push_back(to_tag(item.attribute, texts_)); break;
      case ItemKind::kEvent: {
        event_dropped = item.dropped;
        Log log;
        log.timestamp_us = to_us(event_unix_ns(item, *clock_));
        logs_.push_back(std::move(log));
        log_field_begin_.push_back(log_fields_.size());
        log_fields_.push_back(Tag::string("event", item.text));
        // An event's own dropped count, as the specification puts it on the entity that
        // dropped (mapping-to-non-otlp.md); a user field of that name gives way to it.
        if (event_dropped != 0) log_fields_.push_back(Tag::int64("otel.dropped_attributes_count", event_dropped));
        break;
      }
      case ItemKind::kEventAttribute:
      case ItemKind::kLinkAttribute:
        if (event_dropped == 0 || item.attribute.key != "otel.dropped_attributes_count") {
          log_fields_.push_back(to_tag(item.attribute, texts_));
        }
        break;
      case ItemKind::kLink: {
        // The linked span's flags have no place in a Jaeger reference.
        SpanRef ref;
        ref.type = RefType::kFollowsFrom;
        ref.trace_id_high = item.trace_id_high;
        ref.trace_id_low = item.trace_id_low;
        ref.span_id = item.span_id;
        refs_.push_back(std::move(ref));
        // Its attributes (which follow it) have no place in a reference: they go to a log
        // of their own, at the span's start, with the link's ids. A link without any gets
        // no log.
        event_dropped = item.dropped;
        if (reader.next_is(ItemKind::kLinkAttribute) || item.dropped != 0) {
          link_logs_.push_back(logs_.size());
          logs_.push_back(Log{});
          log_field_begin_.push_back(log_fields_.size());
          log_fields_.push_back(Tag::string("event", "link"));
          log_fields_.push_back(Tag::string("trace_id", hex_text(texts_, item.trace_id_high, item.trace_id_low, true)));
          log_fields_.push_back(Tag::string("span_id", hex_text(texts_, 0, item.span_id, false)));
          if (item.dropped != 0) log_fields_.push_back(Tag::int64("otel.dropped_attributes_count", item.dropped));
        }
        break;
      }
      case ItemKind::kStatusDescription: status_description = item.text; break;
      default: break;  // the trace state: Jaeger has no place for it
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

  lead_tags(h.kind, h.status, status_description, [&](Tag t) { tags_.push_back(std::move(t)); });
  scope_tags(h.scope, [&](Tag t) { tags_.push_back(std::move(t)); });
  sampler_tags(h.sampler_type, h.sampler_param, [&](Tag t) { tags_.push_back(std::move(t)); });
  // The mapping's tags come first, so trimming (which keeps a prefix of the tags) takes the
  // user's attributes before them.
  for (Tag t : user_tags_) {
    if (!taken_by_mapping(t.key, record, !status_description.empty())) tags_.push_back(std::move(t));
  }

  const JaegerTimes times = jaeger_times(h, *clock_);

  span_.trace_id_low = h.trace_id_low;
  span_.trace_id_high = h.trace_id_high;
  span_.span_id = h.span_id;
  span_.parent_span_id = h.parent_span_id;
  span_.operation_name = name;
  span_.references = {refs_.data(), refs_.size()};
  span_.flags = h.trace_flags & (kFlagSampled | kFlagDebug);
  span_.start_time_us = times.start_us;
  for (const size_t i : link_logs_) logs_[i].timestamp_us = span_.start_time_us;
  span_.duration_us = times.duration_us;
  span_.tags = {tags_.data(), tags_.size()};
  span_.logs = {logs_.data(), logs_.size()};
  span_.dropped_tags = h.dropped_attributes;
  span_.dropped_logs = h.dropped_events;
  span_.dropped_references = h.dropped_links;
  return span_;
}

}  // namespace litetrace::detail
