#include "platform/linux_host_files.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <system_error>

namespace platform {
namespace {

// openat2 fails with EAGAIN when a concurrent rename or mount made it unable to prove that a
// ".." stayed inside the root; the man page says to retry.
constexpr int kOpenat2Retries = 16;
// Symlink targets are at most PATH_MAX bytes on Linux; the loop below grows up to this bound.
constexpr std::size_t kMaxLinkTarget = 64 * 1024;
constexpr int kTempNameTries = 16;

std::string errnoText(int err) { return std::error_code(err, std::generic_category()).message(); }

FsError errnoError(int err, const std::string& op, const std::string& path) {
  FsErrc code = FsErrc::Io;
  std::string extra;
  switch (err) {
    case ENOENT: code = FsErrc::NotFound; break;
    case ENOTDIR: code = FsErrc::NotDirectory; break;
    case EISDIR: code = FsErrc::NotRegular; break;
    case ELOOP: code = FsErrc::Loop; extra = " (a symlink loop?)"; break;
    case EXDEV: code = FsErrc::Escapes; extra = " (resolution tried to leave host_root)"; break;
    case EACCES:
    case EPERM:
    case EROFS: code = FsErrc::Permission; break;
    case ENAMETOOLONG: code = FsErrc::InvalidPath; break;
    case ENOSYS: code = FsErrc::Unsupported; extra = " (openat2 requires Linux >= 5.6)"; break;
    default: break;
  }
  return FsError{code, op + " " + path + ": " + errnoText(err) + extra};
}

FileType typeFromMode(mode_t m) {
  switch (m & S_IFMT) {
    case S_IFREG: return FileType::Regular;
    case S_IFDIR: return FileType::Directory;
    case S_IFLNK: return FileType::Symlink;
    case S_IFIFO: return FileType::Fifo;
    case S_IFSOCK: return FileType::Socket;
    case S_IFCHR: return FileType::CharDevice;
    case S_IFBLK: return FileType::BlockDevice;
    default: return FileType::Other;
  }
}

FileType typeFromDirent(unsigned char d_type) {
  switch (d_type) {
    case DT_REG: return FileType::Regular;
    case DT_DIR: return FileType::Directory;
    case DT_LNK: return FileType::Symlink;
    case DT_FIFO: return FileType::Fifo;
    case DT_SOCK: return FileType::Socket;
    case DT_CHR: return FileType::CharDevice;
    case DT_BLK: return FileType::BlockDevice;
    default: return FileType::Other;
  }
}

FileStat toFileStat(const struct stat& st) {
  FileStat fs;
  fs.type = typeFromMode(st.st_mode);
  fs.mode = static_cast<std::uint32_t>(st.st_mode & 07777);
  fs.uid = st.st_uid;
  fs.gid = st.st_gid;
  fs.size = static_cast<std::uint64_t>(st.st_size);
  fs.mtime = std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::seconds(st.st_mtim.tv_sec) + std::chrono::nanoseconds(st.st_mtim.tv_nsec)));
  fs.dev = st.st_dev;
  fs.ino = st.st_ino;
  return fs;
}

/// "/etc/ssh" -> "etc/ssh", "/" -> ".". openat2 with RESOLVE_IN_ROOT would accept the absolute
/// form too; the relative one keeps the intent obvious.
core::Result<std::string, FsError> relativeOf(const std::string& path, const std::string& op) {
  if (path.empty() || path.front() != '/') {
    return core::fail(FsError{FsErrc::InvalidPath,
                              op + " '" + path + "': not an absolute host path"});
  }
  if (path.find('\0') != std::string::npos) {
    return core::fail(FsError{FsErrc::InvalidPath, op + ": path contains a NUL byte"});
  }
  const auto first = path.find_first_not_of('/');
  return first == std::string::npos ? std::string(".") : path.substr(first);
}

bool namesNoEntry(const std::string& name) { return name.empty() || name == "." || name == ".."; }

/// True for "/", "/etc/", "/etc/." and "/etc/..": paths whose last component is no entry name,
/// so they cannot name a symlink itself.
bool endsInNoName(const std::string& path) {
  const auto slash = path.rfind('/');
  return namesNoEntry(slash == std::string::npos ? path : path.substr(slash + 1));
}

