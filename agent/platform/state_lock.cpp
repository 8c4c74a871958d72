#include "platform/state_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace platform {
namespace {

std::string errnoText(int err) { return std::error_code(err, std::generic_category()).message(); }

LockErrc codeOf(int err) {
  switch (err) {
    case ENOENT: return LockErrc::NoStateDir;
    case ENOTDIR:
    case EEXIST: return LockErrc::NotDirectory;
    case EACCES:
    case EPERM:
    case EROFS: return LockErrc::Permission;
    default: return LockErrc::Io;
  }
}

/// The PID the holder wrote, for the message only; empty when unreadable.
std::string readHolderPid(int fd) {
  char buf[32] = {};
  const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  if (n <= 0) return "";
  std::string s(buf, static_cast<std::size_t>(n));
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  for (char c : s) {
    if (c < '0' || c > '9') return "";
  }
  return s;
}

}  // namespace

core::Result<StateLock, LockError> StateLock::acquire(const std::string& state_dir) {
  if (state_dir.empty()) {
    // Else the lock would be "/lock", at the root of the file system.
    return core::fail(LockError{LockErrc::NoStateDir, "state_dir is empty"});
  }
  const std::string path = state_dir + "/" + kStateLockFile;
  // O_NOFOLLOW: a symlink planted as the lock file must not make us create or truncate a file
  // elsewhere. Not O_TRUNC: the holder's PID must survive our open for the Busy message.
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd) {
    const int err = errno;
    if (err == ENOENT) {
      return core::fail(LockError{LockErrc::NoStateDir, "state_dir " + state_dir +
                                                            " does not exist"});
    }
    return core::fail(LockError{codeOf(err), "cannot open " + path + ": " + errnoText(err)});
  }
  // flock locks belong to the open file description: a second open, even in this process,
  // conflicts, and the lock dies with the last descriptor (the process) holding it.
  while (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    if (err == EINTR) continue;
    if (err == EWOULDBLOCK) {
      const std::string pid = readHolderPid(fd.get());
      return core::fail(LockError{
          LockErrc::Busy, "state_dir " + state_dir + " is busy: held by " +
                              (pid.empty() ? std::string("another process") : "pid " + pid)});
    }
    return core::fail(LockError{LockErrc::Io, "cannot lock " + path + ": " + errnoText(err)});
  }
  // Best effort, for the message only: a failure here does not weaken the lock.
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd.get(), 0) == 0) {
    (void)!::pwrite(fd.get(), pid.data(), pid.size(), 0);
  }
  return StateLock(std::move(fd), path);
}

StateLock::~StateLock() {
  // Clear the PID so it cannot be mistaken for a later holder's; closing releases the lock.
  if (fd_) (void)!::ftruncate(fd_.get(), 0);
}

core::Status<LockError> ensureStateDir(const std::string& state_dir) {
  if (state_dir.empty()) return core::fail(LockError{LockErrc::Io, "state_dir is empty"});
  std::string path = state_dir;
  // "/var/lib/x/" must end with the 0700 mkdir of "/var/lib/x", not an intermediate 0755 one.
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  // Walk the components like mkdir -p; only the last one gets 0700.
  std::size_t pos = 0;
  for (;;) {
    pos = path.find('/', pos + 1);
    const bool last = pos == std::string::npos;
    const std::string part = last ? path : path.substr(0, pos);
    if (!part.empty() && part != "/" && (last || path[pos - 1] != '/')) {
      if (::mkdir(part.c_str(), last ? 0700 : 0755) != 0) {
        const int err = errno;
        struct stat st {};
        if (err != EEXIST) {
          return core::fail(LockError{codeOf(err), "cannot create state_dir " + path + " (at " +
                                                       part + "): " + errnoText(err)});
        }
        if (::stat(part.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
          return core::fail(LockError{LockErrc::NotDirectory,
                                      "state_dir " + path + ": " + part +
                                          " exists but is not a directory"});
        }
      }
    }
    if (last) return core::Ok{};
  }
}

}  // namespace platform
