#include <catch2/catch.hpp>

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/mount.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <filesystem>
#include <future>
#include <memory>

#include "platform/linux_host_files.h"
#include "support/host_root.h"
#include "support/mount_namespace.h"
#include "support/temp_dir.h"

namespace fs = std::filesystem;
using platform::FileType;
using platform::FsErrc;
using platform::LinuxHostFiles;
using namespace std::chrono_literals;

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

}  // namespace

TEST_CASE("HostFiles: absolute symlinks and .. stay inside the root") {
  testsupport::TempDir root("hf-root");
  root.write("etc/passwd", "fixture-root:x:0:0::/root:/bin/sh\n");
  // Enough ".." to climb out of any temp directory, if they were not clamped at the root.
  link("/../../../../../../../../etc/passwd", root.path() / "etc/x");
  link("../../../../../../../..", root.path() / "etc/up");
  auto hf = openRoot(root.path());

  auto via_link = hf->readFile("/etc/x", kMax);
  REQUIRE(via_link.ok());
  CHECK(*via_link == "fixture-root:x:0:0::/root:/bin/sh\n");
  CHECK(hf->readFile("/../../../../etc/passwd", kMax).valueOr("") == *via_link);
  CHECK(hf->readFile("/etc/../../../etc/passwd", kMax).valueOr("") == *via_link);
  CHECK(hf->resolve("/etc/x").valueOr("") == "/etc/passwd");

  // A relative link full of ".." ends at the root, whose only entry is etc.
  auto up = hf->listDir("/etc/up");
  REQUIRE(up.ok());
  REQUIRE(up->size() == 1);
  CHECK(up->front().name == "etc");
  CHECK(hf->resolve("/etc/up").valueOr("") == "/");
}

TEST_CASE("HostFiles: relative symlinks resolve from the link's directory") {
  testsupport::TempDir root("hf-root");
  root.write("data/file", "data\n");
  link("../data/file", root.path() / "etc/rel");
  link("rel", root.path() / "etc/rel2");  // a chain
  auto hf = openRoot(root.path());
  CHECK(hf->readFile("/etc/rel", kMax).valueOr("") == "data\n");
  CHECK(hf->readFile("/etc/rel2", kMax).valueOr("") == "data\n");
  CHECK(hf->resolve("/etc/rel2").valueOr("") == "/data/file");
  CHECK(hf->readLink("/etc/rel2").valueOr("") == "rel");
}

TEST_CASE("HostFiles: a symlink loop is Loop, not a hang") {
  testsupport::TempDir root("hf-root");
  link("/b", root.path() / "a");
  link("/a", root.path() / "b");
  link("self", root.path() / "self");
  auto hf = openRoot(root.path());
  for (const char* p : {"/a", "/b", "/self", "/a/x"}) {
    INFO(p);
    CHECK(hf->stat(p).error().code == FsErrc::Loop);
    CHECK(hf->readFile(p, kMax).error().code == FsErrc::Loop);
    CHECK(hf->resolve(p).error().code == FsErrc::Loop);
    CHECK(hf->exists(p).error().code == FsErrc::Loop);
  }
  CHECK(hf->lstat("/a")->type == FileType::Symlink);  // the link itself is fine
}

TEST_CASE("HostFiles: a FIFO is refused at once, never opened") {
  testsupport::TempDir root("hf-root");
  fs::create_directories(root.path() / "run");
  const auto fifo = root.path() / "run/fifo";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  link("/run/fifo", root.path() / "etc/to-fifo");
  auto hf = openRoot(root.path());

  auto pending = std::async(std::launch::async, [&] {
    return std::make_pair(hf->readFile("/run/fifo", kMax), hf->readFile("/etc/to-fifo", kMax));
  });
  if (pending.wait_for(5s) != std::future_status::ready) {
    // Unblock the reader so the test can end, then fail.
    const int w = ::open(fifo.c_str(), O_WRONLY);
    if (w >= 0) ::close(w);
    FAIL("readFile blocked on a FIFO");
  }
  auto [direct, via_link] = pending.get();
  REQUIRE_FALSE(direct.ok());
  CHECK(direct.error().code == FsErrc::NotRegular);
  CHECK_THAT(direct.error().message, Catch::Contains("fifo"));
  CHECK(via_link.error().code == FsErrc::NotRegular);
  CHECK(hf->openForRead("/run/fifo").error().code == FsErrc::NotRegular);
  CHECK(hf->stat("/run/fifo")->type == FileType::Fifo);
  CHECK(hf->listDir("/run/fifo").error().code == FsErrc::NotDirectory);
}

