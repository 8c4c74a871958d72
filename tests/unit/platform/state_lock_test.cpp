#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "platform/state_lock.h"
#include "support/temp_dir.h"

namespace fs = std::filesystem;
using platform::LockErrc;
using platform::StateLock;

namespace {

std::string fileText(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("StateLock: one holder at a time, even within one process") {
  testsupport::TempDir dir("lock");
  const std::string state = dir.path().string();
  auto first = StateLock::acquire(state);
  REQUIRE(first.ok());
  CHECK(first->path() == state + "/lock");
  struct stat st {};
  REQUIRE(::stat((dir.path() / "lock").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(fileText(dir.path() / "lock") == std::to_string(::getpid()) + "\n");

  // flock belongs to the open file description: a second open conflicts.
  auto second = StateLock::acquire(state);
  REQUIRE_FALSE(second.ok());
  CHECK(second.error().code == LockErrc::Busy);
  CHECK(second.error().message ==
        "state_dir " + state + " is busy: held by pid " + std::to_string(::getpid()));

  // Moving keeps the lock held; only the destruction of the last owner releases it.
  StateLock moved = std::move(first).value();
  CHECK(StateLock::acquire(state).error().code == LockErrc::Busy);
  { StateLock released = std::move(moved); }
  auto third = StateLock::acquire(state);
  CHECK(third.ok());
}

TEST_CASE("StateLock: a killed holder never blocks the next process") {
  testsupport::TempDir dir("lock");
  const std::string state = dir.path().string();
  int ready[2];
  REQUIRE(::pipe(ready) == 0);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::close(ready[0]);
    auto lock = StateLock::acquire(state);
    const char status = lock.ok() ? 'y' : 'n';
    (void)!::write(ready[1], &status, 1);
    for (;;) ::pause();  // hold it until killed
  }
  ::close(ready[1]);
  char status = 0;
  REQUIRE(::read(ready[0], &status, 1) == 1);
  ::close(ready[0]);
  REQUIRE(status == 'y');

  auto busy = StateLock::acquire(state);
  REQUIRE_FALSE(busy.ok());
  CHECK(busy.error().code == LockErrc::Busy);
  CHECK_THAT(busy.error().message, Catch::EndsWith("held by pid " + std::to_string(child)));

  ::kill(child, SIGKILL);
  int wstatus = 0;
  REQUIRE(::waitpid(child, &wstatus, 0) == child);
  auto after = StateLock::acquire(state);
  INFO((after.ok() ? std::string() : after.error().message));
  CHECK(after.ok());
}

TEST_CASE("StateLock: state_dir must exist") {
  testsupport::TempDir dir("lock");
  auto r = StateLock::acquire((dir.path() / "missing").string());
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == LockErrc::NoStateDir);
  CHECK_THAT(r.error().message, Catch::Contains("missing") && Catch::Contains("does not exist"));

  dir.write("file", "x");
  CHECK(StateLock::acquire((dir.path() / "file").string()).error().code == LockErrc::NotDirectory);
  CHECK(StateLock::acquire("").error().code == LockErrc::NoStateDir);  // never "/lock"
}

TEST_CASE("StateLock: a symlink planted as the lock file is not followed") {
  testsupport::TempDir dir("lock");
  fs::create_symlink(dir.path() / "victim", dir.path() / "lock");
  auto r = StateLock::acquire(dir.path().string());
  REQUIRE_FALSE(r.ok());
  CHECK_FALSE(fs::exists(dir.path() / "victim"));
}

TEST_CASE("ensureStateDir creates 0700, like mkdir -p") {
  testsupport::TempDir dir("lock");
  const mode_t old_umask = ::umask(022);
  const auto state = dir.path() / "var/lib/compliance-agent";
  REQUIRE(platform::ensureStateDir(state.string() + "/").ok());
  ::umask(old_umask);
  struct stat st {};
  REQUIRE(::stat(state.c_str(), &st) == 0);
  CHECK(S_ISDIR(st.st_mode));
  CHECK((st.st_mode & 0777) == 0700);
  REQUIRE(::stat((dir.path() / "var/lib").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0755);

  // Existing: left as it is.
  ::chmod(state.c_str(), 0750);
  REQUIRE(platform::ensureStateDir(state.string()).ok());
  REQUIRE(::stat(state.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0750);
  CHECK(StateLock::acquire(state.string()).ok());

  dir.write("file", "x");
  auto not_dir = platform::ensureStateDir((dir.path() / "file").string());
  REQUIRE_FALSE(not_dir.ok());
  CHECK(not_dir.error().code == LockErrc::NotDirectory);
  CHECK(platform::ensureStateDir((dir.path() / "file/sub").string()).error().code ==
        LockErrc::NotDirectory);
  CHECK_FALSE(platform::ensureStateDir("").ok());
}
