#pragma once
// CachingHostFiles: a read cache over another HostFiles for the span of one check cycle. Many
// checks read the same few files (sshd_config, /etc/passwd ...); each uncached read costs an
// openat2, a re-open through /proc and a read. A cycle is a snapshot: results stay as first
// read until the object is dropped. Writes pass through and empty the cache, so nothing stale
// survives a change made through it.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "platform/host_files.h"

namespace platform {

class CachingHostFiles final : public HostFiles {
 public:
  /// File contents kept at most, in total; reads beyond it go to the base uncached.
  static constexpr std::size_t kMaxCachedBytes = 64u << 20;

  explicit CachingHostFiles(HostFiles& base) : base_(base) {}

  core::Result<FileStat, FsError> stat(const std::string& path) const override;
  core::Result<FileStat, FsError> lstat(const std::string& path) const override;
  core::Result<std::string, FsError> readFile(const std::string& path, std::size_t max_bytes) const override;
  core::Result<std::string, FsError> readLink(const std::string& path) const override;
  core::Result<std::vector<DirEntry>, FsError> listDir(const std::string& path) const override;
  /// Not cached: a tree walk reads each directory once, and keeping every listing of a scan of
  /// "/" would hold the whole tree in memory for the rest of the cycle.
  core::Result<std::vector<DirEntryStat>, FsError> listDirStat(const std::string& path) const override;
  /// Not cached either: asked once per mount point a walk meets.
  core::Result<std::uint64_t, FsError> fileSystemType(const std::string& path) const override;
  core::Result<bool, FsError> exists(const std::string& path) const override;
  core::Result<std::string, FsError> resolve(const std::string& path) const override;
  core::Status<FsError> writeFileAtomic(const std::string& path, const std::string& content, std::uint32_t mode,
                                        std::uint32_t uid, std::uint32_t gid) override;
  core::Status<FsError> writeFileAtomicAfter(const std::string& path, const std::string& content, std::uint32_t mode,
                                             std::uint32_t uid, std::uint32_t gid, core::PendingSyncs& syncs) override;
  core::Result<std::vector<std::string>, FsError> removeTemporaries(const std::string& dir,
                                                                    const std::string& of_name) override;
  core::Status<FsError> setMode(const std::string& path, std::uint32_t mode) override;
  core::Status<FsError> setOwner(const std::string& path, std::uint32_t uid, std::uint32_t gid) override;
  core::Result<UniqueFd, FsError> openForRead(const std::string& path) const override;
  core::Status<FsError> writeInPlace(const std::string& path, const std::string& content) override;
  core::Status<FsError> removeFile(const std::string& path) override;

  /// Drops everything cached.
  void clear();

 private:
  struct Read {
    std::size_t max_bytes;  // the limit the read was made with
    core::Result<std::string, FsError> result;
  };

  HostFiles& base_;
  mutable std::map<std::string, core::Result<FileStat, FsError>> stat_, lstat_;
  mutable std::map<std::string, Read> reads_;
  mutable std::map<std::string, core::Result<std::string, FsError>> links_, resolved_;
  mutable std::map<std::string, core::Result<std::vector<DirEntry>, FsError>> dirs_;
  mutable std::size_t cached_bytes_ = 0;
};

}  // namespace platform
