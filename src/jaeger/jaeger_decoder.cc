#include "jaeger/jaeger_decoder.h"

#include <cstdio>

#include "jaeger/binary_reader.h"
#include "jaeger/jaeger_encoder.h"

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

// One decoder for both protocols: the readers share an interface (binary_reader.h).
template <typename Reader>
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
    const bool ok = fields("emitBatch_args", required(1), [&](const FieldHeader& f) {
      if (f.id != 1) return Field::kUnknown;
      return read_if(expect(f, CType::kStruct, "emitBatch_args.batch") && batch());
    });
    if (!ok) return false;
    if (r_.remaining() != 0) return fail(std::to_string(r_.remaining()) + " bytes left over after the message");
    return true;
  }

  // A bare Batch struct, all of the input (the collector's HTTP body).
  bool bare_batch() {
    if (!batch()) return false;
    if (r_.remaining() != 0) return fail(std::to_string(r_.remaining()) + " bytes left over after the Batch");
    return true;
  }

  bool single_span(Span& s) {
    if (!span(s)) return false;
    if (r_.remaining() != 0) return fail(std::to_string(r_.remaining()) + " bytes left over after the span");
    return true;
  }

  const std::string& error() const { return error_; }

 private:
  enum class Field { kRead, kUnknown, kFailed };
  static Field read_if(bool ok) { return ok ? Field::kRead : Field::kFailed; }
  template <typename... Ids>
  static constexpr unsigned required(Ids... ids) {
    return ((1u << ids) | ...);
  }

  // Reads one struct's fields: `on_field` reads the ones it knows, the rest are skipped
  // (a newer client may send more). Then every field in `required_ids` must have come.
  template <typename OnField>
  bool fields(const char* name, unsigned required_ids, OnField on_field) {
    unsigned seen = 0;
    r_.struct_begin();
    for (;;) {
      const FieldHeader f = r_.read_field_header();
      if (f.stop) break;
      const Field result = on_field(f);
      if (result == Field::kFailed) return false;
      if (result == Field::kUnknown) {
        // A bool field's value came with its header: there is nothing more to step over.
        if (f.type != CType::kBoolTrue && f.type != CType::kBoolFalse) r_.skip(f.type);
      } else if (f.id > 0 && f.id < 32) {
        seen |= 1u << f.id;
      }
    }
    r_.struct_end();
    if (!check_reader(name)) return false;
    last_seen_ = seen;
    for (int id = 1; id < 32; ++id) {
      if ((required_ids & (1u << id)) != 0 && (seen & (1u << id)) == 0) {
        return fail(std::string(name) + " lacks required field " + std::to_string(id));
      }
    }
    return true;
  }

  // A list<struct> whose elements go, contiguous, into `storage` (reserved up front, never
  // grown here, so earlier views stay valid).
  template <typename T, typename ReadOne>
  bool struct_list(const char* what, std::vector<T>& storage, Slice<T>* out, ReadOne read_one) {
    const ListHeader h = list_of(CType::kStruct, what);
    if (!r_.ok()) return false;
    const size_t first = storage.size();
    for (uint32_t i = 0; i < h.count; ++i) {
      if (storage.size() == storage.capacity()) return fail(std::string("too many elements in ") + what);
      T item{};
      if (!read_one(item)) return false;
      storage.push_back(item);
    }
    if (out != nullptr) *out = {storage.data() + first, h.count};
    return true;
  }

  bool batch() {
    return fields("Batch", required(1, 2), [&](const FieldHeader& f) {
      switch (f.id) {
        case 1: return read_if(expect(f, CType::kStruct, "Batch.process") && process());
        case 2:
          return read_if(expect(f, CType::kList, "Batch.spans") &&
                         struct_list("Batch.spans", out_.spans, static_cast<Slice<Span>*>(nullptr),
                                     [&](Span& s) { return span(s); }));
        case 3:
          if (!expect(f, CType::kI64, "Batch.seqNo")) return Field::kFailed;
          out_.seq_no = r_.read_i64();
          out_.has_seq_no = true;
          return Field::kRead;
        case 4:
          out_.has_stats = true;
          return read_if(expect(f, CType::kStruct, "Batch.stats") && client_stats());
        default: return Field::kUnknown;
      }
    });
  }

  bool process() {
    return fields("Process", required(1), [&](const FieldHeader& f) {
      switch (f.id) {
        case 1:
          if (!expect(f, CType::kBinary, "Process.serviceName")) return Field::kFailed;
          out_.process.service_name = r_.read_binary();
          return Field::kRead;
        case 2: return read_if(expect(f, CType::kList, "Process.tags") && tags("Process.tags", &out_.process.tags));
        default: return Field::kUnknown;
      }
    });
  }

  bool client_stats() {
    ClientStats& st = out_.stats;
    return fields("ClientStats", required(1, 2, 3), [&](const FieldHeader& f) {
      int64_t* target = f.id == 1   ? &st.full_queue_dropped_spans
                        : f.id == 2 ? &st.too_large_dropped_spans
                        : f.id == 3 ? &st.failed_to_emit_spans
                                    : nullptr;
      if (target == nullptr) return Field::kUnknown;
      if (!expect(f, CType::kI64, "ClientStats field")) return Field::kFailed;
      *target = r_.read_i64();
      return Field::kRead;
    });
  }

  bool span(Span& s) {
    s = Span{};
    return fields("Span", required(1, 2, 3, 4, 5, 7, 8, 9), [&](const FieldHeader& f) {
      switch (f.id) {
        case 1:
        case 2:
        case 3:
        case 4: {
          if (!expect(f, CType::kI64, "Span id field")) return Field::kFailed;
          const uint64_t v = static_cast<uint64_t>(r_.read_i64());
          (f.id == 1 ? s.trace_id_low : f.id == 2 ? s.trace_id_high : f.id == 3 ? s.span_id : s.parent_span_id) = v;
          return Field::kRead;
        }
        case 5:
          if (!expect(f, CType::kBinary, "Span.operationName")) return Field::kFailed;
          s.operation_name = r_.read_binary();
          return Field::kRead;
        case 6:
          return read_if(expect(f, CType::kList, "Span.references") &&
                         struct_list("Span.references", out_.ref_storage, &s.references,
                                     [&](SpanRef& ref) { return span_ref(ref); }));
        case 7:
          if (!expect(f, CType::kI32, "Span.flags")) return Field::kFailed;
          s.flags = r_.read_i32();
          return Field::kRead;
        case 8:
        case 9:
          if (!expect(f, CType::kI64, f.id == 8 ? "Span.startTime" : "Span.duration")) return Field::kFailed;
          (f.id == 8 ? s.start_time_us : s.duration_us) = r_.read_i64();
          return Field::kRead;
        case 10:
          if (!expect(f, CType::kList, "Span.tags") || !tags("Span.tags", &s.tags)) return Field::kFailed;
          lift_dropped_counts(s);
          return Field::kRead;
        case 11:
          return read_if(expect(f, CType::kList, "Span.logs") &&
                         struct_list("Span.logs", out_.log_storage, &s.logs, [&](Log& log) { return this->log(log); }));
        default: return Field::kUnknown;
      }
    });
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

  bool span_ref(SpanRef& ref) {
    return fields("SpanRef", required(1, 2, 3, 4), [&](const FieldHeader& f) {
      if (f.id == 1) {
        if (!expect(f, CType::kI32, "SpanRef.refType")) return Field::kFailed;
        ref.type = static_cast<RefType>(r_.read_i32());
        return Field::kRead;
      }
      if (f.id < 2 || f.id > 4) return Field::kUnknown;
      if (!expect(f, CType::kI64, "SpanRef id field")) return Field::kFailed;
      const uint64_t v = static_cast<uint64_t>(r_.read_i64());
      (f.id == 2 ? ref.trace_id_low : f.id == 3 ? ref.trace_id_high : ref.span_id) = v;
      return Field::kRead;
    });
  }

  bool log(Log& log) {
    return fields("Log", required(1, 2), [&](const FieldHeader& f) {
      if (f.id == 1) {
        if (!expect(f, CType::kI64, "Log.timestamp")) return Field::kFailed;
        log.timestamp_us = r_.read_i64();
        return Field::kRead;
      }
      if (f.id != 2) return Field::kUnknown;
      return read_if(expect(f, CType::kList, "Log.fields") && tags("Log.fields", &log.fields));
    });
  }

  bool tags(const char* what, Slice<Tag>* out) {
    return struct_list(what, out_.tag_storage, out, [&](Tag& t) { return tag(t); });
  }

  bool tag(Tag& t) {
    const bool ok = fields("Tag", required(1, 2), [&](const FieldHeader& f) {
      switch (f.id) {
        case 1:
          if (!expect(f, CType::kBinary, "Tag.key")) return Field::kFailed;
          t.key = r_.read_binary();
          return Field::kRead;
        case 2:
          if (!expect(f, CType::kI32, "Tag.vType")) return Field::kFailed;
          t.type = static_cast<TagType>(r_.read_i32());
          return Field::kRead;
        case 3:
        case 7:
          if (!expect(f, CType::kBinary, f.id == 3 ? "Tag.vStr" : "Tag.vBinary")) return Field::kFailed;
          t.str = r_.read_binary();
          return Field::kRead;
        case 4:
          if (!expect(f, CType::kDouble, "Tag.vDouble")) return Field::kFailed;
          t.vdouble = r_.read_double();
          return Field::kRead;
        case 5:
          if (!expect(f, CType::kBoolTrue, "Tag.vBool")) return Field::kFailed;
          t.vbool = f.bool_value;
          return Field::kRead;
        case 6:
          if (!expect(f, CType::kI64, "Tag.vLong")) return Field::kFailed;
          t.vlong = r_.read_i64();
          return Field::kRead;
        default: return Field::kUnknown;
      }
    });
    if (!ok) return false;
    const int type = static_cast<int>(t.type);
    if (type < 0 || type > 4) return fail("Tag.vType " + std::to_string(type) + " is not a TagType");
    // Exactly the value field vType names (3 + vType) must be present.
    if ((last_seen_ & ~required(1, 2)) != (1u << (3 + type))) {
      return fail("Tag \"" + std::string(t.key) + "\" does not carry exactly the value its vType names");
    }
    return true;
  }

  ListHeader list_of(CType element, const char* what) {
    const ListHeader h = r_.read_list_header();
    if (r_.ok() && h.element != element) {
      fail(std::string(what) + ": list of " + type_name(h.element) + ", expected list of " + type_name(element));
      return {};
    }
    check_reader(what);
    return h;
  }

  bool expect(const FieldHeader& f, CType type, const char* what) {
    const bool is_bool = f.type == CType::kBoolTrue || f.type == CType::kBoolFalse;
    const bool want_bool = type == CType::kBoolTrue || type == CType::kBoolFalse;
    if (is_bool == want_bool && (is_bool || f.type == type)) return true;
    return fail(std::string(what) + " (field " + std::to_string(f.id) + ") has type " + type_name(f.type) +
                ", expected " + type_name(type));
  }

  bool check_reader(const char* where) {
    if (r_.ok()) return true;
    return fail(std::string(to_string(r_.error())) + " in " + where);
  }

  bool fail(const std::string& why) {
    if (error_.empty()) error_ = why + " (at byte " + std::to_string(r_.position()) + ")";
    return false;
  }

  Reader r_;
  DecodedBatch& out_;
  std::string error_;
  unsigned last_seen_ = 0;  // the fields of the struct fields() read last
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
  Decoder<CompactReader> d(data, size, out);
  if (d.message()) return true;
  if (error != nullptr) *error = d.error();
  return false;
}

