#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>

#include "healing/overlay_host_files.h"
#include "platform/linux_host_files.h"
#include "support/host_root.h"
#include "support/temp_dir.h"

namespace fs = std::filesystem;
using healing::OverlayHostFiles;
using platform::FileType;
using platform::FsErrc;
using platform::LinuxHostFiles;

using testsupport::chmodOrFail;
using testsupport::link;
using testsupport::openRoot;

namespace {

constexpr std::size_t kMax = 1 << 20;



std::string slurp(int fd) {
  std::string s;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) s.append(buf, static_cast<size_t>(n));
  return s;
}

std::string diskContent(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

/// Everything a write could change about one entry on disk (atime aside: reads may bump it).
std::string describe(const fs::path& p) {
  struct stat st {};
  if (::lstat(p.c_str(), &st) != 0) return "missing";
  std::ostringstream d;
  d << std::oct << (st.st_mode & S_IFMT) << ' ' << (st.st_mode & 07777) << std::dec << ' '
    << st.st_uid << ':' << st.st_gid << " size=" << st.st_size << " ino=" << st.st_ino
    << " mtime=" << st.st_mtim.tv_sec << '.' << st.st_mtim.tv_nsec
    << " ctime=" << st.st_ctim.tv_sec << '.' << st.st_ctim.tv_nsec;
  if (S_ISREG(st.st_mode)) d << " content=" << diskContent(p);
  if (S_ISLNK(st.st_mode)) d << " -> " << fs::read_symlink(p).string();
  return d.str();
}

/// Every path under `root` (the root included, symlinks not followed) with describe().
std::map<std::string, std::string> snapshot(const fs::path& root) {
  std::map<std::string, std::string> tree{{".", describe(root)}};
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    tree[fs::relative(e.path(), root).string()] = describe(e.path());
  }
  return tree;
}

/// The names of a listing, or the error's message (so a failure shows in the CHECK's output).
std::vector<std::string> names(
    const core::Result<std::vector<platform::DirEntry>, platform::FsError>& list) {
  if (!list) return {"error: " + list.error().message};
  std::vector<std::string> out;
  for (const auto& e : *list) out.push_back(e.name);
  return out;
}

const std::uint32_t kUid = ::geteuid();
const std::uint32_t kGid = ::getegid();

}  // namespace

TEST_CASE("Overlay: a write is read back and the base file stays byte for byte the same") {
  testsupport::TempDir root("ov-root");
  const auto file = root.write("etc/ssh/sshd_config", "PermitRootLogin yes\n");
  chmodOrFail(file, 0600);
  if (::geteuid() == 0) REQUIRE(::chown(file.c_str(), 1234, 5678) == 0);
  const std::string before = describe(file);
  auto base = openRoot(root.path());
  OverlayHostFiles overlay(*base);

  REQUIRE(overlay.writeFileAtomic("/etc/ssh/sshd_config", "PermitRootLogin no\n", 0640, 42, 43)
              .ok());

  CHECK(overlay.readFile("/etc/ssh/sshd_config", kMax).valueOr("") == "PermitRootLogin no\n");
  auto st = overlay.stat("/etc/ssh/sshd_config");
  REQUIRE(st.ok());
  CHECK(st->type == FileType::Regular);
  CHECK(st->mode == 0640);
  CHECK(st->uid == 42);
  CHECK(st->gid == 43);
  CHECK(st->size == std::string("PermitRootLogin no\n").size());
  CHECK(overlay.lstat("/etc/ssh/sshd_config")->mode == 0640);

  auto e = overlay.entry("/etc/ssh/sshd_config");
  REQUIRE(e.has_value());
  CHECK(e->content == std::optional<std::string>("PermitRootLogin no\n"));
  CHECK(e->existed_in_base);

  // The base, and the disk under it: content, mode, owner, inode, mtime and ctime unchanged.
  CHECK(base->readFile("/etc/ssh/sshd_config", kMax).valueOr("") == "PermitRootLogin yes\n");
  CHECK(describe(file) == before);
  CHECK(diskContent(file) == "PermitRootLogin yes\n");
}

