#include "checkpoint/generation.hpp"

#include <algorithm>
#include <charconv>

namespace agents::detail {

namespace {
constexpr char kPrefix = 'g';
constexpr std::size_t kMaxSaveIdBytes = 64;

// Calls `f` with each space-separated field of an ancestor list; stops early when it returns true.
template <typename F>
bool any_ancestor(std::string_view list, F f) {
  while (!list.empty()) {
    const std::size_t end = std::min(list.find(' '), list.size());
    if (f(list.substr(0, end))) return true;
    list.remove_prefix(std::min(end + 1, list.size()));
  }
  return false;
}
}  // namespace

std::vector<std::string_view> split_fields(std::string_view text, char separator) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (;;) {
    std::size_t end = text.find(separator, start);
    out.push_back(text.substr(start, end - start));
    if (end == std::string_view::npos) return out;
    start = end + 1;
  }
}

bool is_save_id(std::string_view text) {
  if (text.empty() || text.size() > kMaxSaveIdBytes) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool is_ancestor_list(std::string_view text) {
  if (text.ends_with(' ')) return false;
  std::size_t fields = 0;
  return !any_ancestor(text,
                       [&](std::string_view id) { return !is_save_id(id) || ++fields > kAncestorsKept; });
}

std::string make_storage_hint(const Generation& generation, std::int64_t version,
                              std::string_view layout_hint, std::string_view kept_versions) {
  char digits[24];
  const auto [digits_end, ec] = std::to_chars(digits, digits + sizeof digits, version);
  const std::string_view id = generation.save_id.empty() ? std::string_view("-") : generation.save_id;
  std::string out;
  out.reserve(1 + (digits_end - digits) + id.size() + generation.ancestors.size() + layout_hint.size() + 3);
  out += kPrefix;
  out.append(digits, digits_end);
  out += '/';
  out += id;
  out += '/';
  out += generation.ancestors;
  out += '/';
  out += layout_hint;
  if (!kept_versions.empty()) {
    out += '/';
    out += kept_versions;
  }
  return out;
}

StorageHint parse_storage_hint(std::string_view text) {
  // A hint of a layout alone (from before generations): no 'g', digits, '/'.
  const auto layout_only = [text] { return StorageHint{std::nullopt, std::nullopt, std::string(text)}; };
  if (text.empty() || text.front() != kPrefix) return layout_only();
  std::string_view hint = text.substr(1);
  const std::size_t version_end = hint.find('/');
  if (version_end == std::string_view::npos) return layout_only();
  // The version: the digits before the first '/' (none in hints made before it was carried).
  std::optional<std::int64_t> version;
  if (version_end > 0) {
    std::int64_t v = 0;
    const auto [end, ec] = std::from_chars(hint.data(), hint.data() + version_end, v);
    if (ec != std::errc() || end != hint.data() + version_end || v < 0) return layout_only();
    version = v;
  }
  hint.remove_prefix(version_end + 1);
  const std::size_t id_end = hint.find('/');
  if (id_end == std::string_view::npos) return {};
  const std::size_t ancestors_end = hint.find('/', id_end + 1);
  if (ancestors_end == std::string_view::npos) return {};
  Generation g;
  std::string_view id = hint.substr(0, id_end);
  if (id != "-") {
    if (!is_save_id(id)) return {};
    g.save_id = std::string(id);
  }
  g.ancestors = std::string(hint.substr(id_end + 1, ancestors_end - id_end - 1));
  if (g.ancestors.find(',') != std::string::npos)  // a hint of an earlier version
    std::replace(g.ancestors.begin(), g.ancestors.end(), ',', ' ');
  if (!is_ancestor_list(g.ancestors)) return {};
  std::string_view rest = hint.substr(ancestors_end + 1);
  const std::size_t layout_end = std::min(rest.find('/'), rest.size());
  return {std::move(g), version, std::string(rest.substr(0, layout_end)),
          std::string(rest.substr(std::min(layout_end + 1, rest.size())))};
}

std::string ancestors_after(const Generation& replaced) {
  std::string out;
  if (replaced.save_id.empty()) return out;
  out.reserve((kAncestorIdChars + 1) * kAncestorsKept);
  out += std::string_view(replaced.save_id).substr(0, kAncestorIdChars);
  std::size_t kept = 1;
  any_ancestor(replaced.ancestors, [&](std::string_view id) {
    if (kept++ == kAncestorsKept) return true;
    out += ' ';
    out += id.substr(0, kAncestorIdChars);
    return false;
  });
  return out;
}

bool descends_from(const Generation& head, std::string_view save_id) {
  if (save_id.empty()) return false;
  if (head.save_id == save_id) return true;
  // An ancestor is the whole id or its recorded prefix; a shorter entry (damage) matches only
  // itself.
  const std::size_t recorded = std::min(save_id.size(), kAncestorIdChars);
  return any_ancestor(head.ancestors, [&](std::string_view ancestor) {
    return ancestor == save_id || (ancestor.size() == recorded && save_id.starts_with(ancestor));
  });
}

}  // namespace agents::detail
