#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>  // renameat2
#include <cstring>

#include "evidence/storage.h"

namespace evidence {
namespace {

StorageError sysError(const std::string& what, const std::string& path, int err = errno) {
  StorageErrc code = StorageErrc::Io;
  if (err == ENOSPC || err == EDQUOT) code = StorageErrc::NoSpace;
  else if (err == ENOENT) code = StorageErrc::NotFound;
  else if (err == EEXIST) code = StorageErrc::Exists;
  return {code, what + " " + path + ": " + std::strerror(err)};
}

class PosixAppendFile final : public AppendFile {
 public:
  PosixAppendFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~PosixAppendFile() override { ::close(fd_); }

  core::Status<StorageError> append(std::string_view bytes) override {
    while (!bytes.empty()) {
      const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return core::fail(sysError("cannot write", path_));
      }
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return core::Ok{};
  }
  core::Status<StorageError> sync() override {
    if (::fdatasync(fd_) != 0) return core::fail(sysError("cannot sync", path_));
    return core::Ok{};
  }
  core::Status<StorageError> syncWith(core::PendingSyncs& others) override {
    if (auto st = others.flushAll(fd_); !st.ok()) return core::fail(StorageError{StorageErrc::Io, path_ + ": " + st.error()});
    return core::Ok{};
  }
  core::Status<StorageError> syncLater(core::PendingSyncs& syncs, core::PendingSyncs::Confirm confirm) override {
    if (auto st = syncs.addRecords(fd_, std::move(confirm)); !st.ok()) {
      return core::fail(StorageError{StorageErrc::Io, path_ + ": " + st.error()});
    }
    return core::Ok{};
  }
  core::Status<StorageError> truncate(std::uint64_t size) override {
    if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) return core::fail(sysError("cannot truncate", path_));
    return sync();
  }

 private:
  int fd_;
  std::string path_;
};

}  // namespace

core::Status<StorageError> AppendFile::syncWith(core::PendingSyncs& others) {
  if (auto st = others.flushAll(); !st.ok()) return core::fail(StorageError{StorageErrc::Io, st.error()});
  return sync();
}

core::Status<StorageError> AppendFile::syncLater(core::PendingSyncs&, core::PendingSyncs::Confirm) { return sync(); }

std::string segmentName(std::uint64_t first_seq) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%020llu.jsonl", static_cast<unsigned long long>(first_seq));
  return buf;
}

std::string segmentTempName(std::uint64_t first_seq) { return "." + segmentName(first_seq) + ".tmp"; }

bool isSegmentTemp(std::string_view name) {
  return name.size() == 31 && name.front() == '.' && name.substr(27) == ".tmp" && segmentSeq(name.substr(1, 26)) > 0;
}

std::uint64_t segmentSeq(std::string_view name) {
  if (name.size() != 26 || name.substr(20) != ".jsonl") return 0;
  std::uint64_t n = 0;
  for (char c : name.substr(0, 20)) {
    if (c < '0' || c > '9') return 0;
    if (n > (UINT64_MAX - 9) / 10) return 0;
    n = n * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return n;
}

core::Result<std::unique_ptr<PosixStorage>, StorageError> PosixStorage::open(const std::string& dir, bool create) {
  if (create) {
    if (::mkdir(dir.c_str(), 0700) == 0) {
      // The new directory's own entry must survive a power cut before anything in it counts.
      const std::string parent = dir.substr(0, dir.find_last_of('/') == std::string::npos ? 0 : dir.find_last_of('/'));
      const int pfd = ::open(parent.empty() ? "." : parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (pfd >= 0) {
        (void)::fsync(pfd);
        ::close(pfd);
      }
    } else if (errno != EEXIST) {
      return core::fail(sysError("cannot create", dir));
    }
  }
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return core::fail(sysError("cannot open", dir));
  return std::unique_ptr<PosixStorage>(new PosixStorage(dir, fd));
}

PosixStorage::~PosixStorage() { ::close(fd_); }

core::Result<std::vector<StoredFile>, StorageError> PosixStorage::list() const {
  const int fd = ::openat(fd_, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return core::fail(sysError("cannot list", dir_));
  DIR* d = ::fdopendir(fd);
  if (!d) {
    ::close(fd);
    return core::fail(sysError("cannot list", dir_));
  }
  std::vector<StoredFile> out;
  while (const dirent* e = ::readdir(d)) {
    struct stat st{};
    if (::fstatat(fd_, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode)) continue;
    out.push_back({e->d_name, static_cast<std::uint64_t>(st.st_size)});
  }
  ::closedir(d);
  return out;
}

core::Result<std::string, StorageError> PosixStorage::read(const std::string& name) const {
  const int fd = ::openat(fd_, name.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return core::fail(sysError("cannot open", dir_ + "/" + name));
  std::string out;
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      const auto err = sysError("cannot read", dir_ + "/" + name);
      ::close(fd);
      return core::fail(err);
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

core::Result<std::unique_ptr<AppendFile>, StorageError> PosixStorage::create(const std::string& name) {
  const int fd = ::openat(fd_, name.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return core::fail(sysError("cannot create", dir_ + "/" + name));
  return std::unique_ptr<AppendFile>(new PosixAppendFile(fd, dir_ + "/" + name));
}

core::Result<std::unique_ptr<AppendFile>, StorageError> PosixStorage::openAppend(const std::string& name) {
  const int fd = ::openat(fd_, name.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return core::fail(sysError("cannot open", dir_ + "/" + name));
  return std::unique_ptr<AppendFile>(new PosixAppendFile(fd, dir_ + "/" + name));
}

core::Status<StorageError> PosixStorage::remove(const std::string& name) {
  if (::unlinkat(fd_, name.c_str(), 0) != 0) return core::fail(sysError("cannot remove", dir_ + "/" + name));
  return core::Ok{};
}

core::Status<StorageError> PosixStorage::rename(const std::string& from, const std::string& to) {
  if (::renameat2(fd_, from.c_str(), fd_, to.c_str(), RENAME_NOREPLACE) == 0) return core::Ok{};
  if (errno != EINVAL) return core::fail(sysError("cannot rename " + from + " to", dir_ + "/" + to));
  // A file system without RENAME_NOREPLACE: a hard link fails on an existing name just the same.
  if (::linkat(fd_, from.c_str(), fd_, to.c_str(), 0) != 0) {
    return core::fail(sysError("cannot rename " + from + " to", dir_ + "/" + to));
  }
  if (::unlinkat(fd_, from.c_str(), 0) != 0) return core::fail(sysError("cannot remove", dir_ + "/" + from));
  return core::Ok{};
}

core::Status<StorageError> PosixStorage::syncDir() {
  if (::fsync(fd_) != 0) return core::fail(sysError("cannot sync", dir_));
  return core::Ok{};
}

}  // namespace evidence