bool decode_emit_batch_binary(const uint8_t* data, size_t size, DecodedBatch& out, std::string* error) {
  reset_storage(out, size);
  Decoder<BinaryReader> d(data, size, out);
  if (d.message()) return true;
  if (error != nullptr) *error = d.error();
  return false;
}

bool decode_batch_binary(const uint8_t* data, size_t size, DecodedBatch& out, std::string* error) {
  reset_storage(out, size);
  Decoder<BinaryReader> d(data, size, out);
  if (d.bare_batch()) return true;
  if (error != nullptr) *error = d.error();
  return false;
}

namespace {

template <typename Reader>
bool decode_one_span(std::string_view bytes, DecodedBatch& storage, Span& out, std::string* error) {
  reset_storage(storage, bytes.size());
  Decoder<Reader> d(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), storage);
  if (d.single_span(out)) return true;
  if (error != nullptr) *error = d.error();
  return false;
}

}  // namespace

bool decode_span(std::string_view bytes, DecodedBatch& storage, Span& out, std::string* error) {
  return decode_one_span<CompactReader>(bytes, storage, out, error);
}

bool decode_span_binary(std::string_view bytes, DecodedBatch& storage, Span& out, std::string* error) {
  return decode_one_span<BinaryReader>(bytes, storage, out, error);
}

}  // namespace litetrace::detail
