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

}  // namespace platform
