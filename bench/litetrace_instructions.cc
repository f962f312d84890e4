// The workloads bench/instructions.py counts instructions of under valgrind's callgrind.
//
//   litetrace_instructions WORKLOAD SPANS [EXPORTER]
//
// Records SPANS spans, each through one call of the noinline function lt_measured_WORKLOAD
// (callgrind --toggle-collect=lt_measured_* counts those calls alone), then shuts the
// provider down, which exports them. Run at two lengths, the difference divided by the
// difference of lengths is the cost of one span: the first spans of a thread, the
// provider's start and its shutdown cancel out.
//
// WORKLOAD: span2 (start, a string and an int attribute, end), event2 (span2 and an event
// with one attribute), bare (start, end), unsampled (span2 with an always-off sampler),
// child-unsampled (a span and an attribute under an unsampled parent, the default sampler:
// BM_SpanUnsampled), global2 (span2 through global_tracer()), c2 (span2 through the C API),
// noprovider (a global tracer's span and an attribute with no provider installed),
// floor-model (bare, in a model of the least a span can do: span_floor_model.h; it records
// nothing into litetrace). EXPORTER: jaeger (compact Thrift over UDP, the default),
// jaeger-binary (binary Thrift over UDP), jaeger-http, otlp, otlp-json, zipkin, console,
// none. UDP goes to a socket of this process that nobody reads; HTTP to a server thread of
// this process (TestHttpServer, left out of the counts) that answers every request.
// Its ring holds every span, so none is dropped and the batcher's work per span does not
// hang on when it runs; a flush after every kChunk spans keeps an HTTP exporter's request
// queue from filling when its sender falls behind (16 requests of 512 spans).

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "jaeger/compact_writer.h"
#include "litetrace/litetrace.h"
#include "litetrace/sampler.h"
#include "litetrace/trace.h"
#include "span_floor_model.h"
#include "support/http_server.h"

namespace {

int64_t g_counter = 0;
constexpr long kChunk = 4096;

}  // namespace

#define LT_MEASURED extern "C" __attribute__((noinline))

LT_MEASURED void lt_measured_span2(const litetrace::Tracer& tracer) {
  litetrace::Span s = tracer.start_span("operation");
  s.set_attribute("http.method", "GET");
  s.set_attribute("user.id", ++g_counter);
}

// span2 and an event with one attribute: on the batcher, a Jaeger log.
LT_MEASURED void lt_measured_event2(const litetrace::Tracer& tracer) {
  litetrace::Span s = tracer.start_span("operation");
  s.set_attribute("http.method", "GET");
  s.set_attribute("user.id", ++g_counter);
  s.add_event("cache miss", {{"cache.key", "user:42"}});
}

LT_MEASURED void lt_measured_bare(const litetrace::Tracer& tracer) { tracer.start_span("operation").end(); }

LT_MEASURED void lt_measured_floor_model(const litetrace::floor_model::Tracer& tracer) {
  tracer.start_span("operation").end();
}

LT_MEASURED void lt_measured_c2(const litetrace_tracer* tracer) {
  litetrace_span s;
  litetrace_span_start(tracer, &s, "operation", nullptr);
  litetrace_span_set_string(&s, "http.method", "GET");
  litetrace_span_set_int64(&s, "user.id", ++g_counter);
  litetrace_span_end(&s);
}

LT_MEASURED void lt_measured_child_unsampled(const litetrace::Tracer& tracer) {
  litetrace::Span s = tracer.start_span("not sampled");
  s.set_attribute("user.id", 42);
}

LT_MEASURED void lt_measured_noprovider(const litetrace::Tracer& tracer) {
  litetrace::Span s = tracer.start_span("no provider");
  s.set_attribute("user.id", 42);
}

