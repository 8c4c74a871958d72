#include <catch2/catch.hpp>
#include <filesystem>

#include "platform/caching_host_files.h"
#include "support/host_root.h"
#include "support/temp_dir.h"

using platform::CachingHostFiles;
using platform::FsErrc;

TEST_CASE("CachingHostFiles answers repeated reads from the first read, within a cycle") {
  testsupport::TempDir dir;
  dir.write("etc/a", "one");
  auto base = testsupport::openRoot(dir.path());
  CachingHostFiles cached(*base);
  CHECK(*cached.readFile("/etc/a", 100) == "one");
  dir.write("etc/a", "two");  // a change on disk during the cycle is not seen: a snapshot
  CHECK(*cached.readFile("/etc/a", 100) == "one");
  CHECK(cached.readFile("/etc/a", 2).error().code == FsErrc::TooLarge);  // smaller limit still enforced
  CHECK(cached.readFile("/etc/missing", 10).error().code == FsErrc::NotFound);
  CHECK_FALSE(*cached.exists("/etc/missing"));
  CHECK(*cached.exists("/etc/a"));
  cached.clear();
  CHECK(*cached.readFile("/etc/a", 100) == "two");
}

TEST_CASE("CachingHostFiles: a TooLarge read is retried under a larger limit, writes empty the cache") {
  testsupport::TempDir dir;
  dir.write("etc/big", std::string(50, 'x'));
  auto base = testsupport::openRoot(dir.path());
  CachingHostFiles cached(*base);
  CHECK(cached.readFile("/etc/big", 10).error().code == FsErrc::TooLarge);
  CHECK(cached.readFile("/etc/big", 100)->size() == 50);
  CHECK(cached.stat("/etc/big")->mode == 0644);
  REQUIRE(cached.setMode("/etc/big", 0600).ok());
  CHECK(cached.stat("/etc/big")->mode == 0600);
  REQUIRE(cached.writeFileAtomic("/etc/big", "new", 0640, 0, 0).ok());
  CHECK(*cached.readFile("/etc/big", 100) == "new");
  CHECK(cached.listDir("/etc")->size() == 1);
}

TEST_CASE("CachingHostFiles never caches listDirStat: a tree walk must not hold the whole tree") {
  testsupport::TempDir dir;
  dir.write("d/a", "x");
  auto base = testsupport::openRoot(dir.path());
  CachingHostFiles cached(*base);
  CHECK(cached.listDirStat("/d")->size() == 1);
  dir.write("d/b", "x");
  CHECK(cached.listDirStat("/d")->size() == 2);  // read again, not kept
  CHECK(*cached.fileSystemType("/d") == *base->fileSystemType("/d"));
}
