#include "jaeger/owned_span.h"

#include <cstring>
#include <new>
#include <string_view>

#include "core/compiler.h"

namespace litetrace::detail {
namespace {

constexpr size_t round8(size_t n) { return (n + 7) & ~size_t{7}; }

size_t string_bytes(const Tag& t) { return t.key.size() + t.str.size(); }

// Hands out the buffer's bytes in order: arrays first, then strings.
class Arena {
 public:
  explicit Arena(uint8_t* at) : at_(at) {}
  template <typename T>
  T* array(size_t n) {
    T* p = reinterpret_cast<T*>(at_);
    at_ += round8(n * sizeof(T));
    return p;
  }
  std::string_view copy(std::string_view s) {
    if (s.empty()) return {};
    std::memcpy(at_, s.data(), s.size());
    const std::string_view kept(reinterpret_cast<const char*>(at_), s.size());
    at_ += s.size();
    return kept;
  }
  Tag copy(const Tag& t) {
    Tag c = t;
    c.key = copy(t.key);
    c.str = copy(t.str);
    return c;
  }

 private:
  uint8_t* at_;
};

}  // namespace

LITETRACE_COLD void OwnedSpan::assign(const Span& span) {
  size_t arrays = round8(span.references.size * sizeof(SpanRef)) + round8(span.tags.size * sizeof(Tag)) +
                  round8(span.logs.size * sizeof(Log));
  size_t strings = span.operation_name.size();
  for (const Tag& t : span.tags) strings += string_bytes(t);
  for (const Log& log : span.logs) {
    arrays += round8(log.fields.size * sizeof(Tag));
    for (const Tag& t : log.fields) strings += string_bytes(t);
  }
  const size_t words = (arrays + strings + 7) / 8;
  if (buffer_ == nullptr || buffer_words_ < words) {  // what it held is written anew
    buffer_ = make_raw_array<uint64_t>(words);
    buffer_words_ = words;
  }
  Arena arena(reinterpret_cast<uint8_t*>(buffer_.get()));

  span_ = span;
  SpanRef* refs = arena.array<SpanRef>(span.references.size);
  Tag* tags = arena.array<Tag>(span.tags.size);
  Log* logs = arena.array<Log>(span.logs.size);
  for (size_t i = 0; i < span.logs.size; ++i) {
    Tag* fields = arena.array<Tag>(span.logs[i].fields.size);
    new (&logs[i]) Log{span.logs[i].timestamp_us, {fields, span.logs[i].fields.size}};
  }
  for (size_t i = 0; i < span.references.size; ++i) new (&refs[i]) SpanRef(span.references[i]);
  span_.operation_name = arena.copy(span.operation_name);
  for (size_t i = 0; i < span.tags.size; ++i) new (&tags[i]) Tag(arena.copy(span.tags[i]));
  for (size_t i = 0; i < span.logs.size; ++i) {
    Tag* fields = const_cast<Tag*>(logs[i].fields.data);  // this buffer's, placed above
    for (size_t j = 0; j < span.logs[i].fields.size; ++j) new (&fields[j]) Tag(arena.copy(span.logs[i].fields[j]));
  }
  span_.references = {refs, span.references.size};
  span_.tags = {tags, span.tags.size};
  span_.logs = {logs, span.logs.size};
}

}  // namespace litetrace::detail
