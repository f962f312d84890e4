#pragma once

// How Jaeger batches are shown to people and programs: a span tree, or one JSON object per
// batch. litetrace-dump prints what it receives with it; the console exporter
// (console_sink.h) prints a process's own spans with it, on stderr.
//
// Thread: any; no shared state.

#include <string>
#include <vector>

#include "jaeger/jaeger_decoder.h"

namespace litetrace::detail {

// Ids as Jaeger shows them: 32 hex digits for a 128-bit trace id (16 when the high half
// is zero), 16 for a span id.
std::string trace_id_hex(uint64_t high, uint64_t low);
std::string span_id_hex(uint64_t id);

// A readable tree: one header line for the batch, then per trace its spans indented under
// their parents, with duration, tags, logs and references.
std::string format_text(const DecodedBatch& batch, const std::string& source);

// The spans of many batches (of many services) as one tree per trace, in order of first
// appearance; every span line names its service. A child whose parent came from another
// service hangs under it, as in Jaeger's trace view.
std::string format_traces(const std::vector<const DecodedBatch*>& batches);

// A JSON string literal: escaped, invalid UTF-8 replaced by U+FFFD.
std::string json_string(std::string_view text);

// One line of JSON. Strings are escaped (invalid UTF-8 becomes U+FFFD), binary values are
// base64, doubles that JSON cannot hold are "NaN", "Infinity" or "-Infinity".
std::string format_json(const DecodedBatch& batch, const std::string& source);

}  // namespace litetrace::detail
