#pragma once

// A Jaeger Tag struct body (stop byte included) in either Thrift protocol: the writers
// share an interface (binary_writer.h). Inlined, so that an unchecked compact writer stays
// in registers across a span's tags (jaeger_encoder.cc, record_encoder.cc).

#include <cstdint>

#include "core/compiler.h"
#include "jaeger/jaeger_model.h"

namespace litetrace::detail {

template <typename W>
LITETRACE_ALWAYS_INLINE void write_tag_fields(W& w, const Tag& tag) {
  const int16_t enclosing = w.leaf_struct_begin();
  w.field_binary(/*Tag.key*/ 1, tag.key);
  w.field_i32(/*Tag.vType*/ 2, static_cast<int32_t>(tag.type));
  switch (tag.type) {
    case TagType::kString: w.field_binary(/*Tag.vStr*/ 3, tag.str); break;
    case TagType::kDouble: w.field_double(/*Tag.vDouble*/ 4, tag.vdouble); break;
    case TagType::kBool: w.field_bool(/*Tag.vBool*/ 5, tag.vbool); break;
    case TagType::kLong: w.field_i64(/*Tag.vLong*/ 6, tag.vlong); break;
    case TagType::kBinary: w.field_binary(/*Tag.vBinary*/ 7, tag.str); break;
  }
  w.leaf_struct_end(enclosing);
}

}  // namespace litetrace::detail
