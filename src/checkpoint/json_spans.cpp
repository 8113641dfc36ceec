#include "checkpoint/json_spans.hpp"

#include <simdjson.h>

#include <array>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace agents::detail {

namespace {

// What a byte outside strings means to the walk; kPlain for the bytes of numbers and literals.
enum Byte : unsigned char { kPlain, kQuote, kOpen, kClose, kComma, kSpace };

constexpr std::array<unsigned char, 256> kBytes = [] {
  std::array<unsigned char, 256> t{};
  t['"'] = kQuote;
  t['{'] = t['['] = kOpen;
  t['}'] = t[']'] = kClose;
  t[','] = kComma;
  t[' '] = t['\n'] = t['\r'] = t['\t'] = kSpace;
  return t;
}();

bool is_space(char c) { return kBytes[static_cast<unsigned char>(c)] == kSpace; }

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

// Sixteen bytes at a time where SSE2 is there (every x86-64): a string's bytes are most of a
// free-form document's.
std::size_t ObjectMembers::string_end(std::size_t open_quote) const {
  const char* const begin = text_.data();
  const char* p = begin + open_quote + 1;
  const char* const end = begin + text_.size();
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  while (end - p >= 16) {
    const __m128i chunk = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const int hits =
        _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(chunk, quote), _mm_cmpeq_epi8(chunk, backslash)));
    if (hits == 0) {
      p += 16;
      continue;
    }
    p += __builtin_ctz(static_cast<unsigned>(hits));
    if (*p == '"') return static_cast<std::size_t>(p + 1 - begin);
    p += 2;  // a backslash and the byte it escapes, which cannot end the string
  }
#endif
  while (p < end) {
    if (*p == '"') return static_cast<std::size_t>(p + 1 - begin);
    p += *p == '\\' ? 2 : 1;
  }
  return text_.size();  // cannot happen in validated text
}

bool ObjectMembers::next_key() {
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
  pos_ = string_end(pos_);
  skip_space();
  ++pos_;  // ':'
  skip_space();
  return true;
}

bool ObjectMembers::value(std::string_view& out, int max_depth, bool& has_space) {
  has_space = false;
  const std::size_t start = pos_;
  int depth = 0;
  while (pos_ < text_.size()) {
    switch (kBytes[static_cast<unsigned char>(text_[pos_])]) {
      case kPlain:
        break;
      case kQuote:
        pos_ = string_end(pos_);
        if (depth == 0) {
          out = text_.substr(start, pos_ - start);
          return true;
        }
        continue;
      case kOpen:
        if (++depth > max_depth) {
          done_ = true;
          return false;
        }
        break;
      case kClose:
        if (depth == 0) {  // the enclosing object's end: a number or literal ended before it
          out = text_.substr(start, pos_ - start);
          return true;
        }
        if (--depth == 0) {
          ++pos_;
          out = text_.substr(start, pos_ - start);
          return true;
        }
        break;
      case kComma:
      case kSpace:
        if (depth == 0) {
          out = text_.substr(start, pos_ - start);
          return true;
        }
        has_space = has_space || text_[pos_] != ',';
        break;
    }
    ++pos_;
  }
  out = text_.substr(start);
  return true;
}

void ObjectMembers::resume_after(const ObjectMembers& nested) {
  // A finished nested walk stands on its closing brace (next_key stops there without taking it);
  // its positions count from where this walk stood.
  pos_ += nested.pos_ + 1;
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
