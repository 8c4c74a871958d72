#pragma once
// LinuxHostFiles: HostFiles on the real file system under a root directory. The root is opened
// once; every path is resolved by the kernel with openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)
// relative to that descriptor, so absolute symlinks and ".." are clamped to the root exactly as
// a chroot would, without races. No path string is ever built from root + path.
//
// Thread-safe: the root descriptor is its only state.
//
// Requires Linux >= 5.6 (openat2) and the agent's own /proc (resolve() reads /proc/self/fd, and
// files are reopened through it). There is deliberately no fallback: without openat2 the only
// alternatives are userspace resolution (racy) or chroot (needs a process per call).
#include <memory>
#include <string>

#include "platform/host_files.h"
#include "platform/unique_fd.h"

namespace platform {

class LinuxHostFiles final : public HostFiles {
 public:
  /// Opens `root_dir` (an agent path, e.g. "/" or a fixture directory). Fails with NotFound /
  /// NotDirectory / Permission when it cannot be opened as a directory, and with Unsupported when
  /// openat2 is unavailable (kernel < 5.6) or refused (seccomp).
  static core::Result<std::unique_ptr<LinuxHostFiles>, FsError> open(const std::string& root_dir);

  /// The root as the kernel names it in this mount namespace (symlinks in root_dir resolved).
  const std::string& rootRealPath() const { return root_real_; }

  core::Result<FileStat, FsError> stat(const std::string& path) const override;
  core::Result<FileStat, FsError> lstat(const std::string& path) const override;
  core::Result<std::string, FsError> readFile(const std::string& path,
                                              std::size_t max_bytes) const override;
  core::Result<std::string, FsError> readLink(const std::string& path) const override;
  core::Result<std::vector<DirEntry>, FsError> listDir(const std::string& path) const override;
  /// One openat2 of the directory, then an fstatat of each name relative to it (not followed, no
  /// automount): no per-entry path resolution, and nothing can leave the root.
  core::Result<std::vector<DirEntryStat>, FsError> listDirStat(const std::string& path) const override;
  core::Result<std::uint64_t, FsError> fileSystemType(const std::string& path) const override;
  core::Result<bool, FsError> exists(const std::string& path) const override;
  core::Result<std::string, FsError> resolve(const std::string& path) const override;
  core::Status<FsError> writeFileAtomic(const std::string& path, const std::string& content,
                                        std::uint32_t mode, std::uint32_t uid,
                                        std::uint32_t gid) override;
  core::Status<FsError> writeFileAtomicAfter(const std::string& path, const std::string& content, std::uint32_t mode,
                                             std::uint32_t uid, std::uint32_t gid, core::PendingSyncs& syncs) override;
  core::Result<std::vector<std::string>, FsError> removeTemporaries(const std::string& dir,
                                                                    const std::string& of_name) override;
  core::Status<FsError> setMode(const std::string& path, std::uint32_t mode) override;
  core::Status<FsError> setOwner(const std::string& path, std::uint32_t uid,
                                 std::uint32_t gid) override;
  core::Result<UniqueFd, FsError> openForRead(const std::string& path) const override;
  core::Status<FsError> writeInPlace(const std::string& path, const std::string& content) override;
  core::Status<FsError> removeFile(const std::string& path) override;

 private:
  LinuxHostFiles(UniqueFd root, std::string root_real)
      : root_(std::move(root)), root_real_(std::move(root_real)) {}

  /// openat2 of host path `path` below the root with `flags` (O_CLOEXEC is added).
  core::Result<UniqueFd, FsError> openIn(const std::string& path, int flags, const char* op) const;
  /// The parent directory of `path` (opened with `flags`) and the final name. Fails with
  /// InvalidPath when the final name is empty, "." or ".." (it names no directory entry).
  struct Parent {
    UniqueFd dir;
    std::string name;
  };
  core::Result<Parent, FsError> openParent(const std::string& path, int flags,
                                           const char* op) const;
  core::Result<UniqueFd, FsError> openRegularForRead(const std::string& path,
                                                     const char* op) const;

  /// writeFileAtomic(), ordered after `syncs` when given (writeFileAtomicAfter).
  core::Status<FsError> replaceFile(const std::string& path, const std::string& content, std::uint32_t mode,
                                    std::uint32_t uid, std::uint32_t gid, core::PendingSyncs* syncs);
  /// A new temporary name for `name` in `dirfd`: the unnamed `content_fd` linked there, or (-1)
  /// a new empty file created there (`fd`). Fails with the errno.
  struct Temporary {
    UniqueFd fd;
    std::string name;
  };
  static core::Result<Temporary, int> createTemporary(int dirfd, const std::string& name, int content_fd);

  UniqueFd root_;
  std::string root_real_;
};

}  // namespace platform
