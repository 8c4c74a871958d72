#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "core/clock.h"
#include "platform/spawn_command_runner.h"
#include "support/temp_dir.h"
#include "unit/platform/stub_tools.h"

using platform::CommandErrc;
using platform::CommandSpec;
using platform::SpawnCommandRunner;
using platformtest::writeStub;
using namespace std::chrono_literals;

namespace {

CommandSpec spec(std::vector<std::string> argv, std::chrono::milliseconds timeout = 10s) {
  CommandSpec s;
  s.argv = std::move(argv);
  s.timeout = timeout;
  return s;
}

const std::string kCat = platformtest::firstExisting({"/bin/cat", "/usr/bin/cat"});
const std::string kLs = platformtest::firstExisting({"/bin/ls", "/usr/bin/ls"});
const std::string kTrue = platformtest::firstExisting({"/bin/true", "/usr/bin/true"});
const std::string kEnv = platformtest::firstExisting({"/usr/bin/env", "/bin/env"});

}  // namespace

TEST_CASE("CommandRunner: argv is passed verbatim, without a shell") {
  testsupport::TempDir dir("runner");
  core::SystemClock clock;
  SpawnCommandRunner runner({{"args", writeStub(dir, "args", R"(for a in "$@"; do printf '[%s]\n' "$a"; done)")}},
                            clock);
  auto r = runner.run(spec({"args", "a b", "x;y", "$HOME", "'q'", "", "*", "-n", "$(id)", "`id`"}));
  REQUIRE(r.ok());
  CHECK(r->out == "[a b]\n[x;y]\n[$HOME]\n['q']\n[]\n[*]\n[-n]\n[$(id)]\n[`id`]\n");
  CHECK(r->exit_code == 0);
  CHECK(r->succeeded());
}

TEST_CASE("CommandRunner: exit code, stdout and stderr are separate") {
  testsupport::TempDir dir("runner");
  core::SystemClock clock;
  SpawnCommandRunner runner({{"t", writeStub(dir, "t", "echo out-text\necho err-text >&2\nexit 7\n")}},
                            clock);
  auto r = runner.run(spec({"t"}));
  REQUIRE(r.ok());
  CHECK(r->exit_code == 7);
  CHECK(r->term_signal == 0);
  CHECK_FALSE(r->timed_out);
  CHECK_FALSE(r->succeeded());
  CHECK(r->out == "out-text\n");
  CHECK(r->err == "err-text\n");
  CHECK(r->elapsed < 10s);
}

TEST_CASE("CommandRunner: a command killed by a signal reports it") {
  testsupport::TempDir dir("runner");
  core::SystemClock clock;
  SpawnCommandRunner runner({{"t", writeStub(dir, "t", "kill -TERM $$\nsleep 5\n")}}, clock);
  auto r = runner.run(spec({"t"}));
  REQUIRE(r.ok());
  CHECK(r->term_signal == SIGTERM);
  CHECK(r->exit_code == -1);
  CHECK_FALSE(r->timed_out);
}

TEST_CASE("CommandRunner: output is capped per stream, the excess drained") {
  testsupport::TempDir dir("runner");
  core::SystemClock clock;
  SpawnCommandRunner runner(
      {{"big", writeStub(dir, "big", "head -c 300000 /dev/zero\nhead -c 10 /dev/zero >&2\nexit 0\n")},
       {"both", writeStub(dir, "both",
                          "i=0\nwhile [ $i -lt 50 ]; do head -c 8000 /dev/zero; head -c 8000 /dev/zero >&2; "
                          "i=$((i+1)); done\n")}},
      clock);
  auto s = spec({"big"});
  s.max_output_bytes = 1000;
  auto r = runner.run(s);
  REQUIRE(r.ok());
  CHECK(r->exit_code == 0);  // it was never blocked on a full pipe
  CHECK(r->out.size() == 1000);
  CHECK(r->out_truncated);
  CHECK(r->err.size() == 10);
  CHECK_FALSE(r->err_truncated);

  // Both streams busy at once, under the default cap: nothing lost, no deadlock.
  auto both = runner.run(spec({"both"}));
  REQUIRE(both.ok());
  CHECK(both->out.size() == 400000);
  CHECK(both->err.size() == 400000);
  CHECK_FALSE(both->out_truncated);
}

