#include "platform/host_files.h"

namespace platform {

const char* fileTypeName(FileType type) {
  switch (type) {
    case FileType::Regular: return "regular";
    case FileType::Directory: return "directory";
    case FileType::Symlink: return "symlink";
    case FileType::Fifo: return "fifo";
    case FileType::Socket: return "socket";
    case FileType::CharDevice: return "char";
    case FileType::BlockDevice: return "block";
    case FileType::Other: return "other";
  }
  return "other";
}

core::Status<FsError> HostFiles::writeFileAtomicAfter(const std::string& path, const std::string& content,
                                                     std::uint32_t mode, std::uint32_t uid, std::uint32_t gid,
                                                     core::PendingSyncs& syncs) {
  if (auto flushed = syncs.flushBeforeChange(); !flushed.ok()) {
    return core::fail(FsError{FsErrc::Io, "write " + path + ": " + flushed.error()});
  }
  return writeFileAtomic(path, content, mode, uid, gid);
}

}  // namespace platform
