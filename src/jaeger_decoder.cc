#include "jaeger_decoder.h"

#include <cstdio>

#include "jaeger_encoder.h"

namespace litetrace::detail {
namespace {

// The smallest encoding of each struct with its required fields, used to bound how many
// of them an input of a given size can hold (so storage is reserved once, up front).
constexpr size_t kMinTagSize = 5;       // key "", vType, stop
constexpr size_t kMinLogSize = 5;       // timestamp, empty fields list, stop
constexpr size_t kMinSpanRefSize = 9;   // four one-byte fields, stop
constexpr size_t kMinSpanSize = 17;     // nine required fields, stop

const char* type_name(CType t) {
  switch (t) {
    case CType::kBoolTrue:
    case CType::kBoolFalse: return "bool";
    case CType::kI8: return "i8";
    case CType::kI16: return "i16";
    case CType::kI32: return "i32";
    case CType::kI64: return "i64";
    case CType::kDouble: return "double";
    case CType::kBinary: return "binary";
    case CType::kList: return "list";
    case CType::kSet: return "set";
    case CType::kMap: return "map";
    case CType::kStruct: return "struct";
  }
  return "?";
}

class Decoder {
 public:
  Decoder(const uint8_t* data, size_t size, DecodedBatch& out) : r_(data, size), out_(out) {}

  bool message() {
    out_.message = r_.read_message_begin();
    if (!check_reader("message header")) return false;
    if (out_.message.name != kEmitBatchMethod) {
      return fail("method is \"" + std::string(out_.message.name) + "\", expected \"emitBatch\"");
    }
    if (out_.message.type != MessageType::kOneway && out_.message.type != MessageType::kCall) {
      return fail("message type " + std::to_string(static_cast<int>(out_.message.type)) +
                  " is neither ONEWAY nor CALL");
    }
    bool has_batch = false;
    r_.struct_begin();
    for (;;) {
      const FieldHeader f = r_.read_field_header();
      if (f.stop) break;
      if (f.id == 1) {
        if (!expect(f, CType::kStruct, "emitBatch_args.batch") || !batch()) return false;
        has_batch = true;
      } else {
        r_.skip(f.type);
      }
    }
    r_.struct_end();
    if (!check_reader("emitBatch_args")) return false;
    if (!has_batch) return fail("emitBatch_args lacks required field batch (1)");
    if (r_.remaining() != 0) {
      return fail(std::to_string(r_.remaining()) + " bytes left over after the message");
    }
    return true;
  }

  bool single_span(Span& span) {
    if (!this->span(span)) return false;
    if (r_.remaining() != 0) {
      return fail(std::to_string(r_.remaining()) + " bytes left over after the span");
    }
    return true;
  }

  const std::string& error() const { return error_; }

 private:
  bool batch() {
    bool has_process = false;
    bool has_spans = false;
    r_.struct_begin();
    for (;;) {
      const FieldHeader f = r_.read_field_header();
      if (f.stop) break;
      switch (f.id) {
        case 1:
          if (!expect(f, CType::kStruct, "Batch.process") || !process()) return false;
          has_process = true;
          break;
        case 2: {
          if (!expect(f, CType::kList, "Batch.spans")) return false;
          const ListHeader h = list_of(CType::kStruct, "Batch.spans");
          if (!r_.ok()) return false;
          for (uint32_t i = 0; i < h.count; ++i) {
            if (out_.spans.size() == out_.spans.capacity()) return fail("too many spans");
            Span s;
            if (!span(s)) return false;
            out_.spans.push_back(s);
          }
          has_spans = true;
          break;
        }
        case 3:
          if (!expect(f, CType::kI64, "Batch.seqNo")) return false;
          out_.seq_no = r_.read_i64();
          out_.has_seq_no = true;
          break;
        case 4:
          if (!expect(f, CType::kStruct, "Batch.stats") || !client_stats()) return false;
          out_.has_stats = true;
          break;
        default: r_.skip(f.type);
      }
    }
    r_.struct_end();
    if (!check_reader("Batch")) return false;
    if (!has_process) return fail("Batch lacks required field process (1)");
    if (!has_spans) return fail("Batch lacks required field spans (2)");
    return true;
  }