TEST_CASE("CommandRunner: the environment is exactly LANG=C and LC_ALL=C") {
  REQUIRE_FALSE(kEnv.empty());
  ::setenv("CA_TEST_SECRET", "must-not-leak", 1);
  core::SystemClock clock;
  SpawnCommandRunner runner({{"env", kEnv}}, clock);
  auto r = runner.run(spec({"env"}));
  ::unsetenv("CA_TEST_SECRET");
  REQUIRE(r.ok());
  CHECK(r->out == "LANG=C\nLC_ALL=C\n");
}

TEST_CASE("CommandRunner: inherited descriptors are closed, input_fd is descriptor 3") {
  REQUIRE_FALSE(kLs.empty());
  testsupport::TempDir dir("runner");
  const auto marker = dir.write("leak-marker", "candidate\n");
  // Deliberately without close-on-exec, and far from 0..3: the runner must close it anyway.
  const int opened = ::open(marker.c_str(), O_RDONLY);
  REQUIRE(opened >= 0);
  const int leaky = ::fcntl(opened, F_DUPFD, 50);
  ::close(opened);
  REQUIRE(leaky >= 50);
  core::SystemClock clock;
  SpawnCommandRunner runner({{"ls", kLs}, {"cat", kCat}}, clock);

  auto r = runner.run(spec({"ls", "-l", "/proc/self/fd/"}));
  REQUIRE(r.ok());
  INFO(r->out);
  CHECK(r->out.find("leak-marker") == std::string::npos);
  // 0, 1, 2 and the directory ls itself opened: nothing else.
  CHECK(r->out.find(" 4 -> ") == std::string::npos);
  CHECK(r->out.find(" " + std::to_string(leaky) + " -> ") == std::string::npos);

  auto with_input = spec({"ls", "-l", "/proc/self/fd/"});
  with_input.input_fd = leaky;
  auto r3 = runner.run(with_input);
  REQUIRE(r3.ok());
  CHECK(r3->out.find(" 3 -> " + marker.string()) != std::string::npos);

  // A validator reads the candidate as /dev/fd/3.
  auto cat = spec({"cat", "/dev/fd/3"});
  cat.input_fd = leaky;
  auto r4 = runner.run(cat);
  REQUIRE(r4.ok());
  CHECK(r4->out == "candidate\n");
  CHECK(::fcntl(leaky, F_GETFD) >= 0);  // the caller's descriptor is still its own
  ::close(leaky);

  auto bad = spec({"cat", "/dev/fd/3"});
  bad.input_fd = 987;
  CHECK(runner.run(bad).error().code == CommandErrc::InvalidSpec);
}

TEST_CASE("CommandRunner: each command runs in its own process group") {
  testsupport::TempDir dir("runner");
  core::SystemClock clock;
  SpawnCommandRunner runner(
      {{"pg", writeStub(dir, "pg", "echo $$\ncut -d' ' -f5 /proc/$$/stat\n")}}, clock);
  auto r = runner.run(spec({"pg"}));
  REQUIRE(r.ok());
  const auto nl = r->out.find('\n');
  REQUIRE(nl != std::string::npos);
  const std::string pid = r->out.substr(0, nl);
  CHECK(r->out.substr(nl + 1) == pid + "\n");
  CHECK(std::to_string(::getpgrp()) != pid);
}

TEST_CASE("CommandRunner: at the timeout the whole process group is killed") {
  testsupport::TempDir dir("runner");
  core::SystemClock clock;
  const auto pid_file = dir.path() / "child.pid";
  SpawnCommandRunner runner(
      {{"hang", writeStub(dir, "hang", "sleep 1000 &\necho $! > \"$1\"\necho started\nsleep 1000\n")}},
      clock);
  auto r = runner.run(spec({"hang", pid_file.string()}, 500ms));
  REQUIRE(r.ok());
  CHECK(r->timed_out);
  CHECK(r->term_signal == SIGKILL);
  CHECK(r->exit_code == -1);
  CHECK(r->out == "started\n");
  CHECK(r->elapsed >= 500ms);
  CHECK(r->elapsed < 5s);

  std::ifstream in(pid_file);
  pid_t child = 0;
  in >> child;
  REQUIRE(child > 0);
  CHECK(platformtest::processGone(child));
}

