#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "rules/ruleset_cache.h"
#include "rules/ruleset_codec.h"
#include "support/temp_dir.h"

namespace fs = std::filesystem;

namespace {

const char* kOne = "checks:\n  - {id: A-1, title: real, severity: low, hipaa: [x], probe: {type: file_exists, path: /etc/a}}\n";
const char* kForged = "checks:\n  - {id: Z-9, title: forged, severity: low, hipaa: [x], probe: {type: file_exists, path: /etc/z}}\n";

// Plants, under the cache key of the real rule files, the encoding of another rule set.
void plantForgedCache(const testsupport::TempDir& dir, const std::string& rules_dir, const std::string& cache_dir) {
  auto sources = rules::readRuleSources(rules_dir);
  REQUIRE(sources.ok());
  const auto known = rules::KnownTypes::all();
  const std::string key = rules::ruleSetCacheKey(rules::ruleSetVersion(*sources), *sources, known);
  auto forged = rules::loadRuleSources({{"f.yaml", kForged, ""}}, known);
  REQUIRE(forged.ok());
  forged->version = rules::ruleSetVersion(*sources);  // what a careful forger would do
  forged->source_version = forged->version;
  fs::create_directories(cache_dir);
  std::ofstream(cache_dir + "/ruleset-" + key + ".bin", std::ios::binary) << rules::encodeRuleSet(*forged);
  (void)dir;
}

}  // namespace

TEST_CASE("the rule-set cache is written by writers, read by readers, and follows the files") {
  testsupport::TempDir dir;
  const auto rules_dir = dir.path() / "rules";
  dir.write("rules/a.yaml", kOne);
  const std::string cache = (dir.path() / "cache").string();
  const auto known = rules::KnownTypes::all();

  auto reader = rules::loadRulePathCached(rules_dir.string(), known, {cache, false});
  REQUIRE(reader.ok());
  CHECK_FALSE(fs::exists(cache));  // a reader never writes
  auto writer = rules::loadRulePathCached(rules_dir.string(), known, {cache, true});
  REQUIRE(writer.ok());
  REQUIRE(fs::is_directory(cache));
  CHECK((fs::status(cache).permissions() & fs::perms::all) == fs::perms::owner_all);
  int files = 0;
  for (const auto& e : fs::directory_iterator(cache)) files += e.path().extension() == ".bin";
  CHECK(files == 1);

  auto cached = rules::loadRulePathCached(rules_dir.string(), known, {cache, false});
  REQUIRE(cached.ok());
  CHECK(cached->version == writer->version);
  CHECK(cached->checks.at(0).id == "A-1");

  // An edited file is a new key: the change is seen, never the stale cache.
  dir.write("rules/a.yaml", std::string(kOne) + "  - {id: A-2, title: t, severity: low, hipaa: [x], "
                                                "probe: {type: file_exists, path: /etc/b}}\n");
  auto edited = rules::loadRulePathCached(rules_dir.string(), known, {cache, false});
  REQUIRE(edited.ok());
  CHECK(edited->checks.size() == 2);
}

TEST_CASE("a cache is trusted only when this user owns it and nobody else can write it") {
  testsupport::TempDir dir;
  const auto rules_dir = (dir.path() / "rules").string();
  dir.write("rules/a.yaml", kOne);
  const std::string cache = (dir.path() / "cache").string();
  plantForgedCache(dir, rules_dir, cache);
  const auto known = rules::KnownTypes::all();
  REQUIRE(::chmod(cache.c_str(), 0700) == 0);
  for (const auto& e : fs::directory_iterator(cache)) REQUIRE(::chmod(e.path().c_str(), 0600) == 0);
  // Private and ours: it is used (which is why the directory must stay private).
  auto trusted = rules::loadRulePathCached(rules_dir, known, {cache, false});
  REQUIRE(trusted.ok());
  CHECK(trusted->checks.at(0).id == "Z-9");
  // Group- or world-writable file or directory: ignored, the files are parsed.
  for (const auto& e : fs::directory_iterator(cache)) REQUIRE(::chmod(e.path().c_str(), 0666) == 0);
  auto open_file = rules::loadRulePathCached(rules_dir, known, {cache, false});
  REQUIRE(open_file.ok());
  CHECK(open_file->checks.at(0).id == "A-1");
  for (const auto& e : fs::directory_iterator(cache)) REQUIRE(::chmod(e.path().c_str(), 0600) == 0);
  REQUIRE(::chmod(cache.c_str(), 0777) == 0);
  auto open_dir = rules::loadRulePathCached(rules_dir, known, {cache, false});
  REQUIRE(open_dir.ok());
  CHECK(open_dir->checks.at(0).id == "A-1");
}
