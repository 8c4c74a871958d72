#pragma once
// Generated fixture hosts (tests/fixtures/make_host.py) and the agent run against them.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "support/file_text.h"
#include "support/run_process.h"
#include "support/temp_dir.h"

namespace testsupport {

inline const std::filesystem::path kFixtures = std::filesystem::path(CA_SOURCE_DIR) / "tests/fixtures";

struct FixtureHost {
  TempDir dir{"ca-host"};
  std::filesystem::path out = dir.path() / "host";

  FixtureHost(const std::string& platform, const std::string& drift) {
    auto r = runProcess({"/usr/bin/python3", (kFixtures / "make_host.py").string(), out.string(), "--platform",
                         platform, "--drift", drift});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
  }
  std::string config() const { return (out / "agent.yaml").string(); }
  std::filesystem::path root() const { return out / "root"; }

  /// A SHA-256 over the whole tree at `path` (paths, modes, owners, contents, link targets).
  static std::string treeHash(const std::filesystem::path& path) {
    auto r = runProcess({"/usr/bin/python3", (kFixtures / "tree_hash.py").string(), path.string()});
    REQUIRE(r.exit_code == 0);
    return r.out;
  }
};

inline nlohmann::json loadExpectations() {
  std::ifstream in(kFixtures / "expectations.json");
  REQUIRE(in);
  return nlohmann::json::parse(in);
}

inline bool runningAsRoot() { return geteuid() == 0; }

}  // namespace testsupport
