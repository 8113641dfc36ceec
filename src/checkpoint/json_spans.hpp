// Where each member's value of a JSON object sits in its text, so that a state's scratchpad
// values can be kept as the text they were stored as (docs/adr/0008-scratchpad-values-as-text.md).
// The text must already be valid JSON: the state's DOM parse checks it, this only finds spans.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace agents::detail {

/// Walks the members of one JSON object in its (validated) text.
class ObjectMembers {
 public:
  /// `text` from the object's opening brace (leading whitespace allowed) to at least its end.
  explicit ObjectMembers(std::string_view text);

  /// The next member's value, exactly as written (no surrounding whitespace); false after the
  /// last. `max_depth` bounds how many arrays and objects the value may nest; beyond it, `next`
  /// sets `too_deep` and returns false. `has_space` tells whether the value holds whitespace
  /// outside its strings (a pretty-printed value, to minify).
  bool next(std::string_view& value, int max_depth, bool& too_deep, bool& has_space);

 private:
  void skip_space();
  std::size_t string_end(std::size_t open_quote) const;  ///< one past the closing quote

  std::string_view text_;
  std::size_t pos_ = 0;
  bool done_ = false;
};

/// `value` without whitespace outside its strings.
std::string minified(std::string_view value);

}  // namespace agents::detail
