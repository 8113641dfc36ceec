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
      for (const auto& [key, value] : v.get_ref<const nlohmann::json::object_t&>()) {
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
    case T::STRING: {
      const std::string_view text = e.get_string();
      out = nlohmann::json::string_t(text.data(), text.size());
      return true;
    }
    case T::ARRAY: {
      // Built in place: a value per member, no temporaries to move and destroy.
      simdjson::dom::array array;
      if (e.get_array().get(array)) break;
      out = nlohmann::json::array();
      auto& members = out.get_ref<nlohmann::json::array_t&>();
      members.reserve(array.size());
      for (auto member : array) {
        if (!to_json(member, members.emplace_back(), error, max_depth - 1)) return false;
      }
      return true;
    }
    case T::OBJECT: {
      // Stored objects come with sorted keys (write_json writes nlohmann's sorted map), so each
      // field goes at the end of the map: a hinted insert instead of a search. A repeated key
      // keeps its last value, as nlohmann's own parser does.
      simdjson::dom::object object;
      if (e.get_object().get(object)) break;
      out = nlohmann::json::object();
      auto& fields = out.get_ref<nlohmann::json::object_t&>();
      for (auto field : object) {
        // A repeated key finds its first value, which to_json overwrites.
        auto it = fields.emplace_hint(fields.end(), field.key, nullptr);
        if (!to_json(field.value, it->second, error, max_depth - 1)) return false;
      }
      return true;
    }
  }
  error = "unknown JSON value";
  return false;
}

}  // namespace agents::detail
