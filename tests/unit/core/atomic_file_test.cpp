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
