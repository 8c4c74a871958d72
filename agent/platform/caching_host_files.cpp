#include "platform/caching_host_files.h"

namespace platform {
namespace {

template <class Map, class Fn>
auto memo(Map& map, const std::string& key, Fn&& fn) -> typename Map::mapped_type {
  auto it = map.find(key);
  if (it == map.end()) it = map.emplace(key, fn()).first;
  return it->second;
}

}  // namespace

core::Result<FileStat, FsError> CachingHostFiles::stat(const std::string& path) const {
  return memo(stat_, path, [&] { return base_.stat(path); });
}

core::Result<FileStat, FsError> CachingHostFiles::lstat(const std::string& path) const {
  return memo(lstat_, path, [&] { return base_.lstat(path); });
}

core::Result<std::string, FsError> CachingHostFiles::readFile(const std::string& path, std::size_t max_bytes) const {
  if (auto it = reads_.find(path); it != reads_.end()) {
    const Read& r = it->second;
    // A content read under a limit answers any larger limit, and smaller ones it fits in; a
    // TooLarge answers any smaller limit. Other errors do not depend on the limit.
    if (r.result.ok()) {
      if (r.result->size() <= max_bytes) return r.result;
      if (max_bytes < r.max_bytes) {
        return core::fail(FsError{FsErrc::TooLarge, path + ": larger than " + std::to_string(max_bytes) + " bytes"});
      }
    } else if (r.result.error().code != FsErrc::TooLarge || max_bytes <= r.max_bytes) {
      return r.result;
    }
  }
  auto result = base_.readFile(path, max_bytes);
  const std::size_t size = result.ok() ? result->size() : 0;
  if (cached_bytes_ + size <= kMaxCachedBytes) {
    cached_bytes_ += size;
    reads_.insert_or_assign(path, Read{max_bytes, result});
  }
  return result;
}

core::Result<std::string, FsError> CachingHostFiles::readLink(const std::string& path) const {
  return memo(links_, path, [&] { return base_.readLink(path); });
}

core::Result<std::vector<DirEntry>, FsError> CachingHostFiles::listDir(const std::string& path) const {
  return memo(dirs_, path, [&] { return base_.listDir(path); });
}

core::Result<std::vector<DirEntryStat>, FsError> CachingHostFiles::listDirStat(const std::string& path) const {
  return base_.listDirStat(path);
}

core::Result<std::uint64_t, FsError> CachingHostFiles::fileSystemType(const std::string& path) const {
  return base_.fileSystemType(path);
}

core::Result<bool, FsError> CachingHostFiles::exists(const std::string& path) const {
  // exists() follows links: the answer is stat's.
  auto st = stat(path);
  if (st.ok()) return true;
  if (st.error().code == FsErrc::NotFound || st.error().code == FsErrc::NotDirectory) return false;
  return core::fail(st.error());
}

core::Result<std::string, FsError> CachingHostFiles::resolve(const std::string& path) const {
  return memo(resolved_, path, [&] { return base_.resolve(path); });
}

core::Status<FsError> CachingHostFiles::writeFileAtomic(const std::string& path, const std::string& content,
                                                        std::uint32_t mode, std::uint32_t uid, std::uint32_t gid) {
  clear();
  return base_.writeFileAtomic(path, content, mode, uid, gid);
}

core::Status<FsError> CachingHostFiles::writeFileAtomicAfter(const std::string& path, const std::string& content,
                                                             std::uint32_t mode, std::uint32_t uid, std::uint32_t gid,
                                                             core::PendingSyncs& syncs) {
  clear();
  return base_.writeFileAtomicAfter(path, content, mode, uid, gid, syncs);
}

core::Result<std::vector<std::string>, FsError> CachingHostFiles::removeTemporaries(const std::string& dir,
                                                                                    const std::string& of_name) {
  clear();
  return base_.removeTemporaries(dir, of_name);
}

core::Status<FsError> CachingHostFiles::setMode(const std::string& path, std::uint32_t mode) {
  clear();
  return base_.setMode(path, mode);
}

core::Status<FsError> CachingHostFiles::setOwner(const std::string& path, std::uint32_t uid, std::uint32_t gid) {
  clear();
  return base_.setOwner(path, uid, gid);
}

core::Result<UniqueFd, FsError> CachingHostFiles::openForRead(const std::string& path) const {
  return base_.openForRead(path);
}

core::Status<FsError> CachingHostFiles::writeInPlace(const std::string& path, const std::string& content) {
  clear();
  return base_.writeInPlace(path, content);
}

core::Status<FsError> CachingHostFiles::removeFile(const std::string& path) {
  clear();
  return base_.removeFile(path);
}

void CachingHostFiles::clear() {
  stat_.clear();
  lstat_.clear();
  reads_.clear();
  links_.clear();
  dirs_.clear();
  resolved_.clear();
  cached_bytes_ = 0;
}

}  // namespace platform