  bool process() {
    bool has_name = false;
    r_.struct_begin();
    for (;;) {
      const FieldHeader f = r_.read_field_header();
      if (f.stop) break;
      if (f.id == 1) {
        if (!expect(f, CType::kBinary, "Process.serviceName")) return false;
        out_.process.service_name = r_.read_binary();
        has_name = true;
      } else if (f.id == 2) {
        if (!expect(f, CType::kList, "Process.tags") || !tags(out_.process.tags, "Process.tags")) {
          return false;
        }
      } else {
        r_.skip(f.type);
      }
    }
    r_.struct_end();
    if (!check_reader("Process")) return false;
    if (!has_name) return fail("Process lacks required field serviceName (1)");
    return true;
  }

  bool client_stats() {
    unsigned seen = 0;
    r_.struct_begin();
    for (;;) {
      const FieldHeader f = r_.read_field_header();
      if (f.stop) break;
      int64_t* target = f.id == 1   ? &out_.stats.full_queue_dropped_spans
                        : f.id == 2 ? &out_.stats.too_large_dropped_spans
                        : f.id == 3 ? &out_.stats.failed_to_emit_spans
                                    : nullptr;
      if (target == nullptr) {
        r_.skip(f.type);
        continue;
      }
      if (!expect(f, CType::kI64, "ClientStats field")) return false;
      *target = r_.read_i64();
      seen |= 1u << f.id;
    }
    r_.struct_end();
    if (!check_reader("ClientStats")) return false;
    if (seen != 0xEu) return fail("ClientStats lacks a required field (1, 2 and 3 are required)");
    return true;
  }

  bool span(Span& s) {
    s = Span{};
    unsigned seen = 0;
    r_.struct_begin();
    for (;;) {
      const FieldHeader f = r_.read_field_header();
      if (f.stop) break;
      switch (f.id) {
        case 1:
        case 2:
        case 3:
        case 4: {
          if (!expect(f, CType::kI64, "Span id field")) return false;
          const uint64_t v = static_cast<uint64_t>(r_.read_i64());
          (f.id == 1 ? s.trace_id_low : f.id == 2 ? s.trace_id_high : f.id == 3 ? s.span_id : s.parent_span_id) = v;
          break;
        }
        case 5:
          if (!expect(f, CType::kBinary, "Span.operationName")) return false;
          s.operation_name = r_.read_binary();
          break;
        case 6:
          if (!expect(f, CType::kList, "Span.references") || !references(s.references)) return false;
          break;
        case 7:
          if (!expect(f, CType::kI32, "Span.flags")) return false;
          s.flags = r_.read_i32();
          break;
        case 8:
        case 9:
          if (!expect(f, CType::kI64, f.id == 8 ? "Span.startTime" : "Span.duration")) return false;
          (f.id == 8 ? s.start_time_us : s.duration_us) = r_.read_i64();
          break;
        case 10:
          if (!expect(f, CType::kList, "Span.tags") || !tags(s.tags, "Span.tags")) return false;
          lift_dropped_counts(s);
          break;
        case 11:
          if (!expect(f, CType::kList, "Span.logs") || !logs(s.logs)) return false;
          break;
        default:
          r_.skip(f.type);
          continue;
      }
      seen |= 1u << f.id;
    }
    r_.struct_end();
    if (!check_reader("Span")) return false;
    constexpr unsigned kRequired = (1u << 1) | (1u << 2) | (1u << 3) | (1u << 4) | (1u << 5) |
                                   (1u << 7) | (1u << 8) | (1u << 9);
    if ((seen & kRequired) != kRequired) {
      for (int id = 1; id <= 9; ++id) {
        if ((kRequired & (1u << id)) != 0 && (seen & (1u << id)) == 0) {
          return fail("Span lacks required field " + std::to_string(id));
        }
      }
    }
    return true;
  }

