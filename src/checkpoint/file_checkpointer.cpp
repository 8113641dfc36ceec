#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "agents/checkpoint/checkpointer.hpp"
#include "checkpoint/item_layout.hpp"
#include "checkpoint/json_value.hpp"
#include "checkpoint/local_generation.hpp"
#include "util/sha256.hpp"

namespace agents {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kSuffix = ".thread.json";

// Letters, digits, '-' and '_' stay; every other byte becomes %XX. Long names keep a readable
// prefix and end in a hash, so any thread id maps to one short, safe file name.
std::string file_name_for(const std::string& thread_id) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string name;
  for (unsigned char c : thread_id) {
    if (std::isalnum(c) || c == '-' || c == '_') {
      name.push_back(static_cast<char>(c));
    } else {
      name.push_back('%');
      name.push_back(kHex[c >> 4]);
      name.push_back(kHex[c & 0xF]);
    }
  }
  if (name.size() > 160) name = name.substr(0, 96) + "~" + util::sha256_hex(thread_id);
  return name + std::string(kSuffix);
}

// A StorageError (a ServiceError) so that callers catch a file store's failures as they catch
// DynamoDB's; errno is read first, before anything else can change it.
[[noreturn]] void throw_io(const std::string& what, const fs::path& path) {
  const std::error_code error(errno, std::generic_category());
  throw StorageError("file store: " + what + " " + path.string() + ": " + error.message(), path.string(),
                     error);
}

// An exclusive lock over the directory for the read-compare-write of a save or delete; flock
// locks serialise threads and processes alike.
class DirectoryLock {
 public:
  explicit DirectoryLock(const fs::path& dir) {
    fd_ = ::open((dir / ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) throw_io("cannot open lock file", dir / ".lock");
    while (::flock(fd_, LOCK_EX) != 0) {
      if (errno != EINTR) throw_io("cannot lock", dir / ".lock");
    }
  }
  ~DirectoryLock() { ::close(fd_); }  // closing releases the lock
  DirectoryLock(const DirectoryLock&) = delete;
  DirectoryLock& operator=(const DirectoryLock&) = delete;

 private:
  int fd_ = -1;
};

struct StoredFile {
  std::string thread_id;
  LoadedState loaded;
  std::string save_id;  ///< "" in files written before save ids
  std::optional<ForkOrigin> forked_from;
};

// Past versions of a thread (with history on): "<dir>/.history/<thread file name>/<version>.json",
// each a copy of the thread file as it was. Names starting with '.' are never listed as threads.
fs::path history_dir_for(const fs::path& dir, const std::string& thread_id) {
  return dir / ".history" / file_name_for(thread_id);
}
fs::path version_path(const fs::path& history_dir, std::int64_t version) {
  return history_dir / (std::to_string(version) + ".json");
}
// The versions kept in `history_dir`, newest first.
std::vector<std::int64_t> kept_versions(const fs::path& history_dir) {
  std::vector<std::int64_t> out;
  std::error_code ec;
  for (fs::directory_iterator it(history_dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    std::int64_t v = 0;
    auto [ptr, error] = std::from_chars(name.data(), name.data() + name.size(), v);
    if (error == std::errc() && std::string_view(ptr) == ".json" && v > 0) out.push_back(v);
  }
  std::sort(out.rbegin(), out.rend());
  return out;
}

std::optional<StoredFile> read_file(const fs::path& path, bool with_state) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element doc;
  std::string_view thread_id, updated_at;
  int64_t version;
  simdjson::dom::element state;
  if (parser.parse(text).get(doc) || doc["thread_id"].get_string().get(thread_id) ||
      doc["version"].get_int64().get(version) || doc["updated_at"].get_string().get(updated_at) ||
      doc["state"].get(state)) {
    throw CorruptStateError(
        "file store: " + path.string() + " is not a thread file (thread_id, version, updated_at, state)", "",
        "file");
  }
  // Optional (older files have none), but when present it must be a save id.
  std::string_view save_id;
  if (auto field = doc["save_id"]; field.error() != simdjson::NO_SUCH_FIELD) {
    if (field.get_string().get(save_id) || !detail::is_save_id(save_id)) {
      throw CorruptStateError("file store: " + path.string() + ": save_id is not a save id",
                              std::string(thread_id), "save_id");
    }
  }
  StoredFile out{
      std::string(thread_id),
      {{}, version, std::string(updated_at), detail::local_storage_hint(std::string(save_id), version)},
      std::string(save_id),
      std::nullopt};
  if (auto origin = doc["forked_from"]; origin.error() != simdjson::NO_SUCH_FIELD) {
    std::string_view from;
    int64_t from_version = 0;
    if (origin["thread_id"].get_string().get(from) || origin["version"].get_int64().get(from_version)) {
      throw CorruptStateError("file store: " + path.string() + ": forked_from is not {thread_id, version}",
                              std::string(thread_id), "forked_from");
    }
    out.forked_from = ForkOrigin{std::string(from), from_version};
  }
  if (with_state) {
    auto decoded = decode_state_json(simdjson::minify(state));
    if (!decoded.ok()) {
      throw CorruptStateError(
          "thread '" + out.thread_id + "': " + decoded.status().message() + " in " + path.string(),
          out.thread_id, "state");
    }
    out.loaded.state = std::move(*decoded);
  }
  return out;
}

void write_atomically(const fs::path& dir, const fs::path& target, const std::string& content) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  fs::path tmp = dir / (".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(rng()));
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) throw_io("cannot create", tmp);
  const char* p = content.data();
  std::size_t left = content.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      ::unlink(tmp.c_str());
      throw_io("cannot write", tmp);
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  // Data on disk before the rename makes it visible; then the rename itself is made durable.
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(tmp.c_str());
    throw_io("cannot flush", tmp);
  }
  if (::rename(tmp.c_str(), target.c_str()) != 0) {
    ::unlink(tmp.c_str());
    throw_io("cannot replace", target);
  }
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

}  // namespace

