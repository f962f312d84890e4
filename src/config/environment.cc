// options_from_environment() (environment.h).

#include "litetrace/environment.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <limits>

#include "core/compiler.h"
#include "core/option_rule.h"
#include "core/text.h"
#include "litetrace/sampler.h"

namespace litetrace {
namespace {

using detail::equals_ignoring_case;
constexpr auto trim = detail::trim_ows;

// Bytes of ring per span of OTEL_BSP_MAX_QUEUE_SIZE: a record with a name and a few short
// attributes.
constexpr size_t kRingBytesPerQueuedSpan = 128;

class Reader {
 public:
  Reader(FunctionRef<const char*(std::string_view)> lookup, std::vector<std::string>& errors)
      : lookup_(lookup), errors_(errors) {}

  // The variable's value; empty when unset.
  std::string_view get(std::string_view name) const {
    const char* v = lookup_(name);
    return v == nullptr ? std::string_view() : std::string_view(v);
  }

  void invalid(std::string_view name, std::string_view value, const std::string& why, const std::string& used) {
    errors_.push_back(std::string(name) + "=\"" + std::string(value) + "\": " + why + "; using " + used);
  }

  // A decimal integer from `min` to `max` (core/option_rule.h: the ranges of the options).
  bool read_count(std::string_view name, size_t min, size_t max, size_t& out) {
    const std::string_view v = get(name);
    if (v.empty()) return false;
    size_t n = 0;
    const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc() || end != v.data() + v.size() || n < min || n > max) {
      invalid(name, v, "not an integer from " + std::to_string(min) + " to " + std::to_string(max), std::to_string(out));
      return false;
    }
    out = n;
    return true;
  }

  bool read_double(std::string_view name, std::string_view v, double min, double max, double& out) {
    double d = 0;
    const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), d);
    if (ec != std::errc() || end != v.data() + v.size() || !(d >= min && d <= max)) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "not a number from %g to %g", min, max);
      char used[32];
      std::snprintf(used, sizeof used, "%g", out);
      invalid(name, v, buf, used);
      return false;
    }
    out = d;
    return true;
  }

 private:
  FunctionRef<const char*(std::string_view)> lookup_;
  std::vector<std::string>& errors_;
};

// OTEL_RESOURCE_ATTRIBUTES: key=value pairs separated by commas, values %-encoded. Any
// malformed pair discards the whole variable (the OpenTelemetry specification's rule).
LITETRACE_COLD bool parse_resource_attributes(std::string_view v, std::vector<std::pair<std::string, std::string>>& out,
                                              std::string& why) {
  std::vector<std::pair<std::string, std::string>> result;
  while (!v.empty()) {
    const size_t comma = v.find(',');
    const std::string_view pair = v.substr(0, comma);
    v.remove_prefix(comma == std::string_view::npos ? v.size() : comma + 1);
    const size_t eq = pair.find('=');
    const std::string_view key = trim(pair.substr(0, eq));
    if (eq == std::string_view::npos || key.empty()) {
      why = "'" + std::string(pair) + "' is not key=value";
      return false;
    }
    std::string value;
    if (!detail::percent_decode(trim(pair.substr(eq + 1)), false, value)) {
      why = "bad %-encoding in the value of " + std::string(key);
      return false;
    }
    result.emplace_back(std::string(key), std::move(value));
  }
  out = std::move(result);
  return true;
}