  // The encoder writes a span's dropped counts as trailing otel.dropped_* LONG tags; turn
  // them back into counts so decode(encode(span)) == span.
  static void lift_dropped_counts(Span& s) {
    while (!s.tags.empty()) {
      const Tag& t = s.tags[s.tags.size - 1];
      if (t.type != TagType::kLong || t.vlong <= 0 || t.vlong > UINT32_MAX) return;
      uint32_t* target = t.key == kDroppedTagsKey         ? &s.dropped_tags
                         : t.key == kDroppedLogsKey       ? &s.dropped_logs
                         : t.key == kDroppedReferencesKey ? &s.dropped_references
                                                          : nullptr;
      if (target == nullptr || *target != 0) return;
      *target = static_cast<uint32_t>(t.vlong);
      --s.tags.size;
    }
  }

  bool references(Slice<SpanRef>& out) {
    const ListHeader h = list_of(CType::kStruct, "Span.references");
    if (!r_.ok()) return false;
    out.data = out_.ref_storage.data() + out_.ref_storage.size();
    out.size = h.count;
    for (uint32_t i = 0; i < h.count; ++i) {
      if (out_.ref_storage.size() == out_.ref_storage.capacity()) return fail("too many references");
      SpanRef ref;
      unsigned seen = 0;
      r_.struct_begin();
      for (;;) {
        const FieldHeader f = r_.read_field_header();
        if (f.stop) break;
        if (f.id == 1) {
          if (!expect(f, CType::kI32, "SpanRef.refType")) return false;
          ref.type = static_cast<RefType>(r_.read_i32());
        } else if (f.id >= 2 && f.id <= 4) {
          if (!expect(f, CType::kI64, "SpanRef id field")) return false;
          const uint64_t v = static_cast<uint64_t>(r_.read_i64());
          (f.id == 2 ? ref.trace_id_low : f.id == 3 ? ref.trace_id_high : ref.span_id) = v;
        } else {
          r_.skip(f.type);
          continue;
        }
        seen |= 1u << f.id;
      }
      r_.struct_end();
      if (!check_reader("SpanRef")) return false;
      if (seen != 0x1Eu) return fail("SpanRef lacks a required field (1-4 are required)");
      out_.ref_storage.push_back(ref);
    }
    return true;
  }

  bool logs(Slice<Log>& out) {
    const ListHeader h = list_of(CType::kStruct, "Span.logs");
    if (!r_.ok()) return false;
    // Log fields go into tag_storage while the logs are read, so collect the logs first
    // and give them their place in log_storage at the end, contiguous.
    const size_t first = out_.log_storage.size();
    for (uint32_t i = 0; i < h.count; ++i) {
      if (out_.log_storage.size() == out_.log_storage.capacity()) return fail("too many logs");
      Log log;
      unsigned seen = 0;
      r_.struct_begin();
      for (;;) {
        const FieldHeader f = r_.read_field_header();
        if (f.stop) break;
        if (f.id == 1) {
          if (!expect(f, CType::kI64, "Log.timestamp")) return false;
          log.timestamp_us = r_.read_i64();
        } else if (f.id == 2) {
          if (!expect(f, CType::kList, "Log.fields") || !tags(log.fields, "Log.fields")) return false;
        } else {
          r_.skip(f.type);
          continue;
        }
        seen |= 1u << f.id;
      }
      r_.struct_end();
      if (!check_reader("Log")) return false;
      if (seen != 0x6u) return fail("Log lacks a required field (timestamp and fields are required)");
      out_.log_storage.push_back(log);
    }
    out.data = out_.log_storage.data() + first;
    out.size = h.count;
    return true;
  }