TEST_CASE("Overlay: with nothing changed, every call is the base's") {
  testsupport::TempDir root("ov-root");
  root.write("etc/motd", "hi\n");
  auto base = openRoot(root.path());
  OverlayHostFiles overlay(*base);
  CHECK(overlay.readFile("/etc/motd", kMax).valueOr("") == "hi\n");
  CHECK(overlay.stat("/etc/missing").error().code == FsErrc::NotFound);
  CHECK(overlay.readFile("/etc", kMax).error().code == FsErrc::NotRegular);
  CHECK(overlay.resolve("relative").error().code == FsErrc::InvalidPath);
  CHECK(names(overlay.listDir("/etc")) == std::vector<std::string>{"motd"});
  CHECK(overlay.changedPaths().empty());
  CHECK_FALSE(overlay.entry("/etc/motd").has_value());
}

TEST_CASE("Overlay: consecutive writes to one file chain") {
  testsupport::TempDir root("ov-root");
  root.write("etc/sysctl.d/50-ca.conf", "a = 1\nb = 1\n");
  auto base = openRoot(root.path());
  OverlayHostFiles overlay(*base);
  const std::string path = "/etc/sysctl.d/50-ca.conf";

  // Each step reads the current state through the overlay, edits it, writes it back, keeping
  // the metadata it found, as the planner's steps do.
  auto edit = [&](const std::string& from, const std::string& to) {
    auto text = overlay.readFile(path, kMax);
    REQUIRE(text.ok());
    auto st = overlay.stat(path);
    REQUIRE(st.ok());
    std::string s = *text;
    const auto at = s.find(from);
    REQUIRE(at != std::string::npos);
    s.replace(at, from.size(), to);
    REQUIRE(overlay.writeFileAtomic(path, s, st->mode, st->uid, st->gid).ok());
  };
  edit("a = 1", "a = 2");
  REQUIRE(overlay.setMode(path, 0600).ok());
  edit("b = 1", "b = 2");

  CHECK(overlay.readFile(path, kMax).valueOr("") == "a = 2\nb = 2\n");
  CHECK(overlay.stat(path)->mode == 0600);
  CHECK(overlay.changedPaths() == std::vector<std::string>{path});
  CHECK(base->readFile(path, kMax).valueOr("") == "a = 1\nb = 1\n");
}

TEST_CASE("Overlay: a write through a symlink lands on its target") {
  testsupport::TempDir root("ov-root");
  const auto real = root.write("data/real.conf", "old\n");
  chmodOrFail(real, 0644);
  link("/data/real.conf", root.path() / "etc/abs");  // absolute: inside the root, not the agent's
  link("../data/real.conf", root.path() / "etc/rel");
  link("abs", root.path() / "etc/chain");
  auto base = openRoot(root.path());
  OverlayHostFiles overlay(*base);

  REQUIRE(overlay.writeFileAtomic("/etc/chain", "new\n", 0600, kUid, kGid).ok());

  for (const char* p : {"/data/real.conf", "/etc/abs", "/etc/rel", "/etc/chain"}) {
    INFO(p);
    CHECK(overlay.readFile(p, kMax).valueOr("") == "new\n");
    CHECK(overlay.stat(p)->mode == 0600);
    CHECK(overlay.resolve(p).valueOr("") == "/data/real.conf");
    CHECK(overlay.entry(p).has_value());
  }
  // The links themselves are still links, with the same targets.
  CHECK(overlay.lstat("/etc/abs")->type == FileType::Symlink);
  CHECK(overlay.readLink("/etc/abs").valueOr("") == "/data/real.conf");
  CHECK(overlay.readLink("/etc/chain").valueOr("") == "abs");
  CHECK(overlay.changedPaths() == std::vector<std::string>{"/data/real.conf"});
  CHECK(diskContent(real) == "old\n");
  CHECK(fs::is_symlink(root.path() / "etc/abs"));
}

