#include "core/state_dir.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/atomic_file.h"

namespace core {

Result<std::optional<std::string>, std::string> PosixStateDir::read(const std::string& name) const {
  const std::string path = pathOf(name);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    if (errno == ENOENT) return std::optional<std::string>();
    return fail("cannot read " + path + ": " + std::strerror(errno));
  }
  std::string text;
  char buf[16384];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      return fail("cannot read " + path + ": " + std::strerror(err));
    }
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return std::optional<std::string>(std::move(text));
}

Status<std::string> PosixStateDir::replace(const std::string& name, std::string_view text, PendingSyncs* syncs,
                                           bool defer_dir_sync) {
  return replaceFileAtomic(pathOf(name), text, syncs, defer_dir_sync);
}

}  // namespace core
