#include "http_request.h"

#include <cctype>
#include <cstdint>

namespace litetrace::tools {
namespace {

constexpr size_t kMaxChunkLine = 1024;

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7F || std::string_view("\"(),/:;<=>?@[\\]{}").find(c) != std::string_view::npos) {
      return false;
    }
  }
  return true;
}

// Whether a comma-separated header value holds `token` (case-insensitive).
bool has_token(std::string_view list, std::string_view token) {
  const std::string l = lower(list);
  size_t start = 0;
  while (start <= l.size()) {
    size_t comma = l.find(',', start);
    if (comma == std::string::npos) comma = l.size();
    if (trim(std::string_view(l).substr(start, comma - start)) == token) return true;
    start = comma + 1;
  }
  return false;
}

// The line at `pos` without its "\r\n" (or bare "\n"); npos in `next` when it has not all
// arrived.
std::string_view line_at(std::string_view input, size_t pos, size_t& next) {
  const size_t nl = input.find('\n', pos);
  if (nl == std::string_view::npos) {
    next = std::string_view::npos;
    return {};
  }
  next = nl + 1;
  std::string_view line = input.substr(pos, nl - pos);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

struct Failure {
  int& status;
  std::string& error;
  HttpParse operator()(int code, std::string why) const {
    status = code;
    error = std::move(why);
    return HttpParse::kError;
  }
};

// Walks a chunked body starting at `pos`. kComplete with `end` just past the trailers (and
// the data appended to `body` when it is given); kIncomplete when more must arrive.
HttpParse walk_chunks(std::string_view input, size_t pos, const HttpParseLimits& limits, std::string* body,
                      size_t& end, const Failure& fail) {
  size_t total = 0;
  for (;;) {
    size_t next = 0;
    const std::string_view line = line_at(input, pos, next);
    if (next == std::string_view::npos) {
      return input.size() - pos > kMaxChunkLine ? fail(400, "a chunk-size line is longer than 1 KiB")
                                                : HttpParse::kIncomplete;
    }
    if (next - pos > kMaxChunkLine) return fail(400, "a chunk-size line is longer than 1 KiB");
    const std::string_view size_text = trim(line.substr(0, line.find(';')));  // extensions ignored
    if (size_text.empty() || size_text.size() > 16) return fail(400, "bad chunk size \"" + std::string(line) + "\"");
    uint64_t size = 0;
    for (const char c : size_text) {
      if (!std::isxdigit(static_cast<unsigned char>(c))) return fail(400, "bad chunk size \"" + std::string(line) + "\"");
      size = size * 16 + static_cast<uint64_t>(std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : (c | 0x20) - 'a' + 10);
    }
    if (size > limits.max_body - total) {
      return fail(413, "the chunked body is larger than " + std::to_string(limits.max_body) + " bytes");
    }
    pos = next;
    if (size == 0) break;
    const auto n = static_cast<size_t>(size);  // within max_body, checked above
    if (input.size() - pos < n + 1) return HttpParse::kIncomplete;
    if (body != nullptr) body->append(input.substr(pos, n));
    total += n;
    pos += n;
    const std::string_view after = line_at(input, pos, next);
    if (next == std::string_view::npos) return input.size() - pos >= 2 ? fail(400, "chunk data is longer than its size") : HttpParse::kIncomplete;
    if (!after.empty()) return fail(400, "chunk data is longer than its size");
    pos = next;
  }
  // Trailers, up to an empty line.
  const size_t trailers = pos;
  for (;;) {
    size_t next = 0;
    const std::string_view line = line_at(input, pos, next);
    if (next == std::string_view::npos || next - trailers > limits.max_head) {
      return input.size() - trailers > limits.max_head ? fail(431, "the trailers are larger than " +
                                                                       std::to_string(limits.max_head) + " bytes")
                                                       : HttpParse::kIncomplete;
    }
    pos = next;
    if (line.empty()) break;
  }
  end = pos;
  return HttpParse::kComplete;
}

}  // namespace

std::string_view HttpRequest::header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (n == name) return v;
  }
  return {};
}