TEST_CASE("Overlay: a write through a dangling symlink creates its target") {
  testsupport::TempDir root("ov-root");
  fs::create_directories(root.path() / "etc");
  link("/etc/new.conf", root.path() / "etc/dangling");
  link("loop", root.path() / "etc/loop");
  auto base = openRoot(root.path());
  OverlayHostFiles overlay(*base);

  REQUIRE(overlay.writeFileAtomic("/etc/dangling", "x\n", 0644, kUid, kGid).ok());
  CHECK(overlay.changedPaths() == std::vector<std::string>{"/etc/new.conf"});
  CHECK(overlay.readFile("/etc/dangling", kMax).valueOr("") == "x\n");
  CHECK(overlay.readFile("/etc/new.conf", kMax).valueOr("") == "x\n");
  CHECK(overlay.exists("/etc/dangling").valueOr(false));
  CHECK(overlay.resolve("/etc/dangling").valueOr("") == "/etc/new.conf");
  CHECK(overlay.lstat("/etc/dangling")->type == FileType::Symlink);
  CHECK_FALSE(overlay.entry("/etc/new.conf")->existed_in_base);
  CHECK_FALSE(fs::exists(root.path() / "etc/new.conf"));

  CHECK(overlay.writeFileAtomic("/etc/loop", "x", 0644, kUid, kGid).error().code == FsErrc::Loop);
}

TEST_CASE("Overlay: setMode on a base file keeps its content and owner") {
  testsupport::TempDir root("ov-root");
  const auto file = root.write("etc/crontab", "* * * * * root true\n");
  chmodOrFail(file, 0644);
  if (::geteuid() == 0) REQUIRE(::chown(file.c_str(), 1234, 5678) == 0);
  const std::string before = describe(file);
  auto base = openRoot(root.path());
  const auto base_st = base->stat("/etc/crontab").value();
  OverlayHostFiles overlay(*base);

  REQUIRE(overlay.setMode("/etc/crontab", 0600).ok());

  auto st = overlay.stat("/etc/crontab");
  REQUIRE(st.ok());
  CHECK(st->mode == 0600);
  CHECK(st->uid == base_st.uid);
  CHECK(st->gid == base_st.gid);
  CHECK(st->size == base_st.size);
  CHECK(st->mtime == base_st.mtime);  // chmod does not change mtime
  CHECK(overlay.readFile("/etc/crontab", kMax).valueOr("") == "* * * * * root true\n");
  auto e = overlay.entry("/etc/crontab");
  REQUIRE(e.has_value());
  CHECK_FALSE(e->content.has_value());
  CHECK(describe(file) == before);
}

TEST_CASE("Overlay: setMode after a write keeps the written content") {
  testsupport::TempDir root("ov-root");
  root.write("etc/issue", "old banner\n");
  auto base = openRoot(root.path());
  OverlayHostFiles overlay(*base);

  REQUIRE(overlay.writeFileAtomic("/etc/issue", "Authorized use only\n", 0644, 7, 8).ok());
  REQUIRE(overlay.setMode("/etc/issue", 0444).ok());

  CHECK(overlay.readFile("/etc/issue", kMax).valueOr("") == "Authorized use only\n");
  auto st = overlay.stat("/etc/issue").value();
  CHECK(st.mode == 0444);
  CHECK(st.uid == 7);
  CHECK(st.gid == 8);
  CHECK(st.size == std::string("Authorized use only\n").size());
}

TEST_CASE("Overlay: setMode and setOwner of a missing file fail NotFound, as live") {
  testsupport::TempDir root("ov-root");
  fs::create_directories(root.path() / "etc");
  auto base = openRoot(root.path());
  OverlayHostFiles overlay(*base);

  auto chmod_missing = overlay.setMode("/etc/missing", 0600);
  REQUIRE_FALSE(chmod_missing.ok());
  CHECK(chmod_missing.error().code == FsErrc::NotFound);
  CHECK_THAT(chmod_missing.error().message, Catch::StartsWith("chmod"));
  CHECK(overlay.setOwner("/etc/missing", kUid, kGid).error().code == FsErrc::NotFound);
  CHECK(overlay.setMode("/nodir/missing", 0600).error().code == FsErrc::NotFound);
  CHECK(overlay.setMode("relative", 0600).error().code == FsErrc::InvalidPath);
  CHECK(overlay.changedPaths().empty());

  // Once the overlay created the file, both apply to it.
  REQUIRE(overlay.writeFileAtomic("/etc/missing", "x", 0644, kUid, kGid).ok());
  REQUIRE(overlay.setMode("/etc/missing", 0600).ok());
  REQUIRE(overlay.setOwner("/etc/missing", 11, 12).ok());
  auto st = overlay.stat("/etc/missing").value();
  CHECK(st.mode == 0600);
  CHECK(st.uid == 11);
  CHECK(st.gid == 12);
  CHECK(overlay.readFile("/etc/missing", kMax).valueOr("") == "x");
}