std::string procFdPath(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

/// readlink() of a path whose target length is unknown.
core::Result<std::string, int> readLinkAt(int dirfd, const char* name) {
  std::string buf(256, '\0');
  for (;;) {
    const ssize_t n = ::readlinkat(dirfd, name, buf.data(), buf.size());
    if (n < 0) return core::fail(errno);
    if (static_cast<std::size_t>(n) < buf.size()) {
      buf.resize(static_cast<std::size_t>(n));
      return buf;
    }
    if (buf.size() >= kMaxLinkTarget) return core::fail(ENAMETOOLONG);
    buf.resize(buf.size() * 2);
  }
}

core::Status<FsError> writeAll(int fd, const std::string& content, const std::string& path) {
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return core::fail(errnoError(errno, "write", path));
    }
    done += static_cast<std::size_t>(n);
  }
  return core::Ok{};
}

std::string randomSuffix() {
  unsigned char bytes[8] = {};
  if (::getrandom(bytes, sizeof bytes, GRND_NONBLOCK) != static_cast<ssize_t>(sizeof bytes)) {
    // No entropy yet (early boot): the name only has to be unlikely, O_EXCL makes it safe.
    const auto t = std::chrono::steady_clock::now().time_since_epoch().count() ^ ::getpid();
    for (std::size_t i = 0; i < sizeof bytes; ++i) bytes[i] = static_cast<unsigned char>(t >> (8 * i));
  }
  static const char kHex[] = "0123456789abcdef";
  std::string s;
  for (unsigned char b : bytes) {
    s += kHex[b >> 4];
    s += kHex[b & 0xf];
  }
  return s;
}

/// Calls `each(dir, entry)` for every entry of the open directory `fd` but "." and "..", then
/// closes it. Fails with the errno text of a failing readdir.
template <class Each>
core::Status<FsError> forEachEntry(UniqueFd fd, const std::string& path, Each&& each) {
  DIR* dir = ::fdopendir(fd.get());
  if (!dir) return core::fail(errnoError(errno, "list", path));
  fd.release();  // now owned by `dir`
  for (;;) {
    errno = 0;
    const dirent* de = ::readdir(dir);
    if (!de) break;
    const char* n = de->d_name;
    if (n[0] == '.' && (n[1] == '\0' || (n[1] == '.' && n[2] == '\0'))) continue;  // "." and ".."
    each(::dirfd(dir), *de);
  }
  const int err = errno;
  ::closedir(dir);
  if (err != 0) return core::fail(errnoError(err, "list", path));
  return core::Ok{};
}

template <class Entry>
void sortByName(std::vector<Entry>& entries) {
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.name < b.name; });
}

// The temporary of `name`: hidden, in the same directory (rename is only atomic within one
// file system), unique, and short enough for NAME_MAX even when `name` is long.
constexpr std::size_t kTempNameKept = 200;
constexpr const char* kTempMark = ".ca-tmp-";
constexpr std::size_t kTempSuffixLength = 16;  // randomSuffix(): 8 bytes in hex

std::string temporaryName(const std::string& name, const std::string& suffix) {
  return "." + name.substr(0, kTempNameKept) + kTempMark + suffix;
}

// Whether `entry` is a temporary temporaryName() makes (of `of_name` only, when not empty).
bool isTemporaryName(const std::string& entry, const std::string& of_name) {
  const std::size_t mark = std::char_traits<char>::length(kTempMark);
  if (entry.size() < 2 + mark + kTempSuffixLength || entry.front() != '.') return false;
  const std::size_t at = entry.size() - kTempSuffixLength - mark;
  if (entry.compare(at, mark, kTempMark) != 0) return false;
  if (entry.find_first_not_of("0123456789abcdef", at + mark) != std::string::npos) return false;
  return of_name.empty() || entry.compare(1, at - 1, of_name.substr(0, kTempNameKept)) == 0;
}

}  // namespace