FileCheckpointer::FileCheckpointer(std::string directory, LocalCheckpointerOptions options)
    : directory_(std::move(directory)), options_(std::move(options)) {
  std::error_code ec;
  fs::create_directories(directory_, ec);
  if (ec) throw StorageError("file store: cannot create " + directory_ + ": " + ec.message(), directory_, ec);
}

FileCheckpointer::~FileCheckpointer() = default;

SavedState FileCheckpointer::do_save(const std::string& thread_id, const AgentStateSnapshot& state,
                                     SavePrecondition precondition) {
  return store(thread_id, state, precondition, nullptr);
}

SavedState FileCheckpointer::do_create_fork(const std::string& thread_id, const AgentStateSnapshot& state,
                                            const ForkOrigin& origin) {
  return store(thread_id, state, SavePrecondition::must_not_exist(), &origin);
}

SavedState FileCheckpointer::store(const std::string& thread_id, const AgentStateSnapshot& state,
                                   const SavePrecondition& precondition, const ForkOrigin* origin) {
  fs::path dir(directory_);
  fs::path path = dir / file_name_for(thread_id);
  std::string state_json = encode_state_json(state);
  DirectoryLock lock(dir);
  auto existing = read_file(path, false);
  std::int64_t current = existing ? existing->loaded.version : -1;
  detail::check_local_precondition(thread_id, precondition, current, existing ? existing->save_id : "");
  std::int64_t version = std::max<std::int64_t>(current, 0) + 1;
  const std::string save_id = detail::new_save_id();
  rapidjson::StringBuffer buffer(nullptr, state_json.size() + thread_id.size() + 128);
  detail::JsonWriter w(buffer);
  w.StartObject();
  w.Key("thread_id");
  w.String(thread_id.data(), static_cast<rapidjson::SizeType>(thread_id.size()));
  w.Key("version");
  w.Int64(version);
  w.Key("save_id");
  w.String(save_id.data(), static_cast<rapidjson::SizeType>(save_id.size()));
  w.Key("updated_at");
  std::string now = rfc3339_utc(now_from(options_.clock));
  w.String(now.data(), static_cast<rapidjson::SizeType>(now.size()));
  if (origin) {
    w.Key("forked_from");
    w.StartObject();
    w.Key("thread_id");
    w.String(origin->thread_id.data(), static_cast<rapidjson::SizeType>(origin->thread_id.size()));
    w.Key("version");
    w.Int64(origin->version);
    w.EndObject();
  }
  w.Key("state");
  w.RawValue(state_json.data(), state_json.size(), rapidjson::kObjectType);
  w.EndObject();
  const fs::path history = history_dir_for(dir, thread_id);
  if (existing && options_.history.enabled()) {
    // The replaced version stays readable: a copy of its file, made before it is replaced.
    std::ifstream in(path, std::ios::binary);
    std::stringstream copy;
    copy << in.rdbuf();
    std::error_code ec;
    fs::create_directories(history, ec);
    if (ec)
      throw StorageError("file store: cannot create " + history.string() + ": " + ec.message(),
                         history.string(), ec);
    write_atomically(history, version_path(history, current), copy.str());
  }
  write_atomically(dir, path, std::string(buffer.GetString(), buffer.GetSize()));
  // Versions beyond what the history keeps (all of them once it is off) go.
  const auto oldest_kept = version - static_cast<std::int64_t>(options_.history.keep_last);
  for (std::int64_t v : kept_versions(history)) {
    std::error_code ec;
    if (v < oldest_kept || v >= version) fs::remove(version_path(history, v), ec);
  }
  return {version, detail::local_storage_hint(save_id, version)};
}