TEST_CASE("Overlay: setOwner clears suid and sgid exactly as the kernel's chown does") {
  // The same file, chowned live on a scratch root and in an overlay of an identical root: the
  // resulting modes must agree, or a plan that chmods then chowns would be mispredicted.
  for (mode_t mode : {04755, 02755, 02745, 06755, 06711, 01777, 0755}) {
    for (bool dir : {false, true}) {
      INFO("mode " << std::oct << mode << (dir ? " directory" : " file"));
      testsupport::TempDir live_root("ov-live");
      testsupport::TempDir base_root("ov-root");
      for (const auto* r : {&live_root, &base_root}) {
        const auto p = r->path() / "bin/tool";
        if (dir) {
          fs::create_directories(p);
        } else {
          r->write("bin/tool", "#!/bin/sh\n");
        }
        chmodOrFail(p, mode);
      }
      auto live = openRoot(live_root.path());
      REQUIRE(live->setOwner("/bin/tool", kUid, kGid).ok());

      auto base = openRoot(base_root.path());
      OverlayHostFiles overlay(*base);
      REQUIRE(overlay.setOwner("/bin/tool", kUid, kGid).ok());
      CHECK(overlay.stat("/bin/tool")->mode == live->stat("/bin/tool")->mode);
      CHECK(base->stat("/bin/tool")->mode == mode);
    }
  }
}

TEST_CASE("Overlay: stat keeps suid, sgid and sticky bits") {
  testsupport::TempDir root("ov-root");
  fs::create_directories(root.path() / "usr/bin");
  auto base = openRoot(root.path());
  OverlayHostFiles overlay(*base);

  REQUIRE(overlay.writeFileAtomic("/usr/bin/su", "elf", 04755, 0, 0).ok());
  CHECK(overlay.stat("/usr/bin/su")->mode == 04755);
  REQUIRE(overlay.setMode("/usr/bin/su", 06750).ok());
  CHECK(overlay.stat("/usr/bin/su")->mode == 06750);
  REQUIRE(overlay.setMode("/usr/bin/su", 0107777).ok());  // bits above 07777 are not mode bits
  CHECK(overlay.stat("/usr/bin/su")->mode == 07777);
  REQUIRE(overlay.writeFileAtomic("/usr/bin/sticky", "", 01777, 0, 0).ok());
  CHECK(overlay.lstat("/usr/bin/sticky")->mode == 01777);
  CHECK(overlay.stat("/usr/bin/sticky")->size == 0);
}

TEST_CASE("Overlay: a new file appears in its directory's listing, merged and sorted") {
  testsupport::TempDir root("ov-root");
  root.write("etc/a", "a");
  root.write("etc/c", "c");
  fs::create_directories(root.path() / "etc/sub");
  REQUIRE(::mkfifo((root.path() / "etc/fifo").c_str(), 0600) == 0);
  link("/etc", root.path() / "linkdir");
  auto base = openRoot(root.path());
  OverlayHostFiles overlay(*base);

  REQUIRE(overlay.writeFileAtomic("/etc/d", "d", 0644, kUid, kGid).ok());
  REQUIRE(overlay.writeFileAtomic("/linkdir/b", "b", 0644, kUid, kGid).ok());  // lands in /etc
  REQUIRE(overlay.writeFileAtomic("/etc/a", "a2", 0644, kUid, kGid).ok());     // already listed
  REQUIRE(overlay.writeFileAtomic("/etc/sub/x", "x", 0644, kUid, kGid).ok());  // one level down
  REQUIRE(overlay.writeFileAtomic("/etc/fifo", "f", 0644, kUid, kGid).ok());   // replaces a FIFO

  const std::vector<std::string> expected{"a", "b", "c", "d", "fifo", "sub"};
  for (const char* dir : {"/etc", "/linkdir", "/etc/sub/.."}) {
    INFO(dir);
    auto list = overlay.listDir(dir);
    REQUIRE(list.ok());
    CHECK(names(list) == expected);
    for (const auto& e : *list) {
      INFO(e.name);
      CHECK(e.type == (e.name == "sub" ? FileType::Directory : FileType::Regular));
    }
  }
  CHECK(names(overlay.listDir("/etc/sub")) == std::vector<std::string>{"x"});
  CHECK(names(overlay.listDir("/")) == std::vector<std::string>{"etc", "linkdir"});
  CHECK(overlay.changedPaths() ==
        std::vector<std::string>{"/etc/a", "/etc/b", "/etc/d", "/etc/fifo", "/etc/sub/x"});
  CHECK(overlay.readFile("/etc/fifo", kMax).valueOr("") == "f");
  CHECK(names(base->listDir("/etc")) ==
        std::vector<std::string>{"a", "c", "fifo", "sub"});
}

