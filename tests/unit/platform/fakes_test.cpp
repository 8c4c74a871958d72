// The shared fakes are used by other modules' tests; these pin down the behaviour they promise.
#include <catch2/catch.hpp>

#include "fakes/fake_clock.h"
#include "fakes/fake_command_runner.h"
#include "fakes/fake_live_state.h"
#include "fakes/fake_mounts_host_files.h"
#include "support/host_root.h"
#include "support/temp_dir.h"

using namespace std::chrono_literals;

TEST_CASE("FakeClock moves only when told") {
  fakes::FakeClock clock;
  const auto wall = clock.wallNow();
  const auto steady = clock.steadyNow();
  CHECK(clock.wallNow() == wall);
  clock.advance(90s);
  CHECK(clock.wallNow() - wall == 90s);
  CHECK(clock.steadyNow() - steady == 90s);
  clock.setWall(wall - 1h);  // an NTP step back: steady time does not follow
  CHECK(clock.wallNow() == wall - 1h);
  CHECK(clock.steadyNow() - steady == 90s);
  CHECK(std::chrono::duration_cast<std::chrono::seconds>(fakes::FakeClock().wallNow().time_since_epoch())
            .count() == 1767225600);  // 2026-01-01T00:00:00Z
}

TEST_CASE("FakeCommandRunner records specs and replays scripts") {
  fakes::FakeCommandRunner runner;
  runner.scriptOutput("systemctl", "first");
  runner.scriptOutput("systemctl", "second", 3);
  platform::CommandSpec spec;
  spec.argv = {"systemctl", "is-active", "sshd"};
  CHECK(runner.run(spec)->out == "first");
  CHECK(runner.run(spec)->exit_code == 3);
  CHECK(runner.run(spec)->out == "second");  // the last reply stays
  spec.argv = {"nft", "list", "ruleset"};
  CHECK(runner.run(spec).error().code == platform::CommandErrc::UnknownTool);
  runner.onRun("nft", [](const platform::CommandSpec& s) {
    platform::CommandResult r;
    r.exit_code = 0;
    r.out = s.argv.back();
    return fakes::FakeCommandRunner::Reply(r);
  });
  CHECK(runner.run(spec)->out == "ruleset");
  REQUIRE(runner.calls().size() == 5);
  CHECK(runner.argvs()[0] == std::vector<std::string>{"systemctl", "is-active", "sshd"});
}

TEST_CASE("FakeLiveState answers like a host about unknown things") {
  fakes::FakeLiveState live;
  CHECK(live.unitState("nope.service")->load_state == "not-found");
  CHECK(live.diskUsage("/nope").error().code == platform::LiveErrc::NotFound);
  CHECK(live.timeSync().error().code == platform::LiveErrc::ToolFailed);
  live.setUnit("sshd.service", "active", "enabled");
  live.setTimeSync(platform::TimeSyncState{true, true});
  live.setDisk("/", platform::DiskUsage{"/", 100, 91, 9, 91});
  CHECK(live.unitState("sshd.service")->active_state == "active");
  CHECK(live.timeSync()->synchronized);
  CHECK(live.diskUsage("/")->used_percent == 91);
  CHECK(live.queries() == 6);
  live.failAll(platform::LiveErrc::NotQueried, "not queried");
  CHECK(live.unitState("sshd.service").error().code == platform::LiveErrc::NotQueried);
}

TEST_CASE("FakeMountsHostFiles gives a mount its own device and type, innermost mount first") {
  testsupport::TempDir dir;
  dir.write("a/b/c/file", "x");
  dir.write("a/other", "x");
  auto base = testsupport::openRoot(dir.path());
  fakes::FakeMountsHostFiles files(*base);
  files.mount("/a/b", 0x6969);
  files.mount("/a/b/c", 0x9fa0);
  const auto root_dev = base->stat("/")->dev;
  CHECK(files.stat("/a/other")->dev == root_dev);
  CHECK(files.lstat("/a/b")->dev == fakes::FakeMountsHostFiles::kFirstFakeDev);
  CHECK(files.stat("/a/b/c/file")->dev == fakes::FakeMountsHostFiles::kFirstFakeDev + 1);
  auto list = files.listDirStat("/a");
  REQUIRE(list.ok());
  REQUIRE(list->size() == 2);
  CHECK((*list)[0].name == "b");
  CHECK((*list)[0].stat.dev == fakes::FakeMountsHostFiles::kFirstFakeDev);  // the mount point itself
  CHECK((*list)[1].stat.dev == root_dev);
  CHECK(*files.fileSystemType("/a/b/x") == 0x6969);
  CHECK(*files.fileSystemType("/a/b/c") == 0x9fa0);
  CHECK(*files.fileSystemType("/a/other") == *base->fileSystemType("/a/other"));
  CHECK(files.typeQueries() == 3);
  CHECK(*files.readFile("/a/b/c/file", 10) == "x");  // everything else passes through
}
