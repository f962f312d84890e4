#pragma once

// Random span records of the kinds spans are made of, for the tests that compare two ways
// of encoding them (a record straight to the wire against the mapper's model).

#include <cstdint>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "core/span_record.h"
#include "core/tick_clock.h"
#include "support/record_builder.h"

namespace litetrace::test {

using detail::ItemKind;
using detail::SpanRecordHeader;
using detail::ValueType;
using detail::kStartIsUnixNs;
using detail::kEndIsUnixNs;

// Counter ticks that are monotonic nanoseconds, for records with tick times.
inline detail::TickConverter exact_clock() {
  return detail::TickConverter([] { return detail::ClockSample{1000, 1000, 0, 1764000000000000000}; }, /*ticks_are_monotonic_ns=*/true);
}

inline const detail::TracerScope kScopes[] = {{"", ""}, {"lib", ""}, {"my-library", "1.2.3"}};

// A random record of the kinds plain spans are made of: attributes, events and links; with
// `arrays`, arrays among the attributes of each; without `mapping_keys`, no span attribute
// named as one of the Jaeger mapping's tags; with `any_utf8`, texts that are not ASCII
// (valid UTF-8 or not).
inline std::vector<uint8_t> random_record(std::mt19937_64& rng, bool arrays = false, bool mapping_keys = true,
                                          bool any_utf8 = false) {
  const auto pick = [&](uint64_t n) { return rng() % n; };
  const auto text = [&](size_t max) {
    std::string s(static_cast<size_t>(pick(max + 1)), 'a');
    for (char& c : s) c = static_cast<char>('a' + pick(26));
    // With `any_utf8`, sometimes a character of two bytes, or a byte that is not UTF-8.
    if (any_utf8 && pick(8) == 0) s.insert(static_cast<size_t>(pick(s.size() + 1)), pick(2) == 0 ? "\xc3\xa9" : "\xff");
    return s;
  };
  RecordBuilder r;
  SpanRecordHeader& h = r.header();
  const uint64_t widest = pick(4) == 0 ? UINT64_MAX : 0;
  h.trace_id_high = widest | rng();
  h.trace_id_low = widest | rng();
  h.span_id = widest | rng() | 1;
  h.parent_span_id = pick(2) == 0 ? 0 : rng() >> pick(64);
  h.trace_flags = static_cast<uint8_t>(pick(4));
  h.kind = static_cast<uint8_t>(pick(5));
  h.status = static_cast<uint8_t>(pick(3));  // unset, OK or error
  if (pick(5) == 0) {
    h.dropped_attributes = static_cast<uint32_t>(pick(3) == 0 ? UINT32_MAX : pick(100));
    h.dropped_events = static_cast<uint32_t>(pick(3));
    h.dropped_links = static_cast<uint32_t>(pick(3));
  }
  h.sampler_type = static_cast<uint8_t>(pick(5));
  h.sampler_param = h.sampler_type == 1 ? static_cast<double>(pick(2)) : 0.25;
  const int scope = static_cast<int>(pick(4));
  h.scope = scope < 3 ? &kScopes[scope] : nullptr;
  if (pick(2) == 0) {  // Unix ns
    h.time_flags = kStartIsUnixNs | kEndIsUnixNs;
    h.start = 1764000000000000000u + pick(1000000000000);
    h.end = h.start + pick(2) * pick(10000000000);
  } else {  // ticks
    h.start = 1000 + pick(1000000000);
    h.end = h.start + pick(5000000);
  }
  // The name first, as a span starts; or further on, as update_name() moves it when it
  // changes the length (the old one left dead).
  const std::string name = text(pick(8) == 0 ? 300 : 20);
  const bool renamed = pick(5) == 0;
  if (renamed) {
    r.text(ItemKind::kDeadText, text(10));
  } else {
    r.name(name);
  }
  const size_t attributes = pick(8) == 0 ? 20 : static_cast<size_t>(pick(5));
  // Sometimes a key of the mapping's tags (once: a key set twice is the normalizer's), which
  // gives way to the tag when the span has it.
  static const char* const kMappingKeys[] = {
      "span.kind", "error", "otel.status_code", "otel.status_description", "otel.scope.name", "otel.library.name",
      "otel.scope.version", "otel.library.version", "sampler.type", "sampler.param", "otel.dropped_attributes_count",
      "otel.dropped_events_count", "otel.dropped_links_count"};
  const size_t mapping_key_at =
      mapping_keys && pick(3) == 0 ? static_cast<size_t>(pick(attributes + 1)) : attributes;
  // An array of each kind, its elements as an item holds them (span_record.h).
  const auto array = [&](const std::string& key, ItemKind kind) {
    std::string elements;
    const size_t n = static_cast<size_t>(pick(4));
    const auto type = static_cast<ValueType>(static_cast<uint8_t>(ValueType::kStringArray) + pick(4));
    for (size_t i = 0; i < n; ++i) {
      if (type == ValueType::kStringArray) {
        const std::string e = pick(4) == 0 ? "q\"\\\xff" : text(6);
        const auto length = static_cast<uint32_t>(e.size());
        elements.append(reinterpret_cast<const char*>(&length), 4);
        elements += e;
      } else if (type == ValueType::kBoolArray) {
        elements += static_cast<char>(pick(2));
      } else {
        const uint64_t bits = type == ValueType::kInt64Array ? rng() : 0x4059000000000000u + pick(1000);
        elements.append(reinterpret_cast<const char*>(&bits), 8);
      }
    }
    r.string(key, elements, type, kind);
  };
  for (size_t i = 0; i < attributes; ++i) {
    const std::string key = i == mapping_key_at ? kMappingKeys[static_cast<size_t>(pick(std::size(kMappingKeys)))]
                                                : "k" + std::to_string(i) + text(pick(8) == 0 ? 200 : 10);
    if (arrays && pick(4) == 0) {
      array(key, ItemKind::kAttribute);
      continue;
    }
    switch (pick(6)) {
      case 0: r.string(key, text(pick(8) == 0 ? 400 : 30)); break;
      case 1: r.string(key, text(16), ValueType::kBytes); break;
      case 2: r.scalar(key, ValueType::kBool, pick(2)); break;
      case 3: r.integer(key, static_cast<int64_t>(rng())); break;
      case 4: r.number(key, static_cast<double>(rng() % 100000) / 7.0); break;
      default: r.string(key, text(5), ValueType::kString, ItemKind::kDeadAttribute); break;  // replaced
    }
  }
  // Events and links, each with attributes of every scalar kind (sometimes one named as the
  // dropped count that gives way to it) and sometimes a dropped count.
  const auto element_attributes = [&](ItemKind kind) {
    const size_t n = static_cast<size_t>(pick(4));
    for (size_t i = 0; i < n; ++i) {
      const std::string key = pick(6) == 0 ? "otel.dropped_attributes_count" : "e" + std::to_string(i) + text(8);
      if (arrays && pick(4) == 0) {
        array(key, kind);
        continue;
      }
      switch (pick(5)) {
        case 0: r.string(key, text(pick(8) == 0 ? 300 : 20), ValueType::kString, kind); break;
        case 1: r.string(key, text(12), ValueType::kBytes, kind); break;
        case 2: r.scalar(key, ValueType::kBool, pick(2), kind); break;
        case 3: r.scalar(key, ValueType::kInt64, rng(), kind); break;
        default: r.scalar(key, ValueType::kDouble, 0x4059000000000000u + pick(1000), kind); break;
      }
    }
  };
  const size_t elements = pick(3) == 0 ? static_cast<size_t>(pick(6)) : 0;
  for (size_t i = 0; i < elements; ++i) {
    const auto dropped = static_cast<uint16_t>(pick(3) == 0 ? pick(70000) : 0);
    if (pick(2) == 0) {
      r.event(text(pick(8) == 0 ? 200 : 12), 1764000000000000000u + pick(1000000000000), dropped);
      element_attributes(ItemKind::kEventAttribute);
    } else {
      r.link(widest | rng(), widest | rng(), rng() >> pick(64), dropped, static_cast<uint8_t>(pick(2)));
      if (pick(2) == 0) element_attributes(ItemKind::kLinkAttribute);
    }
  }
  if (renamed) r.name(name);
  // A description, read with an error status only.
  if (pick(3) == 0) r.text(ItemKind::kStatusDescription, text(pick(8) == 0 ? 200 : 12));
  if (pick(4) == 0) r.text(ItemKind::kTraceState, "vendor=" + text(10));
  if (pick(6) == 0) r.text(ItemKind::kDeadText, text(10));  // a replaced name
  return r.build();
}

}  // namespace litetrace::test
