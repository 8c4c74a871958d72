#include "core/pending_syncs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>

namespace core {
namespace {

std::string errnoText(const char* op, int err) { return std::string(op) + ": " + std::strerror(err); }

}  // namespace

PendingSyncs::~PendingSyncs() {
  for (const auto& e : entries_) ::close(e.fd);
}

Status<std::string> PendingSyncs::add(int fd, Due due) {
  struct stat st{};
  if (::fstat(fd, &st) != 0) return fail(errnoText("fstat", errno));
  const int dup = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (dup < 0) return fail(errnoText("dup", errno));
  entries_.push_back(Entry{dup, due, static_cast<unsigned long>(st.st_dev), S_ISDIR(st.st_mode)});
  return Ok{};
}

Status<std::string> PendingSyncs::flushBeforeChange(int also) { return flush(false, also); }

Status<std::string> PendingSyncs::flushAll(int also) { return flush(true, also); }

Status<std::string> PendingSyncs::flush(bool all, int also) {
  // Per file system: the descriptors that must be durable now.
  std::map<unsigned long, std::vector<int>> due;
  for (const auto& e : entries_) {
    if (all || e.due == Due::BeforeChange) due[e.dev].push_back(e.fd);
  }
  if (also >= 0) {
    struct stat st{};
    if (::fstat(also, &st) != 0) return fail(errnoText("fstat", errno));
    due[static_cast<unsigned long>(st.st_dev)].push_back(also);
  }
  std::map<unsigned long, bool> whole;  // the file systems that got a syncfs
  for (const auto& [dev, fds] : due) {
    if (fds.size() == 1) {
      // One descriptor: its own flush, never more. fsync, not fdatasync: new content handed
      // over with its mode and owner set needs those durable too, and a directory's entries are
      // what its fsync is for.
      if (::fsync(fds.front()) != 0) return fail(errnoText("fsync", errno));
    } else {
      if (::syncfs(fds.front()) != 0) return fail(errnoText("syncfs", errno));
      whole[dev] = true;
    }
  }
  // Drop what is now durable: what was due, and whatever else a syncfs covered.
  std::vector<Entry> kept;
  for (const auto& e : entries_) {
    if (all || e.due == Due::BeforeChange || whole.count(e.dev)) {
      ::close(e.fd);
    } else {
      kept.push_back(e);
    }
  }
  entries_ = std::move(kept);
  return Ok{};
}

}  // namespace core
