// DynamoDB's typed attribute values (S, N, B, BOOL, NULL, M, L, SS, NS, BS). Numbers stay
// strings, exactly as on the wire: they are never round-tripped through double.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "agents/export.hpp"

namespace agents::dynamodb {

class AttributeValue;
using AttributeMap = std::map<std::string, AttributeValue, std::less<>>;
using AttributeList = std::vector<AttributeValue>;
/// An item: attribute name to value.
using Item = AttributeMap;

class AGENTS_API AttributeValue {
 public:
  enum class Type { kNull, kS, kN, kB, kBool, kM, kL, kSS, kNS, kBS };

  AttributeValue() = default;  // NULL
  static AttributeValue S(std::string text) { return AttributeValue(Type::kS, std::move(text)); }
  static AttributeValue N(std::string number) { return AttributeValue(Type::kN, std::move(number)); }
  static AttributeValue N(long long number) { return AttributeValue(Type::kN, std::to_string(number)); }
  /// Raw bytes (base64 only on the wire).
  static AttributeValue B(std::string bytes) { return AttributeValue(Type::kB, std::move(bytes)); }
  static AttributeValue Bool(bool value) {
    AttributeValue v;
    v.type_ = Type::kBool;
    v.bool_ = value;
    return v;
  }
  static AttributeValue Null() { return AttributeValue(); }
  static AttributeValue M(AttributeMap map);
  static AttributeValue L(AttributeList list);
  static AttributeValue SS(std::vector<std::string> set) { return set_of(Type::kSS, std::move(set)); }
  static AttributeValue NS(std::vector<std::string> set) { return set_of(Type::kNS, std::move(set)); }
  static AttributeValue BS(std::vector<std::string> set) { return set_of(Type::kBS, std::move(set)); }

  AttributeValue(const AttributeValue& other);
  AttributeValue& operator=(const AttributeValue& other);
  AttributeValue(AttributeValue&&) noexcept = default;
  AttributeValue& operator=(AttributeValue&&) noexcept = default;
  ~AttributeValue();

  Type type() const noexcept { return type_; }
  bool is(Type t) const noexcept { return type_ == t; }
  /// The text of S, the digits of N, the bytes of B; empty for other types.
  const std::string& scalar() const noexcept { return scalar_; }
  std::string& scalar() noexcept { return scalar_; }
  bool boolean() const noexcept { return bool_; }
  /// Members of SS, NS, BS.
  const std::vector<std::string>& set() const noexcept { return set_; }
  /// M and L; an empty one for other types.
  const AttributeMap& map() const;
  const AttributeList& list() const;

  friend bool operator==(const AttributeValue& a, const AttributeValue& b);

 private:
  AttributeValue(Type type, std::string scalar) : type_(type), scalar_(std::move(scalar)) {}
  static AttributeValue set_of(Type type, std::vector<std::string> set) {
    AttributeValue v;
    v.type_ = type;
    v.set_ = std::move(set);
    return v;
  }

  Type type_ = Type::kNull;
  bool bool_ = false;
  std::string scalar_;
  std::vector<std::string> set_;
  std::unique_ptr<AttributeMap> map_;    // M
  std::unique_ptr<AttributeList> list_;  // L
};

/// "S", "N", "BOOL", ...: the wire tag.
AGENTS_API const char* type_tag(AttributeValue::Type type) noexcept;

/// The item's size as DynamoDB counts it against the 400 KB limit: UTF-8 bytes of attribute
/// names plus value sizes (numbers: 1 byte per base-100 digit pair aligned on the decimal point,
/// plus 1, plus 1 if negative; binary as raw bytes; 3 bytes of overhead plus 1 per element for M
/// and L).
AGENTS_API std::size_t item_size(const Item& item) noexcept;
AGENTS_API std::size_t attribute_size(const AttributeValue& value) noexcept;

}  // namespace agents::dynamodb
