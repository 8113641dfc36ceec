#include "checkpoint/json_value.hpp"

namespace agents::detail {

void write_json(JsonWriter& w, const nlohmann::json& v) {
  using T = nlohmann::json::value_t;
  switch (v.type()) {
    case T::null:
    case T::discarded:
      w.Null();
      break;
    case T::boolean:
      w.Bool(v.get<bool>());
      break;
    case T::number_integer:
      w.Int64(v.get<std::int64_t>());
      break;
    case T::number_unsigned:
      w.Uint64(v.get<std::uint64_t>());
      break;
    case T::number_float: {
      std::string text = v.dump();  // shortest round-trip form
      w.RawValue(text.data(), text.size(), rapidjson::kNumberType);
      break;
    }
    case T::string: {
      const auto& s = v.get_ref<const std::string&>();
      w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
      break;
    }
    case T::array:
      w.StartArray();
      for (const auto& e : v) write_json(w, e);
      w.EndArray();
      break;
    case T::object:
      w.StartObject();
      for (const auto& [key, value] : v.items()) {
        w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
        write_json(w, value);
      }
      w.EndObject();
      break;
    case T::binary:
      w.Null();
      break;
  }
}

bool to_json(simdjson::dom::element e, nlohmann::json& out, std::string& error, int max_depth) {
  if (max_depth <= 0) {
    error = "JSON nested too deeply";
    return false;
  }
  using T = simdjson::dom::element_type;
  switch (e.type()) {
    case T::NULL_VALUE:
      out = nullptr;
      return true;
    case T::BOOL:
      out = bool(e.get_bool());
      return true;
    case T::INT64:
      out = int64_t(e.get_int64());
      return true;
    case T::UINT64:
      out = uint64_t(e.get_uint64());
      return true;
    case T::DOUBLE:
      out = double(e.get_double());
      return true;
    case T::STRING:
      out = std::string(std::string_view(e.get_string()));
      return true;
    case T::ARRAY: {
      out = nlohmann::json::array();
      for (auto member : e.get_array()) {
        nlohmann::json v;
        if (!to_json(member, v, error, max_depth - 1)) return false;
        out.push_back(std::move(v));
      }
      return true;
    }
    case T::OBJECT: {
      out = nlohmann::json::object();
      for (auto field : e.get_object()) {
        nlohmann::json v;
        if (!to_json(field.value, v, error, max_depth - 1)) return false;
        out[std::string(field.key)] = std::move(v);
      }
      return true;
    }
  }
  error = "unknown JSON value";
  return false;
}

}  // namespace agents::detail
