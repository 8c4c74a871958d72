#pragma once
// StateLock: only one process writes state_dir at a time. An exclusive, non-blocking flock() on
// state_dir/lock: the kernel releases it when the holder exits or is killed, so a crashed agent
// never blocks the next one (no stale-PID-file logic). The holder's PID is written into the file
// only so that a refused process can say who holds it.
#include <string>

#include "core/result.h"
#include "platform/unique_fd.h"

namespace platform {

enum class LockErrc {
  Busy,          // another open file description holds the lock (exit code 4 at the CLI)
  NoStateDir,    // state_dir does not exist (writing commands create it with ensureStateDir)
  NotDirectory,  // state_dir, or a parent of it, exists but is not a directory
  Permission,    // EACCES / EPERM / EROFS
  Io,            // anything else
};
using LockError = core::Error<LockErrc>;

/// Name of the lock file inside state_dir.
inline constexpr const char* kStateLockFile = "lock";

class StateLock {
 public:
  /// Takes the lock on `state_dir`/lock (created 0600 if missing; state_dir itself must exist).
  /// Fails with Busy ("state_dir /x is busy: held by pid 1234"), NoStateDir, NotDirectory,
  /// Permission or Io. Never waits.
  static core::Result<StateLock, LockError> acquire(const std::string& state_dir);

  StateLock(StateLock&&) noexcept = default;
  StateLock& operator=(StateLock&&) noexcept = default;
  StateLock(const StateLock&) = delete;
  StateLock& operator=(const StateLock&) = delete;
  /// Releases the lock (if still held by this object).
  ~StateLock();

  /// The lock file's path.
  const std::string& path() const { return path_; }

 private:
  StateLock(UniqueFd fd, std::string path) : fd_(std::move(fd)), path_(std::move(path)) {}
  UniqueFd fd_;
  std::string path_;
};

/// Creates `path` with mode 0700 if it is missing (missing parents with 0755, like mkdir -p);
/// an existing directory is left as it is. Fails with NotDirectory when it (or a parent) exists
/// but is not a directory, Permission or Io.
core::Status<LockError> ensureStateDir(const std::string& path);

}  // namespace platform
