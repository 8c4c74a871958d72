// dir_scan and file systems: where a walk stops (another device, a pseudo or network type) and
// how its allow list meets NixOS's symlinked wrapper directory. Mounts are simulated with
// FakeMountsHostFiles; tests/unit/platform has the real-mount test of what the fake stands for.
#include <linux/magic.h>
#include <sys/stat.h>

#include "check_fixture.h"

using checks::Status;
using testsupport::CheckFixture;
using testsupport::oneCheck;

namespace {

constexpr std::uint64_t kUnknownType = 0x12345678;

std::vector<std::string> targets(const std::vector<checks::Finding>& f) {
  std::vector<std::string> out;
  for (const auto& x : f) out.push_back(x.target);
  return out;
}

}  // namespace

TEST_CASE("dir_scan stays on the file system it starts on unless cross_mounts is set") {
  CheckFixture fx;
  fx.write("usr/bin/sudo", "x", 04755);
  fx.write("srv/data/bin/tool", "x", 04755);  // on a second disk mounted at /srv/data
  fx.write("srv/plain", "x", 0644);
  fx.mounts = {{"/srv/data", EXT4_SUPER_MAGIC}};
  auto f = fx.run(oneCheck("{type: dir_scan, path: /, find: suid, allow: [/usr/bin/sudo]}"));
  REQUIRE(f.size() == 1);
  CHECK(f[0].status == Status::Compliant);
  CHECK(f[0].details.at("not_scanned") == "/srv/data (another file system)");
  CHECK(fx.type_queries == 0);  // not crossing needs no statfs at all

  f = fx.run(oneCheck("{type: dir_scan, path: /, find: suid, allow: [/usr/bin/sudo], cross_mounts: true}"));
  CHECK(targets(f) == std::vector<std::string>{"/srv/data/bin/tool"});
  CHECK(f[0].status == Status::Drifted);

  // A scan that starts inside the other file system stays there, and scans it.
  f = fx.run(oneCheck("{type: dir_scan, path: /srv/data, find: suid}"));
  CHECK(targets(f) == std::vector<std::string>{"/srv/data/bin/tool"});
}

TEST_CASE("dir_scan with cross_mounts skips pseudo and network file systems by type, walks memory and disks") {
  CheckFixture fx;
  fx.write("kernel/1/exe", "x", 04755);       // a proc mounted at /kernel: not by its name
  fx.write("kernel/sub/deep", "x", 04755);    // a tmpfs under the proc: never reached
  fx.write("mnt/share/tool", "x", 04755);     // NFS
  fx.write("mnt/smb/tool", "x", 04755);       // SMB2
  fx.write("mnt/sshfs/tool", "x", 04755);     // FUSE
  fx.write("cg/tool", "x", 04755);            // cgroup2
  fx.write("dev/shm/.x", "x", 04755);         // tmpfs: a classic place to drop a SUID shell
  fx.write("media/new/tool", "x", 04755);     // a file system this agent does not know
  fx.mounts = {{"/kernel", PROC_SUPER_MAGIC},   {"/kernel/sub", TMPFS_MAGIC},
               {"/mnt/share", NFS_SUPER_MAGIC}, {"/mnt/smb", SMB2_SUPER_MAGIC},
               {"/mnt/sshfs", FUSE_SUPER_MAGIC}, {"/cg", CGROUP2_SUPER_MAGIC},
               {"/dev/shm", TMPFS_MAGIC},       {"/media/new", kUnknownType}};
  auto f = fx.run(oneCheck("{type: dir_scan, path: /, find: suid, cross_mounts: true}"));
  CHECK(targets(f) == std::vector<std::string>{"/dev/shm/.x", "/media/new/tool"});
  CHECK(fx.type_queries == 7);  // once per file system met; the tmpfs inside the proc is never met

  std::filesystem::remove(fx.root() / "dev/shm/.x");
  std::filesystem::remove(fx.root() / "media/new/tool");
  f = fx.run(oneCheck("{type: dir_scan, path: /, find: suid, cross_mounts: true}"));
  REQUIRE(f.size() == 1);
  CHECK(f[0].status == Status::Compliant);
  CHECK(f[0].details.at("not_scanned") ==
        "/cg (cgroup2), /kernel (proc), /mnt/share (nfs), /mnt/smb (smb2), /mnt/sshfs (fuse)");
}

TEST_CASE("dir_scan names the first file systems it skipped and counts the rest") {
  CheckFixture fx;
  for (int i = 0; i < 25; ++i) {
    const std::string dir = "/net/" + std::string(1, char('a' + i));
    fx.mkdir(dir.substr(1));
    fx.mounts.push_back({dir, NFS_SUPER_MAGIC});
  }
  auto f = fx.runOne(oneCheck("{type: dir_scan, path: /, find: suid, cross_mounts: true}"));
  CHECK(f.status == Status::Compliant);
  const std::string& named = f.details.at("not_scanned");
  CHECK(named.starts_with("/net/a (nfs), /net/b (nfs), "));
  CHECK(named.ends_with("/net/t (nfs) and 5 more"));
}

TEST_CASE("dir_scan: an allow entry written through a symlinked directory matches the file it leads to") {
  // NixOS: /run/wrappers/bin links to /run/wrappers/wrappers.XXXXXXXXXX, made anew at every
  // activation; the walk never follows the link, so it meets the wrappers under their real name.
  CheckFixture fx;
  fx.write("run/wrappers/wrappers.k3v9q0zr1a/sudo", "x", 04511);
  fx.write("run/wrappers/wrappers.k3v9q0zr1a/stray", "x", 04511);
  fx.symlink("/run/wrappers/wrappers.k3v9q0zr1a", "run/wrappers/bin");
  auto f = fx.run(oneCheck("{type: dir_scan, path: /, find: suid, allow: [/run/wrappers/bin/sudo, /run/wrappers/bin/gone]}"));
  CHECK(targets(f) == std::vector<std::string>{"/run/wrappers/wrappers.k3v9q0zr1a/stray"});
  std::filesystem::remove(fx.root() / "run/wrappers/wrappers.k3v9q0zr1a/stray");
  auto one = fx.runOne(oneCheck("{type: dir_scan, path: /, find: suid, allow: [/run/wrappers/bin/sudo]}"));
  CHECK(one.status == Status::Compliant);
  CHECK(one.details.at("allowed_hits") == "1");
}

TEST_CASE("dir_scan walks in name order and stops at max_entries with what it found") {
  CheckFixture fx;
  fx.write("a/suid", "x", 04755);
  fx.write("b/x", "x", 0644);
  fx.write("c/suid", "x", 04755);
  // root: a, b, c, etc (4 entries); a: suid (5); b: x (6); c: suid (7) ...
  auto f = fx.run(oneCheck("{type: dir_scan, path: /, find: suid, max_entries: 6}"));
  REQUIRE(f.size() == 2);
  CHECK(f[0].target == "/a/suid");
  CHECK(f[1].status == Status::Error);
  CHECK(f[1].details.at("reason") == "scan stopped after 6 entries (max_entries)");
  f = fx.run(oneCheck("{type: dir_scan, path: /, find: suid}"));
  CHECK(targets(f) == std::vector<std::string>{"/a/suid", "/c/suid"});
}
