// Two services, one trace: "frontend" calls "inventory" over a real HTTP request on
// loopback, passing the trace context in the request headers (W3C traceparent by default;
// OTEL_PROPAGATORS picks others, e.g. "jaeger" or "b3multi").
//
//   frontend:  checkout (server) -> GET /stock (client) --HTTP-->
//   inventory:                      GET /stock (server) -> db.query
//
// Each service has its own TracerProvider, as two programs would. Both send to the agent
// the OTEL_EXPORTER_JAEGER_AGENT_* variables name (default localhost:6831); watch with
// Jaeger or `./build/tools/litetrace-dump --traces`.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <litetrace/environment.h>
#include <litetrace/propagation.h>
#include <litetrace/trace.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

// ---- just enough HTTP/1.1 for the example ----

std::string read_head(int fd) {
  std::string data;
  char buf[1024];
  while (data.find("\r\n\r\n") == std::string::npos) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    data.append(buf, static_cast<size_t>(n));
  }
  return data.substr(0, data.find("\r\n\r\n"));
}

// "Name: value" lines after the first line of a request or response head.
Headers parse_headers(const std::string& head) {
  Headers headers;
  size_t pos = head.find("\r\n");
  while (pos != std::string::npos) {
    const size_t start = pos + 2;
    const size_t end = head.find("\r\n", start);
    const std::string line = head.substr(start, end == std::string::npos ? std::string::npos : end - start);
    const size_t colon = line.find(':');
    if (colon != std::string::npos) {
      const size_t value = line.find_first_not_of(' ', colon + 1);
      headers.emplace_back(line.substr(0, colon), value == std::string::npos ? "" : line.substr(value));
    }
    pos = end;
  }
  return headers;
}

// ---- inventory: answers one request ----

void serve_inventory(int listener, const litetrace::TracerProvider& provider, litetrace::Tracer tracer) {
  const int fd = ::accept(listener, nullptr, nullptr);
  if (fd < 0) return;
  const std::string head = read_head(fd);
  // The caller's context becomes the parent of this service's span.
  const litetrace::PropagationContext incoming =
      litetrace::extract_from(provider.propagator(), parse_headers(head));
  litetrace::StartSpanOptions options;
  options.kind = litetrace::SpanKind::kServer;
  options.parent = incoming.span_context;
  litetrace::Span server = tracer.start_span("GET /stock", {{"http.method", "GET"}, {"http.target", "/stock"}}, {},
                                             options);
  {
    litetrace::Scope scope(server);
    litetrace::Span query = tracer.start_span("db.query", {{"db.system", "sqlite"}});
    query.set_attribute("db.statement", "SELECT count FROM stock WHERE sku = ?");
  }
  const std::string body = "{\"sku\":\"A-42\",\"stock\":7}";
  const std::string response = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                               std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
  ::send(fd, response.data(), response.size(), MSG_NOSIGNAL);
  server.set_attribute("http.status_code", 200);
  ::close(fd);
}

// ---- frontend: makes the call ----

int call_inventory(uint16_t port, const litetrace::TracerProvider& provider, litetrace::Tracer tracer) {
  litetrace::StartSpanOptions options;
  options.kind = litetrace::SpanKind::kClient;
  litetrace::Span client = tracer.start_span("GET /stock", {{"http.method", "GET"}, {"net.peer.port", port}}, {},
                                             options);
  Headers headers;
  litetrace::inject_into(provider.propagator(), litetrace::PropagationContext(client.context()), headers);
  std::string request = "GET /stock HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) + "\r\n";
  for (const auto& [name, value] : headers) request += name + ": " + value + "\r\n";
  request += "Connection: close\r\n\r\n";

  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    client.set_status(litetrace::StatusCode::kError, "connect failed");
    ::close(fd);
    return -1;
  }
  ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  const std::string head = read_head(fd);
  ::close(fd);
  const int status = head.size() > 12 ? std::atoi(head.c_str() + 9) : -1;  // "HTTP/1.1 200 OK"
  client.set_attribute("http.status_code", status);
  if (status != 200) client.set_status(litetrace::StatusCode::kError, "HTTP " + std::to_string(status));
  std::printf("frontend: sent %s", request.c_str());
  return status;
}

litetrace::TracerProviderOptions service(const char* name) {
  litetrace::TracerProviderOptions options = litetrace::options_from_environment();
  options.service_name = name;  // code wins over OTEL_SERVICE_NAME: two services here
  return options;
}

}  // namespace

int main() {
  litetrace::TracerProvider frontend(service("frontend"));
  litetrace::TracerProvider inventory(service("inventory"));

  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listener, 1) != 0 ||
      ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    std::perror("two_services: listen");
    return 1;
  }
  const uint16_t port = ntohs(addr.sin_port);
  std::thread server(serve_inventory, listener, std::cref(inventory), inventory.tracer("inventory.http", "1.0"));

  std::string trace_id;
  int status = 0;
  {
    litetrace::Tracer tracer = frontend.tracer("frontend.http", "1.0");
    litetrace::StartSpanOptions options;
    options.kind = litetrace::SpanKind::kServer;
    litetrace::Span checkout = tracer.start_span("checkout", {{"cart.items", 3}}, {}, options);
    trace_id = checkout.context().trace_id_hex();
    litetrace::Scope scope(checkout);  // the client span below is its child
    status = call_inventory(port, frontend, tracer);
  }
  server.join();
  ::close(listener);

  const bool sent = frontend.shutdown() && inventory.shutdown();
  std::printf("inventory answered HTTP %d\n", status);
  std::printf("Trace id:  %s (4 spans: 2 from frontend, 2 from inventory, sent to %s)\n", trace_id.c_str(),
              frontend.agent_address().empty() ? "nowhere" : frontend.agent_address().c_str());
  std::printf("Jaeger UI: http://localhost:16686/trace/%s\n", trace_id.c_str());
  return sent && status == 200 ? 0 : 1;
}
