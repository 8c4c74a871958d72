// Backups of live file steps: private to the agent, synced, named by time, pruned by age.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "healing/backups.h"
#include "support/file_text.h"
#include "support/temp_dir.h"

namespace fs = std::filesystem;

using testsupport::slurp;

namespace {

void touch(const fs::path& p) { std::ofstream(p) << "x"; }

unsigned modeOf(const fs::path& p) {
  struct stat st{};
  REQUIRE(::lstat(p.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

healing::FileChange shadowEdit() {
  healing::FileChange c;
  c.path = "/etc/shadow";
  c.before = "root:$6$secret:1::::::\n";
  c.after = "root:!:1::::::\n";
  c.mode_before = c.mode_after = 0640;
  return c;
}

}  // namespace

TEST_CASE("a backup is private: a 0700 directory made on demand, one 0600 file, metadata line then content") {
  testsupport::TempDir tmp;
  const fs::path dir = tmp.path() / "backups";
  REQUIRE(healing::writeBackup(dir.string(), "L1-X/1", 2, shadowEdit(), 1'700'000'000'123) == "");
  CHECK(modeOf(dir) == 0700);
  int files = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    ++files;
    const std::string name = e.path().filename().string();
    CHECK(name.rfind("1700000000123-L1-X_1-2-", 0) == 0);
    CHECK(e.path().extension() == ".backup");
    CHECK(modeOf(e.path()) == 0600);
    CHECK(healing::backupTime(name) == 1'700'000'000'123);
    const std::string text = slurp(e.path());
    const auto nl = text.find('\n');
    REQUIRE(nl != std::string::npos);
    CHECK(text.substr(0, nl).find("\"path\":\"/etc/shadow\"") != std::string::npos);
    CHECK(text.substr(0, nl).find("\"content_saved\":true") != std::string::npos);
    CHECK(text.substr(nl + 1) == shadowEdit().before);
  }
  CHECK(files == 1);
  // The same file again in the same millisecond gets its own name.
  REQUIRE(healing::writeBackup(dir.string(), "L1-X/1", 2, shadowEdit(), 1'700'000'000'123) == "");
  CHECK(std::distance(fs::directory_iterator(dir), fs::directory_iterator()) == 2);
}

TEST_CASE("a backup of a metadata-only step says that no content was saved") {
  testsupport::TempDir tmp;
  healing::FileChange c = shadowEdit();
  c.after = c.before;
  c.mode_after = 0600;
  REQUIRE(healing::writeBackup((tmp.path() / "b").string(), "R", 1, c, 5) == "");
  const std::string text = slurp(fs::directory_iterator(tmp.path() / "b")->path());
  CHECK(text.find("\"content_saved\":false") != std::string::npos);
  CHECK(text.back() == '\n');  // the metadata line only: nothing to restore an empty file from
  CHECK(text.find(c.before) == std::string::npos);
}

TEST_CASE("a backup handed to pending syncs is written at once and made durable by their flush") {
  testsupport::TempDir tmp;
  const fs::path dir = tmp.path() / "backups";
  core::PendingSyncs syncs;
  REQUIRE(healing::writeBackup(dir.string(), "R", 1, shadowEdit(), 7, &syncs) == "");
  CHECK(syncs.size() == 2);  // the file and its directory entry
  CHECK(std::distance(fs::directory_iterator(dir), fs::directory_iterator()) == 1);
  REQUIRE(syncs.flushBeforeChange().ok());
  CHECK(syncs.size() == 0);
}

TEST_CASE("a backup directory open to others, or a link, is refused with the fix") {
  testsupport::TempDir tmp;
  const fs::path dir = tmp.path() / "backups";
  fs::create_directory(dir);
  REQUIRE(::chmod(dir.c_str(), 0755) == 0);
  const std::string why = healing::writeBackup(dir.string(), "R", 1, shadowEdit(), 1);
  CHECK(why.find("mode 0755") != std::string::npos);
  CHECK(why.find("chmod 700 " + dir.string()) != std::string::npos);
  CHECK(fs::is_empty(dir));
  CHECK_FALSE(healing::pruneBackups(dir.string(), 10, std::chrono::milliseconds(1)).ok());

  const fs::path real = tmp.path() / "elsewhere";
  fs::create_directory(real);
  REQUIRE(::chmod(real.c_str(), 0700) == 0);
  const fs::path link = tmp.path() / "linked";
  fs::create_directory_symlink(real, link);
  CHECK(healing::writeBackup(link.string(), "R", 1, shadowEdit(), 1).find("not a usable directory") != std::string::npos);
  CHECK(fs::is_empty(real));
}

TEST_CASE("pruning removes backups older than the retention by their name's time, and nothing else") {
  testsupport::TempDir tmp;
  const fs::path dir = tmp.path() / "backups";
  const std::int64_t day = 86'400'000, now = 100 * day;
  REQUIRE(healing::writeBackup(dir.string(), "OLD", 1, shadowEdit(), now - 40 * day) == "");
  REQUIRE(healing::writeBackup(dir.string(), "NEW", 1, shadowEdit(), now - 10 * day) == "");
  // The pair an older agent wrote (metadata .json, content .bak): pruned by the same age.
  touch(dir / (std::to_string(now - 45 * day) + "-PAIR-1-0123456789abcdef.json"));
  touch(dir / (std::to_string(now - 45 * day) + "-PAIR-1-0123456789abcdef.bak"));
  touch(dir / (std::to_string(now - 5 * day) + "-NEW-1-0123456789abcdef.json"));
  touch(dir / "notes.txt");               // not a backup's name
  touch(dir / "12x-foo.bak");             // not a time
  touch(dir / "2024-notes.json");         // an operator's file that starts like one
  touch(dir / (std::to_string(now - 50 * day) + "-R-1-0123456789abcdef.tmp"));  // not a backup's extension
  auto r = healing::pruneBackups(dir.string(), now, std::chrono::milliseconds(30 * day));
  REQUIRE(r.ok());
  CHECK(r->removed == 3);
  CHECK(r->problems.empty());
  int new_files = 0, others = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    CHECK(name.find("-OLD-") == std::string::npos);
    CHECK(name.find("-PAIR-") == std::string::npos);
    (name.find("-NEW-") != std::string::npos ? new_files : others)++;
  }
  CHECK(new_files == 2);
  CHECK(others == 4);
  // A missing directory has nothing to prune.
  auto none = healing::pruneBackups((tmp.path() / "missing").string(), now, std::chrono::milliseconds(day));
  REQUIRE(none.ok());
  CHECK(none->removed == 0);
}

TEST_CASE("backupTime reads only a backup's name") {
  CHECK(healing::backupTime("1700000000123-L1-X-1-0123456789abcdef.backup") == 1'700'000'000'123);
  CHECK(healing::backupTime("1700000000123-L1-X-1-0123456789abcdef.json") == 1'700'000'000'123);
  CHECK(healing::backupTime("5-R-1-0123456789abcdef.1.bak") == 5);
  CHECK(healing::backupTime("-R-1-0123456789abcdef.bak") == -1);
  CHECK(healing::backupTime("17a-R-1-0123456789abcdef.bak") == -1);
  CHECK(healing::backupTime("1700000000123-R-1-0123456789abcdef.txt") == -1);
  CHECK(healing::backupTime("1234567890123456789012-R-1-0123456789abcdef.bak") == -1);  // more digits than a time
  CHECK(healing::backupTime("1700000000123-R-1-tag.bak") == -1);                         // not a path tag
  CHECK(healing::backupTime("2024-notes.json") == -1);
  CHECK(healing::backupTime("17.bak") == -1);
}
