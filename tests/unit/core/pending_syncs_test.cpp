// PendingSyncs: which entries a flush makes durable (and so drops), and which stay pending.
// Whether the kernel really flushed is not observable here; bench/run.sh counts the calls.
#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "core/pending_syncs.h"
#include "support/temp_dir.h"

using core::PendingSyncs;
using Due = core::PendingSyncs::Due;

namespace {

struct Fd {
  explicit Fd(const std::string& path, int flags = O_RDONLY) : fd(::open(path.c_str(), flags | O_CLOEXEC)) {
    REQUIRE(fd >= 0);
  }
  ~Fd() { ::close(fd); }
  int fd;
};

}  // namespace

TEST_CASE("PendingSyncs: a flush before a change leaves what is due before the record, unless a syncfs covered it") {
  testsupport::TempDir tmp;
  const auto a = tmp.write("a", "a"), b = tmp.write("b", "b");
  Fd dir(tmp.path().string(), O_RDONLY | O_DIRECTORY), fa(a.string()), fb(b.string());

  PendingSyncs syncs;
  REQUIRE(syncs.add(fa.fd, Due::BeforeChange).ok());
  REQUIRE(syncs.add(dir.fd, Due::BeforeRecord).ok());
  // One entry due on this file system: its own fsync, which covers nothing else.
  REQUIRE(syncs.flushBeforeChange().ok());
  CHECK(syncs.size() == 1);

  // Two due on one file system share a syncfs, which covers the pending directory too.
  REQUIRE(syncs.add(fa.fd, Due::BeforeChange).ok());
  REQUIRE(syncs.flushBeforeChange(fb.fd).ok());
  CHECK(syncs.size() == 0);

  REQUIRE(syncs.add(dir.fd, Due::BeforeRecord).ok());
  REQUIRE(syncs.add(fa.fd, Due::BeforeRecord).ok());
  REQUIRE(syncs.flushBeforeChange().ok());  // nothing due before a change
  CHECK(syncs.size() == 2);
  REQUIRE(syncs.flushAll(fb.fd).ok());
  CHECK(syncs.size() == 0);
}

TEST_CASE("PendingSyncs: entries are duplicates, so the caller may close its descriptor at once") {
  testsupport::TempDir tmp;
  const auto a = tmp.write("a", "a");
  PendingSyncs syncs;
  {
    Fd fa(a.string());
    REQUIRE(syncs.add(fa.fd, Due::BeforeChange).ok());
  }
  CHECK(syncs.flushAll().ok());
  CHECK_FALSE(syncs.add(-1, Due::BeforeChange).ok());
  CHECK(syncs.size() == 0);
}

TEST_CASE("PendingSyncs: two entries of one file are one file: its fsync, not a syncfs") {
  testsupport::TempDir tmp;
  const auto a = tmp.write("a", "a");
  Fd dir(tmp.path().string(), O_RDONLY | O_DIRECTORY), fa(a.string());
  PendingSyncs syncs;
  REQUIRE(syncs.add(fa.fd, Due::BeforeChange).ok());
  REQUIRE(syncs.add(dir.fd, Due::BeforeRecord).ok());
  // The same file again (the evidence segment handed over twice, a file step's two steps): a
  // syncfs would have covered the directory too; one fsync of the one file does not.
  REQUIRE(syncs.flushBeforeChange(fa.fd).ok());
  CHECK(syncs.size() == 1);
}

TEST_CASE("PendingSyncs: pending records make what is due before a record due before the next change") {
  testsupport::TempDir tmp;
  const auto a = tmp.write("a", "a");
  Fd dir(tmp.path().string(), O_RDONLY | O_DIRECTORY), fa(a.string());
  PendingSyncs syncs;
  REQUIRE(syncs.add(dir.fd, Due::BeforeRecord).ok());
  std::vector<bool> told;
  int flushed = 0;
  syncs.addRecords([&] { ++flushed; return std::string(); }, [&](bool ok) { told.push_back(ok); return true; });
  REQUIRE(syncs.flushBeforeChange().ok());
  CHECK(flushed == 1);
  CHECK(told == std::vector<bool>{true});
  CHECK(syncs.size() == 0);  // the host directory went with the record

  // A records file with a descriptor: the same, its owner told once.
  REQUIRE(syncs.add(dir.fd, Due::BeforeRecord).ok());
  REQUIRE(syncs.addRecords(fa.fd, [&](bool ok) { told.push_back(ok); return true; }).ok());
  REQUIRE(syncs.flushBeforeChange().ok());
  CHECK(told == std::vector<bool>{true, true});
  CHECK(syncs.size() == 0);
}

TEST_CASE("PendingSyncs: a failed records flush tells the owner and drops them, a refused one fails the flush") {
  PendingSyncs syncs;
  std::vector<bool> told;
  syncs.addRecords([] { return std::string("fake: Input/output error"); },
                   [&](bool ok) { told.push_back(ok); return false; });
  auto failed = syncs.flushBeforeChange();
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.error() == "fake: Input/output error");
  CHECK(told == std::vector<bool>{false});
  CHECK(syncs.size() == 0);  // the owner writes them again; they are not retried here

  // Flushed, but the owner has cut them back since: nobody may act on them.
  syncs.addRecords([] { return std::string(); }, [&](bool ok) { told.push_back(ok); return false; });
  auto refused = syncs.flushAll();
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().find("cut back") != std::string::npos);
  CHECK(told == std::vector<bool>{false, true});
}
