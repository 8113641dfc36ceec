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

  /// Moves to the next member's value, past its key; false after the last member.
  bool next_key();
  /// The value at hand, exactly as written (no surrounding whitespace), and moves past it.
  /// `max_depth` bounds how many arrays and objects it may nest: beyond that it returns false.
  /// `has_space` tells whether it holds whitespace outside its strings (pretty-printed: minify).
  bool value(std::string_view& out, int max_depth, bool& has_space);
  /// The object value at hand, to walk its own members; once that walk's next_key() has returned
  /// false, `resume_after` moves this walk past the object.
  ObjectMembers nested() const { return ObjectMembers(text_.substr(pos_)); }
  void resume_after(const ObjectMembers& nested);

 private:
  std::size_t string_end(std::size_t open_quote) const;  ///< one past the closing quote
  void skip_space();

  std::string_view text_;
  std::size_t pos_ = 0;
  bool done_ = false;
};

/// `value` without whitespace outside its strings.
std::string minified(std::string_view value);

}  // namespace agents::detail
