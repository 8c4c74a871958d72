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

core::Result<std::vector<DirEntryStat>, FsError> HostFiles::listDirStat(const std::string& path) const {
  auto names = listDir(path);
  if (!names.ok()) return core::fail(std::move(names).error());
  std::vector<DirEntryStat> out;
  out.reserve(names->size());
  const std::string prefix = (!path.empty() && path.back() == '/') ? path : path + "/";
  for (auto& e : *names) {
    auto st = lstat(prefix + e.name);
    if (st.ok()) out.push_back(DirEntryStat{std::move(e.name), *st});
  }
  return out;  // listDir() sorted the names
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
