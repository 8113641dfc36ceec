#include "agents/agent/tool.hpp"

#include "agents/core/error.hpp"

namespace agents {

namespace {

bool valid_tool_name(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (unsigned char c : name) {
    if (!(std::isalnum(c) || c == '_' || c == '-')) return false;
  }
  return true;
}

bool has_type(const Json& value, const std::string& type) {
  if (type == "string") return value.is_string();
  if (type == "integer")
    return value.is_number_integer() ||
           (value.is_number_float() &&
            value.get<double>() == static_cast<double>(static_cast<long long>(value.get<double>())));
  if (type == "number") return value.is_number();
  if (type == "boolean") return value.is_boolean();
  if (type == "array") return value.is_array();
  if (type == "object") return value.is_object();
  if (type == "null") return value.is_null();
  return true;  // a type this check does not know: accept
}

std::string type_name(const Json& value) {
  switch (value.type()) {
    case Json::value_t::string:
      return "a string";
    case Json::value_t::boolean:
      return "a boolean";
    case Json::value_t::array:
      return "an array";
    case Json::value_t::object:
      return "an object";
    case Json::value_t::null:
      return "null";
    default:
      return "a number";
  }
}

}  // namespace

Tool::Tool(std::string name, std::string description, Json parameters_schema, Handler handler)
    : spec_{std::move(name), std::move(description), std::move(parameters_schema)},
      handler_(std::move(handler)) {
  if (!valid_tool_name(spec_.name)) {
    throw InvalidArgumentError(
        "tool name \"" + spec_.name +
        "\" is invalid: use 1 to 64 letters, digits, '_' or '-' (the OpenAI protocol's rule)");
  }
  if (!handler_) throw InvalidArgumentError("tool " + spec_.name + ": the callable is empty");
  if (spec_.parameters.is_null()) spec_.parameters = Json{{"type", "object"}, {"properties", Json::object()}};
  if (!spec_.parameters.is_object()) {
    throw InvalidArgumentError("tool " + spec_.name + ": the parameters schema must be a JSON object");
  }
}

Tool& Tool::requires_approval(std::optional<std::string> policy_note) {
  needs_approval_ = true;
  policy_note_ = std::move(policy_note);
  return *this;
}

std::string Tool::check_arguments(const Json& arguments) const {
  if (!arguments.is_object()) return "the arguments must be a JSON object, got " + type_name(arguments);
  const Json& schema = spec_.parameters;
  if (auto req = schema.find("required"); req != schema.end() && req->is_array()) {
    for (const auto& key : *req) {
      if (key.is_string() && !arguments.contains(key.get<std::string>())) {
        return "missing required argument \"" + key.get<std::string>() + "\"";
      }
    }
  }
  auto props = schema.find("properties");
  if (props == schema.end() || !props->is_object()) return {};
  for (const auto& [key, value] : arguments.items()) {
    auto prop = props->find(key);
    if (prop == props->end() || !prop->is_object()) continue;
    if (auto type = prop->find("type"); type != prop->end()) {
      bool ok = false;
      std::string expected;
      if (type->is_string()) {
        ok = has_type(value, type->get<std::string>());
        expected = type->get<std::string>();
      } else if (type->is_array()) {
        for (const auto& t : *type) {
          if (!t.is_string()) continue;
          ok = ok || has_type(value, t.get<std::string>());
          expected += (expected.empty() ? "" : " or ") + t.get<std::string>();
        }
      } else {
        ok = true;
      }
      if (!ok) return "argument \"" + key + "\" must be " + expected + ", got " + type_name(value);
    }
    if (auto en = prop->find("enum"); en != prop->end() && en->is_array()) {
      if (std::find(en->begin(), en->end(), value) == en->end()) {
        return "argument \"" + key + "\" must be one of " + en->dump() + ", got " + value.dump();
      }
    }
  }
  return {};
}

}  // namespace agents
