#pragma once

// What the HTTP exporters' tests share: a scripted reply, and the diagnostics a provider
// said, by code.

#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "litetrace/diagnostic.h"
#include "support/http_server.h"

namespace litetrace::test {

// A whole response with this status line and body, the connection kept open after it.
inline TestHttpServer::Reply reply(const std::string& status, const std::string& body = {},
                                   const std::string& more_headers = {}) {
  TestHttpServer::Reply r{"HTTP/1.1 " + status + "\r\n" + more_headers + "Content-Length: " +
                          std::to_string(body.size()) + "\r\n\r\n" + body};
  r.keep_alive = true;
  return r;
}

inline std::string body_of(const std::string& request) { return request.substr(request.find("\r\n\r\n") + 4); }

struct Said {
  std::mutex mutex;
  std::vector<std::pair<DiagnosticCode, std::string>> all;
  DiagnosticCallback callback() {
    return [this](const Diagnostic& d) {
      std::lock_guard<std::mutex> lock(mutex);
      all.emplace_back(d.code, std::string(d.message));
    };
  }
  std::vector<std::string> of(DiagnosticCode code) {
    std::lock_guard<std::mutex> lock(mutex);
    std::vector<std::string> out;
    for (const auto& [c, m] : all) {
      if (c == code) out.push_back(m);
    }
    return out;
  }
};

}  // namespace litetrace::test