TEST_CASE("Overlay: listDirStat describes changed and created files as the overlay's lstat does") {
  // What a dry-run re-check of a dir_scan (would_pass) walks: a planned chmod must show.
  testsupport::TempDir root("ov-root");
  root.write("usr/bin/prog", "p");
  chmodOrFail(root.path() / "usr/bin/prog", 04755);
  root.write("usr/bin/plain", "x");
  link("prog", root.path() / "usr/bin/alias");
  auto base = openRoot(root.path());
  OverlayHostFiles overlay(*base);
  CHECK(overlay.listDirStat("/usr/bin")->size() == 3);  // nothing planned: the base's listing

  REQUIRE(overlay.setMode("/usr/bin/prog", 0755).ok());
  REQUIRE(overlay.writeFileAtomic("/usr/bin/new", "n", 04711, kUid, kGid).ok());
  auto list = overlay.listDirStat("/usr/bin");
  REQUIRE(list.ok());
  std::vector<std::string> got;
  for (const auto& e : *list) {
    got.push_back(e.name);
    auto l = overlay.lstat("/usr/bin/" + e.name);
    REQUIRE(l.ok());
    INFO(e.name);
    CHECK(e.stat.type == l->type);
    CHECK(e.stat.mode == l->mode);
    CHECK(e.stat.uid == l->uid);
    CHECK(e.stat.dev == l->dev);
  }
  CHECK(got == std::vector<std::string>{"alias", "new", "plain", "prog"});
  CHECK((*list)[0].stat.type == FileType::Symlink);  // the link is not the file it points to
  CHECK((*list)[3].stat.mode == 0755);
  CHECK((*list)[1].stat.mode == 04711);
  CHECK(*overlay.fileSystemType("/usr/bin/new") == *base->fileSystemType("/usr/bin"));
  CHECK(base->lstat("/usr/bin/prog")->mode == 04755);
}

TEST_CASE("Overlay: a new file needs an existing parent directory") {
  testsupport::TempDir root("ov-root");
  root.write("etc/file", "f");
  auto base = openRoot(root.path());
  OverlayHostFiles overlay(*base);

  auto no_dir = overlay.writeFileAtomic("/nodir/x", "x", 0644, kUid, kGid);
  REQUIRE_FALSE(no_dir.ok());
  CHECK(no_dir.error().code == FsErrc::NotFound);
  CHECK_THAT(no_dir.error().message, Catch::StartsWith("write"));
  CHECK(overlay.writeFileAtomic("/etc/nodir/deeper/x", "x", 0644, kUid, kGid).error().code ==
        FsErrc::NotFound);
  CHECK(overlay.writeFileAtomic("/etc/file/x", "x", 0644, kUid, kGid).error().code ==
        FsErrc::NotDirectory);

  // A file the overlay created is no directory either.
  REQUIRE(overlay.writeFileAtomic("/etc/new", "n", 0644, kUid, kGid).ok());
  CHECK(overlay.writeFileAtomic("/etc/new/x", "x", 0644, kUid, kGid).error().code ==
        FsErrc::NotDirectory);
  CHECK(overlay.changedPaths() == std::vector<std::string>{"/etc/new"});

  // Names that name no entry, and relative paths, as LinuxHostFiles refuses them.
  for (const char* p : {"/", "/etc/", "/etc/.", "/etc/..", "etc/new", ""}) {
    INFO(p);
    CHECK(overlay.writeFileAtomic(p, "x", 0644, kUid, kGid).error().code == FsErrc::InvalidPath);
  }
}

