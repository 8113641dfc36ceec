// A free-form JSON value that can stay as the text it was stored as: the values of a state's
// scratchpad (docs/adr/0008-scratchpad-values-as-text.md).
#pragma once

#include <atomic>
#include <concepts>
#include <cstddef>
#include <ostream>
#include <string>
#include <type_traits>
#include <utility>

#include "agents/core/json.hpp"
#include "agents/export.hpp"

namespace agents {

class JsonValue;

namespace detail {
/// Internal (the state decoder's): a value held as `compact_json`, which must be valid JSON.
JsonValue adopt_json_text(std::string compact_json);
}  // namespace detail

/// Free-form JSON that a load keeps as the compact text it was stored as and parses the first
/// time it is read, so a large document in a scratchpad loads and saves as one string rather than
/// as a tree with an allocation per value.
///
/// Assign it anything a `Json` takes. Read it with `json()` (or wherever a `const Json&` is
/// wanted), `get<T>()` or `at()`; reading is safe from several threads at once, as for any const
/// object. Change it in place through `mutable_json()`, which drops the stored text: the next save
/// writes the changed value.
class AGENTS_API JsonValue {
 public:
  JsonValue() noexcept = default;  ///< null
  JsonValue(Json value);           // NOLINT(google-explicit-constructor): as Json converts
  template <typename T>
  requires(!std::same_as<std::remove_cvref_t<T>, JsonValue> && !std::same_as<std::remove_cvref_t<T>, Json> &&
           std::is_constructible_v<Json, T&&>) JsonValue(T&& value)
      : JsonValue(Json(std::forward<T>(value))) {}  // NOLINT(google-explicit-constructor)
  JsonValue(Json::initializer_list_t init) : JsonValue(Json(init)) {}

  JsonValue(const JsonValue& other);
  JsonValue(JsonValue&& other) noexcept;
  JsonValue& operator=(const JsonValue& other);
  JsonValue& operator=(JsonValue&& other) noexcept;
  ~JsonValue();

  /// The value; a stored text is parsed on the first read and kept.
  const Json& json() const;
  /// The value, to change: the stored text is dropped (a separate name, so that reading through
  /// a non-const JsonValue never drops it).
  Json& mutable_json();
  operator const Json&() const { return json(); }  // NOLINT(google-explicit-constructor)

  template <typename T>
  T get() const {
    return json().template get<T>();
  }
  const Json& at(const std::string& key) const { return json().at(key); }
  const Json& at(std::size_t index) const { return json().at(index); }

  /// Compact JSON: the stored text while it is held, else the value printed.
  std::string dump() const;
  /// The compact text the value was loaded as, while it has not been changed; else nullptr.
  const std::string* stored_text() const noexcept { return has_text_ ? &text_ : nullptr; }

  // Hidden friends: found only when a JsonValue is compared or printed, so that they never turn
  // other comparisons (a string_view with a literal) into JsonValue ones.

  /// Equal values compare equal whether held as text or parsed (objects by key, in whatever
  /// order the stored text had them).
  friend bool operator==(const JsonValue& a, const JsonValue& b) { return a.equals(b); }
  template <typename T>
  requires(!std::same_as<std::remove_cvref_t<T>, JsonValue> &&
           std::is_constructible_v<Json, const T&>) friend bool
  operator==(const JsonValue& a, const T& b) {
    if constexpr (std::same_as<T, Json>) {
      return a.json() == b;
    } else {
      return a.json() == Json(b);
    }
  }
  /// Prints the compact JSON (as dump()).
  friend std::ostream& operator<<(std::ostream& os, const JsonValue& value) { return os << value.dump(); }

 private:
  bool equals(const JsonValue& other) const;

  friend JsonValue detail::adopt_json_text(std::string compact_json);
  struct TextTag {};
  JsonValue(TextTag, std::string text) noexcept : text_(std::move(text)), has_text_(true) {}

  std::string text_;                            ///< the stored text, when has_text_
  bool has_text_ = false;                       ///< false once changed, or if never loaded
  mutable std::atomic<Json*> parsed_{nullptr};  ///< owned; set once by the first read
};

}  // namespace agents
