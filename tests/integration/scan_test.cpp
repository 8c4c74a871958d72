// LIN-FS-001's SUID/SGID scan through the real binary: it completes on a tree larger than a
// stock Debian's /usr, crosses into a real tmpfs and not into a real proc (mounted in a private
// mount namespace, so the machine never sees them).
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixture_host.h"
#include "support/mount_namespace.h"

using nlohmann::json;
using testsupport::FixtureHost;
using testsupport::runAgent;

namespace {

std::vector<json> scanFindings(const std::string& out) {
  std::vector<json> got;
  const json doc = json::parse(out);
  for (const auto& f : doc.at("findings")) {
    if (f.at("check_id") == "LIN-FS-001") got.push_back(f);
  }
  return got;
}

void plantSuid(const std::filesystem::path& p) {
  std::filesystem::create_directories(p.parent_path());
  testsupport::spit(p, "#!/bin/sh\nexec /bin/sh -p\n");
  REQUIRE(::chmod(p.c_str(), 04755) == 0);
}

}  // namespace

TEST_CASE("scan: LIN-FS-001 completes on a host with more entries than a stock Debian's /usr") {
  FixtureHost host("linux", "none");
  // 150,000 empty files (the earlier bound stopped every scan at 100,000 entries), and one
  // SUID program the walk meets last.
  const auto bulk = host.root() / "srv/archive";
  int not_made = 0;
  for (int d = 0; d < 150; ++d) {
    const auto dir = bulk / ("d" + std::to_string(1000 + d));
    std::filesystem::create_directories(dir);
    for (int i = 0; i < 1000; ++i) {
      const int fd = ::open((dir / ("f" + std::to_string(i))).c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
      if (fd < 0) ++not_made;
      else ::close(fd);
    }
  }
  REQUIRE(not_made == 0);
  plantSuid(bulk / "d1149/zz-tool");

  auto r = runAgent({"check", "--check", "LIN-FS-001", "--json", "--config", host.config()});
  INFO(r.err);
  REQUIRE(r.exit_code == 1);
  auto got = scanFindings(r.out);
  INFO(json(got).dump());
  REQUIRE(got.size() == 1);  // the hit, and no "scan stopped" error next to it
  CHECK(got[0].at("status") == "drifted");
  CHECK(got[0].at("target") == "/srv/archive/d1149/zz-tool");

  std::filesystem::remove(bulk / "d1149/zz-tool");
  r = runAgent({"check", "--check", "LIN-FS-001", "--json", "--config", host.config()});
  REQUIRE(r.exit_code == 0);
  got = scanFindings(r.out);
  REQUIRE(got.size() == 1);
  CHECK(got[0].at("status") == "compliant");
  CHECK(std::stol(got[0].at("details").at("entries_scanned").get<std::string>()) > 150000);
}

TEST_CASE("scan: a real tmpfs inside the host is scanned, a real proc is skipped by its type") {
  FixtureHost host("nixos", "none");
  const auto shm = host.root() / "dev/shm";
  const auto kernel = host.root() / "kernel";  // proc under a name no exclude list would know
  std::filesystem::create_directories(shm);
  std::filesystem::create_directories(kernel);
  const auto clean = host.dir.path() / "clean.json", dropped = host.dir.path() / "dropped.json";
  auto check = [&](const std::filesystem::path& out) {
    auto r = runAgent({"check", "--check", "LIN-FS-001", "--json", "--config", host.config()});
    testsupport::spit(out, r.out);
    return r.exit_code;
  };
  const int rc = testsupport::inPrivateMountNamespace([&] {
    if (::mount("ca-test", shm.c_str(), "tmpfs", 0, "size=1m,mode=1777") != 0) return 100;
    if (::mount("proc", kernel.c_str(), "proc", 0, nullptr) != 0) return 101;
    if (check(clean) != 0) return 102;
    // A SUID shell dropped in the tmpfs.
    const int fd = ::open((shm / ".x").c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
    if (fd < 0 || ::fchmod(fd, 04755) != 0) return 103;
    ::close(fd);
    return check(dropped) == 1 ? 0 : 104;
  });
  if (rc == testsupport::kNoMountNamespace) {
    WARN("skipped: a private mount namespace needs root");
    return;
  }
  INFO(testsupport::slurp(clean) << testsupport::slurp(dropped));
  REQUIRE(rc == 0);
  auto got = scanFindings(testsupport::slurp(clean));
  REQUIRE(got.size() == 1);
  CHECK(got[0].at("status") == "compliant");
  CHECK(got[0].at("details").at("not_scanned") == "/kernel (proc)");
  CHECK(std::stol(got[0].at("details").at("entries_scanned").get<std::string>()) < 1000);  // no /proc/<pid>/...

  got = scanFindings(testsupport::slurp(dropped));
  REQUIRE(got.size() == 1);
  CHECK(got[0].at("status") == "drifted");
  CHECK(got[0].at("target") == "/dev/shm/.x");
  CHECK(got[0].at("actual") == "4755");
  CHECK_FALSE(std::filesystem::exists(shm / ".x"));  // the tmpfs went with the namespace
}
