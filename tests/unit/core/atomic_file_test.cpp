#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/atomic_file.h"
#include "support/temp_dir.h"

namespace fs = std::filesystem;

TEST_CASE("replaceFileAtomic replaces the whole file, 0600, and leaves no temporary") {
  testsupport::TempDir tmp;
  const fs::path p = tmp.path() / "state.json";
  std::ofstream(p) << "old content that is longer than the new one\n";
  const std::string big(1 << 20, 'x');  // more than one write may take
  REQUIRE(core::replaceFileAtomic(p.string(), big).ok());
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  CHECK(s.str() == big);
  struct stat st{};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0600);
  CHECK_FALSE(fs::exists(p.string() + ".tmp"));
}

TEST_CASE("replaceFileAtomic fails naming the file, and never writes through a link at the temporary") {
  testsupport::TempDir tmp;
  auto missing = core::replaceFileAtomic((tmp.path() / "no-such-dir" / "f").string(), "x");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().find("no-such-dir") != std::string::npos);

  const fs::path victim = tmp.path() / "victim";
  std::ofstream(victim) << "untouched";
  const fs::path p = tmp.path() / "state.json";
  fs::create_symlink(victim, p.string() + ".tmp");
  CHECK_FALSE(core::replaceFileAtomic(p.string(), "new").ok());
  std::ifstream in(victim);
  std::string got;
  std::getline(in, got);
  CHECK(got == "untouched");
}

TEST_CASE("replaceFileAtomic can leave the directory sync to pending syncs, with the content in place at once") {
  testsupport::TempDir tmp;
  const fs::path p = tmp.path() / "guards.json";
  std::ofstream(p) << "old";
  core::PendingSyncs syncs;
  REQUIRE(core::replaceFileAtomic(p.string(), "new", &syncs).ok());
  CHECK(syncs.size() == 1);  // the directory: the rename's durability
  std::ifstream in(p);
  std::string text;
  std::getline(in, text);
  CHECK(text == "new");
  CHECK_FALSE(fs::exists(p.string() + ".tmp"));
}

TEST_CASE("createFileExclusive makes the file with its mode and never replaces one that exists") {
  testsupport::TempDir tmp;
  const auto dir = tmp.path().string();
  REQUIRE(core::createFileExclusive(dir, "api.key", "secret\n", 0600).ok());
  struct stat st{};
  REQUIRE(::stat((tmp.path() / "api.key").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);

  auto again = core::createFileExclusive(dir, "api.key", "other\n", 0644);
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().code == core::CreateErrc::Exists);
  std::ifstream in(tmp.path() / "api.key");
  std::stringstream s;
  s << in.rdbuf();
  CHECK(s.str() == "secret\n");
  CHECK_FALSE(fs::exists(tmp.path() / ".api.key.tmp"));

  auto no_dir = core::createFileExclusive(dir + "/missing", "k", "x", 0600);
  REQUIRE_FALSE(no_dir.ok());
  CHECK(no_dir.error().code == core::CreateErrc::Io);
  CHECK(no_dir.error().message.find("missing") != std::string::npos);
}
