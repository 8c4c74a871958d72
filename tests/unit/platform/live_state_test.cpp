#include <catch2/catch.hpp>

#include "core/clock.h"
#include "fakes/fake_command_runner.h"
#include "platform/live_state.h"
#include "platform/spawn_command_runner.h"
#include "platform/tool_live_state.h"
#include "support/temp_dir.h"
#include "unit/platform/stub_tools.h"

using fakes::FakeCommandRunner;
using platform::LiveErrc;
using platform::LiveStateMode;
using platform::ToolLiveState;
using namespace std::chrono_literals;

namespace {

platform::CommandResult exited(int code, std::string out, std::string err = "") {
  platform::CommandResult r;
  r.exit_code = code;
  r.out = std::move(out);
  r.err = std::move(err);
  return r;
}

const char* kDfHeader = "Filesystem        1-blocks        Used   Available Capacity Mounted on\n";

}  // namespace

TEST_CASE("parseKeyValueLines") {
  const auto kv = platform::parseKeyValueLines("A=1\nB=x=y\nnoequals\n=novalue\nC=\nA=2");
  CHECK(kv.size() == 3);
  CHECK(kv.at("A") == "2");
  CHECK(kv.at("B") == "x=y");
  CHECK(kv.at("C").empty());
}

TEST_CASE("usedPercentLikeDf rounds up like df") {
  CHECK(platform::usedPercentLikeDf(47476449280, 52225691648) == 48);  // 47.6 %
  CHECK(platform::usedPercentLikeDf(50, 50) == 50);
  CHECK(platform::usedPercentLikeDf(1, 999) == 1);
  CHECK(platform::usedPercentLikeDf(0, 100) == 0);
  CHECK(platform::usedPercentLikeDf(0, 0) == 0);
  CHECK(platform::usedPercentLikeDf(100, 0) == 100);
  CHECK(platform::usedPercentLikeDf(UINT64_MAX / 2, UINT64_MAX / 2) == 50);  // no overflow
}

TEST_CASE("parseDfOutput") {
  SECTION("a plain line") {
    auto du = platform::parseDfOutput(
        std::string(kDfHeader) + "/dev/vda1      105089261568 47476449280 52225691648      48% /\n");
    REQUIRE(du.ok());
    CHECK(du->mount == "/");
    CHECK(du->total_bytes == 105089261568ULL);
    CHECK(du->used_bytes == 47476449280ULL);
    CHECK(du->avail_bytes == 52225691648ULL);
    CHECK(du->used_percent == 48);
  }
  SECTION("spaces in the file system and the mount point") {
    auto du = platform::parseDfOutput(std::string(kDfHeader) +
                                      "my share 2024 1000 600 400 60% /mnt/my disk 2\n");
    REQUIRE(du.ok());
    CHECK(du->mount == "/mnt/my disk 2");
    CHECK(du->total_bytes == 1000);
    CHECK(du->used_percent == 60);
  }
  SECTION("a size-0 file system shows '-' as capacity") {
    auto du = platform::parseDfOutput(std::string(kDfHeader) + "proc 0 0 0 - /proc\n");
    REQUIRE(du.ok());
    CHECK(du->mount == "/proc");
    CHECK(du->used_percent == 0);
  }
  SECTION("garbage") {
    for (std::string bad : {std::string(""), std::string(kDfHeader),
                            std::string(kDfHeader) + "/dev/x a b c 5% /\n",
                            std::string(kDfHeader) + "/dev/x 1 2 3 5%\n",
                            std::string(kDfHeader) + "/dev/x 1 2 3 5% /\n/dev/y 1 2 3 5% /y\n"}) {
      INFO(bad);
      auto du = platform::parseDfOutput(bad);
      REQUIRE_FALSE(du.ok());
      CHECK(du.error().code == LiveErrc::ParseFailed);
    }
  }
}

TEST_CASE("ToolLiveState: unitState runs systemctl show and parses it") {
  FakeCommandRunner runner;
  runner.scriptOutput("systemctl", "LoadState=loaded\nActiveState=active\nUnitFileState=enabled\n");
  ToolLiveState live(runner, 7s);
  auto st = live.unitState("sshd.service");
  REQUIRE(st.ok());
  CHECK(st->loaded);
  CHECK(st->load_state == "loaded");
  CHECK(st->active_state == "active");
  CHECK(st->unit_file_state == "enabled");
  REQUIRE(runner.calls().size() == 1);
  CHECK(runner.calls()[0].argv == std::vector<std::string>{"systemctl", "show",
                                                           "--property=LoadState,ActiveState,UnitFileState",
                                                           "--", "sshd.service"});
  CHECK(runner.calls()[0].timeout == 7s);
}

