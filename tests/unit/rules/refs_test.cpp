// A check's `refs:` (the benchmark rules it implements): parsed into Check::refs, validated
// strictly (known keys, charset, length, quoted CIS sections), each error with file:line:col.
#include <catch2/catch.hpp>

#include "rules_test_util.h"

using namespace rules;
using rulestest::has;
using rulestest::loadErr;
using rulestest::loadOk;

namespace {

std::string withRefs(const std::string& refs) {
  return "checks:\n"
         "  - id: C-1\n"
         "    title: t\n"
         "    severity: low\n"
         "    refs: " + refs + "\n"
         "    probe: {type: time_sync}\n";
}

}  // namespace

TEST_CASE("refs: ssg, cis and stig are read into the check") {
  auto set = loadOk(withRefs(R"({ssg: sshd_disable_root_login, cis: "5.1.20", stig: SV-230296r1017207_rule})"));
  const CheckRefs& r = set.checks.at(0).refs;
  CHECK(r.ssg == std::vector<std::string>{"sshd_disable_root_login"});
  CHECK(r.cis == "5.1.20");
  CHECK(r.stig == "SV-230296r1017207_rule");
  CHECK_FALSE(r.empty());

  auto one = loadOk(withRefs("{ssg: accounts_no_uid_except_zero}"));
  CHECK(one.checks.at(0).refs.ssg == std::vector<std::string>{"accounts_no_uid_except_zero"});
  CHECK(one.checks.at(0).refs.cis.empty());

  // Block style, and a CIS section of three or more parts needs no quotes (it is no number).
  auto block = loadOk("checks:\n  - id: C-1\n    title: t\n    severity: low\n    refs:\n"
                      "      ssg: sshd_set_max_auth_tries\n      cis: 5.1.16\n    probe: {type: time_sync}\n");
  CHECK(block.checks.at(0).refs.cis == "5.1.16");
}

TEST_CASE("refs: ssg takes a list when the check covers several rules") {
  auto set = loadOk(withRefs("{ssg: [file_owner_etc_shadow, file_groupowner_etc_shadow], cis: \"7.1.5\"}"));
  CHECK(set.checks.at(0).refs.ssg == std::vector<std::string>{"file_owner_etc_shadow", "file_groupowner_etc_shadow"});

  const std::string twice = loadErr(withRefs("{ssg: [file_owner_etc_shadow, file_owner_etc_shadow]}"));
  INFO(twice);
  CHECK(has(twice, "checks[0].refs.ssg[1]: (C-1) SSG rule 'file_owner_etc_shadow' is listed twice"));
  const std::string bad = loadErr(withRefs("{ssg: [file_owner_etc_shadow, File]}"));
  INFO(bad);
  CHECK(has(bad, "checks[0].refs.ssg[1]: (C-1) invalid SSG rule id 'File'"));
  const std::string empty = loadErr(withRefs("{ssg: []}"));
  INFO(empty);
  CHECK(has(empty, "checks[0].refs.ssg: (C-1) must not be empty"));
}

TEST_CASE("refs: absent means empty") {
  auto set = loadOk("checks:\n  - {id: C-1, title: t, severity: low, probe: {type: time_sync}}\n");
  CHECK(set.checks.at(0).refs.empty());
}

TEST_CASE("refs: an unknown key names file, line, field and a suggestion") {
  const std::string out = loadErr(withRefs("{ssgg: sshd_disable_root_login}"), "rules/linux/ssh.yaml");
  INFO(out);
  CHECK(has(out, "rules/linux/ssh.yaml:5:"));
  CHECK(has(out, "checks[0].refs.ssgg: (C-1) unknown key (did you mean 'ssg'?)"));

  const std::string top = loadErr("checks:\n  - {id: C-1, title: t, severity: low, ref: {ssg: x}, probe: {type: time_sync}}\n");
  INFO(top);
  CHECK(has(top, "checks[0].ref: (C-1) unknown key (did you mean 'refs'?)"));
}

TEST_CASE("refs: values are checked for charset, length and YAML numbers") {
  auto bad = [](const std::string& refs, const std::string& expect) {
    const std::string out = loadErr(withRefs(refs));
    INFO(refs << "\n" << out);
    CHECK(has(out, expect));
  };
  bad("{ssg: Sshd_Disable_Root_Login}", "checks[0].refs.ssg: (C-1) invalid SSG rule id 'Sshd_Disable_Root_Login'");
  bad("{ssg: \"sshd disable\"}", "checks[0].refs.ssg: (C-1) invalid SSG rule id");
  bad("{ssg: \"xccdf_org.ssgproject.content_rule_sshd_disable_root_login\"}", "invalid SSG rule id");
  bad("{ssg: " + std::string(129, 'a') + "}", "invalid SSG rule id");
  bad("{ssg: \"\"}", "checks[0].refs.ssg: (C-1) must not be empty");
  bad("{cis: \"5..2\"}", "checks[0].refs.cis: (C-1) invalid CIS section '5..2'");
  bad("{cis: \"v5.2\"}", "invalid CIS section 'v5.2'");
  bad("{cis: 5.10}", "checks[0].refs.cis: (C-1) '5.10' reads as a number in YAML; quote it: \"5.10\"");
  bad("{cis: 5}", "'5' reads as a number in YAML");
  bad("{stig: \"-V-1\"}", "checks[0].refs.stig: (C-1) invalid STIG id '-V-1'");
  bad("{stig: \"V 1\"}", "invalid STIG id");
  bad("{ssg: {a: b}}", "checks[0].refs.ssg: (C-1) expected a string, got a map");
  bad("{}", "checks[0].refs.ssg: (C-1) refs must name at least one of ssg, cis, stig");
  bad("sshd_disable_root_login", "checks[0].refs: (C-1) expected a map");
  // A quoted number is a string, as the message asks.
  CHECK(loadOk(withRefs("{cis: \"5\"}")).checks.at(0).refs.cis == "5");
}

TEST_CASE("refs: JSON rule files") {
  auto set = loadOk(R"({"checks": [{"id": "C-1", "title": "t", "severity": "low",
                       "refs": {"ssg": "file_owner_etc_passwd", "cis": "7.1.1"},
                       "probe": {"type": "time_sync"}}]})",
                    "r.json");
  CHECK(set.checks.at(0).refs.ssg == std::vector<std::string>{"file_owner_etc_passwd"});
  CHECK(set.checks.at(0).refs.cis == "7.1.1");
}
