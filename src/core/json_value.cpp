#include "agents/core/json_value.hpp"

#include <memory>

namespace agents {

JsonValue detail::adopt_json_text(std::string compact_json) {
  return JsonValue(JsonValue::TextTag{}, std::move(compact_json));
}

JsonValue::JsonValue(Json value) : parsed_(new Json(std::move(value))) {}

// A copy of a value held as text copies the text only: the copy parses it if it is read.
JsonValue::JsonValue(const JsonValue& other) : text_(other.text_), has_text_(other.has_text_) {
  if (!has_text_) {
    if (const Json* p = other.parsed_.load(std::memory_order_acquire)) parsed_.store(new Json(*p));
  }
}

JsonValue::JsonValue(JsonValue&& other) noexcept
    : text_(std::move(other.text_)),
      has_text_(std::exchange(other.has_text_, false)),
      parsed_(other.parsed_.exchange(nullptr)) {}

JsonValue& JsonValue::operator=(const JsonValue& other) {
  if (this != &other) *this = JsonValue(other);
  return *this;
}

JsonValue& JsonValue::operator=(JsonValue&& other) noexcept {
  if (this != &other) {
    text_ = std::move(other.text_);
    has_text_ = std::exchange(other.has_text_, false);
    delete parsed_.exchange(other.parsed_.exchange(nullptr));
  }
  return *this;
}

JsonValue::~JsonValue() { delete parsed_.load(); }

const Json& JsonValue::json() const {
  if (const Json* p = parsed_.load(std::memory_order_acquire)) return *p;
  // Readers may race here: each parses, one keeps its tree, the others drop theirs.
  auto fresh = std::make_unique<Json>(has_text_ ? Json::parse(text_) : Json());
  Json* expected = nullptr;
  if (parsed_.compare_exchange_strong(expected, fresh.get(), std::memory_order_acq_rel,
                                      std::memory_order_acquire)) {
    return *fresh.release();
  }
  return *expected;
}

Json& JsonValue::mutable_json() {
  const Json& value = json();
  has_text_ = false;
  std::string().swap(text_);
  return const_cast<Json&>(value);  // owned by this object, which is not const here
}

std::string JsonValue::dump() const { return has_text_ ? text_ : json().dump(); }

bool JsonValue::equals(const JsonValue& other) const {
  if (has_text_ && other.has_text_ && text_ == other.text_) return true;  // no parse needed
  return json() == other.json();
}

}  // namespace agents
