#include "checkpoint/json_spans.hpp"

#include <simdjson.h>

#include <cstring>

namespace agents::detail {

namespace {

bool is_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

}  // namespace

ObjectMembers::ObjectMembers(std::string_view text) : text_(text) {
  skip_space();
  if (pos_ < text_.size() && text_[pos_] == '{') {
    ++pos_;
  } else {
    done_ = true;
  }
}

void ObjectMembers::skip_space() {
  while (pos_ < text_.size() && is_space(text_[pos_])) ++pos_;
}

std::size_t ObjectMembers::string_end(std::size_t open_quote) const {
  std::size_t at = open_quote + 1;
  for (;;) {
    const void* quote = std::memchr(text_.data() + at, '"', text_.size() - at);
    if (quote == nullptr) return text_.size();  // cannot happen in validated text
    std::size_t q = static_cast<const char*>(quote) - text_.data();
    std::size_t backslashes = 0;
    while (q - backslashes > open_quote + 1 && text_[q - backslashes - 1] == '\\') ++backslashes;
    if (backslashes % 2 == 0) return q + 1;  // not escaped
    at = q + 1;
  }
}

bool ObjectMembers::next(std::string_view& value, int max_depth, bool& too_deep, bool& has_space) {
  too_deep = false;
  has_space = false;
  if (done_) return false;
  skip_space();
  if (pos_ < text_.size() && text_[pos_] == ',') {
    ++pos_;
    skip_space();
  }
  if (pos_ >= text_.size() || text_[pos_] != '"') {  // '}': the end
    done_ = true;
    return false;
  }
  pos_ = string_end(pos_);  // the key
  skip_space();
  ++pos_;  // ':'
  skip_space();
  const std::size_t start = pos_;
  int depth = 0;
  while (pos_ < text_.size()) {
    const char c = text_[pos_];
    if (c == '"') {
      pos_ = string_end(pos_);
      if (depth == 0) break;
      continue;
    }
    if (c == '{' || c == '[') {
      if (++depth > max_depth) {
        too_deep = true;
        done_ = true;
        return false;
      }
    } else if (c == '}' || c == ']') {
      if (depth == 0) break;  // the end of the enclosing object: a scalar ended before it
      if (--depth == 0) {
        ++pos_;
        break;
      }
    } else if (c == ',') {
      if (depth == 0) break;
    } else if (is_space(c)) {
      if (depth == 0) break;
      has_space = true;
    }
    ++pos_;
  }
  value = text_.substr(start, pos_ - start);
  return true;
}

std::string minified(std::string_view value) {
  std::string out(value.size() + simdjson::SIMDJSON_PADDING, '\0');
  std::size_t length = 0;
  if (simdjson::minify(value.data(), value.size(), out.data(), length) != simdjson::SUCCESS) {
    return std::string(value);  // validated text: does not happen
  }
  out.resize(length);
  return out;
}

}  // namespace agents::detail
