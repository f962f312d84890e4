#include "jaeger/span_printer.h"

#include <charconv>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <map>
#include <set>
#include <vector>

#include "core/json_text.h"
#include "core/text.h"
#include "jaeger/jaeger_encoder.h"

namespace litetrace::detail {
namespace {

std::string hex64(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016" PRIx64, v);
  return buf;
}

std::string quoted(std::string_view s) {
  std::string out;
  append_json_string(out, s);
  return out;
}

std::string base64(std::string_view bytes) {
  std::string out;
  append_base64(out, bytes);
  return out;
}

std::string number(double d) {
  std::string out;
  append_double_text(out, d);
  return out;
}

std::string json_double(double d) {
  const std::string s = number(d);
  return std::isfinite(d) ? s : "\"" + s + "\"";
}

const char* type_name(TagType t) {
  switch (t) {
    case TagType::kString: return "string";
    case TagType::kDouble: return "double";
    case TagType::kBool: return "bool";
    case TagType::kLong: return "long";
    case TagType::kBinary: return "binary";
  }
  return "unknown";
}

// A span's tags as they are on the wire, its dropped counts included.
std::vector<Tag> wire_tags(const Span& s) {
  std::vector<Tag> tags(s.tags.begin(), s.tags.end());
  if (s.dropped_tags != 0) tags.push_back(Tag::int64(kDroppedTagsKey, s.dropped_tags));
  if (s.dropped_logs != 0) tags.push_back(Tag::int64(kDroppedLogsKey, s.dropped_logs));
  if (s.dropped_references != 0) {
    tags.push_back(Tag::int64(kDroppedReferencesKey, s.dropped_references));
  }
  return tags;
}

// ---- text ----

std::string text_value(const Tag& t) {
  switch (t.type) {
    case TagType::kString: return quoted(t.str);
    case TagType::kDouble: return number(t.vdouble);
    case TagType::kBool: return t.vbool ? "true" : "false";
    case TagType::kLong: return std::to_string(t.vlong);
    case TagType::kBinary: {
      std::string out = "0x";
      for (size_t i = 0; i < t.str.size() && i < 32; ++i) {
        char buf[3];
        std::snprintf(buf, sizeof buf, "%02x", static_cast<unsigned char>(t.str[i]));
        out += buf;
      }
      if (t.str.size() > 32) out += "... (" + std::to_string(t.str.size()) + " bytes)";
      return out;
    }
  }
  return "?";
}

template <typename Tags>
std::string text_tags(const Tags& tags) {
  std::string out;
  for (const Tag& t : tags) {
    if (!out.empty()) out += "  ";
    out += std::string(t.key) + "=" + text_value(t);
  }
  return out;
}

std::string text_time(int64_t us) {
  const int64_t seconds = us >= 0 ? us / 1000000 : -((-us + 999999) / 1000000);
  const time_t t = static_cast<time_t>(seconds);
  std::tm tm{};
  char buf[64];
  if (us == INT64_MIN || gmtime_r(&t, &tm) == nullptr ||
      std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm) == 0) {
    return std::to_string(us) + " us";
  }
  char frac[16];
  std::snprintf(frac, sizeof frac, ".%06" PRId64 " UTC", us - seconds * 1000000);
  return std::string(buf) + frac;
}

std::string text_duration(int64_t us) {
  char buf[48];
  if (us < 1000 || us >= INT64_MAX / 2) {  // short, negative or absurd: exact microseconds
    std::snprintf(buf, sizeof buf, "%" PRId64 " us", us);
  } else if (us < 1000000) {
    std::snprintf(buf, sizeof buf, "%.3f ms", static_cast<double>(us) / 1e3);
  } else {
    std::snprintf(buf, sizeof buf, "%.3f s", static_cast<double>(us) / 1e6);
  }
  return buf;
}

struct TreePrinter {
  const std::vector<const Span*>& spans;
  std::multimap<uint64_t, const Span*> children;
  std::set<const Span*> printed;
  std::string out;
  const std::map<const Span*, std::string_view>* services = nullptr;  // when spans mix services