// The OTLP exporter's variables; the signal-specific OTEL_EXPORTER_OTLP_TRACES_* form wins
// over the general OTEL_EXPORTER_OTLP_* one.
LITETRACE_COLD void read_otlp(Reader& env, TracerProviderOptions& o) {
  const auto either = [&](const char* traces, const char* general) -> std::pair<const char*, std::string_view> {
    if (const std::string_view v = trim(env.get(traces)); !v.empty()) return {traces, v};
    return {general, trim(env.get(general))};
  };
  if (const std::string_view v = trim(env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")); !v.empty()) {
    o.otlp_endpoint = std::string(v);  // used as it is
  } else if (const std::string_view base = trim(env.get("OTEL_EXPORTER_OTLP_ENDPOINT")); !base.empty()) {
    o.otlp_endpoint = std::string(base) + (base.back() == '/' ? "v1/traces" : "/v1/traces");
  }
  if (const auto [name, v] = either("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"); !v.empty()) {
    if (v == "http/protobuf") {
      o.otlp_protocol = OtlpProtocol::kHttpProtobuf;
    } else if (v == "http/json") {
      o.otlp_protocol = OtlpProtocol::kHttpJson;
    } else if (v == "grpc") {
      env.invalid(name, v, "gRPC is not built into litetrace; http/protobuf reaches the same collectors (port 4318)",
                  "http/protobuf");
    } else {
      env.invalid(name, v, "unknown protocol (known: http/protobuf, http/json)", "http/protobuf");
    }
  }
  if (const auto [name, v] = either("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "OTEL_EXPORTER_OTLP_HEADERS"); !v.empty()) {
    std::string why;
    if (!parse_resource_attributes(v, o.otlp_headers, why)) env.invalid(name, v, why, "no headers");
  }
  size_t ms = static_cast<size_t>(o.otlp_timeout.count());
  if (env.read_count("OTEL_BSP_EXPORT_TIMEOUT", 1, 3600 * 1000, ms)) o.otlp_timeout = std::chrono::milliseconds(ms);
  for (const char* name : {"OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "OTEL_EXPORTER_OTLP_TIMEOUT"}) {
    if (env.get(name).empty()) continue;
    if (env.read_count(name, 1, 3600 * 1000, ms)) o.otlp_timeout = std::chrono::milliseconds(ms);
    break;
  }
  if (const auto [name, v] = either("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "OTEL_EXPORTER_OTLP_COMPRESSION");
      !v.empty() && !equals_ignoring_case(v, "none")) {
    env.invalid(name, v,
                equals_ignoring_case(v, "gzip") ? "gzip is not built into litetrace" : "unknown compression",
                "none (requests go uncompressed)");
  }
  env.read_count("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", 1, detail::kMaxCountLimit, o.max_export_batch_size);
}

// The Jaeger exporter's variables as the specification last had them (it removed them in
// 2023, with the exporter).
LITETRACE_COLD void read_jaeger(Reader& env, TracerProviderOptions& o) {
  if (const std::string_view v = trim(env.get("OTEL_EXPORTER_JAEGER_PROTOCOL")); !v.empty()) {
    if (v == "udp/thrift.compact") {
      o.jaeger_protocol = JaegerProtocol::kUdpThriftCompact;
    } else if (v == "http/thrift.binary") {
      o.jaeger_protocol = JaegerProtocol::kHttpThriftBinary;
    } else if (v == "udp/thrift.binary") {
      o.jaeger_protocol = JaegerProtocol::kUdpThriftBinary;
      o.agent_port = 6832;  // the agent's binary port, unless OTEL_EXPORTER_JAEGER_AGENT_PORT says another
    } else {
      env.invalid("OTEL_EXPORTER_JAEGER_PROTOCOL", v,
                  "unknown protocol (known: udp/thrift.compact, udp/thrift.binary, http/thrift.binary)",
                  "udp/thrift.compact");
    }
  }
  if (const std::string_view v = trim(env.get("OTEL_EXPORTER_JAEGER_ENDPOINT")); !v.empty()) {
    o.jaeger_endpoint = std::string(v);
  }
  size_t ms = static_cast<size_t>(o.jaeger_timeout.count());
  if (env.read_count("OTEL_EXPORTER_JAEGER_TIMEOUT", 1, 3600 * 1000, ms)) o.jaeger_timeout = std::chrono::milliseconds(ms);
  if (const std::string_view v = env.get("OTEL_EXPORTER_JAEGER_USER"); !v.empty()) o.jaeger_user = std::string(v);
  if (const std::string_view v = env.get("OTEL_EXPORTER_JAEGER_PASSWORD"); !v.empty()) {
    o.jaeger_password = std::string(v);
  }
}

LITETRACE_COLD void read_zipkin(Reader& env, TracerProviderOptions& o) {
  if (const std::string_view v = trim(env.get("OTEL_EXPORTER_ZIPKIN_ENDPOINT")); !v.empty()) {
    o.zipkin_endpoint = std::string(v);
  }
  size_t ms = static_cast<size_t>(o.zipkin_timeout.count());
  if (env.read_count("OTEL_EXPORTER_ZIPKIN_TIMEOUT", 1, 3600 * 1000, ms)) o.zipkin_timeout = std::chrono::milliseconds(ms);
}

// OTEL_TRACES_SAMPLER_ARG for jaeger_remote: endpoint=URL,pollingIntervalMs=N,initialSamplingRate=R.
LITETRACE_COLD bool parse_remote_arg(Reader& env, std::string_view arg, JaegerRemoteSamplerOptions& o) {
  while (!arg.empty()) {
    const size_t comma = arg.find(',');
    const std::string_view pair = arg.substr(0, comma);
    arg.remove_prefix(comma == std::string_view::npos ? arg.size() : comma + 1);
    const size_t eq = pair.find('=');
    const std::string_view key = trim(pair.substr(0, eq));
    const std::string_view value = eq == std::string_view::npos ? std::string_view() : trim(pair.substr(eq + 1));
    if (key == "endpoint" && !value.empty()) {
      o.endpoint = std::string(value);
      // "http://agent:5778" means the agent's sampling path.
      const size_t path = o.endpoint.find('/', o.endpoint.find("://") == std::string::npos ? 0 : o.endpoint.find("://") + 3);
      if (path == std::string::npos) o.endpoint += "/sampling";
      else if (path == o.endpoint.size() - 1) o.endpoint += "sampling";
    } else if (key == "pollingIntervalMs") {
      double ms = static_cast<double>(o.polling_interval.count());
      if (!env.read_double("OTEL_TRACES_SAMPLER_ARG pollingIntervalMs", value,
                           static_cast<double>(detail::kMinPollingInterval.count()),
                           static_cast<double>(detail::kMaxPollingInterval.count()), ms)) {
        return false;
      }
      o.polling_interval = std::chrono::milliseconds(static_cast<int64_t>(ms));
    } else if (key == "initialSamplingRate") {
      if (!env.read_double("OTEL_TRACES_SAMPLER_ARG initialSamplingRate", value, 0, 1, o.initial_sampling_rate)) {
        return false;
      }
    } else {
      env.invalid("OTEL_TRACES_SAMPLER_ARG", pair, "unknown key (known: endpoint, pollingIntervalMs, initialSamplingRate)",
                  "the rest");
    }
  }
  return true;
}

LITETRACE_COLD void read_sampler(Reader& env, TracerProviderOptions& o) {
  const std::string_view name = env.get("OTEL_TRACES_SAMPLER");
  if (name.empty()) return;
  const std::string_view arg = env.get("OTEL_TRACES_SAMPLER_ARG");
  const bool parent_based = name.substr(0, 12) == "parentbased_";
  const std::string_view base = parent_based ? name.substr(12) : name;
  std::shared_ptr<Sampler> root;
  if (base == "always_on") {
    root = std::make_shared<AlwaysOnSampler>();
  } else if (base == "always_off") {
    root = std::make_shared<AlwaysOffSampler>();
  } else if (base == "traceidratio") {
    double ratio = 1.0;  // the specification's default
    if (!arg.empty()) env.read_double("OTEL_TRACES_SAMPLER_ARG", arg, 0, 1, ratio);
    root = std::make_shared<TraceIdRatioSampler>(ratio);
  } else if (base == "jaeger_remote") {
    // Service name and callback left empty: the sampler takes the provider's, so what the
    // code sets after reading the environment counts.
    JaegerRemoteSamplerOptions remote;
    if (!parse_remote_arg(env, arg, remote)) return;
    root = std::make_shared<JaegerRemoteSampler>(std::move(remote));
  } else {
    env.invalid("OTEL_TRACES_SAMPLER", name,
                "unknown sampler (known: always_on, always_off, traceidratio, jaeger_remote and their parentbased_ "
                "forms)",
                "parentbased_always_on");
    return;
  }
  o.sampler = parent_based ? std::make_shared<ParentBasedSampler>(root) : root;
}

}  // namespace

LITETRACE_COLD TracerProviderOptions options_from_environment() {
  return options_from_environment([](std::string_view name) -> const char* {
    return std::getenv(std::string(name).c_str());
  });
}

LITETRACE_COLD TracerProviderOptions options_from_environment(FunctionRef<const char*(std::string_view name)> lookup) {
  TracerProviderOptions o;
  Reader env(lookup, o.configuration_errors);

  if (const std::string_view v = env.get("OTEL_SDK_DISABLED"); !v.empty()) {
    if (equals_ignoring_case(v, "true")) {
      o.disabled = true;
    } else if (!equals_ignoring_case(v, "false")) {
      env.invalid("OTEL_SDK_DISABLED", v, "not true or false", "false");
    }
  }

  if (const std::string_view v = env.get("OTEL_RESOURCE_ATTRIBUTES"); !v.empty()) {
    std::string why;
    std::vector<std::pair<std::string, std::string>> attributes;
    if (parse_resource_attributes(v, attributes, why)) {
      for (auto& [key, value] : attributes) {
        if (key == "service.name") {
          o.service_name = value;
        } else {
          o.resource_attributes.emplace_back(std::move(key), std::move(value));
        }
      }
    } else {
      env.invalid("OTEL_RESOURCE_ATTRIBUTES", v, why, "no resource attributes");
    }
  }
  if (const std::string_view v = env.get("OTEL_SERVICE_NAME"); !v.empty()) o.service_name = std::string(v);

  if (const std::string_view v = trim(env.get("OTEL_TRACES_EXPORTER")); !v.empty()) {
    if (equals_ignoring_case(v, "jaeger")) {
      o.exporter = TracesExporter::kJaeger;
    } else if (equals_ignoring_case(v, "otlp")) {
      o.exporter = TracesExporter::kOtlp;
    } else if (equals_ignoring_case(v, "none")) {
      o.exporter = TracesExporter::kNone;
    } else if (equals_ignoring_case(v, "console")) {
      o.exporter = TracesExporter::kConsole;
    } else if (equals_ignoring_case(v, "zipkin")) {
      o.exporter = TracesExporter::kZipkin;
    } else if (v.find(',') != std::string_view::npos) {
      env.invalid("OTEL_TRACES_EXPORTER", v, "litetrace sends spans to one exporter", "jaeger");
    } else {
      env.invalid("OTEL_TRACES_EXPORTER", v, "unknown exporter (known: jaeger, otlp, zipkin, console, none)",
                  "jaeger");
    }
  }
  read_otlp(env, o);
  read_jaeger(env, o);
  read_zipkin(env, o);

  for (const char* name : {"OTEL_EXPORTER_JAEGER_AGENT_HOST", "JAEGER_AGENT_HOST"}) {
    if (const std::string_view v = env.get(name); !v.empty()) {
      o.agent_host = std::string(v);
      break;
    }
  }
  for (const char* name : {"OTEL_EXPORTER_JAEGER_AGENT_PORT", "JAEGER_AGENT_PORT"}) {
    size_t port = o.agent_port;
    if (env.get(name).empty()) continue;
    if (env.read_count(name, 1, 65535, port)) o.agent_port = static_cast<uint16_t>(port);
    break;
  }

  size_t delay_ms = static_cast<size_t>(o.flush_interval.count());
  if (env.read_count("OTEL_BSP_SCHEDULE_DELAY", 0, static_cast<size_t>(detail::kMaxFlushInterval.count()), delay_ms)) {
    o.flush_interval = std::chrono::milliseconds(delay_ms);
  }
  size_t queue = o.ring_bytes_per_thread / kRingBytesPerQueuedSpan;
  if (env.read_count("OTEL_BSP_MAX_QUEUE_SIZE", detail::kMinRingBytes / kRingBytesPerQueuedSpan,
                     detail::kMaxRingBytes / kRingBytesPerQueuedSpan, queue)) {
    o.ring_bytes_per_thread = queue * kRingBytesPerQueuedSpan;
  }

  // Limits: the general ones first, the span-specific ones win.
  using detail::kMaxAttributeLengthLimit;
  using detail::kMaxCountLimit;
  env.read_count("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", 0, kMaxAttributeLengthLimit, o.max_attribute_length);
  env.read_count("OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT", 0, kMaxAttributeLengthLimit, o.max_attribute_length);
  env.read_count("OTEL_ATTRIBUTE_COUNT_LIMIT", 0, kMaxCountLimit, o.max_attributes);
  env.read_count("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", 0, kMaxCountLimit, o.max_attributes);
  env.read_count("OTEL_SPAN_EVENT_COUNT_LIMIT", 0, kMaxCountLimit, o.max_events);
  env.read_count("OTEL_SPAN_LINK_COUNT_LIMIT", 0, kMaxCountLimit, o.max_links);
  env.read_count("OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT", 0, kMaxCountLimit, o.max_attributes_per_event);
  env.read_count("OTEL_LINK_ATTRIBUTE_COUNT_LIMIT", 0, kMaxCountLimit, o.max_attributes_per_link);

  if (const std::string_view v = env.get("OTEL_PROPAGATORS"); !v.empty()) {
    std::string why;
    if (auto p = make_propagator(v, &why)) {
      o.propagator = std::move(p);
    } else {
      env.invalid("OTEL_PROPAGATORS", v, why, "tracecontext,baggage");
    }
  }

  if (!o.disabled) read_sampler(env, o);
  return o;
}

}  // namespace litetrace