  bool tags(Slice<Tag>& out, const char* what) {
    const ListHeader h = list_of(CType::kStruct, what);
    if (!r_.ok()) return false;
    out.data = out_.tag_storage.data() + out_.tag_storage.size();
    out.size = h.count;
    for (uint32_t i = 0; i < h.count; ++i) {
      if (out_.tag_storage.size() == out_.tag_storage.capacity()) return fail("too many tags");
      Tag t;
      unsigned seen = 0;
      r_.struct_begin();
      for (;;) {
        const FieldHeader f = r_.read_field_header();
        if (f.stop) break;
        switch (f.id) {
          case 1:
            if (!expect(f, CType::kBinary, "Tag.key")) return false;
            t.key = r_.read_binary();
            break;
          case 2:
            if (!expect(f, CType::kI32, "Tag.vType")) return false;
            t.type = static_cast<TagType>(r_.read_i32());
            break;
          case 3:
          case 7:
            if (!expect(f, CType::kBinary, f.id == 3 ? "Tag.vStr" : "Tag.vBinary")) return false;
            t.str = r_.read_binary();
            break;
          case 4:
            if (!expect(f, CType::kDouble, "Tag.vDouble")) return false;
            t.vdouble = r_.read_double();
            break;
          case 5:
            if (!expect(f, CType::kBoolTrue, "Tag.vBool")) return false;
            t.vbool = f.bool_value;
            break;
          case 6:
            if (!expect(f, CType::kI64, "Tag.vLong")) return false;
            t.vlong = r_.read_i64();
            break;
          default:
            r_.skip(f.type);
            continue;
        }
        seen |= 1u << f.id;
      }
      r_.struct_end();
      if (!check_reader("Tag")) return false;
      if ((seen & 0x6u) != 0x6u) return fail("Tag lacks a required field (key and vType are required)");
      const int type = static_cast<int>(t.type);
      if (type < 0 || type > 4) return fail("Tag.vType " + std::to_string(type) + " is not a TagType");
      // Exactly the value field vType names (3 + vType) must be present.
      if ((seen & ~0x6u) != (1u << (3 + type))) {
        return fail("Tag \"" + std::string(t.key) + "\" does not carry exactly the value its vType names");
      }
      out_.tag_storage.push_back(t);
    }
    return true;
  }

  ListHeader list_of(CType element, const char* what) {
    const ListHeader h = r_.read_list_header();
    if (r_.ok() && h.element != element) {
      fail(std::string(what) + ": list of " + type_name(h.element) + ", expected list of " +
           type_name(element));
      return {};
    }
    check_reader(what);
    return h;
  }

  bool expect(const FieldHeader& f, CType type, const char* what) {
    const bool is_bool = f.type == CType::kBoolTrue || f.type == CType::kBoolFalse;
    const bool want_bool = type == CType::kBoolTrue || type == CType::kBoolFalse;
    if (is_bool == want_bool && (is_bool || f.type == type)) return true;
    return fail(std::string(what) + " (field " + std::to_string(f.id) + ") has type " +
                type_name(f.type) + ", expected " + type_name(type));
  }

  bool check_reader(const char* where) {
    if (r_.ok()) return true;
    return fail(std::string(to_string(r_.error())) + " in " + where);
  }

  bool fail(const std::string& why) {
    if (error_.empty()) error_ = why + " (at byte " + std::to_string(r_.position()) + ")";
    return false;
  }

  CompactReader r_;
  DecodedBatch& out_;
  std::string error_;
};

void reset_storage(DecodedBatch& b, size_t input_size) {
  b.message = MessageHeader{};
  b.process = Process{};
  b.has_seq_no = false;
  b.seq_no = 0;
  b.has_stats = false;
  b.stats = ClientStats{};
  b.spans.clear();
  b.tag_storage.clear();
  b.log_storage.clear();
  b.ref_storage.clear();
  b.spans.reserve(input_size / kMinSpanSize + 1);
  b.tag_storage.reserve(input_size / kMinTagSize + 1);
  b.log_storage.reserve(input_size / kMinLogSize + 1);
  b.ref_storage.reserve(input_size / kMinSpanRefSize + 1);
}

}  // namespace

bool decode_emit_batch(const uint8_t* data, size_t size, DecodedBatch& out, std::string* error) {
  reset_storage(out, size);
  Decoder d(data, size, out);
  if (d.message()) return true;
  if (error != nullptr) *error = d.error();
  return false;
}

bool decode_span(std::string_view bytes, DecodedBatch& storage, Span& out, std::string* error) {
  reset_storage(storage, bytes.size());
  Decoder d(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), storage);
  if (d.single_span(out)) return true;
  if (error != nullptr) *error = d.error();
  return false;
}

}  // namespace litetrace::detail
