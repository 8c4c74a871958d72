// The sweep at a live start: the writer's temporaries go from where the agent writes (writable
// directories and below, a writable file's own temporaries, set_sysctl persist directories), and
// nothing else goes from anywhere.
#include <algorithm>
#include <catch2/catch.hpp>

#include "healing/temp_sweep.h"
#include "support/host_root.h"
#include "unit/checks/check_fixture.h"

using testsupport::CheckFixture;

namespace {

const std::string kHex = ".ca-tmp-0123456789abcdef";

const std::string kSysctlRule =
    "checks:\n  - {id: K-1, title: t, severity: low, hipaa: [x], probe: {type: sysctl, key: kernel.x, expect: {op: eq, value: \"1\"}}}\n"
    "rules:\n  - id: L1-K-1\n    name: n\n    tiers: [standard]\n"
    "    match: [{field: check_id, op: eq, value: K-1}]\n"
    "    actions: [{type: set_sysctl, key: kernel.kptr_restrict, value: \"1\", persist_file: /etc/sysctl.d/60-ca.conf}]\n";

}  // namespace

TEST_CASE("sweepTemporaries removes the writer's temporaries where the agent writes, and only there") {
  CheckFixture fx;
  fx.write("etc/ssh/.sshd_config" + kHex, "half");
  fx.write("etc/ssh/sshd_config.d/.10-x.conf" + kHex, "half");  // below a writable directory
  fx.write("etc/.passwd" + kHex, "half");                        // a writable file's
  fx.write("etc/.shadow" + kHex, "not writable: kept");          // another file's, in the same directory
  fx.write("etc/sysctl.d/.60-ca.conf" + kHex, "half");           // a persist directory
  fx.write("var/.x" + kHex, "outside every writable path: kept");
  fx.write("elsewhere/.y" + kHex, "behind a link: kept");
  fx.symlink("/elsewhere", "etc/ssh/linked");                     // never descended into
  auto files = testsupport::openRoot(fx.root());
  const auto set = fx.load(kSysctlRule);

  auto report = healing::sweepTemporaries(*files, {"/etc/ssh", "/etc/passwd", "/etc/missing.conf"}, set);
  std::sort(report.removed.begin(), report.removed.end());
  CHECK(report.removed == std::vector<std::string>{"/etc/.passwd" + kHex, "/etc/ssh/.sshd_config" + kHex,
                                                   "/etc/ssh/sshd_config.d/.10-x.conf" + kHex,
                                                   "/etc/sysctl.d/.60-ca.conf" + kHex});
  CHECK(report.problems.empty());
  CHECK(std::filesystem::exists(fx.root() / ("etc/.shadow" + kHex)));
  CHECK(std::filesystem::exists(fx.root() / ("var/.x" + kHex)));
  CHECK(std::filesystem::exists(fx.root() / ("elsewhere/.y" + kHex)));
  // Nothing left: a second sweep removes nothing.
  CHECK(healing::sweepTemporaries(*files, {"/etc/ssh", "/etc/passwd"}, set).removed.empty());
}
