// Loading from disk: a directory recursively (sorted; yaml, yml and json), a single file, and
// the version hash.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>

#include "core/host_path.h"
#include "rules_test_util.h"
#include "support/temp_dir.h"

using namespace rules;
using rulestest::check;
using rulestest::has;

namespace fs = std::filesystem;

TEST_CASE("a directory loads recursively, in name order, yaml + yml + json only") {
  testsupport::TempDir dir;
  dir.write("z.yaml", "checks:\n" + check("Z-1"));
  dir.write("a/b.yml", "checks:\n" + check("B-1"));
  dir.write("a/a.json", R"({"checks": [{"id": "A-1", "title": "t", "severity": "low", "probe": {"type": "time_sync"}}]})");
  dir.write("a/legacy.json", R"([{"id": "L1-TIME-001", "name": "n", "conditions": [{"field": "check_id", "operator": "eq", "value": "A-1"}], "actions": ["alert:x"]}])");
  dir.write("m.yaml", "rules:\n  - {id: R-1, name: n, tiers: [standard], match: [{field: check_id, op: eq, value: Z-1}], actions: [{type: alert, message: m}]}\n");
  dir.write("notes.txt", "not a rule file");
  dir.write("README.md", "# not a rule file");
  dir.write(".hidden.yaml", "junk: [");
  dir.write(".git/x.yaml", "junk: [");
  auto r = loadRulePath(dir.path().string(), KnownTypes::all());
  if (!r.ok()) FAIL(r.error().format());
  const RuleSet& set = *r;
  REQUIRE(set.checks.size() == 3);
  CHECK(set.checks[0].id == "A-1");
  CHECK(set.checks[1].id == "B-1");
  CHECK(set.checks[2].id == "Z-1");
  REQUIRE(set.rules.size() == 2);
  CHECK(set.rules[0].id == "L1-TIME-001");
  CHECK(set.rules[0].legacy);
  CHECK(set.rules[1].id == "R-1");
  const std::string root = dir.path().string();
  REQUIRE(set.source_files.size() == 5);
  CHECK(set.source_files[0] == root + "/a/a.json");
  CHECK(set.source_files[1] == root + "/a/b.yml");
  CHECK(set.source_files[2] == root + "/a/legacy.json");
  CHECK(set.source_files[4] == root + "/z.yaml");
  CHECK(set.checks[2].pos.file == root + "/z.yaml");
  CHECK(set.version.size() == 64);
}

TEST_CASE("errors from a directory name the file by its path") {
  testsupport::TempDir dir;
  dir.write("linux/ssh.yaml", "checks:\n  - {id: C-1, title: t, severity: low, probe: {type: nope}}\n");
  auto r = loadRulePath(dir.path().string(), KnownTypes::all());
  REQUIRE_FALSE(r.ok());
  INFO(r.error().format());
  CHECK(r.error().code == RulesErrc::Invalid);
  CHECK(has(r.error().format(), dir.path().string() + "/linux/ssh.yaml:2:54: checks[0].probe.type: (C-1) unknown probe type 'nope'"));
}

TEST_CASE("a single file, and unreadable paths") {
  testsupport::TempDir dir;
  const auto file = dir.write("one.conf", "checks:\n" + check("C-1"));
  auto r = loadRulePath(file.string(), KnownTypes::all());
  REQUIRE(r.ok());
  CHECK(r->source_files == std::vector<std::string>{file.string()});
  auto missing = loadRulePath((dir.path() / "missing").string(), KnownTypes::all());
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code == RulesErrc::Io);
  CHECK(has(missing.error().format(), "missing: cannot read"));
  fs::create_directory(dir.path() / "empty");
  auto none = loadRulePath((dir.path() / "empty").string(), KnownTypes::all());
  REQUIRE(none.ok());
  CHECK(none->checks.empty());
  if (::geteuid() != 0) {  // root reads anything
    const auto locked = dir.write("locked/x.yaml", "checks: []\n");
    fs::permissions(locked, fs::perms::none);
    auto io = loadRulePath((dir.path() / "locked").string(), KnownTypes::all());
    REQUIRE_FALSE(io.ok());
    CHECK(io.error().code == RulesErrc::Io);
    CHECK(has(io.error().format(), "x.yaml: cannot open"));
  }
}

TEST_CASE("the version hashes names and bytes, not where the files lie") {
  const std::vector<SourceFile> a{{"a.yaml", "checks: []\n", ""}, {"b.yaml", "rules: []\n", ""}};
  const std::vector<SourceFile> reordered{{"b.yaml", "rules: []\n", "/elsewhere/b.yaml"}, {"a.yaml", "checks: []\n", ""}};
  const std::vector<SourceFile> changed{{"a.yaml", "checks: [] \n", ""}, {"b.yaml", "rules: []\n", ""}};
  const std::vector<SourceFile> renamed{{"a2.yaml", "checks: []\n", ""}, {"b.yaml", "rules: []\n", ""}};
  // Moving bytes between the name and the content must not collide.
  const std::vector<SourceFile> shifted{{"a.yaml", "", ""}, {"b.yaml", "checks: []\nrules: []\n", ""}};
  const std::string v = ruleSetVersion(a);
  CHECK(v.size() == 64);
  CHECK(v == ruleSetVersion(reordered));
  CHECK(v != ruleSetVersion(changed));
  CHECK(v != ruleSetVersion(renamed));
  CHECK(v != ruleSetVersion(shifted));
  CHECK(ruleSetVersion({}) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  auto set = loadRuleSources(a, KnownTypes::all());
  REQUIRE(set.ok());
  CHECK(set->version == v);

  testsupport::TempDir one, two;
  one.write("x/a.yaml", "checks:\n" + check("C-1"));
  two.write("x/a.yaml", "checks:\n" + check("C-1"));
  const auto v1 = loadRulePath(one.path().string(), KnownTypes::all())->version;
  CHECK(v1 == loadRulePath(two.path().string(), KnownTypes::all())->version);
  two.write("x/a.yaml", "checks:\n" + check("C-2"));
  CHECK(v1 != loadRulePath(two.path().string(), KnownTypes::all())->version);
}

TEST_CASE("host paths normalise") {
  CHECK(core::normaliseHostPath("/etc//ssh/./sshd_config/").value() == "/etc/ssh/sshd_config");
  CHECK(core::normaliseHostPath("/").value() == "/");
  CHECK(core::normaliseHostPath("//").value() == "/");
  CHECK(core::normaliseHostPath("/a/.../b").value() == "/a/.../b");  // "..." is a name
  CHECK_FALSE(core::normaliseHostPath("").ok());
  CHECK_FALSE(core::normaliseHostPath("etc").ok());
  CHECK_FALSE(core::normaliseHostPath("/etc/..").ok());
  CHECK_FALSE(core::normaliseHostPath("/../etc").ok());
  CHECK_FALSE(core::normaliseHostPath(std::string_view("/etc/\0x", 7)).ok());
  CHECK_FALSE(core::normaliseHostPath("/" + std::string(core::kMaxHostPathLength, 'a')).ok());
}
