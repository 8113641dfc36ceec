#include "checkpoint/generation.hpp"

#include <algorithm>

namespace agents::detail {

namespace {
constexpr std::string_view kPrefix = "g/";
constexpr std::size_t kMaxSaveIdBytes = 64;

std::optional<std::vector<std::string>> parse_ids(std::string_view text, char separator) {
  std::vector<std::string> ids;
  if (text.empty()) return ids;
  for (std::string_view id : split_fields(text, separator)) {
    if (!is_save_id(id)) return std::nullopt;
    ids.emplace_back(id);
  }
  if (ids.size() > kAncestorsKept) return std::nullopt;
  return ids;
}

std::string join(const std::vector<std::string>& ids, char separator) {
  std::string out;
  for (const auto& id : ids) {
    if (!out.empty()) out += separator;
    out += id;
  }
  return out;
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

std::string make_storage_hint(const Generation& generation, std::string_view layout_hint) {
  std::string out(kPrefix);
  out += generation.save_id.empty() ? "-" : generation.save_id;
  out += '/';
  out += join(generation.ancestors, ',');
  out += '/';
  out += layout_hint;
  return out;
}

StorageHint parse_storage_hint(std::string_view hint) {
  if (hint.substr(0, kPrefix.size()) != kPrefix) return {std::nullopt, std::string(hint)};
  hint.remove_prefix(kPrefix.size());
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
  auto ancestors = parse_ids(hint.substr(id_end + 1, ancestors_end - id_end - 1), ',');
  if (!ancestors) return {};
  g.ancestors = std::move(*ancestors);
  return {std::move(g), std::string(hint.substr(ancestors_end + 1))};
}

std::vector<std::string> ancestors_after(const Generation& replaced) {
  std::vector<std::string> out;
  if (replaced.save_id.empty()) return out;
  out.push_back(replaced.save_id.substr(0, kAncestorIdChars));
  for (const auto& id : replaced.ancestors) {
    if (out.size() == kAncestorsKept) break;
    out.push_back(id.substr(0, kAncestorIdChars));
  }
  return out;
}

bool descends_from(const Generation& head, std::string_view save_id) {
  if (save_id.empty()) return false;
  if (head.save_id == save_id) return true;
  // An ancestor is the whole id (shorter ids of earlier versions) or its recorded prefix; a
  // shorter entry (damage) matches only itself.
  const std::size_t recorded = std::min(save_id.size(), kAncestorIdChars);
  for (const auto& ancestor : head.ancestors) {
    if (ancestor == save_id || (ancestor.size() == recorded && save_id.starts_with(ancestor))) return true;
  }
  return false;
}

std::string join_ancestors(const std::vector<std::string>& ancestors) { return join(ancestors, ' '); }

std::optional<std::vector<std::string>> split_ancestors(std::string_view text) {
  return parse_ids(text, ' ');
}

}  // namespace agents::detail
