#pragma once
// OverlayHostFiles: the copy-on-write view of the host that the DryRunExecutor acts on. Reads go
// through to a base HostFiles; writes (writeFileAtomic, setMode, setOwner) are kept in memory and
// never reach the base. So the steps of one plan chain exactly as they would live (the second
// edit of a file sees the first), the planner can diff each changed file against the base, and
// the check can be re-run against the overlay (`would_pass`) while the host stays byte-identical.
//
// Entries are keyed by the canonical host path, the one base.resolve() gives: a write through a
// symlink lands on the link's target, just as reads follow links, so reading via the link or via
// the target sees the same change. A dangling final symlink is followed too: writing through it
// creates its target (like open(O_CREAT) would), so the link then resolves to the new file.
// Note the difference with LinuxHostFiles::writeFileAtomic, which replaces a symlink at `path`
// itself; callers that want the live behaviour to match resolve() first, as that interface says.
//
// Only regular files are created; there is no mkdir, so a new file's parent must be a directory
// of the base. Metadata not modelled: mtime and inode of a changed file stay the base's (a new
// file has the epoch and inode 0, its parent's device). Nothing in the checks compares them, and
// a clock here would make the dry-run output depend on when it ran.
//
// Not thread-safe: one overlay belongs to one dry-run plan.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "platform/host_files.h"

namespace healing {

/// One file changed in the overlay, as the planner sees it.
struct OverlayEntry {
  /// The new bytes; nullopt when only mode or owner changed (the content is the base's).
  std::optional<std::string> content;
  std::uint32_t mode = 0;  // & 07777, suid/sgid/sticky included
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  /// Regular for anything written; a mode/owner change keeps the base's type (e.g. Directory).
  platform::FileType type = platform::FileType::Regular;
  /// False for a file the overlay created: the planner diffs it against nothing.
  bool existed_in_base = false;
};

class OverlayHostFiles final : public platform::HostFiles {
 public:
  /// Reads through to `base`, which must outlive the overlay and is never written.
  explicit OverlayHostFiles(const platform::HostFiles& base) : base_(base) {}

  /// The overlay's metadata for a changed file (size = its content's size), else the base's.
  /// Fails like HostFiles::stat().
  core::Result<platform::FileStat, platform::FsError> stat(const std::string& path) const override;

  /// Like stat(), without following a final symlink (a link is never an overlay entry: writes
  /// land on its target). Fails like HostFiles::lstat().
  core::Result<platform::FileStat, platform::FsError> lstat(const std::string& path) const override;

  /// The overlay's content for a written file (TooLarge above `max_bytes`, as the base would),
  /// else the base's bytes. Fails like HostFiles::readFile().
  core::Result<std::string, platform::FsError> readFile(const std::string& path,
                                                        std::size_t max_bytes) const override;

  /// The base's link target; NotSymlink for a file the overlay created. Fails like
  /// HostFiles::readLink().
  core::Result<std::string, platform::FsError> readLink(const std::string& path) const override;

  /// The base's entries merged with the files the overlay created in that directory, sorted by
  /// name, each name once. Fails like HostFiles::listDir().
  core::Result<std::vector<platform::DirEntry>, platform::FsError> listDir(
      const std::string& path) const override;

  /// The base's entries with their metadata, an entry the overlay changed or created described
  /// as stat() of it would (mode, owner, size), sorted by name. Fails like HostFiles::listDir().
  core::Result<std::vector<platform::DirEntryStat>, platform::FsError> listDirStat(
      const std::string& path) const override;

  /// The base's answer; for a file the overlay created, its parent directory's. Fails like
  /// HostFiles::fileSystemType().
  core::Result<std::uint64_t, platform::FsError> fileSystemType(const std::string& path) const override;

  /// True for a file the overlay created, else the base's answer. Fails like HostFiles::exists().
  core::Result<bool, platform::FsError> exists(const std::string& path) const override;

  /// The base's canonical path, or the canonical path of a file the overlay created. Fails like
  /// HostFiles::resolve().
  core::Result<std::string, platform::FsError> resolve(const std::string& path) const override;

