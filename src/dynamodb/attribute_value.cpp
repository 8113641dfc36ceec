#include "agents/dynamodb/attribute_value.hpp"

namespace agents::dynamodb {

AttributeValue AttributeValue::M(AttributeMap map) {
  AttributeValue v;
  v.type_ = Type::kM;
  v.map_ = std::make_unique<AttributeMap>(std::move(map));
  return v;
}

AttributeValue AttributeValue::L(AttributeList list) {
  AttributeValue v;
  v.type_ = Type::kL;
  v.list_ = std::make_unique<AttributeList>(std::move(list));
  return v;
}

AttributeValue::AttributeValue(const AttributeValue& other)
    : type_(other.type_), bool_(other.bool_), scalar_(other.scalar_), set_(other.set_) {
  if (other.map_) map_ = std::make_unique<AttributeMap>(*other.map_);
  if (other.list_) list_ = std::make_unique<AttributeList>(*other.list_);
}

AttributeValue& AttributeValue::operator=(const AttributeValue& other) {
  if (this != &other) *this = AttributeValue(other);
  return *this;
}

AttributeValue::~AttributeValue() = default;

const AttributeMap& AttributeValue::map() const {
  static const AttributeMap kEmpty;
  return map_ ? *map_ : kEmpty;
}

const AttributeList& AttributeValue::list() const {
  static const AttributeList kEmpty;
  return list_ ? *list_ : kEmpty;
}

bool operator==(const AttributeValue& a, const AttributeValue& b) {
  return a.type_ == b.type_ && a.bool_ == b.bool_ && a.scalar_ == b.scalar_ && a.set_ == b.set_ &&
         a.map() == b.map() && a.list() == b.list();
}

const char* type_tag(AttributeValue::Type type) noexcept {
  using T = AttributeValue::Type;
  switch (type) {
    case T::kNull:
      return "NULL";
    case T::kS:
      return "S";
    case T::kN:
      return "N";
    case T::kB:
      return "B";
    case T::kBool:
      return "BOOL";
    case T::kM:
      return "M";
    case T::kL:
      return "L";
    case T::kSS:
      return "SS";
    case T::kNS:
      return "NS";
    case T::kBS:
      return "BS";
  }
  return "?";
}

namespace {

// DynamoDB stores numbers in a base-100 form: about one byte per two significant digits, plus one.
std::size_t number_size(const std::string& n) noexcept {
  std::size_t digits = 0;
  bool leading = true;
  std::size_t trailing_zeros = 0;
  for (char c : n) {
    if (c == 'e' || c == 'E') break;
    if (c < '0' || c > '9') continue;
    if (leading && c == '0') continue;
    leading = false;
    ++digits;
    trailing_zeros = c == '0' ? trailing_zeros + 1 : 0;
  }
  digits -= trailing_zeros;
  return (digits + 1) / 2 + 1;
}

}  // namespace

std::size_t attribute_size(const AttributeValue& v) noexcept {
  using T = AttributeValue::Type;
  switch (v.type()) {
    case T::kNull:
    case T::kBool:
      return 1;
    case T::kS:
    case T::kB:
      return v.scalar().size();
    case T::kN:
      return number_size(v.scalar());
    case T::kSS:
    case T::kBS: {
      std::size_t n = 0;
      for (const auto& s : v.set()) n += s.size();
      return n;
    }
    case T::kNS: {
      std::size_t n = 0;
      for (const auto& s : v.set()) n += number_size(s);
      return n;
    }
    case T::kM: {
      std::size_t n = 3;
      for (const auto& [name, value] : v.map()) n += 1 + name.size() + attribute_size(value);
      return n;
    }
    case T::kL: {
      std::size_t n = 3;
      for (const auto& value : v.list()) n += 1 + attribute_size(value);
      return n;
    }
  }
  return 0;
}

std::size_t item_size(const Item& item) noexcept {
  std::size_t n = 0;
  for (const auto& [name, value] : item) n += name.size() + attribute_size(value);
  return n;
}

}  // namespace agents::dynamodb
