#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "core/state_dir.h"
#include "support/temp_dir.h"

namespace fs = std::filesystem;

TEST_CASE("PosixStateDir: absent is nullopt, replace then read gives the content back, byte for byte") {
  testsupport::TempDir tmp;
  core::PosixStateDir dir(tmp.path().string());
  auto absent = dir.read("cursor.json");
  REQUIRE(absent.ok());
  CHECK_FALSE(absent->has_value());

  std::string text(100000, 'a');  // more than one read
  text[0] = '\0';
  text.back() = '\n';
  REQUIRE(dir.replace("cursor.json", text).ok());
  auto back = dir.read("cursor.json");
  REQUIRE(back.ok());
  REQUIRE(back->has_value());
  CHECK(**back == text);
  CHECK(dir.pathOf("cursor.json") == (tmp.path() / "cursor.json").string());
  CHECK_FALSE(fs::exists(tmp.path() / "cursor.json.tmp"));
}

TEST_CASE("PosixStateDir: a file that exists but cannot be read is an error naming it, not absent") {
  testsupport::TempDir tmp;
  core::PosixStateDir dir(tmp.path().string());
  fs::create_directory(tmp.path() / "recorded.json");  // a directory where the file should be
  auto as_dir = dir.read("recorded.json");
  REQUIRE_FALSE(as_dir.ok());
  CHECK(as_dir.error().find((tmp.path() / "recorded.json").string() + ": Is a directory") != std::string::npos);

  std::ofstream(tmp.path() / "elsewhere") << "planted";
  fs::create_symlink(tmp.path() / "elsewhere", tmp.path() / "guards.json");  // never followed
  auto link = dir.read("guards.json");
  REQUIRE_FALSE(link.ok());
  CHECK(link.error().find("cannot read " + (tmp.path() / "guards.json").string()) != std::string::npos);
}

TEST_CASE("PosixStateDir: a replace that cannot be done fails naming the file") {
  testsupport::TempDir tmp;
  core::PosixStateDir dir((tmp.path() / "missing").string());
  auto st = dir.replace("cursor.json", "{}");
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().find((tmp.path() / "missing" / "cursor.json").string()) != std::string::npos);
}
