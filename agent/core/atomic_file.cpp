#include "core/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace core {
namespace {

std::string failure(const std::string& what, const std::string& path, int err) {
  return what + " " + path + ": " + std::strerror(err);
}

}  // namespace

int writeFully(int fd, std::string_view text) {
  for (std::size_t done = 0; done < text.size();) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return n < 0 ? errno : EIO;
    done += static_cast<std::size_t>(n);
  }
  return 0;
}

Status<std::string> replaceFileAtomic(const std::string& path, std::string_view text, PendingSyncs* syncs,
                                      bool defer_dir_sync) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return fail(failure("cannot create", tmp, errno));
  int err = writeFully(fd, text);
  std::string flush_error;
  if (err == 0 && syncs) {
    if (auto flushed = syncs->flushBeforeChange(fd); !flushed.ok()) flush_error = flushed.error();
  } else if (err == 0 && ::fsync(fd) != 0) {
    err = errno;
  }
  ::close(fd);
  if (!flush_error.empty()) {
    ::unlink(tmp.c_str());
    return fail("cannot write " + path + ": " + flush_error);
  }
  if (err == 0 && ::rename(tmp.c_str(), path.c_str()) != 0) err = errno;
  if (err != 0) {
    ::unlink(tmp.c_str());
    return fail(failure("cannot write", path, err));
  }
  const auto slash = path.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return fail(failure("cannot open", dir, errno));
  if (syncs && defer_dir_sync) {
    auto added = syncs->add(dfd, PendingSyncs::Due::BeforeChange);
    ::close(dfd);
    if (!added.ok()) return fail("cannot sync " + dir + ": " + added.error());
    return Ok{};
  }
  const bool synced = ::fsync(dfd) == 0;
  err = errno;
  ::close(dfd);
  if (!synced) return fail(failure("cannot sync", dir, err));
  return Ok{};
}

Status<CreateError> createFileExclusive(const std::string& dir, const std::string& name, std::string_view text,
                                        unsigned mode) {
  const std::string path = dir + "/" + name;
  const std::string tmp = dir + "/." + name + ".tmp";
  ::unlink(tmp.c_str());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, static_cast<mode_t>(mode));
  if (fd < 0) return fail(CreateError{CreateErrc::Io, failure("cannot create", tmp, errno)});
  // fchmod: the umask must not widen or narrow what the caller asked for.
  int err = ::fchmod(fd, static_cast<mode_t>(mode)) != 0 ? errno : writeFully(fd, text);
  if (err == 0 && ::fsync(fd) != 0) err = errno;
  ::close(fd);
  if (err != 0) {
    ::unlink(tmp.c_str());
    return fail(CreateError{CreateErrc::Io, failure("cannot write", tmp, err)});
  }
  const int linked = ::link(tmp.c_str(), path.c_str()) == 0 ? 0 : errno;
  ::unlink(tmp.c_str());
  if (linked == EEXIST) return fail(CreateError{CreateErrc::Exists, path + ": already exists"});
  if (linked != 0) return fail(CreateError{CreateErrc::Io, failure("cannot create", path, linked)});
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  const int synced = dfd >= 0 && ::fsync(dfd) == 0 ? 0 : errno;
  if (dfd >= 0) ::close(dfd);
  if (synced != 0) return fail(CreateError{CreateErrc::Io, failure("cannot sync", dir, synced)});
  return Ok{};
}

}  // namespace core