  /// Records `content`, mode, uid and gid for the file `path` resolves to; the base is untouched.
  /// A new file needs an existing parent directory. Fails with NotRegular on a directory,
  /// InvalidPath when the last component names no entry ("/etc/", "/etc/.."), NotFound /
  /// NotDirectory when the parent is missing or not a directory, else like resolve().
  core::Status<platform::FsError> writeFileAtomic(const std::string& path,
                                                  const std::string& content, std::uint32_t mode,
                                                  std::uint32_t uid, std::uint32_t gid) override;

  /// Records new permission bits (& 07777) for the file `path` resolves to, keeping its content
  /// and owner. Fails like stat() (NotFound for a missing file, as the kernel would).
  core::Status<platform::FsError> setMode(const std::string& path, std::uint32_t mode) override;

  /// Records a new owner and group for the file `path` resolves to, and clears suid/sgid on a
  /// non-directory as the kernel's chown does, so a plan that chowns after chmod is predicted
  /// as it will happen live. Fails like stat().
  core::Status<platform::FsError> setOwner(const std::string& path, std::uint32_t uid,
                                           std::uint32_t gid) override;

  /// For a written file, a sealed memfd (close-on-exec, offset 0) holding the new content, so a
  /// validator reads the candidate via /dev/fd/N and cannot change it; else the base's
  /// descriptor. Fails like HostFiles::openForRead(), or with Io when the memfd cannot be made.
  core::Result<platform::UniqueFd, platform::FsError> openForRead(
      const std::string& path) const override;

  /// Writes into an existing file, keeping its metadata (what a live sysctl write does to
  /// /proc/sys). Fails like stat(), or as writeFileAtomic().
  core::Status<platform::FsError> writeInPlace(const std::string& path, const std::string& content) override;

  /// Plans never remove files (only a live rollback does): fails Unsupported.
  core::Status<platform::FsError> removeFile(const std::string& path) override;

  /// A plan leaves no temporaries and sweeps none (dry-run changes nothing): always empty.
  core::Result<std::vector<std::string>, platform::FsError> removeTemporaries(const std::string& dir,
                                                                              const std::string& of_name) override;

  /// The canonical host paths of every file written or re-moded/re-owned, sorted. A change that
  /// happens to equal the base is still listed: the planner's diff shows it as empty.
  std::vector<std::string> changedPaths() const;

  /// The change recorded for the file `path` resolves to (symlinks followed), or nullopt when
  /// the overlay holds none.
  std::optional<OverlayEntry> entry(const std::string& path) const;

  /// Drops every change: afterwards every read is the base's again.
  void clear() { nodes_.clear(); }

 private:
  struct Node {
    OverlayEntry entry;
    platform::FileStat base;  // the base's metadata when first touched (size, mtime, dev, ino)
  };

  /// The canonical key of `path`, following symlinks: base.resolve() when the base has it; for a
  /// missing name, its resolved parent directory plus the name (an overlay file or a new one);
  /// for a dangling symlink, the key of its target. `follows` counts links followed here.
  core::Result<std::string, platform::FsError> canonicalKey(const std::string& path,
                                                            int follows = 0) const;
  /// The node `path` resolves to (stat semantics), or null; any lookup error means "not in the
  /// overlay" and the caller asks the base, which reports that error with its own wording.
  const Node* find(const std::string& path) const;
  /// Like find(), but a final symlink is not followed (lstat semantics).
  const Node* findNoFollow(const std::string& path) const;
  /// The base's result for `path`, except that a NotFound caused by going through a file the
  /// overlay created becomes NotDirectory, as the kernel would answer after the real write.
  template <class T>
  core::Result<T, platform::FsError> fromBase(core::Result<T, platform::FsError> r,
                                              const std::string& path) const;
  /// The node for `path` to change mode or owner: existing, or captured from base.stat().
  core::Result<Node*, platform::FsError> nodeForMetadata(const std::string& path, const char* op);

  static platform::FileStat statOf(const Node& node);

  const platform::HostFiles& base_;
  std::map<std::string, Node> nodes_;  // canonical host path -> change; ordered for listDir
};

}  // namespace healing