TEST_CASE("ToolLiveState: unitState results and failures") {
  FakeCommandRunner runner;
  ToolLiveState live(runner, 5s);
  SECTION("an unknown unit is a value, not an error") {
    runner.scriptOutput("systemctl", "LoadState=not-found\nActiveState=inactive\nUnitFileState=\n");
    auto st = live.unitState("nope.service");
    REQUIRE(st.ok());
    CHECK_FALSE(st->loaded);
    CHECK(st->load_state == "not-found");
    CHECK(st->unit_file_state.empty());
  }
  SECTION("masked") {
    runner.scriptOutput("systemctl", "LoadState=masked\nActiveState=inactive\nUnitFileState=masked\n");
    auto st = live.unitState("x.service");
    REQUIRE(st.ok());
    CHECK_FALSE(st->loaded);
    CHECK(st->unit_file_state == "masked");
  }
  SECTION("systemctl fails") {
    runner.scriptOutput("systemctl", "", 1, "Failed to connect to bus: No such file or directory\n");
    auto st = live.unitState("x.service");
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().code == LiveErrc::ToolFailed);
    CHECK_THAT(st.error().message, Catch::Contains("status 1") && Catch::Contains("Failed to connect"));
  }
  SECTION("systemctl times out") {
    auto r = exited(-1, "");
    r.timed_out = true;
    r.term_signal = 9;
    r.elapsed = 5000ms;
    runner.script("systemctl", r);
    auto st = live.unitState("x.service");
    CHECK(st.error().code == LiveErrc::ToolFailed);
    CHECK_THAT(st.error().message, Catch::Contains("timed out"));
  }
  SECTION("systemctl is missing") {
    runner.scriptError("systemctl", platform::CommandErrc::ToolMissing, "tool 'systemctl' (/x): gone");
    auto st = live.unitState("x.service");
    CHECK(st.error().code == LiveErrc::ToolUnavailable);
    CHECK_THAT(st.error().message, Catch::Contains("/x"));
  }
  SECTION("unexpected output") {
    runner.scriptOutput("systemctl", "ActiveState=active\n");
    CHECK(live.unitState("x.service").error().code == LiveErrc::ParseFailed);
  }
}

TEST_CASE("ToolLiveState: timeSync") {
  FakeCommandRunner runner;
  ToolLiveState live(runner, 5s);
  runner.scriptOutput("timedatectl", "NTPSynchronized=yes\nNTP=no\n");
  auto ts = live.timeSync();
  REQUIRE(ts.ok());
  CHECK(ts->synchronized);
  CHECK_FALSE(ts->ntp_enabled);
  CHECK(runner.calls()[0].argv ==
        std::vector<std::string>{"timedatectl", "show", "--property=NTPSynchronized,NTP"});

  FakeCommandRunner bad;
  ToolLiveState live_bad(bad, 5s);
  bad.scriptOutput("timedatectl", "NTPSynchronized=maybe\nNTP=yes\n");
  CHECK(live_bad.timeSync().error().code == LiveErrc::ParseFailed);
  bad.scriptOutput("timedatectl", "NTP=yes\n");
  CHECK(live_bad.timeSync().error().code == LiveErrc::ParseFailed);
}

TEST_CASE("ToolLiveState: diskUsage") {
  FakeCommandRunner runner;
  ToolLiveState live(runner, 5s);
  runner.scriptOutput("df", std::string(kDfHeader) + "/dev/vda1 1000 250 750 25% /var\n");
  runner.scriptOutput("df", "", 1, "df: /nope: No such file or directory\n");
  auto du = live.diskUsage("/var/log");
  REQUIRE(du.ok());
  CHECK(du->mount == "/var");
  CHECK(du->used_percent == 25);
  CHECK(runner.calls()[0].argv == std::vector<std::string>{"df", "-P", "-B1", "--", "/var/log"});
  CHECK(live.diskUsage("/nope").error().code == LiveErrc::NotFound);
}

TEST_CASE("ToolLiveState: against stub systemctl, timedatectl and df programs") {
  testsupport::TempDir dir("live");
  const std::string systemctl = platformtest::writeStub(dir, "systemctl", R"(
[ "$1" = show ] && [ "$2" = --property=LoadState,ActiveState,UnitFileState ] && [ "$3" = -- ] || { echo "bad args: $*" >&2; exit 2; }
case "$4" in
  sshd.service) printf 'LoadState=loaded\nActiveState=active\nUnitFileState=enabled\n' ;;
  chronyd.service) printf 'LoadState=loaded\nActiveState=failed\nUnitFileState=disabled\n' ;;
  *) printf 'LoadState=not-found\nActiveState=inactive\nUnitFileState=\n' ;;