namespace {

int usage() {
  std::fprintf(stderr,
               "usage: litetrace_instructions span2|event2|bare|unsampled|child-unsampled|global2|c2|noprovider|"
               "floor-model SPANS "
               "[jaeger|jaeger-binary|jaeger-http|otlp|otlp-json|zipkin|console|none]\n");
  return 2;
}

// A UDP socket on loopback that nobody reads: datagrams past its buffer are dropped by the
// kernel, and the sender never hears of it.
int unread_udp_socket(uint16_t* port) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return -1;
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  *port = ntohs(a.sin_port);
  return fd;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3 || argc > 4) return usage();
  const std::string workload = argv[1];
  const long spans = std::strtol(argv[2], nullptr, 10);
  const std::string exporter = argc == 4 ? argv[3] : "jaeger";
  if (spans <= 0) return usage();

  litetrace::TracerProviderOptions options;
  options.service_name = "instructions";
  options.ring_bytes_per_thread = size_t{1} << 30;  // every span fits: none dropped
  options.flush_interval = std::chrono::hours(1);   // the batcher sends full packets only
  options.on_diagnostic = [](const litetrace::Diagnostic&) {};
  uint16_t udp_port = 0;
  const int udp = unread_udp_socket(&udp_port);
  if (udp < 0) {
    std::perror("litetrace_instructions: UDP socket");
    return 1;
  }
  options.agent_host = "127.0.0.1";
  options.agent_port = udp_port;
  std::unique_ptr<litetrace::test::TestHttpServer> server;
  const auto http = [&](const std::string& path) {
    server = std::make_unique<litetrace::test::TestHttpServer>();
    server->set_reply({"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", {}, {}, /*keep_alive=*/true});
    return server->url(path);
  };
  if (exporter == "jaeger-binary") {
    options.jaeger_protocol = litetrace::JaegerProtocol::kUdpThriftBinary;
  } else if (exporter == "jaeger-http") {
    options.jaeger_protocol = litetrace::JaegerProtocol::kHttpThriftBinary;
    options.jaeger_endpoint = http("/api/traces");
  } else if (exporter == "otlp" || exporter == "otlp-json") {
    options.exporter = litetrace::TracesExporter::kOtlp;
    if (exporter == "otlp-json") options.otlp_protocol = litetrace::OtlpProtocol::kHttpJson;
    options.otlp_endpoint = http("/v1/traces");
  } else if (exporter == "zipkin") {
    options.exporter = litetrace::TracesExporter::kZipkin;
    options.zipkin_endpoint = http("/api/v2/spans");
  } else if (exporter == "console") {
    options.exporter = litetrace::TracesExporter::kConsole;
  } else if (exporter == "none") {
    options.exporter = litetrace::TracesExporter::kNone;
  } else if (exporter != "jaeger") {
    return usage();
  }
  if (workload == "unsampled") options.sampler = std::make_shared<litetrace::AlwaysOffSampler>();

  auto provider = std::make_shared<litetrace::TracerProvider>(options);
  const litetrace::Tracer tracer = provider->tracer("instructions", "1");
  if (workload == "span2" || workload == "unsampled") {
    for (long i = 0; i < spans; ++i) {
      lt_measured_span2(tracer);
      if ((i + 1) % kChunk == 0) provider->force_flush(std::chrono::minutes(10));
    }
  } else if (workload == "event2") {
    for (long i = 0; i < spans; ++i) {
      lt_measured_event2(tracer);
      if ((i + 1) % kChunk == 0) provider->force_flush(std::chrono::minutes(10));
    }
  } else if (workload == "bare") {
    for (long i = 0; i < spans; ++i) {
      lt_measured_bare(tracer);
      if ((i + 1) % kChunk == 0) provider->force_flush(std::chrono::minutes(10));
    }
  } else if (workload == "floor-model") {
    namespace model = litetrace::floor_model;
    model::Core core;
    model::ThreadState* ts = model::register_thread(&core, size_t{1} << 20);
    const model::Tracer model_tracer(&core, &core);
    for (long i = 0; i < spans; ++i) {
      lt_measured_floor_model(model_tracer);
      if ((i + 1) % kChunk == 0) model::consume_all(ts);
    }
    const bool common_case_only = ts->ended == static_cast<uint64_t>(spans) && ts->not_modelled == 0;
    model::unregister_thread(ts);
    if (!common_case_only) {
      std::fprintf(stderr, "litetrace_instructions: the model left its common case\n");
      return 1;
    }
  } else if (workload == "child-unsampled") {
    litetrace::SpanContext unsampled;
    unsampled.trace_id = {1, 2};
    unsampled.span_id = 3;
    unsampled.flags = 0;
    const litetrace::Scope scope(unsampled);
    for (long i = 0; i < spans; ++i) lt_measured_child_unsampled(tracer);
  } else if (workload == "global2") {
    litetrace::set_global_provider(provider);
    const litetrace::Tracer global = litetrace::global_tracer("instructions", "1");
    for (long i = 0; i < spans; ++i) {
      lt_measured_span2(global);
      if ((i + 1) % kChunk == 0) provider->force_flush(std::chrono::minutes(10));
    }
  } else if (workload == "c2") {
    litetrace::set_global_provider(provider);
    litetrace_tracer* global = litetrace_global_tracer("instructions", "1");
    for (long i = 0; i < spans; ++i) {
      lt_measured_c2(global);
      if ((i + 1) % kChunk == 0) provider->force_flush(std::chrono::minutes(10));
    }
    litetrace_tracer_free(global);
  } else if (workload == "noprovider") {
    const litetrace::Tracer global = litetrace::global_tracer("instructions", "1");
    litetrace::SpanContext incoming;
    incoming.trace_id = {1, 2};
    incoming.span_id = 3;
    incoming.flags = litetrace::kTraceFlagSampled;
    const litetrace::Scope scope(incoming);
    for (long i = 0; i < spans; ++i) {
      lt_measured_noprovider(global);
      if ((i + 1) % kChunk == 0) provider->force_flush(std::chrono::minutes(10));
    }
  } else {
    return usage();
  }
  litetrace::set_global_provider(nullptr);
  provider->shutdown(std::chrono::minutes(10));
  const litetrace::TracerStats stats = provider->stats();
  // What the counts are of, for the driver to check: every recorded span delivered; and
  // what they depend on: the clock read, and how compact Thrift writes wide varints.
  std::printf("{\"ended\": %llu, \"exported\": %llu, \"discarded\": %llu, \"clock\": \"%s\", \"varints\": \"%s\"}\n",
              static_cast<unsigned long long>(stats.spans_ended),
              static_cast<unsigned long long>(stats.spans_exported),
              static_cast<unsigned long long>(stats.spans_discarded), litetrace::to_string(provider->clock_source()),
              litetrace::detail::has_fast_bit_deposit() ? "pdep" : "loop");
  ::close(udp);
  return 0;
}
