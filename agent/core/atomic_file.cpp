#include "core/atomic_file.h"

#include <fcntl.h>
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

}  // namespace core