TEST_CASE("Overlay: writing over a directory is refused") {
  testsupport::TempDir root("ov-root");
  fs::create_directories(root.path() / "etc/ssh");
  link("ssh", root.path() / "etc/to-dir");
  auto base = openRoot(root.path());
  OverlayHostFiles overlay(*base);

  for (const char* p : {"/etc/ssh", "/etc/to-dir"}) {
    INFO(p);
    auto w = overlay.writeFileAtomic(p, "x", 0644, kUid, kGid);
    REQUIRE_FALSE(w.ok());
    CHECK(w.error().code == FsErrc::NotRegular);
  }
  CHECK(overlay.changedPaths().empty());

  // A mode change on a directory is fine (live can chmod one) and keeps it a directory.
  REQUIRE(overlay.setMode("/etc/ssh", 0700).ok());
  auto st = overlay.stat("/etc/to-dir");
  REQUIRE(st.ok());
  CHECK(st->type == FileType::Directory);
  CHECK(st->mode == 0700);
  CHECK(overlay.writeFileAtomic("/etc/ssh", "x", 0644, kUid, kGid).error().code ==
        FsErrc::NotRegular);
  CHECK(overlay.readFile("/etc/ssh", kMax).error().code == FsErrc::NotRegular);
  CHECK(overlay.listDir("/etc/ssh").ok());
  CHECK(overlay.entry("/etc/ssh")->type == FileType::Directory);
}

TEST_CASE("Overlay: openForRead of a written file yields the candidate, sealed") {
  testsupport::TempDir root("ov-root");
  root.write("etc/ssh/sshd_config", "PermitRootLogin yes\n");
  root.write("etc/hosts", "127.0.0.1 localhost\n");
  auto base = openRoot(root.path());
  OverlayHostFiles overlay(*base);
  REQUIRE(overlay.writeFileAtomic("/etc/ssh/sshd_config", "PermitRootLogin no\n", 0600, kUid,
                                  kGid)
              .ok());

  auto fd = overlay.openForRead("/etc/ssh/sshd_config");
  REQUIRE(fd.ok());
  CHECK((::fcntl(fd->get(), F_GETFD) & FD_CLOEXEC) != 0);
  // How a validator sees it: a path naming the descriptor.
  const std::string dev_fd = "/dev/fd/" + std::to_string(fd->get());
  platform::UniqueFd reopened(::open(dev_fd.c_str(), O_RDONLY | O_CLOEXEC));
  REQUIRE(reopened.valid());
  CHECK(slurp(reopened.get()) == "PermitRootLogin no\n");
  CHECK(slurp(fd->get()) == "PermitRootLogin no\n");
  // Sealed: nobody can change the candidate after it was handed over.
  CHECK(::write(fd->get(), "x", 1) < 0);
  platform::UniqueFd writer(::open(dev_fd.c_str(), O_WRONLY | O_CLOEXEC));
  if (writer.valid()) CHECK(::write(writer.get(), "x", 1) < 0);
  CHECK(overlay.readFile("/etc/ssh/sshd_config", kMax).valueOr("") == "PermitRootLogin no\n");

  // An empty candidate, and base files, pass through.
  REQUIRE(overlay.writeFileAtomic("/etc/empty", "", 0600, kUid, kGid).ok());
  auto empty = overlay.openForRead("/etc/empty");
  REQUIRE(empty.ok());
  CHECK(slurp(empty->get()).empty());
  auto hosts = overlay.openForRead("/etc/hosts");
  REQUIRE(hosts.ok());
  CHECK(slurp(hosts->get()) == "127.0.0.1 localhost\n");
  REQUIRE(overlay.setMode("/etc/hosts", 0600).ok());  // mode only: the base's bytes
  CHECK(slurp(overlay.openForRead("/etc/hosts")->get()) == "127.0.0.1 localhost\n");
  CHECK(overlay.openForRead("/etc").error().code == FsErrc::NotRegular);
  CHECK(overlay.openForRead("/etc/missing").error().code == FsErrc::NotFound);
}

