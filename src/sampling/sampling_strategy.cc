#include "sampling/sampling_strategy.h"

#include <cstdio>

#include "core/json_reader.h"

namespace litetrace::detail {
namespace {

using Type = JsonValue::Type;

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

// Reads an optional number member; absent (or null) leaves `out` as it is.
bool read_number(const JsonValue& object, std::string_view key, double& out, std::string* error) {
  const JsonValue* v = object.find(key);
  if (v == nullptr || v->is(Type::kNull)) return true;
  if (!v->is(Type::kNumber)) {
    *error = std::string(key) + " is not a number";
    return false;
  }
  out = v->number();
  return true;
}

bool read_probability(const JsonValue& object, std::string_view key, double& out, std::string* error) {
  if (!read_number(object, key, out, error)) return false;
  if (out < 0 || out > 1) {
    *error = std::string(key) + " " + number(out) + " is not in [0, 1]";
    return false;
  }
  return true;
}

bool read_rate(const JsonValue& object, std::string_view key, double& out, std::string* error) {
  if (!read_number(object, key, out, error)) return false;
  if (out < 0) {
    *error = std::string(key) + " " + number(out) + " is negative";
    return false;
  }
  return true;
}

// An optional object member: nullptr when absent or null, an error when not an object.
bool object_member(const JsonValue& parent, std::string_view key, const JsonValue*& out, std::string* error) {
  out = parent.find(key);
  if (out != nullptr && out->is(Type::kNull)) out = nullptr;
  if (out != nullptr && !out->is(Type::kObject)) {
    *error = std::string(key) + " is not an object";
    return false;
  }
  return true;
}

bool read_operations(const JsonValue& sampling, SamplingStrategy& s, std::string* error) {
  s.type = SamplingStrategy::Type::kPerOperation;
  if (!read_probability(sampling, "defaultSamplingProbability", s.default_probability, error) ||
      !read_rate(sampling, "defaultLowerBoundTracesPerSecond", s.default_lower_bound, error)) {
    return false;
  }
  const JsonValue* list = sampling.find("perOperationStrategies");
  if (list == nullptr || list->is(Type::kNull)) return true;
  if (!list->is(Type::kArray)) {
    *error = "perOperationStrategies is not an array";
    return false;
  }
  for (const JsonValue& item : list->items()) {
    const JsonValue* name = item.find("operation");
    if (!item.is(Type::kObject) || name == nullptr || !name->is(Type::kString) || name->string().empty()) {
      *error = "a per-operation strategy has no operation name";
      return false;
    }
    OperationStrategy op{name->string(), s.default_probability};
    const JsonValue* probabilistic = nullptr;
    if (!object_member(item, "probabilisticSampling", probabilistic, error)) return false;
    if (probabilistic != nullptr) {
      op.probability = 0;  // proto3 JSON omits a zero rate
      if (!read_probability(*probabilistic, "samplingRate", op.probability, error)) return false;
    }
    s.operations.push_back(std::move(op));
  }
  return true;
}

}  // namespace

bool SamplingStrategy::operator==(const SamplingStrategy& o) const {
  if (type != o.type || probability != o.probability || max_traces_per_second != o.max_traces_per_second ||
      default_probability != o.default_probability || default_lower_bound != o.default_lower_bound ||
      operations.size() != o.operations.size()) {
    return false;
  }
  for (size_t i = 0; i < operations.size(); ++i) {
    if (operations[i].operation != o.operations[i].operation ||
        operations[i].probability != o.operations[i].probability) {
      return false;
    }
  }
  return true;
}

std::string SamplingStrategy::describe() const {
  switch (type) {
    case Type::kProbabilistic: return "probabilistic " + number(probability);
    case Type::kRateLimiting: return "ratelimiting " + number(max_traces_per_second) + "/s";
    case Type::kPerOperation:
      return "per-operation (" + std::to_string(operations.size()) + " operations, default " +
             number(default_probability) + ", lower bound " + number(default_lower_bound) + "/s)";
  }
  return "";
}

bool parse_sampling_strategy(std::string_view json, SamplingStrategy& out, std::string* error) {
  std::string why;
  JsonValue doc;
  if (!parse_json(json, doc, &why)) {
    *error = "not JSON: " + why;
    return false;
  }
  if (!doc.is(Type::kObject)) {
    *error = "not a JSON object";
    return false;
  }
  SamplingStrategy s;
  const JsonValue* probabilistic = nullptr;
  const JsonValue* rate_limiting = nullptr;
  const JsonValue* operations = nullptr;
  if (!object_member(doc, "probabilisticSampling", probabilistic, error) ||
      !object_member(doc, "rateLimitingSampling", rate_limiting, error) ||
      !object_member(doc, "operationSampling", operations, error)) {
    return false;
  }

  // strategyType: 0 / "PROBABILISTIC", 1 / "RATE_LIMITING"; absent: from the objects.
  bool rate_limited = rate_limiting != nullptr && probabilistic == nullptr;
  if (const JsonValue* type = doc.find("strategyType"); type != nullptr && !type->is(Type::kNull)) {
    if (type->is(Type::kNumber) && (type->number() == 0 || type->number() == 1)) {
      rate_limited = type->number() == 1;
    } else if (type->is(Type::kString) && (type->string() == "PROBABILISTIC" || type->string() == "RATE_LIMITING")) {
      rate_limited = type->string() == "RATE_LIMITING";
    } else {
      *error = "unknown strategyType";
      return false;
    }
  } else if (probabilistic == nullptr && rate_limiting == nullptr && operations == nullptr) {
    *error = "no strategyType and no strategy object";
    return false;
  }

  // As Jaeger's clients do: per-operation sampling, when present, takes precedence.
  if (operations != nullptr) {
    if (!read_operations(*operations, s, error)) return false;
  } else if (rate_limited) {
    s.type = SamplingStrategy::Type::kRateLimiting;
    if (rate_limiting == nullptr) {
      *error = "strategyType RATE_LIMITING without rateLimitingSampling";
      return false;
    }
    if (!read_rate(*rate_limiting, "maxTracesPerSecond", s.max_traces_per_second, error)) return false;
  } else {
    s.type = SamplingStrategy::Type::kProbabilistic;
    if (probabilistic == nullptr) {
      *error = "strategyType PROBABILISTIC without probabilisticSampling";
      return false;
    }
    if (!read_probability(*probabilistic, "samplingRate", s.probability, error)) return false;
  }
  out = std::move(s);
  return true;
}

}  // namespace litetrace::detail