TEST_CASE("CommandRunner: what a command leaves running is killed when it exits") {
  testsupport::TempDir dir("runner");
  core::SystemClock clock;
  SpawnCommandRunner runner(
      {{"bg", writeStub(dir, "bg", "sleep 1000 &\necho $!\nexit 3\n")}}, clock);
  auto r = runner.run(spec({"bg"}, 20s));
  REQUIRE(r.ok());
  CHECK(r->exit_code == 3);
  CHECK_FALSE(r->timed_out);
  CHECK(r->elapsed < 10s);  // not held until the timeout by the child's copy of stdout
  const pid_t child = std::atoi(r->out.c_str());
  REQUIRE(child > 0);
  CHECK(platformtest::processGone(child));
}

TEST_CASE("CommandRunner: stdin is fed, then closed") {
  REQUIRE_FALSE(kCat.empty());
  core::SystemClock clock;
  SpawnCommandRunner runner({{"cat", kCat}, {"true", kTrue}}, clock);
  std::string data;
  for (int i = 0; i < 300000; ++i) data += static_cast<char>(i * 7);  // every byte value, NULs too
  auto s = spec({"cat"});
  s.stdin_data = data;
  auto r = runner.run(s);
  REQUIRE(r.ok());
  CHECK(r->out.size() == data.size());
  CHECK(r->out == data);

  // No stdin_data: EOF at once (cat would otherwise wait until the timeout).
  auto empty = runner.run(spec({"cat"}, 5s));
  REQUIRE(empty.ok());
  CHECK_FALSE(empty->timed_out);
  CHECK(empty->out.empty());

  // A command that never reads its stdin: no SIGPIPE reaches (or stays pending in) the agent.
  auto unread = spec({"true"});
  unread.stdin_data = std::string(4 << 20, 'x');
  auto t = runner.run(unread);
  REQUIRE(t.ok());
  CHECK(t->exit_code == 0);
  sigset_t pending;
  sigpending(&pending);
  CHECK(sigismember(&pending, SIGPIPE) == 0);
}

TEST_CASE("CommandRunner: tool errors") {
  testsupport::TempDir dir("runner");
  const auto not_exec = dir.write("bin/not-exec", "#!/bin/sh\n");
  ::chmod(not_exec.c_str(), 0644);
  core::SystemClock clock;
  SpawnCommandRunner runner({{"relative", "bin/sh"},
                             {"empty", ""},
                             {"missing", (dir.path() / "nope").string()},
                             {"dir", dir.path().string()},
                             {"not-exec", not_exec.string()}},
                            clock);
  CHECK(runner.run(spec({"unknown"})).error().code == CommandErrc::UnknownTool);
  CHECK(runner.run(spec({"/bin/sh"})).error().code == CommandErrc::UnknownTool);  // never a path
  CHECK(runner.run(spec({"relative"})).error().code == CommandErrc::BadToolPath);
  CHECK(runner.run(spec({"empty"})).error().code == CommandErrc::BadToolPath);
  CHECK(runner.run(spec({"missing"})).error().code == CommandErrc::ToolMissing);
  CHECK(runner.run(spec({"dir"})).error().code == CommandErrc::ToolMissing);
  CHECK(runner.run(spec({"not-exec"})).error().code == CommandErrc::ToolMissing);
  auto missing = runner.run(spec({"missing"}));
  CHECK_THAT(missing.error().message, Catch::Contains("missing") && Catch::Contains("nope"));

  CHECK(runner.run(spec({})).error().code == CommandErrc::InvalidSpec);
  CHECK(runner.run(spec({"missing"}, 0ms)).error().code == CommandErrc::InvalidSpec);
  CHECK(runner.run(spec({"missing", std::string("a\0b", 3)})).error().code ==
        CommandErrc::InvalidSpec);
}

TEST_CASE("CommandRunner: tools are resolved when used, not at construction") {
  testsupport::TempDir dir("runner");
  core::SystemClock clock;
  const auto later = (dir.path() / "bin/later").string();
  SpawnCommandRunner runner({{"later", later}, {"gone", "/nonexistent/tool"}}, clock);
  CHECK(runner.run(spec({"later"})).error().code == CommandErrc::ToolMissing);
  writeStub(dir, "later", "echo here\n");
  auto r = runner.run(spec({"later"}));
  REQUIRE(r.ok());
  CHECK(r->out == "here\n");
  CHECK(runner.toolPath("later").valueOr("") == later);
  CHECK(runner.toolPath("gone").error().code == CommandErrc::ToolMissing);
}