core::Result<std::unique_ptr<LinuxHostFiles>, FsError> LinuxHostFiles::open(
    const std::string& root_dir) {
  if (root_dir.empty()) {
    return core::fail(FsError{FsErrc::InvalidPath, "host_root is empty"});
  }
  UniqueFd root(::open(root_dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root) return core::fail(errnoError(errno, "open host_root", root_dir));

  // Probe openat2 once here, so an old kernel or a seccomp filter fails start-up with one clear
  // message instead of every probe failing later.
  open_how how{};
  how.flags = O_PATH | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  const long probe = ::syscall(SYS_openat2, root.get(), ".", &how, sizeof how);
  if (probe < 0) {
    const int err = errno;
    return core::fail(FsError{
        FsErrc::Unsupported,
        "openat2 is not usable (" + errnoText(err) +
            "): Linux >= 5.6 with openat2 allowed by any seccomp filter is required to confine "
            "host paths to host_root; there is no unsafe fallback"});
  }
  ::close(static_cast<int>(probe));

  auto real = readLinkAt(AT_FDCWD, procFdPath(root.get()).c_str());
  if (!real) {
    return core::fail(FsError{FsErrc::Unsupported, "cannot read " + procFdPath(root.get()) +
                                                       ": " + errnoText(real.error()) +
                                                       " (/proc must be mounted)"});
  }
  return std::unique_ptr<LinuxHostFiles>(new LinuxHostFiles(std::move(root), std::move(*real)));
}

core::Result<UniqueFd, FsError> LinuxHostFiles::openIn(const std::string& path, int flags,
                                                       const char* op) const {
  auto rel = relativeOf(path, op);
  if (!rel) return core::fail(std::move(rel).error());
  open_how how{};
  how.flags = static_cast<std::uint64_t>(flags | O_CLOEXEC);
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  for (int attempt = 0;; ++attempt) {
    const long fd = ::syscall(SYS_openat2, root_.get(), rel->c_str(), &how, sizeof how);
    if (fd >= 0) return UniqueFd(static_cast<int>(fd));
    const int err = errno;
    if (err == EINTR || (err == EAGAIN && attempt < kOpenat2Retries)) continue;
    return core::fail(errnoError(err, op, path));
  }
}

core::Result<LinuxHostFiles::Parent, FsError> LinuxHostFiles::openParent(const std::string& path,
                                                                         int flags,
                                                                         const char* op) const {
  auto rel = relativeOf(path, op);
  if (!rel) return core::fail(std::move(rel).error());
  const auto slash = rel->rfind('/');
  std::string name = slash == std::string::npos ? *rel : rel->substr(slash + 1);
  if (namesNoEntry(name)) {
    return core::fail(FsError{FsErrc::InvalidPath, std::string(op) + " " + path +
                                                       ": the last component names no entry"});
  }
  const std::string parent = slash == std::string::npos ? "/" : "/" + rel->substr(0, slash);
  auto dir = openIn(parent, flags | O_DIRECTORY, op);
  if (!dir) return core::fail(std::move(dir).error());
  return Parent{std::move(*dir), std::move(name)};
}

core::Result<FileStat, FsError> LinuxHostFiles::stat(const std::string& path) const {
  auto fd = openIn(path, O_PATH, "stat");
  if (!fd) return core::fail(std::move(fd).error());
  struct stat st {};
  if (::fstat(fd->get(), &st) != 0) return core::fail(errnoError(errno, "stat", path));
  return toFileStat(st);
}

core::Result<FileStat, FsError> LinuxHostFiles::lstat(const std::string& path) const {
  // "/", "/etc/.." and "/etc/" end in no name that could be a symlink: lstat equals stat.
  if (endsInNoName(path)) return stat(path);
  auto parent = openParent(path, O_PATH, "lstat");
  if (!parent) return core::fail(std::move(parent).error());
  struct stat st {};
  // Only a single name is looked up below an already confined directory, and not followed:
  // nothing here can leave the root.
  if (::fstatat(parent->dir.get(), parent->name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return core::fail(errnoError(errno, "lstat", path));
  }
  return toFileStat(st);
}

core::Result<UniqueFd, FsError> LinuxHostFiles::openRegularForRead(const std::string& path,
                                                                   const char* op) const {
  auto pathfd = openIn(path, O_PATH, op);
  if (!pathfd) return core::fail(std::move(pathfd).error());
  struct stat st {};
  if (::fstat(pathfd->get(), &st) != 0) return core::fail(errnoError(errno, op, path));
  if (!S_ISREG(st.st_mode)) {
    return core::fail(FsError{FsErrc::NotRegular, std::string(op) + " " + path + ": is a " +
                                                      fileTypeName(typeFromMode(st.st_mode)) +
                                                      ", not a regular file"});
  }
  // Reopen the very inode just checked through its O_PATH descriptor. So a FIFO can never block
  // us and a device is never opened at all (opening some has side effects: /dev/watchdog arms
  // the watchdog), and nothing can be swapped in between the check and the open.
  UniqueFd fd(::open(procFdPath(pathfd->get()).c_str(), O_RDONLY | O_NOCTTY | O_CLOEXEC));
  if (!fd) return core::fail(errnoError(errno, op, path));
  return fd;
}

core::Result<std::string, FsError> LinuxHostFiles::readFile(const std::string& path,
                                                            std::size_t max_bytes) const {
  auto fd = openRegularForRead(path, "read");
  if (!fd) return core::fail(std::move(fd).error());
  // st_size is only a hint (files under /proc report 0): read until EOF, but never more than
  // one byte past the limit. The buffer starts at the hint (+1, to see EOF in the same read) and
  // grows geometrically; what is returned holds no slack. (It used to grow in fixed 64 KiB steps
  // and keep that capacity: a cycle's read cache of 1,400 small files then held 90 MB, and the
  // heap's size, not the checks, set the per-check cost; docs/ROADMAP.md, issue 10 V5.)
  const std::size_t limit = max_bytes == SIZE_MAX ? max_bytes : max_bytes + 1;
  struct stat st {};
  std::size_t hint = 0;
  if (::fstat(fd->get(), &st) == 0 && st.st_size > 0) hint = static_cast<std::size_t>(st.st_size);
  std::string out;
  // No minimum beyond a small one for size-less files: a request of 1 KiB or more makes glibc
  // consolidate its free lists first, and most files a check reads are a few hundred bytes.
  std::size_t want_total = std::min(limit, hint > 0 ? hint + 1 : std::size_t{512});
  while (out.size() < limit) {
    const std::size_t old = out.size();
    if (old == want_total) want_total = std::min(limit, std::max(want_total * 2, old + 512));
    const std::size_t want = want_total - old;
    out.resize(old + want);
    const ssize_t n = ::read(fd->get(), out.data() + old, want);
    if (n < 0) {
      const int err = errno;
      out.resize(old);
      if (err == EINTR) continue;
      return core::fail(errnoError(err, "read", path));
    }
    out.resize(old + static_cast<std::size_t>(n));
    if (n == 0) break;
  }
  if (out.capacity() > out.size() + out.size() / 4 + 64) out.shrink_to_fit();
  if (out.size() > max_bytes) {
    return core::fail(FsError{FsErrc::TooLarge, "read " + path + ": larger than the limit of " +
                                                    std::to_string(max_bytes) + " bytes"});
  }
  return out;
}

core::Result<std::string, FsError> LinuxHostFiles::readLink(const std::string& path) const {
  if (endsInNoName(path) && !path.empty() && path.front() == '/') {
    return core::fail(FsError{FsErrc::NotSymlink, "readlink " + path + ": not a symlink"});
  }
  auto parent = openParent(path, O_PATH, "readlink");
  if (!parent) return core::fail(std::move(parent).error());
  auto target = readLinkAt(parent->dir.get(), parent->name.c_str());
  if (!target) {
    if (target.error() == EINVAL) {
      return core::fail(FsError{FsErrc::NotSymlink, "readlink " + path + ": not a symlink"});
    }
    return core::fail(errnoError(target.error(), "readlink", path));
  }
  return std::move(*target);
}

core::Result<std::vector<DirEntry>, FsError> LinuxHostFiles::listDir(const std::string& path) const {
  // O_DIRECTORY is checked during lookup, before anything is opened: a FIFO or device at `path`
  // fails with ENOTDIR without side effects.
  auto fd = openIn(path, O_RDONLY | O_DIRECTORY, "list");
  if (!fd) return core::fail(std::move(fd).error());
  std::vector<DirEntry> entries;
  auto done = forEachEntry(std::move(*fd), path, [&](int dirfd, const dirent& de) {
    FileType type = typeFromDirent(de.d_type);
    if (de.d_type == DT_UNKNOWN) {
      // Some file systems do not fill d_type; a single name, not followed, cannot leave the root.
      struct stat st {};
      if (::fstatat(dirfd, de.d_name, &st, AT_SYMLINK_NOFOLLOW) == 0) type = typeFromMode(st.st_mode);
    }
    entries.push_back(DirEntry{de.d_name, type});
  });
  if (!done) return core::fail(std::move(done).error());
  sortByName(entries);
  return entries;
}

core::Result<std::vector<DirEntryStat>, FsError> LinuxHostFiles::listDirStat(const std::string& path) const {
  auto fd = openIn(path, O_RDONLY | O_DIRECTORY, "list");
  if (!fd) return core::fail(std::move(fd).error());
  std::vector<DirEntryStat> entries;
  auto done = forEachEntry(std::move(*fd), path, [&](int dirfd, const dirent& de) {
    // A single name below a confined directory, not followed: nothing here can leave the root.
    // AT_NO_AUTOMOUNT is the kernel's default for stat since 4.11; said here so it stays so.
    struct stat st {};
    if (::fstatat(dirfd, de.d_name, &st, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT) == 0) {
      entries.push_back(DirEntryStat{de.d_name, toFileStat(st)});
    }
  });
  if (!done) return core::fail(std::move(done).error());
  sortByName(entries);
  return entries;
}

core::Result<std::uint64_t, FsError> LinuxHostFiles::fileSystemType(const std::string& path) const {
  // O_PATH without O_DIRECTORY: the lookup does not trigger an automount (an unmounted autofs
  // point reports autofs), and nothing is opened for reading.
  auto fd = openIn(path, O_PATH, "statfs");
  if (!fd) return core::fail(std::move(fd).error());
  struct statfs sfs {};
  if (::fstatfs(fd->get(), &sfs) != 0) return core::fail(errnoError(errno, "statfs", path));
  // Every magic number is 32 bits; where f_type is a signed word, the high ones would come back
  // sign-extended.
  return static_cast<std::uint64_t>(static_cast<std::uint32_t>(sfs.f_type));
}

core::Result<bool, FsError> LinuxHostFiles::exists(const std::string& path) const {
  auto st = stat(path);
  if (st) return true;
  if (st.error().code == FsErrc::NotFound || st.error().code == FsErrc::NotDirectory) return false;
  return core::fail(std::move(st).error());
}

core::Result<std::string, FsError> LinuxHostFiles::resolve(const std::string& path) const {
  auto fd = openIn(path, O_PATH, "resolve");
  if (!fd) return core::fail(std::move(fd).error());
  // The kernel names the file it reached in this process's mount namespace; the root's own
  // name (taken the same way at open()) is a prefix of it, and stripping that prefix gives the
  // host-absolute path. If the root directory was renamed since open(), or a mount shadows
  // part of it, the prefix no longer matches: report that rather than guess.
  auto real = readLinkAt(AT_FDCWD, procFdPath(fd->get()).c_str());
  if (!real) return core::fail(errnoError(real.error(), "resolve", path));
  if (root_real_ == "/") return std::move(*real);
  if (*real == root_real_) return std::string("/");
  if (real->size() > root_real_.size() && real->compare(0, root_real_.size(), root_real_) == 0 &&
      (*real)[root_real_.size()] == '/') {
    return real->substr(root_real_.size());
  }
  return core::fail(FsError{FsErrc::Escapes, "resolve " + path + ": the kernel names it " + *real +
                                                 ", which is not under the root " + root_real_});
}

core::Status<FsError> LinuxHostFiles::writeFileAtomic(const std::string& path,
                                                      const std::string& content,
                                                      std::uint32_t mode, std::uint32_t uid,
                                                      std::uint32_t gid) {
  return replaceFile(path, content, mode, uid, gid, nullptr);
}

core::Status<FsError> LinuxHostFiles::writeFileAtomicAfter(const std::string& path, const std::string& content,
                                                           std::uint32_t mode, std::uint32_t uid, std::uint32_t gid,
                                                           core::PendingSyncs& syncs) {
  return replaceFile(path, content, mode, uid, gid, &syncs);
}

core::Status<FsError> LinuxHostFiles::replaceFile(const std::string& path, const std::string& content,
                                                  std::uint32_t mode, std::uint32_t uid, std::uint32_t gid,
                                                  core::PendingSyncs* syncs) {
  // A readable descriptor, not O_PATH: the directory itself is fsynced after the rename.
  auto parent = openParent(path, O_RDONLY, "write");
  if (!parent) return core::fail(std::move(parent).error());
  const int dirfd = parent->dir.get();
  const std::string& name = parent->name;

  // The new content is made without a name (O_TMPFILE): a process killed while writing or
  // syncing it leaves nothing in the host's directory; the kernel frees the inode. Only a file
  // system without O_TMPFILE gets a named temporary from the start.
  std::string tmp;  // the temporary's name, once it has one
  UniqueFd fd(::openat(dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600));
  if (!fd) {
    const int err = errno;
    // EOPNOTSUPP: the file system has no O_TMPFILE; EISDIR: a kernel without O_TMPFILE, which
    // reads the flag as O_DIRECTORY. Anything else is a real failure (no space, no permission).
    if (err != EOPNOTSUPP && err != EISDIR) return core::fail(errnoError(err, "write", path));
    auto named = createTemporary(dirfd, name, -1);
    if (!named) return core::fail(errnoError(named.error(), "write", path));
    fd = std::move(named->fd);
    tmp = std::move(named->name);
  }
  auto cleanup = [&](FsError e) -> core::Status<FsError> {
    fd.reset();
    if (!tmp.empty()) ::unlinkat(dirfd, tmp.c_str(), 0);
    return core::fail(std::move(e));
  };
  if (auto w = writeAll(fd.get(), content, path); !w) return cleanup(std::move(w).error());
  // chown first: it clears suid/sgid, which the chmod then sets as asked.
  if (::fchown(fd.get(), uid, gid) != 0) return cleanup(errnoError(errno, "chown", path));
  if (::fchmod(fd.get(), mode & 07777) != 0) return cleanup(errnoError(errno, "chmod", path));
  // The content (with its mode and owner) is durable before any name shows it, or a power cut
  // could leave `path` naming an empty or partial file. With `syncs`, the same flush covers what
  // must precede the change (the backup, the guards' write-ahead attempt): one syncfs where they
  // share a file system instead of a flush each.
  if (syncs) {
    if (auto flushed = syncs->flushBeforeChange(fd.get()); !flushed.ok()) {
      return cleanup(FsError{FsErrc::Io, "write " + path + ": " + flushed.error()});
    }
  } else if (::fsync(fd.get()) != 0) {
    return cleanup(errnoError(errno, "fsync", path));
  }
  bool named = false;
  if (tmp.empty()) {
    // A file that does not exist yet is named at once: linkat creates the name atomically, and no
    // temporary ever shows.
    named = ::linkat(AT_FDCWD, procFdPath(fd.get()).c_str(), dirfd, name.c_str(), AT_SYMLINK_FOLLOW) == 0;
    if (!named && errno != EEXIST) return cleanup(errnoError(errno, "write", path));
  }
  if (tmp.empty() && !named) {
    // linkat cannot replace an existing name, so the content gets a temporary name first and the
    // rename replaces `path` atomically. That name lives for two system calls; a process killed
    // between them leaves it, and the next live start removes it (removeTemporaries).
    auto linked = createTemporary(dirfd, name, fd.get());
    if (!linked) return cleanup(errnoError(linked.error(), "write", path));
    tmp = std::move(linked->name);
  }
  if (!named && ::renameat(dirfd, tmp.c_str(), dirfd, name.c_str()) != 0) {
    return cleanup(errnoError(errno, "rename", path));
  }
  fd.reset();
  // The rename is durable once the directory is: before the heal's record, which `syncs` pays
  // for together with the record (BeforeRecord), else here.
  if (syncs) {
    if (auto added = syncs->add(dirfd, core::PendingSyncs::Due::BeforeRecord); added.ok()) return core::Ok{};
  }
  if (::fsync(dirfd) != 0) {
    const int err = errno;
    return core::fail(FsError{FsErrc::Io, "write " + path +
                                              ": replaced, but fsync of its directory failed: " +
                                              errnoText(err)});
  }
  return core::Ok{};
}

core::Result<LinuxHostFiles::Temporary, int> LinuxHostFiles::createTemporary(int dirfd, const std::string& name,
                                                                            int content_fd) {
  for (int i = 0; i < kTempNameTries; ++i) {
    std::string tmp = temporaryName(name, randomSuffix());
    if (content_fd >= 0) {
      // Names the unnamed file. Through its /proc link: linkat(fd, "", AT_EMPTY_PATH) would need
      // CAP_DAC_READ_SEARCH.
      if (::linkat(AT_FDCWD, procFdPath(content_fd).c_str(), dirfd, tmp.c_str(), AT_SYMLINK_FOLLOW) == 0) {
        return Temporary{UniqueFd(), std::move(tmp)};
      }
    } else {
      // O_EXCL|O_NOFOLLOW: a single new name in a confined directory; never an existing file or
      // a planted symlink.
      const int raw = ::openat(dirfd, tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
      if (raw >= 0) return Temporary{UniqueFd(raw), std::move(tmp)};
    }
    if (errno != EEXIST) return core::fail(errno);
  }
  return core::fail(EEXIST);
}

core::Result<std::vector<std::string>, FsError> LinuxHostFiles::removeTemporaries(const std::string& dir,
                                                                                  const std::string& of_name) {
  auto fd = openIn(dir, O_RDONLY | O_DIRECTORY, "sweep");
  if (!fd) {
    if (fd.error().code == FsErrc::NotFound) return std::vector<std::string>{};
    return core::fail(std::move(fd).error());
  }
  auto entries = listDir(dir);
  if (!entries) return core::fail(std::move(entries).error());
  const std::string prefix = dir.back() == '/' ? dir : dir + "/";
  std::vector<std::string> removed;
  for (const auto& e : *entries) {
    if (e.type != FileType::Regular || !isTemporaryName(e.name, of_name)) continue;
    // A single name in the confined directory, not followed: unlinkat removes that entry only.
    if (::unlinkat(fd->get(), e.name.c_str(), 0) != 0) {
      if (errno == ENOENT) continue;
      return core::fail(errnoError(errno, "remove", prefix + e.name));
    }
    removed.push_back(prefix + e.name);
  }
  if (!removed.empty() && ::fsync(fd->get()) != 0) return core::fail(errnoError(errno, "sweep", dir));
  return removed;
}

core::Status<FsError> LinuxHostFiles::writeInPlace(const std::string& path, const std::string& content) {
  // Resolved inside the root like every other access; O_TRUNC on an existing file only.
  auto fd = openIn(path, O_WRONLY | O_TRUNC | O_NOCTTY, "write");
  if (!fd) return core::fail(std::move(fd).error());
  struct ::stat st{};
  if (::fstat(fd->get(), &st) != 0) return core::fail(errnoError(errno, "write", path));
  if (!S_ISREG(st.st_mode)) {
    return core::fail(FsError{FsErrc::InvalidPath, "write " + path + ": not a regular file"});
  }
  return writeAll(fd->get(), content, path);
}

core::Status<FsError> LinuxHostFiles::removeFile(const std::string& path) {
  auto parent = openParent(path, O_RDONLY, "remove");
  if (!parent) return core::fail(std::move(parent).error());
  if (::unlinkat(parent->dir.get(), parent->name.c_str(), 0) != 0) {
    const int err = errno;
    if (err == EISDIR) return core::fail(FsError{FsErrc::InvalidPath, "remove " + path + ": a directory"});
    return core::fail(errnoError(err, "remove", path));
  }
  if (::fsync(parent->dir.get()) != 0) return core::fail(errnoError(errno, "remove", path));
  return core::Ok{};
}

core::Status<FsError> LinuxHostFiles::setMode(const std::string& path, std::uint32_t mode) {
  auto fd = openIn(path, O_PATH, "chmod");
  if (!fd) return core::fail(std::move(fd).error());
  // fchmod() refuses O_PATH descriptors and glibc 2.36 has no fchmodat(AT_EMPTY_PATH); chmod
  // through the descriptor's /proc link changes exactly the inode that was resolved in the root.
  if (::chmod(procFdPath(fd->get()).c_str(), mode & 07777) != 0) {
    return core::fail(errnoError(errno, "chmod", path));
  }
  return core::Ok{};
}

core::Status<FsError> LinuxHostFiles::setOwner(const std::string& path, std::uint32_t uid,
                                               std::uint32_t gid) {
  auto fd = openIn(path, O_PATH, "chown");
  if (!fd) return core::fail(std::move(fd).error());
  if (::fchownat(fd->get(), "", uid, gid, AT_EMPTY_PATH) != 0) {
    return core::fail(errnoError(errno, "chown", path));
  }
  return core::Ok{};
}

core::Result<UniqueFd, FsError> LinuxHostFiles::openForRead(const std::string& path) const {
  return openRegularForRead(path, "open");
}

}  // namespace platform
