#include "check_fixture.h"

using checks::Status;
using testsupport::CheckFixture;
using testsupport::oneCheck;

TEST_CASE("all / any / none combine sub-probes, and the target is the check id") {
  CheckFixture fx;
  fx.write("etc/a", "x");
  const std::string yes = "{type: file_exists, path: /etc/a}";
  const std::string no = "{type: file_exists, path: /etc/b}";
  auto run = [&](const std::string& kind, const std::string& a, const std::string& b) {
    return fx.runOne(oneCheck("{type: " + kind + ", probes: [" + a + ", " + b + "]}"));
  };
  CHECK(run("all", yes, yes).status == Status::Compliant);
  CHECK(run("all", yes, no).status == Status::Drifted);
  CHECK(run("any", no, yes).status == Status::Compliant);
  CHECK(run("any", no, no).status == Status::Drifted);
  CHECK(run("none", no, no).status == Status::Compliant);
  auto f = run("none", no, yes);
  CHECK(f.status == Status::Drifted);
  CHECK(f.target == "T-1");
  CHECK(f.actual == "1 of 2 pass");
}

TEST_CASE("applies_if gates a check, and platform and disabled checks are not_applicable") {
  CheckFixture fx;
  fx.write("etc/shadow", "x", 0666);
  auto f = fx.runOne(oneCheck("{type: file_mode, path: /etc/shadow, max_mode: \"0640\"}",
                              "    applies_if: {type: file_exists, path: /etc/ssh/sshd_config}\n"));
  CHECK(f.status == Status::NotApplicable);
  CHECK(f.target == "/etc/shadow");
  CHECK(f.details["reason"].find("applies_if") != std::string::npos);

  const std::string nixos_only = "checks:\n  - id: N-1\n    title: t\n    platforms: [nixos]\n    severity: low\n"
                                 "    hipaa: [x]\n    probe: {type: nixos_generation}\n";
  checks::RunOptions linux;
  linux.platform = rules::Platform::Linux;
  auto n = fx.run(nixos_only, linux);
  REQUIRE(n.size() == 1);
  CHECK(n[0].status == Status::NotApplicable);
  CHECK(n[0].target == "system");

  checks::RunOptions disabled;
  disabled.disabled = {"T-1"};
  auto d = fx.run(oneCheck("{type: file_mode, path: /etc/shadow, max_mode: \"0640\"}"), disabled);
  CHECK(d[0].status == Status::NotApplicable);
  CHECK(d[0].details["reason"].find("disabled") != std::string::npos);
}

TEST_CASE("waivers: an active waiver turns drift into waived, an expired one no longer applies") {
  CheckFixture fx;
  fx.write("etc/shadow", "x", 0666);
  fx.clock.setWall(std::chrono::sys_days(std::chrono::year{2027} / 3 / 31) + std::chrono::hours(23));
  const std::string base = oneCheck("{type: file_mode, path: /etc/shadow, max_mode: \"0640\"}");
  const std::string waiver = "waivers:\n  - {check_id: T-1, target: \"*\", reason: vendor, approved_by: j.doe, expires: 2027-03-31}\n";
  auto f = fx.runOne(base + waiver);
  CHECK(f.status == Status::Waived);
  CHECK(f.details["waiver_reason"] == "vendor");
  CHECK(f.details["waiver_expires"] == "2027-03-31");
  fx.clock.advance(std::chrono::hours(2));  // 2027-04-01 01:00
  f = fx.runOne(base + waiver);
  CHECK(f.status == Status::Drifted);
  CHECK(f.details["expired_waiver"].find("2027-03-31") != std::string::npos);
  const std::string other_target = "waivers:\n  - {check_id: T-1, target: /etc/other, reason: r, approved_by: a, expires: 2099-01-01}\n";
  CHECK(fx.runOne(base + other_target).status == Status::Drifted);
}

TEST_CASE("only_check runs one check") {
  CheckFixture fx;
  const std::string two = "checks:\n"
                          "  - {id: A-1, title: a, severity: low, hipaa: [x], probe: {type: file_exists, path: /etc/passwd}}\n"
                          "  - {id: B-1, title: b, severity: low, hipaa: [x], probe: {type: file_exists, path: /etc/group}}\n";
  checks::RunOptions only;
  only.only_check = "B-1";
  auto f = fx.run(two, only);
  REQUIRE(f.size() == 1);
  CHECK(f[0].check_id == "B-1");
}
