#pragma once
// HostFiles: every read and write of a host file goes through this interface. Paths are
// host-absolute ("/etc/ssh/sshd_config") and resolved as if host_root were "/": absolute
// symlinks and ".." stay inside the root, so NixOS's /etc links into /nix/store resolve within
// the image, and nothing escapes a fixture root. Abstract so tests can use a fake and dry-run can
// put a copy-on-write overlay in front of the real files.
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "core/pending_syncs.h"
#include "core/result.h"
#include "platform/unique_fd.h"

namespace platform {

enum class FsErrc {
  NotFound,      // a component does not exist (ENOENT)
  NotDirectory,  // a component that must be a directory is not (ENOTDIR)
  NotRegular,    // a regular file was required (directory, FIFO, socket, device ...)
  NotSymlink,    // readLink on something that is not a symbolic link
  TooLarge,      // the file is larger than the caller's limit
  Loop,          // too many symbolic links: a loop (ELOOP)
  Escapes,       // the kernel detected an escape from the root (EXDEV from openat2)
  Permission,    // EACCES / EPERM / EROFS
  InvalidPath,   // not absolute, contains NUL, a name that cannot be written ("/", ".."), too long
  Unsupported,   // openat2 unavailable (kernel < 5.6, or refused by a seccomp filter)
  Io,            // anything else; the message names the operation and errno text
};
using FsError = core::Error<FsErrc>;

enum class FileType { Regular, Directory, Symlink, Fifo, Socket, CharDevice, BlockDevice, Other };

/// "regular", "directory", "symlink", "fifo", "socket", "char", "block", "other".
const char* fileTypeName(FileType type);

struct FileStat {
  FileType type = FileType::Other;
  std::uint32_t mode = 0;  // permission bits including suid/sgid/sticky (& 07777)
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::uint64_t size = 0;
  std::chrono::system_clock::time_point mtime{};
  std::uint64_t dev = 0;
  std::uint64_t ino = 0;
};

struct DirEntry {
  std::string name;  // a single name, never "." or ".."
  FileType type = FileType::Other;  // of the entry itself (a symlink is Symlink)
};

/// A directory entry with its own metadata, as lstat() gives it (a symlink is described, not
/// followed). `stat.dev` differs from the directory's own device where a file system is mounted.
struct DirEntryStat {
  std::string name;  // a single name, never "." or ".."
  FileStat stat;
};

class HostFiles {
 public:
  virtual ~HostFiles() = default;

  /// Metadata of `path`, following symlinks (inside the root). Fails with NotFound,
  /// NotDirectory, Loop, Permission, InvalidPath, Escapes or Io.
  virtual core::Result<FileStat, FsError> stat(const std::string& path) const = 0;

  /// Metadata of `path` itself (a final symlink is not followed; earlier components are).
  /// Fails like stat().
  virtual core::Result<FileStat, FsError> lstat(const std::string& path) const = 0;

  /// The bytes of the regular file at `path` (symlinks followed). Never blocks on a FIFO and
  /// never opens a device: anything but a regular file fails with NotRegular. Fails with TooLarge
  /// when the file holds more than `max_bytes` (at most max_bytes + 1 bytes are read, so files
  /// that report size 0, like those under /proc, are bounded too). Else fails like stat().
  virtual core::Result<std::string, FsError> readFile(const std::string& path,
                                                      std::size_t max_bytes) const = 0;

  /// The target text of the symlink at `path`. Fails with NotSymlink when it is not one, else
  /// like lstat().
  virtual core::Result<std::string, FsError> readLink(const std::string& path) const = 0;

  /// The entries of the directory at `path` (symlinks followed to reach it), sorted by name,
  /// without "." and "..". Fails with NotDirectory when it is not a directory, else like stat().
  virtual core::Result<std::vector<DirEntry>, FsError> listDir(const std::string& path) const = 0;

  /// The entries of the directory at `path` (symlinks followed to reach it) with each entry's
  /// lstat() metadata, sorted by name, without "." and "..": what a tree walk needs, in one call
  /// per directory. An entry whose metadata cannot be read (it vanished meanwhile) is left out.
  /// Never cached by a caching layer: a walk reads each directory once, and keeping them would
  /// hold the whole tree. Fails like listDir().
  ///
  /// The default lists with listDir() and lstat()s each entry through this object, so any
  /// implementation (an overlay, a fake) is consistent with its own lstat(); LinuxHostFiles
  /// overrides it to stat each entry relative to the open directory instead of resolving
  /// every path from the root again.
  virtual core::Result<std::vector<DirEntryStat>, FsError> listDirStat(const std::string& path) const;

