#include "agents/dynamodb/attribute_value.hpp"

#include <cstdint>
#include <optional>

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

// DynamoDB stores a number as base-100 digits aligned on the decimal point (pairs of decimal
// digits at powers 10^(2k+1) and 10^(2k)) plus one byte, plus one more when negative; zero is one
// byte. So 100 ("1|00") is 2 bytes but 110 ("1|10") is 3, and 0.05 ("05") is 2. Found in dynalite's
// valSize and confirmed on DynamoDB Local by probing the 409,600-byte limit.
std::size_t number_size(const std::string& n) noexcept {
  constexpr std::int64_t kExponentCap = std::int64_t{1} << 40;  // bounds a malformed exponent
  std::size_t i = 0;
  bool negative = false;
  if (i < n.size() && (n[i] == '-' || n[i] == '+')) negative = n[i++] == '-';
  // Powers of ten of the mantissa's digits count down from `power`; the first and last non-zero
  // digits are what the base-100 form keeps.
  std::size_t int_digits = 0;
  for (std::size_t j = i; j < n.size() && n[j] >= '0' && n[j] <= '9'; ++j) ++int_digits;
  std::int64_t power = static_cast<std::int64_t>(int_digits) - 1;
  std::optional<std::int64_t> high, low;
  for (; i < n.size() && n[i] != 'e' && n[i] != 'E'; ++i) {
    if (n[i] < '0' || n[i] > '9') continue;  // the decimal point
    if (n[i] != '0') {
      if (!high) high = power;
      low = power;
    }
    --power;
  }
  if (!high) return 1;
  std::int64_t exponent = 0;
  bool exponent_negative = false;
  if (i < n.size()) ++i;  // 'e' or 'E'
  if (i < n.size() && (n[i] == '-' || n[i] == '+')) exponent_negative = n[i++] == '-';
  for (; i < n.size() && n[i] >= '0' && n[i] <= '9'; ++i) {
    if (exponent < kExponentCap) exponent = exponent * 10 + (n[i] - '0');
  }
  if (exponent_negative) exponent = -exponent;
  auto pair_of = [](std::int64_t p) { return p >= 0 ? p / 2 : -((1 - p) / 2); };  // floor(p / 2)
  std::int64_t pairs = pair_of(*high + exponent) - pair_of(*low + exponent) + 1;
  return static_cast<std::size_t>(pairs) + 1 + (negative ? 1 : 0);
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
