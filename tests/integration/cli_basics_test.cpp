#include <catch2/catch.hpp>

#include "support/run_process.h"

using testsupport::runAgent;

TEST_CASE("version prints the agent version on stdout and exits 0") {
  auto r = runAgent({"version"});
  CHECK(r.exit_code == 0);
  CHECK(r.out.rfind("compliance-agent ", 0) == 0);
  CHECK(r.err.empty());
}

TEST_CASE("version and the version flag print the same line, and the log level takes warning as the logs print it") {
  auto flag = runAgent({"--version"});
  CHECK(flag.exit_code == 0);
  CHECK(flag.out == runAgent({"version"}).out);
  auto warning = runAgent({"config", "show", "--log-level", "warning"});
  CHECK(warning.exit_code == 0);
  CHECK(warning.out.find("log_level                     warn") != std::string::npos);
  CHECK(runAgent({"config", "show", "--log-level", "loud"}).exit_code == 2);
}

TEST_CASE("version --json prints one JSON document") {
  auto r = runAgent({"version", "--json"});
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("{\"version\": ") == 0);
  auto r2 = runAgent({"--json", "version"});
  CHECK(r2.out == r.out);
}

TEST_CASE("usage errors exit 2 and write nothing on stdout") {
  auto r = runAgent({"no-such-command"});
  CHECK(r.exit_code == 2);
  CHECK(r.out.empty());
  CHECK_FALSE(r.err.empty());
  auto r2 = runAgent({});
  CHECK(r2.exit_code == 2);
  auto r3 = runAgent({"version", "--dry-run", "--live"});
  CHECK(r3.exit_code == 2);
}