TEST_CASE("Overlay: readFile of a written file obeys max_bytes like the base") {
  testsupport::TempDir root("ov-root");
  fs::create_directories(root.path() / "etc");
  auto base = openRoot(root.path());
  OverlayHostFiles overlay(*base);
  REQUIRE(overlay.writeFileAtomic("/etc/big", std::string(100, 'x'), 0644, kUid, kGid).ok());
  CHECK(overlay.readFile("/etc/big", 99).error().code == FsErrc::TooLarge);
  CHECK(overlay.readFile("/etc/big", 100).valueOr("").size() == 100);
  CHECK(overlay.readFile("/etc/big", 0).error().code == FsErrc::TooLarge);
}

TEST_CASE("Overlay: exists, resolve, lstat and readLink of a new file") {
  testsupport::TempDir root("ov-root");
  fs::create_directories(root.path() / "etc/audit");
  link("/etc/audit", root.path() / "etc/audit-link");
  auto base = openRoot(root.path());
  OverlayHostFiles overlay(*base);
  CHECK_FALSE(overlay.exists("/etc/audit/rules").valueOr(true));

  REQUIRE(overlay.writeFileAtomic("/etc/audit-link/rules", "-w /etc/passwd\n", 0640, kUid, kGid)
              .ok());

  CHECK(overlay.exists("/etc/audit/rules").valueOr(false));
  CHECK(overlay.exists("/etc/audit-link/rules").valueOr(false));
  CHECK_FALSE(overlay.exists("/etc/audit/other").valueOr(true));
  CHECK(overlay.resolve("/etc/audit-link/rules").valueOr("") == "/etc/audit/rules");
  CHECK(overlay.resolve("/etc/../etc/audit/rules").valueOr("") == "/etc/audit/rules");
  CHECK(overlay.resolve("/etc/audit/other").error().code == FsErrc::NotFound);
  auto l = overlay.lstat("/etc/audit-link/rules");
  REQUIRE(l.ok());
  CHECK(l->type == FileType::Regular);
  CHECK(l->mode == 0640);
  CHECK(overlay.readLink("/etc/audit/rules").error().code == FsErrc::NotSymlink);
  CHECK(overlay.readLink("/etc/audit-link").valueOr("") == "/etc/audit");
  // Through the new file, as through any regular file: NotDirectory, not NotFound.
  for (const char* p : {"/etc/audit/rules/x", "/etc/audit-link/rules/x"}) {
    INFO(p);
    CHECK(overlay.stat(p).error().code == FsErrc::NotDirectory);
    CHECK(overlay.lstat(p).error().code == FsErrc::NotDirectory);
    CHECK(overlay.readFile(p, kMax).error().code == FsErrc::NotDirectory);
    CHECK(overlay.readLink(p).error().code == FsErrc::NotDirectory);
    CHECK(overlay.resolve(p).error().code == FsErrc::NotDirectory);
    CHECK(overlay.openForRead(p).error().code == FsErrc::NotDirectory);
    CHECK_FALSE(overlay.exists(p).valueOr(true));
  }
  CHECK(overlay.listDir("/etc/audit/rules").error().code == FsErrc::NotDirectory);
  CHECK_FALSE(base->exists("/etc/audit/rules").valueOr(true));
}

TEST_CASE("Overlay: changedPaths lists canonical paths sorted, clear() drops every change") {
  testsupport::TempDir root("ov-root");
  const auto a = root.write("etc/a", "a");
  chmodOrFail(a, 0644);
  root.write("data/t", "t");
  link("../data/t", root.path() / "etc/t");
  auto base = openRoot(root.path());
  OverlayHostFiles overlay(*base);

  REQUIRE(overlay.writeFileAtomic("/etc/z", "z", 0644, kUid, kGid).ok());
  REQUIRE(overlay.setMode("/etc/a", 0600).ok());
  REQUIRE(overlay.writeFileAtomic("/etc/t", "t2", 0644, kUid, kGid).ok());
  REQUIRE(overlay.setOwner("/etc/a", kUid, kGid).ok());  // the same file again: listed once
  CHECK(overlay.changedPaths() == std::vector<std::string>{"/data/t", "/etc/a", "/etc/z"});

  overlay.clear();
  CHECK(overlay.changedPaths().empty());
  CHECK(overlay.readFile("/etc/z", kMax).error().code == FsErrc::NotFound);
  CHECK_FALSE(overlay.exists("/etc/z").valueOr(true));
  CHECK(overlay.stat("/etc/a")->mode == 0644);
  CHECK(overlay.readFile("/etc/t", kMax).valueOr("") == "t");
  CHECK(names(overlay.listDir("/etc")) == std::vector<std::string>{"a", "t"});
}

