// Configuration from the OpenTelemetry environment variables: what each one sets, that a
// bad value keeps the default and is reported, and that code-given options win.

#include <gtest/gtest.h>

#include <condition_variable>
#include <map>
#include <mutex>
#include <string>

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
      "OTEL_EXPORTER_JAEGER_AGENT_PORT=\"99999\": not an integer from 0 to 65535; using 6831",
      "OTEL_BSP_SCHEDULE_DELAY=\"-5\": not an integer from 0 to 3600000; using 1000",
      "OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT=\"ten\": not an integer from 0 to 4294967295; using 128",
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