  void print(const Span* s, int depth) {
    if (!printed.insert(s).second) return;  // a malformed batch may hold a parent cycle
    const std::string pad(static_cast<size_t>(2 + depth * 3), ' ');
    out += pad + "- " + std::string(s->operation_name);
    if (services != nullptr) out += "  (" + std::string(services->at(s)) + ")";
    out += "  [" + span_id_hex(s->span_id) + "]  " +
           text_duration(s->duration_us) + "  at " + text_time(s->start_time_us);
    if ((s->flags & kFlagSampled) != 0) out += "  sampled";
    if ((s->flags & kFlagDebug) != 0) out += "  debug";
    out += "\n";
    const std::string more = pad + "    ";
    const std::vector<Tag> tags = wire_tags(*s);
    if (!tags.empty()) out += more + text_tags(tags) + "\n";
    for (const SpanRef& r : s->references) {
      out += more + (r.type == RefType::kChildOf ? "child of " : "follows from ") +
             trace_id_hex(r.trace_id_high, r.trace_id_low) + ":" + span_id_hex(r.span_id) + "\n";
    }
    for (const Log& log : s->logs) {
      int64_t offset = 0;
      const std::string when = __builtin_sub_overflow(log.timestamp_us, s->start_time_us, &offset)
                                   ? "at " + text_time(log.timestamp_us)
                                   : (offset >= 0 ? "+" : "") + text_duration(offset);
      out += more + "log " + when + ": " + text_tags(log.fields) + "\n";
    }
    const auto range = children.equal_range(s->span_id);
    for (auto it = range.first; it != range.second; ++it) print(it->second, depth + 1);
  }
};

// Spans under their parents; spans whose parent is not among them are roots.
std::string print_tree(const std::vector<const Span*>& spans, const std::map<const Span*, std::string_view>* services) {
  TreePrinter tree{spans, {}, {}, {}, services};
  std::set<uint64_t> ids;
  for (const Span* s : spans) ids.insert(s->span_id);
  for (const Span* s : spans) {
    if (s->parent_span_id != 0 && ids.count(s->parent_span_id) != 0) tree.children.emplace(s->parent_span_id, s);
  }
  for (const Span* s : spans) {
    if (s->parent_span_id == 0 || ids.count(s->parent_span_id) == 0) tree.print(s, 0);
  }
  for (const Span* s : spans) tree.print(s, 0);  // whatever a cycle kept from the roots
  return tree.out;
}

// ---- json ----

std::string json_tag(const Tag& t) {
  std::string out = "{\"key\":" + quoted(t.key) + ",\"type\":\"" + type_name(t.type) + "\",\"value\":";
  switch (t.type) {
    case TagType::kString: out += quoted(t.str); break;
    case TagType::kDouble: out += json_double(t.vdouble); break;
    case TagType::kBool: out += t.vbool ? "true" : "false"; break;
    case TagType::kLong: out += std::to_string(t.vlong); break;
    case TagType::kBinary: out += "\"" + base64(t.str) + "\""; break;
  }
  return out + "}";
}

template <typename Tags>
std::string json_tags(const Tags& tags) {
  std::string out = "[";
  bool first = true;
  for (const Tag& t : tags) {
    out += (first ? "" : ",") + json_tag(t);
    first = false;
  }
  return out + "]";
}

}  // namespace

std::string json_string(std::string_view text) { return quoted(text); }

std::string trace_id_hex(uint64_t high, uint64_t low) {
  return high == 0 ? hex64(low) : hex64(high) + hex64(low);
}

std::string span_id_hex(uint64_t id) { return hex64(id); }

std::string format_text(const DecodedBatch& batch, const std::string& source) {
  std::string out = "batch";
  if (batch.has_seq_no) out += " #" + std::to_string(batch.seq_no);
  out += " from " + source + ": service " + quoted(batch.process.service_name) + ", " +
         std::to_string(batch.spans.size()) + (batch.spans.size() == 1 ? " span\n" : " spans\n");
  if (!batch.process.tags.empty()) out += "  process  " + text_tags(batch.process.tags) + "\n";
  if (batch.has_stats) {
    out += "  client   " + std::to_string(batch.stats.full_queue_dropped_spans) + " dropped (queue full), " +
           std::to_string(batch.stats.too_large_dropped_spans) + " dropped (too large), " +
           std::to_string(batch.stats.failed_to_emit_spans) + " failed to send\n";
  }
  // Traces in order of first appearance; within a trace, spans under their parents.
  std::vector<std::pair<std::string, std::vector<const Span*>>> traces;
  std::map<std::string, size_t> trace_index;
  for (const Span& s : batch.spans) {
    const std::string id = trace_id_hex(s.trace_id_high, s.trace_id_low);
    auto [it, added] = trace_index.emplace(id, traces.size());
    if (added) traces.push_back({id, {}});
    traces[it->second].second.push_back(&s);
  }
  for (const auto& [id, spans] : traces) {
    out += "  trace " + id + "\n";
    out += print_tree(spans, nullptr);
  }
  return out;
}