  /// The type of the file system that holds `path` (following symlinks inside the root), as
  /// statfs(2) names it in f_type (e.g. 0x9fa0 for proc, 0x01021994 for tmpfs, 0xef53 for
  /// ext2/3/4): how a tree walk tells a pseudo or network file system from a disk. Does not
  /// trigger an automount (the path is opened O_PATH). Fails like stat().
  virtual core::Result<std::uint64_t, FsError> fileSystemType(const std::string& path) const = 0;

  /// Whether `path` exists, following symlinks (a dangling symlink does not exist). NotFound
  /// and NotDirectory are `false`; fails with Loop, Permission, InvalidPath, Escapes or Io.
  virtual core::Result<bool, FsError> exists(const std::string& path) const = 0;

  /// The host-absolute canonical path of `path` after following every symlink inside the root,
  /// e.g. "/etc/ssh/sshd_config" -> "/nix/store/...-sshd_config". The path must exist: fails
  /// like stat() (a dangling link is NotFound).
  virtual core::Result<std::string, FsError> resolve(const std::string& path) const = 0;

  /// Replaces `path` atomically with `content`, owned by uid:gid with `mode` (& 07777): the new
  /// content is written and synced without a name where the file system allows (O_TMPFILE),
  /// then linked as `path` when there is none yet, else under a temporary name renamed over
  /// `path` at once, and the directory is synced. The parent directory is
  /// resolved inside the root; a symlink at `path` itself is replaced, not followed (resolve()
  /// first to write its target). Fails with NotFound / NotDirectory (parent), Permission,
  /// InvalidPath, Loop, Escapes or Io (e.g. disk full); on failure `path` is unchanged and no
  /// temporary file is left behind. A process killed in the middle can leave a temporary only
  /// between its naming and the rename (see removeTemporaries()).
  virtual core::Status<FsError> writeFileAtomic(const std::string& path, const std::string& content,
                                                std::uint32_t mode, std::uint32_t uid,
                                                std::uint32_t gid) = 0;

  /// writeFileAtomic() ordered after what `syncs` holds: the BeforeChange entries are made
  /// durable together with the new content before it replaces `path` (one flush for all where
  /// they share a file system), and the directory's sync is left to `syncs` (BeforeRecord)
  /// instead of being paid here. This default flushes first and then writes as writeFileAtomic().
  /// Fails like writeFileAtomic(), or Io when a flush fails (then `path` is unchanged).
  virtual core::Status<FsError> writeFileAtomicAfter(const std::string& path, const std::string& content,
                                                     std::uint32_t mode, std::uint32_t uid, std::uint32_t gid,
                                                     core::PendingSyncs& syncs);

  /// Removes from the directory `dir` the temporaries of writeFileAtomic() that a killed
  /// process left behind (only those of the file named `of_name`, when it is not empty), and
  /// syncs the directory when it removed any. Never touches another name. Returns the host
  /// paths removed; a missing `dir` holds none. Fails like listDir(), or Permission / Io.
  virtual core::Result<std::vector<std::string>, FsError> removeTemporaries(const std::string& dir,
                                                                            const std::string& of_name) = 0;

  /// Sets the permission bits (& 07777) of `path`, following symlinks inside the root.
  /// Fails like stat(), or with Permission.
  virtual core::Status<FsError> setMode(const std::string& path, std::uint32_t mode) = 0;

  /// Sets owner and group of `path`, following symlinks inside the root. Note that the kernel
  /// clears suid/sgid bits on chown: set the mode afterwards. Fails like stat(), or Permission.
  virtual core::Status<FsError> setOwner(const std::string& path, std::uint32_t uid,
                                         std::uint32_t gid) = 0;

  /// A read-only descriptor (close-on-exec) on the regular file at `path`, for handing a file to
  /// a validator without a path that could change. Fails like readFile() (without TooLarge).
  virtual core::Result<UniqueFd, FsError> openForRead(const std::string& path) const = 0;

  /// Writes `content` into the existing regular file at `path` in place (truncate, write; no
  /// rename, no creation): for kernel files such as /proc/sys/..., which cannot be replaced.
  /// Fails like stat(), or Permission, Io.
  virtual core::Status<FsError> writeInPlace(const std::string& path, const std::string& content) = 0;

  /// Removes the entry at `path` (a symlink itself, not its target; never a directory) and
  /// fsyncs its directory: how a rollback undoes a file a heal created. Fails NotFound,
  /// Permission, Io, or InvalidPath for a directory.
  virtual core::Status<FsError> removeFile(const std::string& path) = 0;
};

}  // namespace platform
