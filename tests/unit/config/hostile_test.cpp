// Hostile input: every file of tests/hostile/config/ must be refused with a clear message that
// names the file, without a crash (the suite runs under ASan+UBSan). Inputs that would be silly
// to commit (10 MB, FIFOs, devices) are made at test time.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "config/loader.h"
#include "support/temp_dir.h"

using namespace config;
using core::yaml::YamlErrc;
namespace fs = std::filesystem;

namespace {

const fs::path kCorpus = fs::path(CA_SOURCE_DIR) / "tests" / "hostile" / "config";

// Why each file is refused: the code of its first problem. A new corpus file needs an entry, so
// that it keeps failing for the reason it was written for.
const std::map<std::string, YamlErrc> kExpected = {
    {"alias_bomb.yaml", YamlErrc::AnchorOrAlias},
    {"anchors_merge.yaml", YamlErrc::AnchorOrAlias},
    {"bad_encoding.yaml", YamlErrc::UnknownKey},
    {"bad_values.yaml", YamlErrc::BadValue},
    {"binary_junk.yaml", YamlErrc::Syntax},
    {"control_chars.yaml", YamlErrc::BadValue},
    {"deep_nesting_lists.yaml", YamlErrc::TooDeep},
    {"deep_nesting_maps.yaml", YamlErrc::TooDeep},
    {"duplicate_key.yaml", YamlErrc::DuplicateKey},
    {"duplicate_section.yaml", YamlErrc::DuplicateKey},
    {"list_at_root.yaml", YamlErrc::Type},
    {"list_for_section.yaml", YamlErrc::Type},
    {"multiple_documents.yaml", YamlErrc::MultipleDocuments},
    {"non_string_keys.yaml", YamlErrc::UnknownKey},
    {"scalar_root.yaml", YamlErrc::Type},
    {"tabs_garbage.yaml", YamlErrc::Syntax},
    {"truncated.json", YamlErrc::Syntax},
    {"truncated.yaml", YamlErrc::Syntax},
    {"unknown_keys.yaml", YamlErrc::UnknownKey},
    {"unterminated_string.yaml", YamlErrc::BadValue},
    {"wrong_types.json", YamlErrc::Type},
    {"wrong_types.yaml", YamlErrc::Type},
};

ConfigError refused(const fs::path& file) {
  Overrides o;
  o.config_file = file.string();
  auto r = loadConfig(o, Environment{}, "/nonexistent/agent.yaml");
  REQUIRE_FALSE(r.ok());
  return r.error();
}

void requireClear(const ConfigError& e, const fs::path& file) {
  INFO(e.message);
  CHECK_FALSE(e.message.empty());
  CHECK_THAT(e.message, Catch::Contains(file.string()));
  for (const auto& err : e.errors) {
    CHECK(err.file == file.string());
    CHECK_FALSE(err.message.empty());
  }
}

}  // namespace

TEST_CASE("every file of the hostile corpus is refused with a clear error naming the file") {
  REQUIRE(fs::is_directory(kCorpus));
  std::size_t files = 0;
  for (const auto& entry : fs::directory_iterator(kCorpus)) {
    if (!entry.is_regular_file()) continue;
    ++files;
    const std::string name = entry.path().filename().string();
    INFO(name);
    const ConfigError e = refused(entry.path());
    CHECK(e.code == ConfigErrc::Invalid);
    requireClear(e, entry.path());
    auto expected = kExpected.find(name);
    if (expected == kExpected.end()) {
      FAIL_CHECK("add " << name << " to kExpected with the reason it must be refused");
      continue;
    }
    REQUIRE_FALSE(e.errors.empty());
    CHECK(e.errors[0].code == expected->second);
  }
  CHECK(files >= 10);
  CHECK(files == kExpected.size());
}

TEST_CASE("hostile corpus: the errors say what is wrong") {
  auto dup = refused(kCorpus / "duplicate_key.yaml");
  CHECK_THAT(dup.message, Catch::Contains("healing.dry_run") && Catch::Contains("duplicate key (first at line 3)"));

  auto unknown = refused(kCorpus / "unknown_keys.yaml");
  CHECK(unknown.errors.size() == 4);
  for (const char* key : {"healng", "central.endpiont", "checks.intervall", "extra_section"}) {
    CHECK_THAT(unknown.message, Catch::Contains(std::string(key) + ": unknown key"));
  }
  // A typo gets the key it was probably meant to be; a key like nothing known gets no guess.
  CHECK_THAT(unknown.message, Catch::Contains("healng: unknown key (did you mean 'healing'?)"));
  CHECK_THAT(unknown.message, Catch::Contains("central.endpiont: unknown key (did you mean 'endpoint'?)"));
  CHECK_THAT(unknown.message, Catch::Contains("checks.intervall: unknown key (did you mean 'interval'?)"));
  CHECK_THAT(unknown.message, !Catch::Contains("extra_section: unknown key (did you mean"));

  // Every bad value of the file is reported, not just the first.
  auto bad = refused(kCorpus / "bad_values.yaml");
  CHECK(bad.errors.size() >= 20);

  auto types = refused(kCorpus / "wrong_types.yaml");
  CHECK(types.errors.size() >= 10);
}

TEST_CASE("a 10 MB config file is refused by the size limit without being read whole") {
  testsupport::TempDir dir;
  const fs::path big = dir.path() / "huge.yaml";
  {
    std::ofstream out(big, std::ios::binary);
    const std::string line = "# " + std::string(1021, 'x') + "\n";  // 1 KiB
    for (int i = 0; i < 10 * 1024; ++i) out << line;
  }
  REQUIRE(fs::file_size(big) == 10u * 1024 * 1024);
  const ConfigError e = refused(big);
  CHECK(e.code == ConfigErrc::Invalid);
  REQUIRE(e.errors.size() == 1);
  CHECK(e.errors[0].code == YamlErrc::TooLarge);
  requireClear(e, big);
  // The loader stops at the limit, so the message reports a size just past it, not 10 MB.
  CHECK_THAT(e.message, !Catch::Contains(std::to_string(10u * 1024 * 1024)));
}

TEST_CASE("a 10 MB text is refused by loadConfigText too") {
  const std::string text(10u * 1024 * 1024, 'a');
  auto r = loadConfigText(text, "huge.yaml");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().errors.at(0).code == YamlErrc::TooLarge);
}

TEST_CASE("a FIFO, a device, a directory or a symlink loop as config is Unreadable, without hanging") {
  testsupport::TempDir dir;
  const fs::path fifo = dir.path() / "fifo.yaml";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  const fs::path loop = dir.path() / "loop.yaml";
  fs::create_symlink(loop, loop);
  const fs::path directory = dir.path() / "dir.yaml";
  fs::create_directory(directory);
  for (const fs::path& p : {fifo, loop, directory, fs::path("/dev/zero")}) {
    INFO(p);
    const ConfigError e = refused(p);
    CHECK(e.code == ConfigErrc::Unreadable);
    requireClear(e, p);
  }
}

TEST_CASE("every corpus file also fails through loadConfigText, which fuzzers use") {
  for (const auto& entry : fs::directory_iterator(kCorpus)) {
    if (!entry.is_regular_file()) continue;
    INFO(entry.path().filename().string());
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    auto r = loadConfigText(text.str(), "fuzz.yaml");
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error().message, Catch::Contains("fuzz.yaml"));
  }
}