TEST_CASE("Overlay: a series of overlay operations leaves the base tree untouched") {
  testsupport::TempDir root("ov-root");
  const bool privileged = ::geteuid() == 0;
  struct Seed {
    const char* rel;
    const char* content;
    mode_t mode;
  };
  for (const Seed& s : {Seed{"etc/ssh/sshd_config", "PermitRootLogin yes\n", 0600},
                        Seed{"etc/passwd", "root:x:0:0::/root:/bin/sh\n", 0644},
                        Seed{"etc/shadow", "root:!:1::::::\n", 0640},
                        Seed{"usr/bin/passwd", "elf", 04755},
                        Seed{"nix/store/abc-sshd/sshd_config", "store\n", 0444}}) {
    const auto p = root.write(s.rel, s.content);
    chmodOrFail(p, s.mode);
    if (privileged) REQUIRE(::chown(p.c_str(), 1234, 5678) == 0);
  }
  link("/nix/store/abc-sshd/sshd_config", root.path() / "etc/static-sshd");
  link("/etc/missing-target", root.path() / "etc/dangling");
  fs::create_directories(root.path() / "etc/sysctl.d");
  chmodOrFail(root.path() / "etc/sysctl.d", 0700);
  REQUIRE(::mkfifo((root.path() / "etc/fifo").c_str(), 0600) == 0);
  const auto before = snapshot(root.path());

  {
    auto base = openRoot(root.path());
    OverlayHostFiles overlay(*base);
    CHECK(overlay.writeFileAtomic("/etc/ssh/sshd_config", "PermitRootLogin no\n", 0600, 0, 0).ok());
    CHECK(overlay.writeFileAtomic("/etc/ssh/sshd_config", "PermitRootLogin no\nX11Forwarding no\n",
                                  0600, 0, 0)
              .ok());
    CHECK(overlay.setMode("/etc/passwd", 0600).ok());
    CHECK(overlay.setOwner("/etc/shadow", 0, 42).ok());
    CHECK(overlay.setMode("/etc/shadow", 0000).ok());
    CHECK(overlay.setOwner("/usr/bin/passwd", 0, 0).ok());
    CHECK(overlay.writeFileAtomic("/etc/static-sshd", "edited\n", 0644, 0, 0).ok());
    CHECK(overlay.writeFileAtomic("/etc/dangling", "created\n", 0644, 0, 0).ok());
    CHECK(overlay.writeFileAtomic("/etc/sysctl.d/99-ca.conf", "kernel.x = 1\n", 0644, 0, 0).ok());
    CHECK(overlay.writeFileAtomic("/etc/fifo", "now a file\n", 0644, 0, 0).ok());
    CHECK(overlay.setMode("/etc/sysctl.d", 0755).ok());
    CHECK_FALSE(overlay.writeFileAtomic("/etc/sysctl.d", "x", 0644, 0, 0).ok());
    CHECK_FALSE(overlay.writeFileAtomic("/nodir/x", "x", 0644, 0, 0).ok());
    CHECK_FALSE(overlay.setMode("/etc/none", 0644).ok());
    CHECK(overlay.readFile("/etc/ssh/sshd_config", kMax).ok());
    CHECK(overlay.listDir("/etc").ok());
    CHECK(overlay.listDir("/etc/sysctl.d").ok());
    auto fd = overlay.openForRead("/etc/sysctl.d/99-ca.conf");
    CHECK(fd.ok());
    CHECK(overlay.changedPaths().size() == 9);
    overlay.clear();
  }

  const auto after = snapshot(root.path());
  CHECK(after.size() == before.size());
  // Entry by entry, so a failure names the path and what changed about it.
  for (const auto& [rel, desc] : before) {
    INFO(rel);
    const auto it = after.find(rel);
    REQUIRE(it != after.end());
    CHECK(it->second == desc);
  }
  for (const auto& [rel, desc] : after) {
    INFO(rel << ": " << desc);
    CHECK(before.count(rel) == 1);
  }
}