TEST_CASE("HostFiles: a device node is refused") {
  testsupport::TempDir root("hf-root");
  fs::create_directories(root.path() / "dev");
  const auto null_dev = root.path() / "dev/null";
  if (::mknod(null_dev.c_str(), S_IFCHR | 0666, makedev(1, 3)) != 0) {
    WARN("cannot create a device node here (not root, or nodev): skipped");
    return;
  }
  auto hf = openRoot(root.path());
  auto r = hf->readFile("/dev/null", kMax);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == FsErrc::NotRegular);
  CHECK(hf->stat("/dev/null")->type == FileType::CharDevice);
}

TEST_CASE("HostFiles: a directory where a file should be is NotRegular") {
  testsupport::TempDir root("hf-root");
  root.write("etc/ssh/sshd_config.d/a.conf", "x\n");
  root.write("etc/file", "x\n");
  auto hf = openRoot(root.path());
  CHECK(hf->readFile("/etc/ssh/sshd_config.d", kMax).error().code == FsErrc::NotRegular);
  CHECK(hf->openForRead("/etc").error().code == FsErrc::NotRegular);
  CHECK(hf->listDir("/etc/file").error().code == FsErrc::NotDirectory);
  CHECK(hf->readFile("/etc/file/x", kMax).error().code == FsErrc::NotDirectory);
  CHECK(hf->readFile("/etc/missing", kMax).error().code == FsErrc::NotFound);
}

TEST_CASE("HostFiles: readFile enforces max_bytes") {
  testsupport::TempDir root("hf-root");
  root.write("f100", std::string(100, 'a'));
  root.write("empty", "");
  auto hf = openRoot(root.path());
  CHECK(hf->readFile("/f100", 100).valueOr("").size() == 100);
  auto r = hf->readFile("/f100", 99);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == FsErrc::TooLarge);
  CHECK_THAT(r.error().message, Catch::Contains("99"));
  CHECK(hf->readFile("/empty", 0).valueOr("x").empty());
  CHECK(hf->readFile("/f100", 0).error().code == FsErrc::TooLarge);
}

TEST_CASE("HostFiles: files that report size 0 (/proc) are read to EOF, within the limit") {
  auto hf = openRoot("/");
  // /proc/sys is read as host files (design: "Host files, live state").
  CHECK(hf->readFile("/proc/sys/kernel/ostype", 64).valueOr("") == "Linux\n");
  CHECK(hf->stat("/proc/sys/kernel/ostype")->size == 0);
  CHECK(hf->readFile("/proc/sys/kernel/ostype", 3).error().code == FsErrc::TooLarge);
  CHECK(hf->resolve("/proc/sys/kernel/ostype").valueOr("") == "/proc/sys/kernel/ostype");
}