std::string format_traces(const std::vector<const DecodedBatch*>& batches) {
  std::vector<std::pair<std::string, std::vector<const Span*>>> traces;
  std::map<std::string, size_t> trace_index;
  std::map<const Span*, std::string_view> services;
  for (const DecodedBatch* b : batches) {
    for (const Span& s : b->spans) {
      const std::string id = trace_id_hex(s.trace_id_high, s.trace_id_low);
      auto [it, added] = trace_index.emplace(id, traces.size());
      if (added) traces.push_back({id, {}});
      traces[it->second].second.push_back(&s);
      services.emplace(&s, b->process.service_name);
    }
  }
  std::string out;
  for (const auto& [id, spans] : traces) {
    std::set<std::string_view> names;
    for (const Span* s : spans) names.insert(services.at(s));
    out += "trace " + id + "  " + std::to_string(spans.size()) + (spans.size() == 1 ? " span" : " spans") + " from ";
    size_t i = 0;
    for (const std::string_view name : names) out += (i++ ? ", " : "") + quoted(name);
    out += "\n" + print_tree(spans, &services);
  }
  return out;
}

std::string format_json(const DecodedBatch& batch, const std::string& source) {
  std::string out = "{\"source\":" + quoted(source) + ",\"seqNo\":" +
                    (batch.has_seq_no ? std::to_string(batch.seq_no) : std::string("null")) + ",\"stats\":";
  if (batch.has_stats) {
    out += "{\"fullQueueDroppedSpans\":" + std::to_string(batch.stats.full_queue_dropped_spans) +
           ",\"tooLargeDroppedSpans\":" + std::to_string(batch.stats.too_large_dropped_spans) +
           ",\"failedToEmitSpans\":" + std::to_string(batch.stats.failed_to_emit_spans) + "}";
  } else {
    out += "null";
  }
  out += ",\"process\":{\"serviceName\":" + quoted(batch.process.service_name) +
         ",\"tags\":" + json_tags(batch.process.tags) + "},\"spans\":[";
  for (size_t i = 0; i < batch.spans.size(); ++i) {
    const Span& s = batch.spans[i];
    out += std::string(i ? "," : "") + "{\"traceId\":\"" + trace_id_hex(s.trace_id_high, s.trace_id_low) +
           "\",\"spanId\":\"" + span_id_hex(s.span_id) + "\",\"parentSpanId\":\"" +
           span_id_hex(s.parent_span_id) + "\",\"operationName\":" + quoted(s.operation_name) +
           ",\"flags\":" + std::to_string(s.flags) + ",\"startTime\":" + std::to_string(s.start_time_us) +
           ",\"duration\":" + std::to_string(s.duration_us) + ",\"references\":[";
    for (size_t k = 0; k < s.references.size; ++k) {
      const SpanRef& r = s.references[k];
      out += std::string(k ? "," : "") + "{\"refType\":\"" +
             (r.type == RefType::kChildOf ? "CHILD_OF" : "FOLLOWS_FROM") + "\",\"traceId\":\"" +
             trace_id_hex(r.trace_id_high, r.trace_id_low) + "\",\"spanId\":\"" + span_id_hex(r.span_id) + "\"}";
    }
    out += "],\"tags\":" + json_tags(wire_tags(s)) + ",\"logs\":[";
    for (size_t k = 0; k < s.logs.size; ++k) {
      out += std::string(k ? "," : "") + "{\"timestamp\":" + std::to_string(s.logs[k].timestamp_us) +
             ",\"fields\":" + json_tags(s.logs[k].fields) + "}";
    }
    out += "]}";
  }
  return out + "]}";
}

}  // namespace litetrace::detail
