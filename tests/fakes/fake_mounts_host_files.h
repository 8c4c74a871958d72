#pragma once
// FakeMountsHostFiles: a HostFiles over another one (usually LinuxHostFiles on a temporary root)
// that pretends other file systems are mounted on some of its directories. Every path at or
// below a mount point reports that mount's own device id (stat, lstat, listDirStat), and
// fileSystemType() its type, as the kernel reports them for a real mount. So a test can put a
// proc, an NFS or a second disk into a fixture tree without root or a mount namespace.
//
// Paths are matched as written (a symlink into a mount is not followed to it): enough for trees
// built by a test. Everything else is passed through to the base unchanged.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "platform/host_files.h"

namespace fakes {

class FakeMountsHostFiles final : public platform::HostFiles {
 public:
  /// Device ids of the simulated mounts: kFirstFakeDev, kFirstFakeDev + 1, ... in mount() order.
  static constexpr std::uint64_t kFirstFakeDev = 0xfa4e0000;

  explicit FakeMountsHostFiles(platform::HostFiles& base) : base_(base) {}

  /// Mounts a file system of statfs type `type` on the directory `dir` (host path, no trailing
  /// slash). Nested mounts are allowed: the innermost one holds a path.
  void mount(std::string dir, std::uint64_t type) {
    mounts_.push_back(Mount{std::move(dir), type, kFirstFakeDev + mounts_.size()});
  }

  core::Result<platform::FileStat, platform::FsError> stat(const std::string& path) const override {
    return withDev(base_.stat(path), path);
  }
  core::Result<platform::FileStat, platform::FsError> lstat(const std::string& path) const override {
    return withDev(base_.lstat(path), path);
  }
  core::Result<std::vector<platform::DirEntryStat>, platform::FsError> listDirStat(
      const std::string& path) const override {
    auto list = base_.listDirStat(path);
    if (!list.ok()) return list;
    const std::string prefix = path == "/" ? "/" : path + "/";
    for (auto& e : *list) {
      if (const Mount* m = mountOf(prefix + e.name)) e.stat.dev = m->dev;
    }
    return list;
  }
  core::Result<std::uint64_t, platform::FsError> fileSystemType(const std::string& path) const override {
    ++type_queries_;
    if (const Mount* m = mountOf(path)) return m->type;
    return base_.fileSystemType(path);
  }

  /// How often fileSystemType() was asked: a walk should ask once per file system it meets.
  int typeQueries() const { return type_queries_; }

  core::Result<std::string, platform::FsError> readFile(const std::string& path, std::size_t max_bytes) const override {
    return base_.readFile(path, max_bytes);
  }
  core::Result<std::string, platform::FsError> readLink(const std::string& path) const override {
    return base_.readLink(path);
  }
  core::Result<std::vector<platform::DirEntry>, platform::FsError> listDir(const std::string& path) const override {
    return base_.listDir(path);
  }
  core::Result<bool, platform::FsError> exists(const std::string& path) const override { return base_.exists(path); }
  core::Result<std::string, platform::FsError> resolve(const std::string& path) const override {
    return base_.resolve(path);
  }
  core::Status<platform::FsError> writeFileAtomic(const std::string& path, const std::string& content,
                                                  std::uint32_t mode, std::uint32_t uid, std::uint32_t gid) override {
    return base_.writeFileAtomic(path, content, mode, uid, gid);
  }
  core::Status<platform::FsError> writeFileAtomicAfter(const std::string& path, const std::string& content,
                                                       std::uint32_t mode, std::uint32_t uid, std::uint32_t gid,
                                                       core::PendingSyncs& syncs) override {
    return base_.writeFileAtomicAfter(path, content, mode, uid, gid, syncs);
  }
  core::Result<std::vector<std::string>, platform::FsError> removeTemporaries(const std::string& dir,
                                                                              const std::string& of_name) override {
    return base_.removeTemporaries(dir, of_name);
  }
  core::Status<platform::FsError> setMode(const std::string& path, std::uint32_t mode) override {
    return base_.setMode(path, mode);
  }
  core::Status<platform::FsError> setOwner(const std::string& path, std::uint32_t uid, std::uint32_t gid) override {
    return base_.setOwner(path, uid, gid);
  }
  core::Result<platform::UniqueFd, platform::FsError> openForRead(const std::string& path) const override {
    return base_.openForRead(path);
  }
  core::Status<platform::FsError> writeInPlace(const std::string& path, const std::string& content) override {
    return base_.writeInPlace(path, content);
  }
  core::Status<platform::FsError> removeFile(const std::string& path) override { return base_.removeFile(path); }

 private:
  struct Mount {
    std::string dir;
    std::uint64_t type;
    std::uint64_t dev;
  };

  /// The innermost mount whose directory is `path` or one of its ancestors, or null.
  const Mount* mountOf(const std::string& path) const {
    const Mount* best = nullptr;
    for (const auto& m : mounts_) {
      const bool inside = path == m.dir || (path.size() > m.dir.size() && path.compare(0, m.dir.size(), m.dir) == 0 &&
                                            path[m.dir.size()] == '/');
      if (inside && (!best || m.dir.size() > best->dir.size())) best = &m;
    }
    return best;
  }

  core::Result<platform::FileStat, platform::FsError> withDev(core::Result<platform::FileStat, platform::FsError> st,
                                                              const std::string& path) const {
    if (st.ok()) {
      if (const Mount* m = mountOf(path)) st->dev = m->dev;
    }
    return st;
  }

  platform::HostFiles& base_;
  std::vector<Mount> mounts_;
  mutable int type_queries_ = 0;
};

}  // namespace fakes