HttpParse parse_http_request(std::string_view input, const HttpParseLimits& limits, HttpRequest& out,
                             size_t& consumed, int& status, std::string& error) {
  const Failure fail{status, error};
  out = HttpRequest{};
  consumed = 0;
  // The head: request line and header lines up to an empty line. Empty lines before the
  // request line are skipped, as RFC 9112 section 2.2 allows.
  size_t pos = 0;
  size_t next = 0;
  std::string_view request_line;
  for (;;) {
    request_line = line_at(input, pos, next);
    if (next == std::string_view::npos || !request_line.empty()) break;
    pos = next;
  }
  std::vector<std::string_view> lines;
  while (next != std::string_view::npos) {
    const std::string_view line = line_at(input, next, next);
    if (next != std::string_view::npos && line.empty()) break;
    lines.push_back(line);
  }
  if (next == std::string_view::npos || next > limits.max_head) {
    return input.size() > limits.max_head
               ? fail(431, "the request head is larger than " + std::to_string(limits.max_head) + " bytes")
               : HttpParse::kIncomplete;
  }
  const size_t head_end = next;

  const size_t sp1 = request_line.find(' ');
  const size_t sp2 = sp1 == std::string_view::npos ? sp1 : request_line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || request_line.find(' ', sp2 + 1) != std::string_view::npos) {
    return fail(400, "bad request line \"" + std::string(request_line.substr(0, 200)) + "\"");
  }
  out.method = std::string(request_line.substr(0, sp1));
  out.target = std::string(request_line.substr(sp1 + 1, sp2 - sp1 - 1));
  out.version = std::string(request_line.substr(sp2 + 1));
  if (!is_token(out.method) || out.target.empty()) {
    return fail(400, "bad request line \"" + std::string(request_line.substr(0, 200)) + "\"");
  }
  if (out.version != "HTTP/1.1" && out.version != "HTTP/1.0") {
    return fail(505, "HTTP version \"" + out.version.substr(0, 20) + "\" is not supported (HTTP/1.1 is)");
  }
  for (std::string_view line : lines) {
    const size_t colon = line.find(':');
    if (line.front() == ' ' || line.front() == '\t') return fail(400, "obsolete header line folding");
    if (colon == std::string_view::npos || !is_token(line.substr(0, colon))) {
      return fail(400, "bad header line \"" + std::string(line.substr(0, 200)) + "\"");
    }
    out.headers.emplace_back(lower(line.substr(0, colon)), std::string(trim(line.substr(colon + 1))));
  }

  const std::string_view connection = out.header("connection");
  out.keep_alive = out.version == "HTTP/1.1" ? !has_token(connection, "close") : has_token(connection, "keep-alive");
  out.expects_continue = lower(out.header("expect")) == "100-continue";

  bool chunked = false;
  bool has_length = false;
  uint64_t length = 0;
  for (const auto& [name, value] : out.headers) {
    if (name == "transfer-encoding") {
      if (lower(value) != "chunked" || chunked) {
        return fail(501, "transfer coding \"" + value.substr(0, 100) + "\" is not supported (chunked is)");
      }
      chunked = true;
    } else if (name == "content-length") {
      if (value.empty() || value.size() > 18 || value.find_first_not_of("0123456789") != std::string::npos ||
          (has_length && std::stoull(value) != length)) {
        return fail(400, "bad Content-Length \"" + value.substr(0, 100) + "\"");
      }
      has_length = true;
      length = std::stoull(value);
    }
  }
  if (chunked && has_length) return fail(400, "both Content-Length and Transfer-Encoding: chunked");
  if (length > limits.max_body) {
    return fail(413, "the body of " + std::to_string(length) + " bytes is larger than " +
                         std::to_string(limits.max_body));
  }

  if (chunked) {
    size_t end = 0;
    const HttpParse walked = walk_chunks(input, head_end, limits, nullptr, end, fail);
    if (walked == HttpParse::kError) return walked;
    if (walked == HttpParse::kIncomplete) return HttpParse::kHeadComplete;
    walk_chunks(input, head_end, limits, &out.body, end, fail);
    consumed = end;
    return HttpParse::kComplete;
  }
  const auto n = static_cast<size_t>(length);  // within max_body, checked above
  if (input.size() - head_end < n) return HttpParse::kHeadComplete;
  out.body = std::string(input.substr(head_end, n));
  consumed = head_end + n;
  return HttpParse::kComplete;
}

}  // namespace litetrace::tools
