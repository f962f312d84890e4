// Configuration from the OpenTelemetry environment variables: what each one sets, that a
// bad value keeps the default and is reported, and that code-given options win.

#include <gtest/gtest.h>

#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "litetrace/environment.h"
#include "litetrace/sampler.h"
#include "support/http_server.h"
#include "support/tracing_fixture.h"
#include "support/udp_receiver.h"

namespace litetrace {
namespace {

using Env = std::map<std::string, std::string>;

TracerProviderOptions from(const Env& env) {
  return options_from_environment([&env](std::string_view name) -> const char* {
    const auto it = env.find(std::string(name));
    return it == env.end() ? nullptr : it->second.c_str();
  });
}

TEST(Environment, NothingSetIsTheDefaults) {
  const TracerProviderOptions o = from({});
  const TracerProviderOptions d;
  EXPECT_EQ(o.service_name, d.service_name);
  EXPECT_EQ(o.agent_host, d.agent_host);
  EXPECT_EQ(o.agent_port, d.agent_port);
  EXPECT_EQ(o.flush_interval, d.flush_interval);
  EXPECT_EQ(o.ring_bytes_per_thread, d.ring_bytes_per_thread);
  EXPECT_EQ(o.sampler, nullptr);
  EXPECT_EQ(o.propagator, nullptr);
  EXPECT_FALSE(o.disabled);
  EXPECT_TRUE(o.configuration_errors.empty());
}

TEST(Environment, EveryVariableSetsItsOption) {
  const TracerProviderOptions o = from({
      {"OTEL_SERVICE_NAME", "checkout"},
      {"OTEL_RESOURCE_ATTRIBUTES", "service.name=ignored, deployment.environment=prod,team=a%2Cb%20c"},
      {"OTEL_EXPORTER_JAEGER_AGENT_HOST", "agent.local"},
      {"OTEL_EXPORTER_JAEGER_AGENT_PORT", "6832"},
      {"JAEGER_AGENT_HOST", "older.local"},
      {"OTEL_BSP_SCHEDULE_DELAY", "250"},
      {"OTEL_BSP_MAX_QUEUE_SIZE", "4096"},
      {"OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "100"},
      {"OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT", "64"},
      {"OTEL_ATTRIBUTE_COUNT_LIMIT", "10"},
      {"OTEL_SPAN_EVENT_COUNT_LIMIT", "5"},
      {"OTEL_SPAN_LINK_COUNT_LIMIT", "3"},
      {"OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT", "2"},
      {"OTEL_LINK_ATTRIBUTE_COUNT_LIMIT", "7"},
      {"OTEL_TRACES_SAMPLER", "parentbased_traceidratio"},
      {"OTEL_TRACES_SAMPLER_ARG", "0.25"},
      {"OTEL_PROPAGATORS", "b3multi,jaeger"},
  });
  EXPECT_TRUE(o.configuration_errors.empty()) << o.configuration_errors.front();
  EXPECT_EQ(o.service_name, "checkout") << "OTEL_SERVICE_NAME wins over service.name";
  EXPECT_EQ(o.resource_attributes,
            (std::vector<std::pair<std::string, std::string>>{{"deployment.environment", "prod"}, {"team", "a,b c"}}));
  EXPECT_EQ(o.agent_host, "agent.local") << "the OTEL_ name wins over the older JAEGER_ one";
  EXPECT_EQ(o.agent_port, 6832);
  EXPECT_EQ(o.flush_interval, std::chrono::milliseconds(250));
  EXPECT_EQ(o.ring_bytes_per_thread, 4096u * 128u);
  EXPECT_EQ(o.max_attribute_length, 64u) << "the span-specific limit wins";
  EXPECT_EQ(o.max_attributes, 10u);
  EXPECT_EQ(o.max_events, 5u);
  EXPECT_EQ(o.max_links, 3u);
  EXPECT_EQ(o.max_attributes_per_event, 2u);
  EXPECT_EQ(o.max_attributes_per_link, 7u);
  ASSERT_NE(o.sampler, nullptr);
  EXPECT_EQ(o.sampler->description(), "ParentBased{root=TraceIdRatio{0.25}}");
  ASSERT_NE(o.propagator, nullptr);
  std::map<std::string, std::string> headers;
  SpanContext sc;
  sc.trace_id = TraceId{1, 2};
  sc.span_id = 3;
  sc.flags = kTraceFlagSampled;
  inject_into(*o.propagator, PropagationContext(sc), headers);
  EXPECT_EQ(headers.count("x-b3-traceid"), 1u);
  EXPECT_EQ(headers.count("uber-trace-id"), 1u);
  EXPECT_EQ(headers.count("traceparent"), 0u);

  const TracerProviderOptions older = from({{"JAEGER_AGENT_HOST", "older.local"}, {"JAEGER_AGENT_PORT", "7000"}});
  EXPECT_EQ(older.agent_host, "older.local");
  EXPECT_EQ(older.agent_port, 7000);
  EXPECT_EQ(from({{"OTEL_RESOURCE_ATTRIBUTES", "service.name=from-resource"}}).service_name, "from-resource");
}

TEST(Environment, SamplerNames) {
  const std::vector<std::pair<Env, std::string>> cases = {
      {{{"OTEL_TRACES_SAMPLER", "always_on"}}, "AlwaysOn"},
      {{{"OTEL_TRACES_SAMPLER", "always_off"}}, "AlwaysOff"},
      {{{"OTEL_TRACES_SAMPLER", "traceidratio"}, {"OTEL_TRACES_SAMPLER_ARG", "0.5"}}, "TraceIdRatio{0.5}"},
      {{{"OTEL_TRACES_SAMPLER", "traceidratio"}}, "TraceIdRatio{1}"},
      {{{"OTEL_TRACES_SAMPLER", "parentbased_always_on"}}, "ParentBased{root=AlwaysOn}"},
      {{{"OTEL_TRACES_SAMPLER", "parentbased_always_off"}}, "ParentBased{root=AlwaysOff}"},
      {{{"OTEL_TRACES_SAMPLER", "jaeger_remote"},
        {"OTEL_TRACES_SAMPLER_ARG", "endpoint=http://127.0.0.1:1,pollingIntervalMs=5000,initialSamplingRate=0.25"},
        {"OTEL_SERVICE_NAME", "svc"}},
       "JaegerRemote{service=(the provider's), endpoint=http://127.0.0.1:1/sampling, strategy=probabilistic 0.25}"},
      {{{"OTEL_TRACES_SAMPLER", "parentbased_jaeger_remote"}},
       "ParentBased{root=JaegerRemote{service=(the provider's), endpoint=http://localhost:5778/sampling, "
       "strategy=probabilistic 0.001}}"},
  };
  for (const auto& [env, description] : cases) {
    const TracerProviderOptions o = from(env);
    ASSERT_NE(o.sampler, nullptr) << description;
    EXPECT_EQ(o.sampler->description(), description);
    EXPECT_TRUE(o.configuration_errors.empty()) << o.configuration_errors.front();
  }
}

TEST(Environment, TracesExporter) {
  EXPECT_EQ(from({}).exporter, TracesExporter::kJaeger);
  EXPECT_EQ(from({{"OTEL_TRACES_EXPORTER", "none"}}).exporter, TracesExporter::kNone);
  EXPECT_EQ(from({{"OTEL_TRACES_EXPORTER", " Jaeger "}}).exporter, TracesExporter::kJaeger);
  const TracerProviderOptions two = from({{"OTEL_TRACES_EXPORTER", "none,jaeger"}});
  EXPECT_EQ(two.exporter, TracesExporter::kJaeger);
  EXPECT_EQ(two.configuration_errors,
            (std::vector<std::string>{
                "OTEL_TRACES_EXPORTER=\"none,jaeger\": litetrace sends spans to one exporter; using jaeger"}));
  EXPECT_EQ(from({{"OTEL_TRACES_EXPORTER", "otlp"}}).exporter, TracesExporter::kOtlp);
  EXPECT_EQ(from({{"OTEL_TRACES_EXPORTER", "Console"}}).exporter, TracesExporter::kConsole);
  EXPECT_EQ(from({{"OTEL_TRACES_EXPORTER", "Zipkin"}}).exporter, TracesExporter::kZipkin);
  EXPECT_EQ(from({{"OTEL_TRACES_EXPORTER", "kafka"}}).configuration_errors,
            (std::vector<std::string>{"OTEL_TRACES_EXPORTER=\"kafka\": unknown exporter (known: jaeger, otlp, "
                                      "zipkin, console, none); using jaeger"}));
}

TEST(Environment, ZipkinVariables) {
  const TracerProviderOptions defaults = from({});
  EXPECT_EQ(defaults.zipkin_endpoint, "http://localhost:9411/api/v2/spans");
  EXPECT_EQ(defaults.zipkin_timeout, std::chrono::milliseconds(10000));

  const TracerProviderOptions o = from({{"OTEL_TRACES_EXPORTER", "zipkin"},
                                        {"OTEL_EXPORTER_ZIPKIN_ENDPOINT", " http://zipkin:9411/api/v2/spans "},
                                        {"OTEL_EXPORTER_ZIPKIN_TIMEOUT", "2500"}});
  EXPECT_EQ(o.exporter, TracesExporter::kZipkin);
  EXPECT_EQ(o.zipkin_endpoint, "http://zipkin:9411/api/v2/spans");
  EXPECT_EQ(o.zipkin_timeout, std::chrono::milliseconds(2500));
  EXPECT_TRUE(o.configuration_errors.empty());

  const TracerProviderOptions bad = from({{"OTEL_EXPORTER_ZIPKIN_TIMEOUT", "0"}});
  EXPECT_EQ(bad.zipkin_timeout, std::chrono::milliseconds(10000));
  ASSERT_EQ(bad.configuration_errors.size(), 1u);
  EXPECT_NE(bad.configuration_errors[0].find("OTEL_EXPORTER_ZIPKIN_TIMEOUT=\"0\""), std::string::npos);
}

TEST(Environment, JaegerVariablesAsTheSpecificationLastHadThem) {
  const TracerProviderOptions d = from({});
  EXPECT_EQ(d.jaeger_protocol, JaegerProtocol::kUdpThriftCompact);
  EXPECT_EQ(d.jaeger_endpoint, "http://localhost:14268/api/traces");
  EXPECT_EQ(d.jaeger_timeout, std::chrono::seconds(10));
  EXPECT_TRUE(d.jaeger_user.empty() && d.jaeger_password.empty());

  const TracerProviderOptions o = from({{"OTEL_EXPORTER_JAEGER_PROTOCOL", "http/thrift.binary"},
                                        {"OTEL_EXPORTER_JAEGER_ENDPOINT", "http://collector:14268/api/traces"},
                                        {"OTEL_EXPORTER_JAEGER_TIMEOUT", "2500"},
                                        {"OTEL_EXPORTER_JAEGER_USER", "me"},
                                        {"OTEL_EXPORTER_JAEGER_PASSWORD", "secret"}});
  EXPECT_EQ(o.jaeger_protocol, JaegerProtocol::kHttpThriftBinary);
  EXPECT_EQ(o.jaeger_endpoint, "http://collector:14268/api/traces");
  EXPECT_EQ(o.jaeger_timeout, std::chrono::milliseconds(2500));
  EXPECT_EQ(o.jaeger_user, "me");
  EXPECT_EQ(o.jaeger_password, "secret");
  EXPECT_TRUE(o.configuration_errors.empty());

  // The binary protocol goes to the agent's binary port, unless the port is given.
  const TracerProviderOptions binary = from({{"OTEL_EXPORTER_JAEGER_PROTOCOL", "udp/thrift.binary"}});
  EXPECT_EQ(binary.jaeger_protocol, JaegerProtocol::kUdpThriftBinary);
  EXPECT_EQ(binary.agent_port, 6832);
  EXPECT_EQ(from({{"OTEL_EXPORTER_JAEGER_PROTOCOL", "udp/thrift.binary"}, {"OTEL_EXPORTER_JAEGER_AGENT_PORT", "7000"}})
                .agent_port,
            7000);
  EXPECT_EQ(from({{"OTEL_EXPORTER_JAEGER_PROTOCOL", "grpc"}}).configuration_errors,
            (std::vector<std::string>{"OTEL_EXPORTER_JAEGER_PROTOCOL=\"grpc\": unknown protocol (known: "
                                      "udp/thrift.compact, udp/thrift.binary, http/thrift.binary); using "
                                      "udp/thrift.compact"}));
}

TEST(Environment, OtlpVariables) {
  const TracerProviderOptions d = from({});
  EXPECT_EQ(d.otlp_endpoint, "http://localhost:4318/v1/traces");
  EXPECT_EQ(d.otlp_protocol, OtlpProtocol::kHttpProtobuf);
  EXPECT_EQ(d.otlp_timeout, std::chrono::seconds(10));
  EXPECT_EQ(d.max_export_batch_size, 512u);

  // The general endpoint gets the signal's path; the signal's own is used as it is.
  EXPECT_EQ(from({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"}}).otlp_endpoint,
            "http://collector:4318/v1/traces");
  EXPECT_EQ(from({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/prefix/"}}).otlp_endpoint,
            "http://collector:4318/prefix/v1/traces");
  EXPECT_EQ(from({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://a:1"}, {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://b:2/x"}})
                .otlp_endpoint,
            "http://b:2/x");

  const TracerProviderOptions o = from({{"OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"},
                                        {"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/json"},
                                        {"OTEL_EXPORTER_OTLP_HEADERS", "api-key=s%20ecret,x-tenant=a"},
                                        {"OTEL_EXPORTER_OTLP_TIMEOUT", "2500"},
                                        {"OTEL_BSP_EXPORT_TIMEOUT", "9000"},
                                        {"OTEL_EXPORTER_OTLP_COMPRESSION", "none"},
                                        {"OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "64"}});
  EXPECT_EQ(o.otlp_protocol, OtlpProtocol::kHttpJson);
  EXPECT_EQ(o.otlp_headers, (std::vector<std::pair<std::string, std::string>>{{"api-key", "s ecret"}, {"x-tenant", "a"}}));
  EXPECT_EQ(o.otlp_timeout, std::chrono::milliseconds(2500));  // the exporter's own timeout wins
  EXPECT_EQ(o.max_export_batch_size, 64u);
  EXPECT_TRUE(o.configuration_errors.empty());

  const TracerProviderOptions bad = from({{"OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"},
                                          {"OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "gzip"},
                                          {"OTEL_EXPORTER_OTLP_HEADERS", "novalue"},
                                          {"OTEL_EXPORTER_OTLP_TIMEOUT", "0"}});
  EXPECT_EQ(bad.otlp_protocol, OtlpProtocol::kHttpProtobuf);
  EXPECT_EQ(bad.configuration_errors,
            (std::vector<std::string>{
                "OTEL_EXPORTER_OTLP_PROTOCOL=\"grpc\": gRPC is not built into litetrace; http/protobuf reaches the "
                "same collectors (port 4318); using http/protobuf",
                "OTEL_EXPORTER_OTLP_HEADERS=\"novalue\": 'novalue' is not key=value; using no headers",
                "OTEL_EXPORTER_OTLP_TIMEOUT=\"0\": not an integer from 1 to 3600000; using 10000",
                "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION=\"gzip\": gzip is not built into litetrace; using none "
                "(requests go uncompressed)"}));
}

TEST(Environment, AnHttpsEndpointIsReportedAndTheDefaultKept) {
  std::vector<std::string> said;
  TracerProviderOptions o = from({{"OTEL_TRACES_EXPORTER", "otlp"},
                                  {"OTEL_EXPORTER_OTLP_ENDPOINT", "https://collector.example:4318"}});
  o.on_diagnostic = [&](const Diagnostic& d) {
    if (d.code == DiagnosticCode::kInvalidOption) said.emplace_back(d.message);
  };
  o.otlp_timeout = std::chrono::milliseconds(100);
  {
    TracerProvider provider(o);
    provider.shutdown(std::chrono::milliseconds(0));
  }
  ASSERT_EQ(said.size(), 1u);
  EXPECT_EQ(said[0], "otlp_endpoint \"https://collector.example:4318/v1/traces\": TLS is not built into litetrace; "
                     "send to a collector or agent over http:// (on this host: http://localhost:4318/v1/traces); "
                     "using http://localhost:4318/v1/traces");
}

// OTEL_TRACES_EXPORTER=none: spans are recorded and propagate, nothing is sent, and every
// ended span is counted as discarded.
TEST(Environment, TheNoneExporterSendsNothingAndCountsEverySpan) {
  test::UdpReceiver receiver;
  TracerProviderOptions o = from({{"OTEL_TRACES_EXPORTER", "none"}});
  o.agent_host = "127.0.0.1";
  o.agent_port = receiver.port();
  TracerProvider provider(o);
  Tracer tracer = provider.tracer("none");
  SpanContext parent;
  for (int i = 0; i < 10; ++i) {
    Span span = tracer.start_span("discarded");
    EXPECT_TRUE(span.is_recording());
    parent = span.context();
  }
  EXPECT_TRUE(parent.valid());
  ASSERT_TRUE(provider.force_flush());
  const TracerStats s = provider.stats();
  EXPECT_EQ(s.spans_ended, 10u);
  EXPECT_EQ(s.spans_discarded, 10u);
  EXPECT_EQ(s.spans_exported, 0u);
  EXPECT_EQ(s.spans_pending, 0u);
  EXPECT_EQ(s.packets_sent, 0u);
  EXPECT_TRUE(receiver.drain(std::chrono::milliseconds(0)).empty());
}

TEST(Environment, InvalidValuesKeepTheDefaultAndSayWhy) {
  const TracerProviderOptions o = from({
      {"OTEL_SDK_DISABLED", "yes"},
      {"OTEL_EXPORTER_JAEGER_AGENT_PORT", "99999"},
      {"OTEL_BSP_SCHEDULE_DELAY", "-5"},
      {"OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "ten"},
      {"OTEL_RESOURCE_ATTRIBUTES", "a=1,broken"},
      {"OTEL_PROPAGATORS", "tracecontext,xray"},
      {"OTEL_TRACES_SAMPLER", "sometimes"},
  });
  const TracerProviderOptions d;
  EXPECT_FALSE(o.disabled);
  EXPECT_EQ(o.agent_port, d.agent_port);
  EXPECT_EQ(o.flush_interval, d.flush_interval);
  EXPECT_EQ(o.max_attributes, d.max_attributes);
  EXPECT_TRUE(o.resource_attributes.empty()) << "a malformed list is dropped as a whole";
  EXPECT_EQ(o.propagator, nullptr);
  EXPECT_EQ(o.sampler, nullptr);
  EXPECT_EQ(o.configuration_errors, (std::vector<std::string>{
      "OTEL_SDK_DISABLED=\"yes\": not true or false; using false",
      "OTEL_RESOURCE_ATTRIBUTES=\"a=1,broken\": 'broken' is not key=value; using no resource attributes",
      "OTEL_EXPORTER_JAEGER_AGENT_PORT=\"99999\": not an integer from 1 to 65535; using 6831",
      "OTEL_BSP_SCHEDULE_DELAY=\"-5\": not an integer from 0 to 3600000; using 1000",
      "OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT=\"ten\": not an integer from 0 to 65535; using 128",
      "OTEL_PROPAGATORS=\"tracecontext,xray\": unknown propagator 'xray' (known: tracecontext, baggage, b3, b3multi, "
      "jaeger, none); using tracecontext,baggage",
      "OTEL_TRACES_SAMPLER=\"sometimes\": unknown sampler (known: always_on, always_off, traceidratio, "
      "jaeger_remote and their parentbased_ forms); using parentbased_always_on",
  }));

  const TracerProviderOptions ratio = from({{"OTEL_TRACES_SAMPLER", "traceidratio"}, {"OTEL_TRACES_SAMPLER_ARG", "2"}});
  EXPECT_EQ(ratio.sampler->description(), "TraceIdRatio{1}");
  EXPECT_EQ(ratio.configuration_errors,
            (std::vector<std::string>{"OTEL_TRACES_SAMPLER_ARG=\"2\": not a number from 0 to 1; using 1"}));
}

TEST(Environment, TheProviderReportsConfigurationErrorsAndCodeWins) {
  test::UdpReceiver receiver;
  TracerProviderOptions o = from({{"OTEL_SERVICE_NAME", "from-env"}, {"OTEL_BSP_SCHEDULE_DELAY", "soon"}});
  o.service_name = "from-code";  // set after reading the environment: code wins
  o.agent_host = "127.0.0.1";
  o.agent_port = receiver.port();
  std::mutex mutex;
  std::vector<std::string> reported;
  o.on_diagnostic = [&](const Diagnostic& d) {
    std::lock_guard<std::mutex> lock(mutex);
    if (d.code == DiagnosticCode::kInvalidOption) reported.emplace_back(d.message);
  };
  {
    TracerProvider provider(o);
    provider.tracer("").start_span("s").end();
    ASSERT_TRUE(provider.force_flush());
  }
  test::Arrived got;
  got.decode(receiver.receive_all(1));
  ASSERT_EQ(got.batches.size(), 1u);
  EXPECT_EQ(got.batches[0].process.service_name, "from-code");
  std::lock_guard<std::mutex> lock(mutex);
  EXPECT_EQ(reported,
            (std::vector<std::string>{"OTEL_BSP_SCHEDULE_DELAY=\"soon\": not an integer from 0 to 3600000; using 1000"}));
}

// The remote sampler from OTEL_TRACES_SAMPLER asks for the service the provider ends up
// with, and reports to the provider's callback: both are set in code after the read.
TEST(Environment, TheRemoteSamplerTakesTheServiceNameAndCallbackTheCodeSets) {
  // Declared before the options: the sampler the options hold keeps the callback, so what
  // the callback uses must outlive it.
  std::mutex mutex;
  std::condition_variable reported;
  std::string failure;
  test::TestHttpServer server;
  server.set_reply(test::TestHttpServer::ok_json("{\"strategyType\":"));
  TracerProviderOptions o = from({{"OTEL_SERVICE_NAME", "from-env"},
                                  {"OTEL_TRACES_SAMPLER", "parentbased_jaeger_remote"},
                                  {"OTEL_TRACES_SAMPLER_ARG", "endpoint=" + server.url()}});
  o.service_name = "from-code";
  o.agent_host = "127.0.0.1";
  o.on_diagnostic = [&](const Diagnostic& d) {
    std::lock_guard<std::mutex> lock(mutex);
    if (d.code == DiagnosticCode::kSamplingStrategyFailed) failure = d.message;
    reported.notify_all();
  };
  TracerProvider provider(o);
  {
    std::unique_lock<std::mutex> lock(mutex);
    ASSERT_TRUE(reported.wait_for(lock, std::chrono::seconds(10), [&] { return !failure.empty(); }));
    EXPECT_NE(failure.find("malformed sampling strategy from " + server.url() + "?service=from-code"),
              std::string::npos)
        << failure;
  }
  const std::vector<std::string> requests = server.requests();
  ASSERT_FALSE(requests.empty());
  EXPECT_EQ(requests[0].rfind("GET /sampling?service=from-code HTTP/1.1\r\n", 0), 0u) << requests[0];
  EXPECT_NE(o.sampler->description().find("JaegerRemote{service=from-code,"), std::string::npos)
      << o.sampler->description();
}

TEST(Environment, DisabledRecordsNothingAndStartsNothing) {
  TracerProviderOptions o = from({{"OTEL_SDK_DISABLED", "TRUE"}});
  ASSERT_TRUE(o.disabled);
  TracerProvider provider(o);
  Tracer tracer = provider.tracer("");
  Span s = tracer.start_span("nothing");
  EXPECT_FALSE(s.is_recording());
  EXPECT_TRUE(s.context().valid()) << "contexts still propagate";
  s.end();
  EXPECT_TRUE(provider.force_flush());
  EXPECT_TRUE(provider.shutdown());
  const TracerStats stats = provider.stats();
  EXPECT_EQ(stats.spans_started, 0u);
  EXPECT_EQ(stats.packets_sent, 0u);
  EXPECT_EQ(provider.agent_address(), "");
}

}  // namespace
}  // namespace litetrace

// ---- options given in code: the same rule as the environment ----

namespace litetrace {
namespace {

struct Said {
  std::mutex mutex;
  std::vector<std::string> invalid;
  DiagnosticCallback callback() {
    return [this](const Diagnostic& d) {
      std::lock_guard<std::mutex> lock(mutex);
      if (d.code == DiagnosticCode::kInvalidOption) invalid.emplace_back(d.message);
    };
  }
  std::vector<std::string> taken() {
    std::lock_guard<std::mutex> lock(mutex);
    return invalid;
  }
};

// Every numeric field out of its range: the provider starts at once (a huge ring size
// used to hang it, 1 TiB threw bad_alloc, milliseconds::max() overflowed), keeps each
// default, says which value and why, and works.
TEST(Options, OutOfRangeValuesInCodeKeepTheDefaultAndSayWhy) {
  test::UdpReceiver receiver;
  Said said;
  TracerProviderOptions o = test::options_for(receiver);
  o.on_diagnostic = said.callback();
  o.ring_bytes_per_thread = SIZE_MAX;
  o.flush_interval = std::chrono::milliseconds::max();
  o.max_packet_size = 100;
  o.max_attributes = 100000;
  o.max_events = SIZE_MAX;
  o.max_links = 70000;
  o.max_attributes_per_event = size_t{1} << 31;
  o.max_attributes_per_link = 65536;
  // Past 2^32 - 1 only where size_t can say so (not on 32-bit targets).
  const bool wide = sizeof(size_t) > 4;
  o.max_attribute_length = wide ? static_cast<size_t>(uint64_t{1} << 33) : 0;
  TracerProvider provider(o);
  provider.tracer("t").start_span("works").end();
  ASSERT_TRUE(provider.force_flush());
  EXPECT_EQ(provider.stats().spans_exported, 1u);
  const std::string size_max = std::to_string(SIZE_MAX);  // the size_t of this target
  std::vector<std::string> expected = {
      "max_packet_size 100 is not from 512 to 65527; using 65000",
      "ring_bytes_per_thread " + size_max + " is not from 4096 to 1073741824; using 262144",
      "flush_interval 9223372036854775807 ms is not from 0 ms to 3600000 ms; using 1000 ms",
      "max_attributes 100000 is not from 0 to 65535; using 128",
      "max_events " + size_max + " is not from 0 to 65535; using 128",
      "max_links 70000 is not from 0 to 65535; using 128",
      "max_attributes_per_event 2147483648 is not from 0 to 65535; using 128",
      "max_attributes_per_link 65536 is not from 0 to 65535; using 128",
  };
  if (wide) expected.push_back("max_attribute_length 8589934592 is not from 0 to 4294967295; using 0");
  EXPECT_EQ(said.taken(), expected);

  Said more;
  TracerProviderOptions p = test::options_for(receiver);
  p.on_diagnostic = more.callback();
  p.agent_port = 0;
  p.ring_bytes_per_thread = size_t{1} << 31;  // 2 GiB
  p.flush_interval = std::chrono::milliseconds(-5);
  TracerProvider other(p);
  other.tracer("t").start_span("goes to the default port").end();
  // Flushed (whether or not anything listens on 6831): the batcher says the options
  // before its first pass.
  (void)other.force_flush();
  EXPECT_EQ(more.taken(), (std::vector<std::string>{
                              "agent_port 0 is not from 1 to 65535; using 6831",
                              "ring_bytes_per_thread 2147483648 is not from 4096 to 1073741824; using 262144",
                              "flush_interval -5 ms is not from 0 ms to 3600000 ms; using 1000 ms",
                          }));
}

TEST(Options, ARemoteSamplersOutOfRangeValuesKeepTheDefaultAndSayWhy) {
  test::TestHttpServer server;
  server.set_reply(test::TestHttpServer::ok_json(R"({"strategyType":0,"probabilisticSampling":{"samplingRate":1}})"));
  Said said;
  JaegerRemoteSamplerOptions o;
  o.service_name = "svc";
  o.endpoint = server.url();
  o.on_diagnostic = said.callback();
  o.max_operations = SIZE_MAX;  // used to hang sizing the operation table
  o.polling_interval = std::chrono::milliseconds(0);
  o.initial_sampling_rate = std::nan("");
  o.connect_timeout = std::chrono::milliseconds::max();
  o.read_timeout = std::chrono::milliseconds(-1);
  JaegerRemoteSampler sampler(o);
  ASSERT_TRUE(sampler.poll_now());  // the poller reports the options before it polls
  EXPECT_EQ(said.taken(), (std::vector<std::string>{
                              "polling_interval 0 ms is not from 1 ms to 86400000 ms; using 60000 ms",
                              "initial_sampling_rate nan is not from 0 to 1; using 0.001",
                              "max_operations 18446744073709551615 is not from 1 to 100000; using 2000",
                              "connect_timeout 9223372036854775807 ms is not from 1 ms to 3600000 ms; using 2000 ms",
                              "read_timeout -1 ms is not from 1 ms to 3600000 ms; using 5000 ms",
                          }));
}

// OTEL_SDK_DISABLED=true records nothing, but a bad variable beside it is still said.
TEST(Options, ADisabledProviderStillReportsItsConfiguration) {
  Said said;
  TracerProviderOptions o = from({{"OTEL_SDK_DISABLED", "true"}, {"OTEL_BSP_SCHEDULE_DELAY", "soon"}});
  o.on_diagnostic = said.callback();
  o.max_links = 99999;
  TracerProvider provider(o);
  EXPECT_EQ(said.taken(), (std::vector<std::string>{
                              "OTEL_BSP_SCHEDULE_DELAY=\"soon\": not an integer from 0 to 3600000; using 1000",
                              "max_links 99999 is not from 0 to 65535; using 128",
                          }));
}

}  // namespace
}  // namespace litetrace