TEST_CASE("HostFiles: readFile returns the content without buffer slack, size-0 files past 512 bytes included") {
  testsupport::TempDir root("hf-root");
  root.write("small", std::string(100, 'a'));
  root.write("big", std::string(200'000, 'b'));
  auto hf = openRoot(root.path());
  // A cached read keeps its string: 64 KiB of capacity per small file was 90 MB at 3,000 checks.
  auto small = hf->readFile("/small", kMax);
  REQUIRE(small.ok());
  CHECK(small->capacity() <= small->size() + small->size() / 4 + 64);
  CHECK(hf->readFile("/big", kMax).valueOr("").size() == 200'000);
  // /proc/self/mounts reports size 0 and is longer than the first 512-byte read: it grows.
  auto whole = openRoot("/");
  auto mounts = whole->readFile("/proc/self/mounts", kMax);
  REQUIRE(mounts.ok());
  CHECK(mounts->size() > 512);
  CHECK(mounts->back() == '\n');
}

TEST_CASE("HostFiles: resolve follows NixOS-style links into /nix/store") {
  testsupport::TempDir root("hf-root");
  root.write("nix/store/abc123-sshd_config", "PermitRootLogin no\n");
  fs::create_directories(root.path() / "nix/store/xyz789-etc/etc/ssh");
  link("/nix/store/abc123-sshd_config", root.path() / "nix/store/xyz789-etc/etc/ssh/sshd_config");
  link("/nix/store/xyz789-etc/etc", root.path() / "etc/static");
  link("/etc/static/ssh/sshd_config", root.path() / "etc/ssh/sshd_config");
  root.write("etc/hostname", "appliance\n");
  link("/nix/store/gone-file", root.path() / "etc/dangling");
  auto hf = openRoot(root.path());

  CHECK(hf->resolve("/etc/ssh/sshd_config").valueOr("") == "/nix/store/abc123-sshd_config");
  CHECK(hf->resolve("/etc/hostname").valueOr("") == "/etc/hostname");
  CHECK(hf->resolve("/etc//./ssh/../hostname").valueOr("") == "/etc/hostname");
  CHECK(hf->resolve("/").valueOr("") == "/");
  CHECK(hf->resolve("/etc/dangling").error().code == FsErrc::NotFound);
  CHECK(hf->readFile("/etc/ssh/sshd_config", kMax).valueOr("") == "PermitRootLogin no\n");
}

TEST_CASE("HostFiles: lstat sees the link, stat its target") {
  testsupport::TempDir root("hf-root");
  root.write("etc/real", "12345");
  link("/etc/real", root.path() / "etc/link");
  link("/etc", root.path() / "etcdir");
  ::chmod((root.path() / "etc/real").c_str(), 04751);
  auto hf = openRoot(root.path());

  auto st = hf->stat("/etc/link");
  REQUIRE(st.ok());
  CHECK(st->type == FileType::Regular);
  CHECK(st->size == 5);
  CHECK(st->mode == 04751);
  auto lst = hf->lstat("/etc/link");
  REQUIRE(lst.ok());
  CHECK(lst->type == FileType::Symlink);
  CHECK(lst->size == std::string("/etc/real").size());
  CHECK(lst->ino != st->ino);

  // Links in earlier components are followed by lstat too (only the last is not).
  CHECK(hf->lstat("/etcdir/link")->type == FileType::Symlink);
  CHECK(hf->lstat("/etcdir/real")->ino == st->ino);
  // Paths ending in no name: lstat is stat, and "/.." is still the root.
  CHECK(hf->lstat("/")->type == FileType::Directory);
  CHECK(hf->lstat("/..")->ino == hf->stat("/")->ino);
  CHECK(hf->lstat("/etcdir/")->type == FileType::Directory);
  CHECK(hf->lstat("/etc/missing").error().code == FsErrc::NotFound);

  struct stat real {};
  REQUIRE(::stat((root.path() / "etc/real").c_str(), &real) == 0);
  CHECK(st->uid == real.st_uid);
  CHECK(st->gid == real.st_gid);
  CHECK(st->dev == real.st_dev);
  CHECK(st->mtime.time_since_epoch() > std::chrono::seconds(0));
}

namespace {

/// /d with a directory, a file, a link and a FIFO (in name order), and /to-d a link to /d.
void makeListingTree(const testsupport::TempDir& root) {
  root.write("d/b-file", "12345");
  fs::create_directories(root.path() / "d/a-dir");
  link("b-file", root.path() / "d/c-link");
  REQUIRE(::mkfifo((root.path() / "d/d-fifo").c_str(), 0600) == 0);
  link("/d", root.path() / "to-d");
}

}  // namespace

TEST_CASE("HostFiles: listDir lists names and types, sorted") {
  testsupport::TempDir root("hf-root");
  makeListingTree(root);
  auto hf = openRoot(root.path());

  auto entries = hf->listDir("/to-d");
  REQUIRE(entries.ok());
  REQUIRE(entries->size() == 4);
  CHECK((*entries)[0].name == "a-dir");
  CHECK((*entries)[0].type == FileType::Directory);
  CHECK((*entries)[1].name == "b-file");
  CHECK((*entries)[1].type == FileType::Regular);
  CHECK((*entries)[2].name == "c-link");
  CHECK((*entries)[2].type == FileType::Symlink);
  CHECK((*entries)[3].name == "d-fifo");
  CHECK((*entries)[3].type == FileType::Fifo);
  CHECK(hf->listDir("/d/a-dir")->empty());
  CHECK(hf->listDir("/nope").error().code == FsErrc::NotFound);
}

TEST_CASE("HostFiles: listDirStat gives each entry's lstat, sorted, from one open of the directory") {
  testsupport::TempDir root("hf-root");
  makeListingTree(root);
  chmodOrFail(root.path() / "d/b-file", 04750);
  auto hf = openRoot(root.path());

  auto entries = hf->listDirStat("/to-d");
  REQUIRE(entries.ok());
  REQUIRE(entries->size() == 4);
  const char* names[] = {"a-dir", "b-file", "c-link", "d-fifo"};
  for (std::size_t i = 0; i < 4; ++i) {
    const auto& e = (*entries)[i];
    CHECK(e.name == names[i]);
    auto l = hf->lstat(std::string("/d/") + names[i]);
    REQUIRE(l.ok());
    CHECK(e.stat.type == l->type);
    CHECK(e.stat.mode == l->mode);
    CHECK(e.stat.size == l->size);
    CHECK(e.stat.ino == l->ino);
    CHECK(e.stat.dev == l->dev);
  }
  CHECK((*entries)[1].stat.mode == 04750);
  CHECK((*entries)[2].stat.type == FileType::Symlink);  // described, never followed
  // The default implementation (listDir + lstat, what an overlay or a fake gets) agrees.
  auto generic = hf->HostFiles::listDirStat("/to-d");
  REQUIRE(generic.ok());
  REQUIRE(generic->size() == 4);
  for (std::size_t i = 0; i < 4; ++i) CHECK((*generic)[i].stat.ino == (*entries)[i].stat.ino);
  CHECK(hf->listDirStat("/d/b-file").error().code == FsErrc::NotDirectory);
  CHECK(hf->listDirStat("/nope").error().code == FsErrc::NotFound);
  CHECK(hf->listDirStat("/d/d-fifo").error().code == FsErrc::NotDirectory);  // never opened
}

TEST_CASE("HostFiles: fileSystemType is statfs's type of the file system under the root") {
  testsupport::TempDir root("hf-root");
  root.write("etc/a", "x");
  link("/etc/a", root.path() / "etc/link");
  auto hf = openRoot(root.path());
  struct statfs real {};
  REQUIRE(::statfs(root.path().c_str(), &real) == 0);
  auto type = hf->fileSystemType("/etc/link");
  REQUIRE(type.ok());
  CHECK(*type == static_cast<std::uint32_t>(real.f_type));
  CHECK(hf->fileSystemType("/etc/missing").error().code == FsErrc::NotFound);
}

TEST_CASE("HostFiles: a real mount inside the root shows as its own device and type") {
  testsupport::TempDir root("hf-root");
  root.write("mnt/tmp/.keep", "x");
  fs::create_directories(root.path() / "mnt/proc");
  const int failed = testsupport::inPrivateMountNamespace([&] {
    if (::mount("ca-test", (root.path() / "mnt/tmp").c_str(), "tmpfs", 0, "size=1m") != 0) return 1;
    if (::mount("proc", (root.path() / "mnt/proc").c_str(), "proc", 0, nullptr) != 0) return 2;
    auto hf = LinuxHostFiles::open(root.path().string());
    if (!hf.ok()) return 3;
    auto mnt = (*hf)->listDirStat("/mnt");
    auto top = (*hf)->stat("/");
    if (!mnt.ok() || mnt->size() != 2 || !top.ok()) return 4;
    if ((*mnt)[0].name != "proc" || (*mnt)[0].stat.dev == top->dev) return 5;
    if ((*mnt)[1].name != "tmp" || (*mnt)[1].stat.dev == top->dev) return 6;
    if (auto t = (*hf)->fileSystemType("/mnt/proc"); !t || *t != PROC_SUPER_MAGIC) return 7;
    if (auto t = (*hf)->fileSystemType("/mnt/tmp"); !t || *t != TMPFS_MAGIC) return 8;
    if ((*hf)->fileSystemType("/mnt/tmp/.keep").ok()) return 9;  // the tmpfs hides what was below it
    return 0;
  });
  if (failed == testsupport::kNoMountNamespace) {
    WARN("skipped: a private mount namespace needs root");
    return;
  }
  CHECK(failed == 0);
}

TEST_CASE("HostFiles: exists and readLink") {
  testsupport::TempDir root("hf-root");
  root.write("etc/file", "x");
  link("/nowhere", root.path() / "etc/dangling");
  link("/etc/file", root.path() / "etc/link");
  auto hf = openRoot(root.path());

  CHECK(hf->exists("/etc/file").valueOr(false));
  CHECK(hf->exists("/etc/link").valueOr(false));
  CHECK(hf->exists("/").valueOr(false));
  CHECK_FALSE(hf->exists("/etc/missing").valueOr(true));
  CHECK_FALSE(hf->exists("/etc/dangling").valueOr(true));
  CHECK_FALSE(hf->exists("/etc/file/below").valueOr(true));

  CHECK(hf->readLink("/etc/dangling").valueOr("") == "/nowhere");
  CHECK(hf->readLink("/etc/link").valueOr("") == "/etc/file");
  CHECK(hf->readLink("/etc/file").error().code == FsErrc::NotSymlink);
  CHECK(hf->readLink("/").error().code == FsErrc::NotSymlink);
  CHECK(hf->readLink("/etc/missing").error().code == FsErrc::NotFound);
}

TEST_CASE("HostFiles: paths must be host-absolute") {
  testsupport::TempDir root("hf-root");
  root.write("etc/passwd", "x");
  auto hf = openRoot(root.path());
  CHECK(hf->readFile("etc/passwd", kMax).error().code == FsErrc::InvalidPath);
  CHECK(hf->stat("").error().code == FsErrc::InvalidPath);
  CHECK(hf->stat(std::string("/etc/passwd\0x", 13)).error().code == FsErrc::InvalidPath);
  CHECK(hf->writeFileAtomic("/", "x", 0644, 0, 0).error().code == FsErrc::InvalidPath);
  CHECK(hf->writeFileAtomic("/etc/..", "x", 0644, 0, 0).error().code == FsErrc::InvalidPath);
}

TEST_CASE("HostFiles: opening the root fails clearly") {
  testsupport::TempDir dir("hf-root");
  dir.write("file", "x");
  CHECK(LinuxHostFiles::open((dir.path() / "missing").string()).error().code == FsErrc::NotFound);
  CHECK(LinuxHostFiles::open((dir.path() / "file").string()).error().code ==
        FsErrc::NotDirectory);
  CHECK(LinuxHostFiles::open("").error().code == FsErrc::InvalidPath);
}

TEST_CASE("HostFiles: writeFileAtomic replaces content with the requested mode and owner") {
  testsupport::TempDir root("hf-root");
  root.write("etc/ssh/sshd_config", "PermitRootLogin yes\n");
  auto hf = openRoot(root.path());
  const bool as_root = ::geteuid() == 0;
  const std::uint32_t uid = as_root ? 1234 : ::geteuid();
  const std::uint32_t gid = as_root ? 5678 : ::getegid();

  REQUIRE(hf->writeFileAtomic("/etc/ssh/sshd_config", "PermitRootLogin no\n", 0600, uid, gid).ok());
  CHECK(hf->readFile("/etc/ssh/sshd_config", kMax).valueOr("") == "PermitRootLogin no\n");
  auto st = hf->stat("/etc/ssh/sshd_config");
  REQUIRE(st.ok());
  CHECK(st->mode == 0600);
  if (as_root) {
    CHECK(st->uid == 1234);
    CHECK(st->gid == 5678);
  } else {
    WARN("not root: owner assertions skipped");
  }

  // A new file; suid survives because the owner is set before the mode.
  REQUIRE(hf->writeFileAtomic("/etc/new", "new", 04750, uid, gid).ok());
  CHECK(hf->stat("/etc/new")->mode == 04750);

  // No temporary file is left behind.
  auto entries = hf->listDir("/etc");
  REQUIRE(entries.ok());
  REQUIRE(entries->size() == 2);
  CHECK((*entries)[0].name == "new");
  CHECK((*entries)[1].name == "ssh");
  CHECK(hf->listDir("/etc/ssh")->size() == 1);

  CHECK(hf->writeFileAtomic("/missing/file", "x", 0644, uid, gid).error().code == FsErrc::NotFound);
  CHECK(hf->writeFileAtomic("/etc/ssh", "x", 0644, uid, gid).error().code == FsErrc::NotRegular);
  CHECK(hf->listDir("/etc")->size() == 2);  // failures leave no temporary file either
}

TEST_CASE("HostFiles: writeFileAtomic names the new content only once it is whole and synced") {
  testsupport::TempDir root("hf-root");
  root.write("etc/sysctl.d/60-x.conf", "old\n");
  auto hf = openRoot(root.path());
  const int in = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  REQUIRE(in >= 0);
  REQUIRE(::inotify_add_watch(in, (root.path() / "etc/sysctl.d").c_str(),
                              IN_CREATE | IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO) >= 0);
  REQUIRE(hf->writeFileAtomic("/etc/sysctl.d/60-x.conf", std::string(1 << 16, 'x'), 0644, ::geteuid(), ::getegid()).ok());
  // A new file is named at once, without a temporary.
  REQUIRE(hf->writeFileAtomic("/etc/sysctl.d/61-new.conf", "new\n", 0644, ::geteuid(), ::getegid()).ok());
  // Every event on a temporary's name: with O_TMPFILE it appears (linked, whole) and is renamed,
  // nothing is ever written under it, so a process killed while writing leaves no name at all.
  std::vector<std::string> temp_events;
  alignas(inotify_event) char buf[16384];
  for (ssize_t n; (n = ::read(in, buf, sizeof buf)) > 0;) {
    for (ssize_t off = 0; off < n;) {
      const auto* e = reinterpret_cast<const inotify_event*>(buf + off);
      const std::string name = e->len ? e->name : "";
      if (name.find(".ca-tmp-") != std::string::npos) {
        temp_events.push_back(e->mask & IN_CREATE ? "create" : e->mask & IN_MOVED_FROM ? "moved" : "written");
      }
      off += static_cast<ssize_t>(sizeof(inotify_event) + e->len);
    }
  }
  ::close(in);
  CHECK(temp_events == std::vector<std::string>{"create", "moved"});
  CHECK(hf->readFile("/etc/sysctl.d/60-x.conf", kMax).valueOr("") == std::string(1 << 16, 'x'));
  CHECK(hf->readFile("/etc/sysctl.d/61-new.conf", kMax).valueOr("") == "new\n");
  CHECK(hf->listDir("/etc/sysctl.d")->size() == 2);
}

TEST_CASE("HostFiles: writeFileAtomicAfter flushes what is due before the change, and leaves the directory pending") {
  testsupport::TempDir root("hf-root");
  testsupport::TempDir state("hf-state");
  root.write("etc/ssh/sshd_config", "PermitRootLogin yes\n");
  const auto backup = state.write("backup", "PermitRootLogin yes\n");
  auto hf = openRoot(root.path());
  core::PendingSyncs syncs;
  const int fd = ::open(backup.c_str(), O_RDONLY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  REQUIRE(syncs.add(fd, core::PendingSyncs::Due::BeforeChange).ok());
  ::close(fd);
  REQUIRE(hf->writeFileAtomicAfter("/etc/ssh/sshd_config", "PermitRootLogin no\n", 0600, ::geteuid(), ::getegid(),
                                   syncs).ok());
  CHECK(hf->readFile("/etc/ssh/sshd_config", kMax).valueOr("") == "PermitRootLogin no\n");
  CHECK(syncs.size() == 1);  // the backup is flushed; /etc/ssh's new entry waits for the record
  CHECK(hf->listDir("/etc/ssh")->size() == 1);
}

TEST_CASE("HostFiles: removeTemporaries removes the writer's temporaries and nothing else") {
  testsupport::TempDir root("hf-root");
  const std::string hex = "0123456789abcdef";
  root.write("etc/ssh/sshd_config", "x");
  root.write("etc/ssh/.sshd_config.ca-tmp-" + hex, "half");
  root.write("etc/ssh/.ssh_config.ca-tmp-" + hex, "other file's");
  root.write("etc/ssh/.sshd_config.ca-tmp-0123", "too short a suffix");
  root.write("etc/ssh/.sshd_config.ca-tmp-0123456789ABCDEF", "not the writer's hex");
  root.write("etc/ssh/sshd_config.ca-tmp-" + hex, "no leading dot");
  root.write("etc/ssh/.sshd_config.ca-tmp-" + hex + ".bak", "an operator's copy");
  fs::create_directory(root.path() / ("etc/ssh/.d.ca-tmp-" + hex));  // a directory: never removed
  auto hf = openRoot(root.path());

  auto only_sshd = hf->removeTemporaries("/etc/ssh", "sshd_config");
  REQUIRE(only_sshd.ok());
  CHECK(*only_sshd == std::vector<std::string>{"/etc/ssh/.sshd_config.ca-tmp-" + hex});
  auto all = hf->removeTemporaries("/etc/ssh", "");
  REQUIRE(all.ok());
  CHECK(*all == std::vector<std::string>{"/etc/ssh/.ssh_config.ca-tmp-" + hex});
  CHECK(hf->listDir("/etc/ssh")->size() == 6);
  auto missing = hf->removeTemporaries("/etc/none", "");
  REQUIRE(missing.ok());
  CHECK(missing->empty());
}

TEST_CASE("HostFiles: writes through symlinked directories stay inside the root") {
  testsupport::TempDir root("hf-root");
  testsupport::TempDir outside("hf-outside");
  root.write("etc/file", "x");
  // A link that, resolved naively, would point at the real directory outside the root.
  link(outside.path().string(), root.path() / "etc/out");
  link("/../../../../etc", root.path() / "etc/up");
  auto hf = openRoot(root.path());

  REQUIRE(hf->writeFileAtomic("/etc/up/written", "in root", 0644, ::geteuid(), ::getegid()).ok());
  CHECK(fs::exists(root.path() / "etc/written"));
  // Inside the root, the outside directory's path does not exist.
  CHECK(hf->writeFileAtomic("/etc/out/x", "x", 0644, ::geteuid(), ::getegid()).error().code ==
        FsErrc::NotFound);
  CHECK(fs::is_empty(outside.path()));

  // A symlink at the path itself is replaced by the file, its target left alone.
  link("/etc/file", root.path() / "etc/link");
  REQUIRE(hf->writeFileAtomic("/etc/link", "new", 0644, ::geteuid(), ::getegid()).ok());
  CHECK(hf->lstat("/etc/link")->type == FileType::Regular);
  CHECK(hf->readFile("/etc/file", kMax).valueOr("") == "x");
}

TEST_CASE("HostFiles: setMode and setOwner follow links inside the root only") {
  testsupport::TempDir root("hf-root");
  testsupport::TempDir outside("hf-outside");
  root.write("etc/shadow", "x");
  link("/etc/shadow", root.path() / "etc/shadow-link");
  const auto out_file = outside.write("target", "x");
  ::chmod(out_file.c_str(), 0644);
  link(out_file.string(), root.path() / "etc/escape");
  auto hf = openRoot(root.path());

  REQUIRE(hf->setMode("/etc/shadow-link", 0640).ok());
  CHECK(hf->stat("/etc/shadow")->mode == 0640);
  REQUIRE(hf->setMode("/etc/shadow", 02711).ok());
  CHECK(hf->stat("/etc/shadow")->mode == 02711);
  CHECK(hf->setMode("/etc/escape", 0777).error().code == FsErrc::NotFound);
  struct stat st {};
  REQUIRE(::stat(out_file.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0644);
  CHECK(hf->setMode("/etc/missing", 0600).error().code == FsErrc::NotFound);

  if (::geteuid() != 0) {
    WARN("not root: setOwner assertions skipped");
    return;
  }
  REQUIRE(hf->setOwner("/etc/shadow-link", 4321, 8765).ok());
  CHECK(hf->stat("/etc/shadow")->uid == 4321);
  CHECK(hf->stat("/etc/shadow")->gid == 8765);
  CHECK(hf->lstat("/etc/shadow-link")->uid == 0);  // the link itself is untouched
  CHECK(hf->setOwner("/etc/escape", 4321, 8765).error().code == FsErrc::NotFound);
  REQUIRE(::stat(out_file.c_str(), &st) == 0);
  CHECK(st.st_uid == 0);
}

TEST_CASE("HostFiles: openForRead hands out a close-on-exec descriptor on the file") {
  testsupport::TempDir root("hf-root");
  root.write("etc/candidate", "Port 22\n");
  link("/etc/candidate", root.path() / "etc/link");
  auto hf = openRoot(root.path());
  auto fd = hf->openForRead("/etc/link");
  REQUIRE(fd.ok());
  CHECK((::fcntl(fd->get(), F_GETFD) & FD_CLOEXEC) != 0);
  CHECK(slurp(fd->get()) == "Port 22\n");
  CHECK(hf->openForRead("/etc/missing").error().code == FsErrc::NotFound);
}
