#include "healing/backups.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include <nlohmann/json.hpp>
#include <re2/re2.h>

namespace healing {
namespace {

constexpr int kMaxSameNameBackups = 100;  // the name's ".<n>": at most two digits

// A short, stable tag of a path for file names (FNV-1a, hex).
std::string pathTag(const std::string& text) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char ch : text) {
    h ^= ch;
    h *= 1099511628211ull;
  }
  char buf[20];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// Writes `text` whole to `fd`. "" or why not.
std::string writeAll(int fd, const std::string& name, const std::string& text) {
  for (std::size_t done = 0; done < text.size();) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return name + ": " + std::strerror(n < 0 ? errno : EIO);
    done += static_cast<std::size_t>(n);
  }
  return "";
}

// Opens the backup directory for use: never through a link, the agent's own, closed to others.
// Returns the descriptor, or -1 with `why` set.
int openDir(const std::string& dir, bool create, std::string& why) {
  if (create && ::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    why = "cannot create " + dir + ": " + std::strerror(errno);
    return -1;
  }
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dfd < 0) {
    why = dir + " is not a usable directory: " + std::strerror(errno);
    return -1;
  }
  struct stat st{};
  if (::fstat(dfd, &st) != 0) {
    why = "cannot stat " + dir + ": " + std::strerror(errno);
  } else if (st.st_uid != ::geteuid()) {
    why = dir + " belongs to uid " + std::to_string(st.st_uid) + ", not to the agent (uid " +
          std::to_string(::geteuid()) + "): backups may hold secrets";
  } else if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    why = dir + " is mode " + mode + " and backups may hold secrets: run `chmod 700 " + dir + "`";
  }
  if (!why.empty()) {
    ::close(dfd);
    return -1;
  }
  return dfd;
}

}  // namespace

std::int64_t backupTime(const std::string& name) {
  // Exactly what writeBackup names: anything else in the directory (an operator's notes) is not
  // the agent's to prune.
  // `.backup` is the one-file form; `.bak` (content) and `.json` (metadata) the pair that agents
  // before it wrote, still counted and pruned alike.
  static const re2::RE2 kName(R"(([0-9]{1,18})-[A-Za-z0-9_-]+-[0-9]{1,9}-[0-9a-f]{16}(\.[0-9]{1,2})?\.(backup|bak|json))");
  std::int64_t t = -1;
  if (!re2::RE2::FullMatch(name, kName, &t)) return -1;
  return t;
}

std::string checkBackupDir(const std::string& dir) {
  std::string why;
  Fd dfd(openDir(dir, true, why));
  return why;
}

std::string writeBackup(const std::string& dir, const std::string& rule_id, std::size_t step, const FileChange& c,
                        std::int64_t now_ms, core::PendingSyncs* syncs) {
  std::string why;
  Fd dfd(openDir(dir, true, why));
  if (dfd.get() < 0) return why;
  std::string safe_rule;
  for (char ch : rule_id) safe_rule.push_back(std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_' ? ch : '_');
  // Unique per file: several targets of one rule may be backed up within one millisecond.
  const std::string stem = std::to_string(now_ms) + "-" + safe_rule + "-" + std::to_string(step) + "-" + pathTag(c.path);
  std::string name;
  int raw = -1;
  for (int n = 0; n < kMaxSameNameBackups && raw < 0; ++n) {
    name = (n ? stem + "." + std::to_string(n) : stem) + kBackupExtension;
    // Never through a link, never over an existing file.
    raw = ::openat(dfd.get(), name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (raw < 0 && errno != EEXIST) return "cannot write a backup in " + dir + ": " + name + ": " + std::strerror(errno);
  }
  if (raw < 0) return "cannot write a backup in " + dir + ": " + stem + ": too many backups of this name";
  Fd fd(raw);
  // One file: the metadata line, then the content byte for byte. A metadata-only step (chmod,
  // chown) does not read the content: the line says so, so that nobody restores an empty file.
  const nlohmann::json meta{{"path", c.path},      {"existed", c.existed}, {"mode", c.mode_before},
                            {"uid", c.uid_before}, {"gid", c.gid_before},  {"rule_id", rule_id},
                            {"content_saved", c.changesContent()}};
  std::string text = meta.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  if (c.changesContent()) text += c.before;
  if (auto err = writeAll(fd.get(), name, text); !err.empty()) {
    ::unlinkat(dfd.get(), name.c_str(), 0);
    return "cannot write a backup in " + dir + ": " + err;
  }
  // Durable before the change it backs up: the file and its directory entry. Handed to `syncs`,
  // they share the flush that precedes the change; alone, they cost one flush each.
  if (syncs) {
    auto added = syncs->add(fd.get(), core::PendingSyncs::Due::BeforeChange);
    if (added.ok()) added = syncs->add(dfd.get(), core::PendingSyncs::Due::BeforeChange);
    if (!added.ok()) return "cannot sync a backup in " + dir + ": " + added.error();
    return "";
  }
  if (::fsync(fd.get()) != 0) return "cannot sync " + dir + "/" + name + ": " + std::strerror(errno);
  if (::fsync(dfd.get()) != 0) return "cannot sync " + dir + ": " + std::strerror(errno);
  return "";
}

core::Result<BackupPruneReport, std::string> pruneBackups(const std::string& dir, std::int64_t now_ms,
                                                          std::chrono::milliseconds max_age) {
  BackupPruneReport report;
  struct stat st{};
  if (::lstat(dir.c_str(), &st) != 0 && errno == ENOENT) return report;
  std::string why;
  const int dfd = openDir(dir, false, why);
  if (dfd < 0) return core::fail(why);
  DIR* d = ::fdopendir(dfd);  // owns dfd from here
  if (!d) {
    ::close(dfd);
    return core::fail("cannot read " + dir + ": " + std::strerror(errno));
  }
  std::vector<std::pair<std::int64_t, std::string>> old;
  const std::int64_t cutoff = now_ms - max_age.count();
  while (const dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    const std::int64_t t = backupTime(name);
    if (t >= 0 && t < cutoff) old.emplace_back(t, name);
  }
  std::sort(old.begin(), old.end());
  for (const auto& [t, name] : old) {
    if (::unlinkat(::dirfd(d), name.c_str(), 0) == 0) {
      ++report.removed;
    } else if (errno != ENOENT) {
      report.problems.push_back(dir + "/" + name + ": " + std::strerror(errno));
    }
  }
  if (report.removed > 0) (void)::fsync(::dirfd(d));
  ::closedir(d);
  return report;
}

}  // namespace healing