esac
)");
  const std::string timedatectl = platformtest::writeStub(dir, "timedatectl", R"(
[ "$1" = show ] && [ "$2" = --property=NTPSynchronized,NTP ] || exit 2
printf 'NTPSynchronized=no\nNTP=yes\n'
)");
  const std::string df = platformtest::writeStub(dir, "df", R"(
[ "$1" = -P ] && [ "$2" = -B1 ] && [ "$3" = -- ] || exit 2
[ "$4" = /srv ] || { echo "df: $4: No such file or directory" >&2; exit 1; }
echo 'Filesystem     1-blocks      Used Available Capacity Mounted on'
echo '/dev/vdb1     2000000000 1900000000 100000000      95% /srv'
)");
  core::SystemClock clock;
  platform::SpawnCommandRunner runner(
      {{"systemctl", systemctl}, {"timedatectl", timedatectl}, {"df", df}}, clock);
  ToolLiveState live(runner, 10s);

  auto sshd = live.unitState("sshd.service");
  REQUIRE(sshd.ok());
  CHECK(sshd->active_state == "active");
  CHECK(sshd->unit_file_state == "enabled");
  CHECK(live.unitState("chronyd.service")->active_state == "failed");
  CHECK_FALSE(live.unitState("other.service")->loaded);

  auto ts = live.timeSync();
  REQUIRE(ts.ok());
  CHECK_FALSE(ts->synchronized);
  CHECK(ts->ntp_enabled);

  auto du = live.diskUsage("/srv");
  REQUIRE(du.ok());
  CHECK(du->mount == "/srv");
  CHECK(du->used_percent == 95);
  CHECK(live.diskUsage("/elsewhere").error().code == LiveErrc::NotFound);
}

TEST_CASE("ToolLiveState: the real df on /") {
  const std::string df = platformtest::firstExisting({"/usr/bin/df", "/bin/df"});
  if (df.empty()) {
    WARN("no df on this machine: skipped");
    return;
  }
  core::SystemClock clock;
  platform::SpawnCommandRunner runner({{"df", df}}, clock);
  ToolLiveState live(runner, 10s);
  auto du = live.diskUsage("/");
  INFO((du.ok() ? std::string() : du.error().message));
  REQUIRE(du.ok());
  CHECK(du->mount == "/");
  CHECK(du->total_bytes > 0);
  CHECK(du->used_percent >= 0);
  CHECK(du->used_percent <= 100);
}

TEST_CASE("makeLiveState follows live_state and host_root") {
  FakeCommandRunner runner;
  runner.scriptOutput("timedatectl", "NTPSynchronized=yes\nNTP=yes\n");

  SECTION("auto with an image root: not queried, with the reason") {
    auto live = platform::makeLiveState(LiveStateMode::Auto, "/srv/image", runner, 5s);
    auto ts = live->timeSync();
    REQUIRE_FALSE(ts.ok());
    CHECK(ts.error().code == LiveErrc::NotQueried);
    CHECK_THAT(ts.error().message, Catch::Contains("host_root is not /") &&
                                       Catch::Contains("live_state: auto"));
    CHECK(live->unitState("sshd.service").error().code == LiveErrc::NotQueried);
    CHECK(live->diskUsage("/").error().code == LiveErrc::NotQueried);
    CHECK(runner.calls().empty());
  }
  SECTION("auto with / : queried") {
    auto live = platform::makeLiveState(LiveStateMode::Auto, "/", runner, 5s);
    CHECK(live->timeSync().ok());
    CHECK(runner.calls().size() == 1);
  }
  SECTION("on: queried whatever the root") {
    auto live = platform::makeLiveState(LiveStateMode::On, "/srv/image", runner, 5s);
    CHECK(live->timeSync().ok());
    CHECK(runner.calls().size() == 1);
  }
  SECTION("off: never") {
    auto live = platform::makeLiveState(LiveStateMode::Off, "/", runner, 5s);
    auto ts = live->timeSync();
    CHECK(ts.error().code == LiveErrc::NotQueried);
    CHECK_THAT(ts.error().message, Catch::Contains("live_state: off"));
    CHECK(runner.calls().empty());
  }
}

TEST_CASE("liveStateQueried and parseLiveStateMode") {
  for (const char* root : {"/", "//", "/.", "/./", "/./."}) {
    INFO(root);
    CHECK(platform::liveStateQueried(LiveStateMode::Auto, root));
  }
  for (const char* root : {"", ".", "/srv", "/srv/..", "relative", "/./x"}) {
    INFO(root);
    CHECK_FALSE(platform::liveStateQueried(LiveStateMode::Auto, root));
    CHECK(platform::liveStateQueried(LiveStateMode::On, root));
    CHECK_FALSE(platform::liveStateQueried(LiveStateMode::Off, root));
  }
  CHECK(platform::parseLiveStateMode("auto") == LiveStateMode::Auto);
  CHECK(platform::parseLiveStateMode("on") == LiveStateMode::On);
  CHECK(platform::parseLiveStateMode("off") == LiveStateMode::Off);
  CHECK_FALSE(platform::parseLiveStateMode("yes").has_value());
  CHECK_FALSE(platform::parseLiveStateMode("Auto").has_value());
  CHECK(std::string(platform::liveStateModeName(LiveStateMode::On)) == "on");
}
