#pragma once
// A temporary host root plus fakes for live state and commands, and a helper that loads checks
// from YAML text and runs them: what every probe test needs.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "checks/check_runner.h"
#include "fakes/fake_clock.h"
#include "fakes/fake_command_runner.h"
#include "fakes/fake_live_state.h"
#include "fakes/fake_mounts_host_files.h"
#include "platform/linux_host_files.h"
#include "rules/loader.h"
#include "support/temp_dir.h"

namespace testsupport {

struct CheckFixture {
  TempDir dir{"ca-checks"};
  fakes::FakeLiveState live;
  fakes::FakeCommandRunner commands;
  fakes::FakeClock clock;
  checks::ProbeRegistry registry;
  std::string cert_file;
  /// Simulated mounts (directory, statfs type) seen by the next run()s (FakeMountsHostFiles).
  std::vector<std::pair<std::string, std::uint64_t>> mounts;
  /// fileSystemType() queries of the last run() with mounts.
  int type_queries = 0;

  CheckFixture() {
    checks::registerBuiltinProbes(registry);
    write("etc/passwd", "root:x:0:0:root:/root:/bin/sh\nclinic:x:1000:1000::/home/clinic:/bin/sh\n");
    write("etc/group", "root:x:0:\nshadow:x:42:\nclinic:x:1000:\n");
  }

  std::filesystem::path root() const { return dir.path() / "root"; }

  std::filesystem::path write(const std::string& rel, const std::string& content, mode_t mode = 0644) {
    auto p = dir.write("root/" + rel, content);
    REQUIRE(::chmod(p.c_str(), mode) == 0);
    return p;
  }
  void mkdir(const std::string& rel, mode_t mode = 0755) {
    std::filesystem::create_directories(root() / rel);
    REQUIRE(::chmod((root() / rel).c_str(), mode) == 0);
  }
  void symlink(const std::string& target, const std::string& rel) {
    std::filesystem::create_directories((root() / rel).parent_path());
    std::filesystem::create_symlink(target, root() / rel);
  }

  rules::RuleSet load(const std::string& yaml) {
    auto set = rules::loadRuleSources({{"test.yaml", yaml, ""}}, rules::KnownTypes::all());
    if (!set.ok()) FAIL(set.error().format());
    return std::move(*set);
  }

  std::vector<checks::Finding> run(const std::string& yaml, checks::RunOptions options = {}) {
    const auto set = load(yaml);
    std::filesystem::create_directories(root());
    auto files = platform::LinuxHostFiles::open(root().string());
    REQUIRE(files.ok());
    fakes::FakeMountsHostFiles mounted(**files);
    for (const auto& [dir, type] : mounts) mounted.mount(dir, type);
    checks::ProbeContext ctx{mounts.empty() ? static_cast<platform::HostFiles&>(**files) : mounted, live, commands,
                             clock, registry};
    ctx.agent_client_cert_file = cert_file;
    auto findings = checks::runChecks(set, ctx, options);
    type_queries = mounted.typeQueries();
    return findings;
  }

  /// The single finding of a one-check rule set.
  checks::Finding runOne(const std::string& yaml) {
    auto f = run(yaml);
    REQUIRE(f.size() == 1);
    return f.front();
  }
};

/// A one-check YAML document around a probe written in flow style.
inline std::string oneCheck(const std::string& probe, const std::string& extra = "") {
  return "checks:\n  - id: T-1\n    title: t\n    severity: low\n    hipaa: [\"164.312(b)\"]\n    probe: " + probe +
         "\n" + extra;
}

}  // namespace testsupport
