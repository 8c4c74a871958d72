#include "healing/overlay_host_files.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>
#include <utility>

namespace healing {
namespace {

using platform::FileStat;
using platform::FileType;
using platform::FsErrc;
using platform::FsError;

// Linux's MAXSYMLINKS: a chain of dangling links longer than this is reported as a loop, like
// the kernel reports ELOOP.
constexpr int kMaxSymlinkFollows = 40;

bool namesNoEntry(const std::string& name) { return name.empty() || name == "." || name == ".."; }

struct Split {
  std::string parent;
  std::string name;
};

/// "/etc/ssh/sshd_config" -> {"/etc/ssh", "sshd_config"}. Nullopt when there is no slash or the
/// last component names no entry ("/", "/etc/", "/etc/.."): such a path cannot be a new file.
std::optional<Split> splitLast(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return std::nullopt;
  Split s{slash == 0 ? std::string("/") : path.substr(0, slash), path.substr(slash + 1)};
  if (namesNoEntry(s.name)) return std::nullopt;
  return s;
}

std::string join(const std::string& dir, const std::string& name) {
  return dir == "/" ? "/" + name : dir + "/" + name;
}

bool byName(const platform::DirEntry& a, const platform::DirEntry& b) { return a.name < b.name; }

std::string parentOf(const std::string& canonical) {
  const auto slash = canonical.rfind('/');
  return slash == 0 || slash == std::string::npos ? std::string("/") : canonical.substr(0, slash);
}

/// The base's error, named after the operation the caller asked for: a failed setMode should say
/// "chmod", even though the lookup that failed was a resolve().
FsError withOp(const char* op, FsError e) {
  e.message = std::string(op) + ": " + e.message;
  return e;
}

FsError ioError(const std::string& what, const std::string& path, int err) {
  return FsError{FsErrc::Io, "open " + path + " (dry-run overlay): " + what + ": " +
                                 std::error_code(err, std::generic_category()).message()};
}

}  // namespace

core::Result<std::string, FsError> OverlayHostFiles::canonicalKey(const std::string& path,
                                                                  int follows) const {
  auto resolved = base_.resolve(path);
  if (resolved) return std::move(*resolved);
  // Only a missing name can be an overlay file or a new one; every other error (InvalidPath,
  // Loop, NotDirectory in the base, ...) is the answer.
  if (resolved.error().code != FsErrc::NotFound) return core::fail(std::move(resolved).error());
  auto parts = splitLast(path);
  if (!parts) return core::fail(std::move(resolved).error());

  auto dir = base_.resolve(parts->parent);
  if (!dir) {
    // The overlay creates no directories, so a missing parent is missing, unless it is a file
    // the overlay created: then the path goes through a regular file, ENOTDIR for the kernel.
    if (dir.error().code == FsErrc::NotFound && !nodes_.empty()) {
      auto parent_key = canonicalKey(parts->parent, follows);
      if (parent_key && nodes_.count(*parent_key) != 0) {
        return core::fail(FsError{FsErrc::NotDirectory, "resolve " + path + ": " + *parent_key +
                                                             " is a file created in the dry-run "
                                                             "overlay, not a directory"});
      }
    }
    return core::fail(std::move(dir).error());
  }

  std::string key = join(*dir, parts->name);
  if (nodes_.count(key) != 0) return key;
  // The name may be a dangling symlink: follow it, so writing through it creates its target
  // and later reads through the link find that file, as on a real file system.
  auto link = base_.lstat(key);
  if (!link) {
    if (link.error().code == FsErrc::NotFound) return key;  // a new name
    return core::fail(std::move(link).error());
  }
  if (link->type != FileType::Symlink) return key;
  if (follows >= kMaxSymlinkFollows) {
    return core::fail(FsError{FsErrc::Loop, "resolve " + path + ": too many symbolic links"});
  }
  auto target = base_.readLink(key);
  if (!target) return core::fail(std::move(target).error());
  const bool absolute = !target->empty() && target->front() == '/';
  return canonicalKey(absolute ? *target : join(*dir, *target), follows + 1);
}

const OverlayHostFiles::Node* OverlayHostFiles::find(const std::string& path) const {
  if (nodes_.empty()) return nullptr;  // the common case: nothing changed, pure pass-through
  auto key = canonicalKey(path);
  if (!key) return nullptr;
  const auto it = nodes_.find(*key);
  return it == nodes_.end() ? nullptr : &it->second;
}

const OverlayHostFiles::Node* OverlayHostFiles::findNoFollow(const std::string& path) const {
  if (nodes_.empty()) return nullptr;
  auto parts = splitLast(path);
  if (!parts) return find(path);  // "/", "/etc/..": no final name, so lstat is stat
  auto dir = base_.resolve(parts->parent);
  if (!dir) return nullptr;
  // Keys never name a symlink (writes land on targets), so a link here is simply not found.
  const auto it = nodes_.find(join(*dir, parts->name));
  return it == nodes_.end() ? nullptr : &it->second;
}

template <class T>
core::Result<T, FsError> OverlayHostFiles::fromBase(core::Result<T, FsError> r,
                                                    const std::string& path) const {
  if (r || nodes_.empty() || r.error().code != FsErrc::NotFound) return r;
  auto key = canonicalKey(path);
  if (!key && key.error().code == FsErrc::NotDirectory) return core::fail(std::move(key).error());
  return r;
}

FileStat OverlayHostFiles::statOf(const Node& node) {
  FileStat st = node.base;
  st.type = node.entry.type;
  st.mode = node.entry.mode;
  st.uid = node.entry.uid;
  st.gid = node.entry.gid;
  if (node.entry.content) st.size = node.entry.content->size();
  return st;
}

core::Result<FileStat, FsError> OverlayHostFiles::stat(const std::string& path) const {
  if (const Node* node = find(path)) return statOf(*node);
  return fromBase(base_.stat(path), path);
}

core::Result<FileStat, FsError> OverlayHostFiles::lstat(const std::string& path) const {
  if (const Node* node = findNoFollow(path)) return statOf(*node);
  return fromBase(base_.lstat(path), path);
}

core::Result<std::string, FsError> OverlayHostFiles::readFile(const std::string& path,
                                                              std::size_t max_bytes) const {
  const Node* node = find(path);
  // A mode/owner-only change keeps the base's bytes, and the base's checks (NotRegular for a
  // directory) still apply: `path` resolves to the same base file.
  if (!node || !node->entry.content) return fromBase(base_.readFile(path, max_bytes), path);
  if (node->entry.content->size() > max_bytes) {
    return core::fail(FsError{FsErrc::TooLarge, "read " + path + ": larger than the limit of " +
                                                    std::to_string(max_bytes) + " bytes"});
  }
  return *node->entry.content;
}

core::Result<std::string, FsError> OverlayHostFiles::readLink(const std::string& path) const {
  if (findNoFollow(path)) {
    return core::fail(FsError{FsErrc::NotSymlink, "readlink " + path + ": not a symlink"});
  }
  return fromBase(base_.readLink(path), path);
}

core::Result<std::vector<platform::DirEntry>, FsError> OverlayHostFiles::listDir(
    const std::string& path) const {
  auto list = fromBase(base_.listDir(path), path);
  if (!list && list.error().code == FsErrc::NotFound && find(path)) {
    return core::fail(FsError{FsErrc::NotDirectory, "list " + path +
                                                        ": a file created in the dry-run overlay, "
                                                        "not a directory"});
  }
  if (!list || nodes_.empty()) return list;
  // The overlay holds no directories, so the listed directory is a base one and has a
  // canonical name there.
  auto dir = base_.resolve(path);
  if (!dir) return list;
  const std::string prefix = *dir == "/" ? "/" : *dir + "/";

  std::vector<platform::DirEntry>& entries = *list;
  const std::size_t base_count = entries.size();
  // A written FIFO or device becomes a regular file, as rename() over it would make it.
  for (auto& e : entries) {
    if (e.type == FileType::Symlink) continue;
    const auto it = nodes_.find(prefix + e.name);
    if (it != nodes_.end()) e.type = it->second.entry.type;
  }
  for (auto it = nodes_.lower_bound(prefix);
       it != nodes_.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
    std::string name = it->first.substr(prefix.size());
    if (name.find('/') != std::string::npos) continue;  // deeper down, not in this directory
    const auto base_end = entries.begin() + static_cast<std::ptrdiff_t>(base_count);
    const platform::DirEntry probe{name, FileType::Other};
    const bool listed = std::binary_search(entries.begin(), base_end, probe, byName);
    if (!listed) entries.push_back(platform::DirEntry{std::move(name), it->second.entry.type});
  }
  std::sort(entries.begin(), entries.end(), byName);
  return list;
}

core::Result<std::vector<platform::DirEntryStat>, FsError> OverlayHostFiles::listDirStat(
    const std::string& path) const {
  auto list = fromBase(base_.listDirStat(path), path);
  if (!list || nodes_.empty()) return list;  // no change planned: the base's fast listing as is
  auto names = listDir(path);  // the overlay's view of which names exist, created files included
  if (!names) return core::fail(std::move(names).error());
  auto dir = base_.resolve(path);
  if (!dir) return list;
  const std::string prefix = *dir == "/" ? "/" : *dir + "/";
  std::vector<platform::DirEntryStat> out;
  out.reserve(names->size());
  auto base_it = list->begin();
  for (auto& e : *names) {  // both sorted by name
    while (base_it != list->end() && base_it->name < e.name) ++base_it;
    const bool in_base = base_it != list->end() && base_it->name == e.name;
    const auto node = nodes_.find(prefix + e.name);
    // A symlink is never a node (writes land on its target), so it keeps the base's lstat.
    if (node != nodes_.end() && !(in_base && base_it->stat.type == FileType::Symlink)) {
      out.push_back(platform::DirEntryStat{std::move(e.name), statOf(node->second)});
    } else if (in_base) {
      out.push_back(std::move(*base_it));
    }
  }
  return out;
}

core::Result<std::uint64_t, FsError> OverlayHostFiles::fileSystemType(const std::string& path) const {
  auto type = base_.fileSystemType(path);
  if (type || type.error().code != FsErrc::NotFound || !find(path)) return type;
  // A file the overlay created lies on its (base) parent directory's file system.
  auto key = canonicalKey(path);
  if (!key) return type;
  return base_.fileSystemType(parentOf(*key));
}

core::Result<bool, FsError> OverlayHostFiles::exists(const std::string& path) const {
  if (find(path)) return true;
  return base_.exists(path);
}

core::Result<std::string, FsError> OverlayHostFiles::resolve(const std::string& path) const {
  auto resolved = base_.resolve(path);
  if (resolved || nodes_.empty() || resolved.error().code != FsErrc::NotFound) return resolved;
  auto key = canonicalKey(path);
  if (key && nodes_.count(*key) != 0) return std::move(*key);
  if (!key && key.error().code == FsErrc::NotDirectory) return core::fail(std::move(key).error());
  return resolved;
}

core::Status<FsError> OverlayHostFiles::writeFileAtomic(const std::string& path,
                                                        const std::string& content,
                                                        std::uint32_t mode, std::uint32_t uid,
                                                        std::uint32_t gid) {
  // Same refusal as LinuxHostFiles: "/etc/" or "/etc/.." names no entry to replace, even though
  // it resolves (to a directory).
  if (!path.empty() && path.front() == '/' && !splitLast(path)) {
    return core::fail(
        FsError{FsErrc::InvalidPath, "write " + path + ": the last component names no entry"});
  }
  auto key = canonicalKey(path);
  if (!key) return core::fail(withOp("write", std::move(key).error()));

  auto it = nodes_.find(*key);
  if (it == nodes_.end()) {
    Node fresh;
    auto st = base_.stat(*key);
    if (st) {
      fresh.base = *st;
      fresh.entry.type = st->type;
      fresh.entry.existed_in_base = true;
    } else if (st.error().code == FsErrc::NotFound) {
      // canonicalKey() proved the parent is a directory; a new file lives on its device.
      fresh.base.type = FileType::Regular;
      if (auto parent = base_.stat(parentOf(*key))) fresh.base.dev = parent->dev;
    } else {
      return core::fail(withOp("write", std::move(st).error()));
    }
    if (fresh.entry.type == FileType::Directory) {
      return core::fail(FsError{FsErrc::NotRegular,
                                "write " + path + ": is a directory, not a regular file"});
    }
    it = nodes_.emplace(*key, std::move(fresh)).first;
  } else if (it->second.entry.type == FileType::Directory) {
    return core::fail(
        FsError{FsErrc::NotRegular, "write " + path + ": is a directory, not a regular file"});
  }

  OverlayEntry& e = it->second.entry;
  e.content = content;
  e.mode = mode & 07777;
  e.uid = uid;
  e.gid = gid;
  e.type = FileType::Regular;  // a rename() replaces a FIFO or device with the new regular file
  return core::Ok{};
}

core::Result<OverlayHostFiles::Node*, FsError> OverlayHostFiles::nodeForMetadata(
    const std::string& path, const char* op) {
  auto key = canonicalKey(path);
  if (!key) return core::fail(withOp(op, std::move(key).error()));
  if (auto it = nodes_.find(*key); it != nodes_.end()) return &it->second;
  auto st = base_.stat(*key);
  if (!st) return core::fail(withOp(op, std::move(st).error()));
  Node fresh;
  fresh.base = *st;
  fresh.entry = OverlayEntry{std::nullopt, st->mode, st->uid, st->gid, st->type, true};
  return &nodes_.emplace(std::move(*key), std::move(fresh)).first->second;
}

core::Status<FsError> OverlayHostFiles::setMode(const std::string& path, std::uint32_t mode) {
  auto node = nodeForMetadata(path, "chmod");
  if (!node) return core::fail(std::move(node).error());
  (*node)->entry.mode = mode & 07777;
  return core::Ok{};
}

core::Status<FsError> OverlayHostFiles::setOwner(const std::string& path, std::uint32_t uid,
                                                 std::uint32_t gid) {
  auto node = nodeForMetadata(path, "chown");
  if (!node) return core::fail(std::move(node).error());
  OverlayEntry& e = (*node)->entry;
  e.uid = uid;
  e.gid = gid;
  // What chown(2) does to anything but a directory, whether or not the owner changes: suid
  // always goes; sgid goes only with group-execute (without it, it marks mandatory locking and
  // stays for a privileged caller, which the agent is).
  if (e.type != FileType::Directory) {
    e.mode &= ~04000u;
    if ((e.mode & 02010u) == 02010u) e.mode &= ~02000u;
  }
  return core::Ok{};
}

core::Status<FsError> OverlayHostFiles::writeInPlace(const std::string& path, const std::string& content) {
  auto st = stat(path);
  if (!st) return core::fail(withOp("write", std::move(st).error()));
  return writeFileAtomic(path, content, st->mode, st->uid, st->gid);
}

core::Status<FsError> OverlayHostFiles::removeFile(const std::string& path) {
  return core::fail(FsError{FsErrc::Unsupported, "remove " + path + ": a plan never removes files"});
}

core::Result<platform::UniqueFd, FsError> OverlayHostFiles::openForRead(
    const std::string& path) const {
  const Node* node = find(path);
  if (!node || !node->entry.content) return fromBase(base_.openForRead(path), path);
  const std::string& content = *node->entry.content;

  platform::UniqueFd fd(::memfd_create("ca-overlay", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!fd) return core::fail(ioError("memfd_create", path, errno));
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd.get(), content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return core::fail(ioError("write", path, errno));
    }
    done += static_cast<std::size_t>(n);
  }
  // Sealed, so the candidate a validator checks is exactly the one the plan holds: a write
  // through any descriptor (this one, or /dev/fd/N reopened by the validator) fails with EPERM.
  if (::fcntl(fd.get(), F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) !=
      0) {
    return core::fail(ioError("seal", path, errno));
  }
  if (::lseek(fd.get(), 0, SEEK_SET) != 0) return core::fail(ioError("lseek", path, errno));
  return fd;
}

std::vector<std::string> OverlayHostFiles::changedPaths() const {
  std::vector<std::string> paths;
  paths.reserve(nodes_.size());
  for (const auto& [key, node] : nodes_) paths.push_back(key);
  return paths;  // std::map keeps them sorted
}

std::optional<OverlayEntry> OverlayHostFiles::entry(const std::string& path) const {
  if (const Node* node = find(path)) return node->entry;
  return std::nullopt;
}

core::Result<std::vector<std::string>, FsError> OverlayHostFiles::removeTemporaries(const std::string&,
                                                                                    const std::string&) {
  return std::vector<std::string>{};
}

}  // namespace healing