std::vector<VersionInfo> FileCheckpointer::do_list_versions(const std::string& thread_id,
                                                            const ListVersionsOptions& options) {
  fs::path dir(directory_);
  auto current = read_file(dir / file_name_for(thread_id), true);
  if (!current) return {};
  std::vector<VersionInfo> out;
  auto add = [&](const StoredFile& f) {
    const VersionInfo* newer = out.empty() ? nullptr : &out.back();
    out.push_back({f.loaded.version, f.loaded.updated_at, f.loaded.state.messages.size(),
                   encode_state_json(f.loaded.state).size(), newer ? newer->version : 0,
                   newer ? newer->updated_at : "", f.forked_from});
  };
  add(*current);
  const fs::path history = history_dir_for(dir, thread_id);
  for (std::int64_t v : kept_versions(history)) {
    if (v >= current->loaded.version) continue;
    if (options.limit > 0 && out.size() > options.limit && options.before == 0) break;
    if (auto f = read_file(version_path(history, v), true)) add(*f);  // pruned meanwhile: skipped
  }
  return out;
}

std::optional<LoadedState> FileCheckpointer::do_load_version(const std::string& thread_id,
                                                             std::int64_t version) {
  fs::path dir(directory_);
  auto current = read_file(dir / file_name_for(thread_id), true);
  if (!current || version > current->loaded.version) return std::nullopt;
  if (version == current->loaded.version) return std::move(current->loaded);
  auto past = read_file(version_path(history_dir_for(dir, thread_id), version), true);
  if (!past || past->loaded.version != version) return std::nullopt;
  return std::move(past->loaded);
}

std::optional<LoadedState> FileCheckpointer::do_load(const std::string& thread_id) {
  auto file = read_file(fs::path(directory_) / file_name_for(thread_id), true);
  if (!file) return std::nullopt;
  return std::move(file->loaded);
}

bool FileCheckpointer::do_delete(const std::string& thread_id) {
  fs::path dir(directory_);
  DirectoryLock lock(dir);
  std::error_code ec;
  fs::remove_all(history_dir_for(dir, thread_id), ec);
  return fs::remove(dir / file_name_for(thread_id), ec);
}

std::vector<ThreadInfo> FileCheckpointer::do_list() {
  std::vector<ThreadInfo> out;
  for (const auto& entry : fs::directory_iterator(directory_)) {
    std::string name = entry.path().filename().string();
    if (!name.ends_with(kSuffix) || name.starts_with(".")) continue;
    auto file = read_file(entry.path(), false);
    if (file) out.push_back({file->thread_id, file->loaded.updated_at, file->loaded.version});
  }
  return out;
}

}  // namespace agents
