#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

#include "checks/config_formats.h"
#include "healing/file_edits.h"
#include "healing/unified_diff.h"

using rules::ConfigFormat;

namespace {

std::string readBack(ConfigFormat f, std::string_view text, const std::string& key, const std::string& section) {
  const auto v = checks::findConfigValue(f, checks::parseConfig(f, text, section), key);
  return v ? v->value : "(absent)";
}

struct EditCase {
  const char* name;
  ConfigFormat format;
  std::string text;
  std::string key;
  std::string value;
  std::string expected;
  std::string section = "";
};

// Every successful edit: exact output, read back by the probe's reader, idempotent.
void checkEdits(const std::vector<EditCase>& cases) {
  for (const auto& c : cases) {
    INFO(rules::toString(c.format) << ": " << c.name);
    const auto once = healing::setConfigValue(c.format, c.text, c.key, c.value, c.section);
    if (!once.ok()) FAIL("refused: " << once.error());
    CHECK(*once == c.expected);
    CHECK(readBack(c.format, *once, c.key, c.section) == c.value);
    const auto twice = healing::setConfigValue(c.format, *once, c.key, c.value, c.section);
    REQUIRE(twice.ok());
    CHECK(*twice == *once);
  }
}

}  // namespace

TEST_CASE("setConfigValue: sshd") {
  const ConfigFormat F = ConfigFormat::Sshd;
  checkEdits({
      {"the key only commented out: inserted before Match, after the last global line", F,
       "#PermitRootLogin yes\nPort 22\n\n# backups\nMatch User backup\n  PermitRootLogin yes\n", "PermitRootLogin", "no",
       "#PermitRootLogin yes\nPort 22\nPermitRootLogin no\n\n# backups\nMatch User backup\n  PermitRootLogin yes\n"},
      {"lowercase spelling kept", F, "Port 22\npermitrootlogin yes\n", "PermitRootLogin", "no",
       "Port 22\npermitrootlogin no\n"},
      {"Key=value style kept", F, "PermitRootLogin=yes\n", "PermitRootLogin", "no", "PermitRootLogin=no\n"},
      {"Key = value style kept", F, "MaxAuthTries = 6\n", "MaxAuthTries", "3", "MaxAuthTries = 3\n"},
      {"tab separator and indentation kept", F, "  PermitRootLogin\tyes\n", "PermitRootLogin", "no",
       "  PermitRootLogin\tno\n"},
      {"the key only inside a Match block: inserted globally", F,
       "Port 22\n\nMatch User x\n\tPermitRootLogin yes\n", "PermitRootLogin", "no",
       "Port 22\nPermitRootLogin no\n\nMatch User x\n\tPermitRootLogin yes\n"},
      {"nothing global before Match: directly before it", F, "# header\n\nMatch all\n  X11Forwarding yes\n",
       "PermitRootLogin", "no", "# header\n\nPermitRootLogin no\nMatch all\n  X11Forwarding yes\n"},
      {"no Match: after the last directive, not inside the commented example block", F,
       "Port 22\n\n#Match User anoncvs\n#\tX11Forwarding no\n", "PermitRootLogin", "no",
       "Port 22\nPermitRootLogin no\n\n#Match User anoncvs\n#\tX11Forwarding no\n"},
      {"an Include and no key: before the Include, where no drop-in can override it", F,
       "# header\nInclude /etc/ssh/sshd_config.d/*.conf\nPort 22\n", "PermitRootLogin", "no",
       "# header\nPermitRootLogin no\nInclude /etc/ssh/sshd_config.d/*.conf\nPort 22\n"},
      {"the key right but after an Include (a drop-in wins): moved before the Include", F,
       "Include /etc/ssh/sshd_config.d/*.conf\nPasswordAuthentication no\n# end\n", "PasswordAuthentication", "no",
       "PasswordAuthentication no\nInclude /etc/ssh/sshd_config.d/*.conf\n# end\n"},
      {"a keyword sshd adds up (Port) is moved, never copied: one Port line, not two", F,
       "Include a.conf\nPort 22\nAllowUsers admin\n", "Port", "2222", "Port 2222\nInclude a.conf\nAllowUsers admin\n"},
      {"AllowUsers after an Include: moved, so the old user is not still allowed", F,
       "Include a.conf\nPort 22\nAllowUsers admin\n", "AllowUsers", "alice", "AllowUsers alice\nInclude a.conf\nPort 22\n"},
      {"a later duplicate is left as it was (the first line is the one moved)", F,
       "Include a.conf\nPasswordAuthentication yes\nPasswordAuthentication yes\n", "PasswordAuthentication", "no",
       "PasswordAuthentication no\nInclude a.conf\nPasswordAuthentication yes\n"},
      {"the last line without a newline is moved cleanly", F, "Include a.conf\nPort 22", "Port", "2222",
       "Port 2222\nInclude a.conf\n"},
      {"include spelled in lower case counts too, CRLF kept", F, "include a.conf\r\nPort 22\r\n", "Port", "2222",
       "Port 2222\r\ninclude a.conf\r\n"},
      {"the key before the Include and right: unchanged", F, "PermitRootLogin no\nInclude a.conf\n",
       "PermitRootLogin", "no", "PermitRootLogin no\nInclude a.conf\n"},
      {"an Include inside a Match block is not a global one", F, "Port 22\nMatch all\n  Include a.conf\n",
       "PermitRootLogin", "no", "Port 22\nPermitRootLogin no\nMatch all\n  Include a.conf\n"},
      {"only comments: appended", F, "# nothing here\n", "PermitRootLogin", "no", "# nothing here\nPermitRootLogin no\n"},
      {"empty file", F, "", "PermitRootLogin", "no", "PermitRootLogin no\n"},
      {"first occurrence wins, later ones left alone", F, "PermitRootLogin yes\nPermitRootLogin no\n",
       "PermitRootLogin", "prohibit-password", "PermitRootLogin prohibit-password\nPermitRootLogin no\n"},
      {"already right: unchanged, later duplicates too", F, "PermitRootLogin no\nPermitRootLogin yes\n",
       "PermitRootLogin", "no", "PermitRootLogin no\nPermitRootLogin yes\n"},
      {"quotes kept", F, "Banner \"/etc/issue\"\n", "Banner", "/etc/issue.net", "Banner \"/etc/issue.net\"\n"},
      {"trailing text is part of the value for the reader, so it is replaced", F, "PermitRootLogin yes # why\n",
       "PermitRootLogin", "no", "PermitRootLogin no\n"},
      {"multi-word value", F, "Port 22\n", "AuthorizedKeysFile", ".ssh/authorized_keys .ssh/authorized_keys2",
       "Port 22\nAuthorizedKeysFile .ssh/authorized_keys .ssh/authorized_keys2\n"},
      {"CRLF: replaced line keeps its CR", F, "Port 22\r\nPermitRootLogin yes\r\n", "PermitRootLogin", "no",
       "Port 22\r\nPermitRootLogin no\r\n"},
      {"CRLF: inserted line gets CRLF", F, "Port 22\r\nMatch all\r\n", "PermitRootLogin", "no",
       "Port 22\r\nPermitRootLogin no\r\nMatch all\r\n"},
      {"no final newline: replaced in place, none added", F, "Port 22\nPermitRootLogin yes", "PermitRootLogin", "no",
       "Port 22\nPermitRootLogin no"},
      {"no final newline: inserted before Match, the last line stays as it was", F, "Port 22\nMatch all",
       "PermitRootLogin", "no", "Port 22\nPermitRootLogin no\nMatch all"},
      {"no final newline: appended after the last line", F, "Port 22", "PermitRootLogin", "no",
       "Port 22\nPermitRootLogin no\n"},
  });
}

TEST_CASE("setConfigValue: sysctl") {
  const ConfigFormat F = ConfigFormat::Sysctl;
  checkEdits({
      {"duplicates: the last one is replaced", F, "net.ipv4.ip_forward = 0\n# c\nnet.ipv4.ip_forward=1\n",
       "net.ipv4.ip_forward", "0", "net.ipv4.ip_forward = 0\n# c\nnet.ipv4.ip_forward=0\n"},
      {"slash spelling matches the dotted key and is kept", F, "net/ipv4/ip_forward = 1\n", "net.ipv4.ip_forward", "0",
       "net/ipv4/ip_forward = 0\n"},
      {"ignore-failure marker kept", F, "-net.ipv4.ip_forward = 1\n", "net.ipv4.ip_forward", "0",
       "-net.ipv4.ip_forward = 0\n"},
      {"absent: appended as key = value", F, "kernel.kptr_restrict = 2\n", "net.ipv4.ip_forward", "0",
       "kernel.kptr_restrict = 2\nnet.ipv4.ip_forward = 0\n"},
      {"commented out only: appended", F, "#net.ipv4.ip_forward = 1\n", "net.ipv4.ip_forward", "0",
       "#net.ipv4.ip_forward = 1\nnet.ipv4.ip_forward = 0\n"},
      {"empty file", F, "", "kernel.dmesg_restrict", "1", "kernel.dmesg_restrict = 1\n"},
      {"value with spaces", F, "net.ipv4.ping_group_range = 1 0\n", "net.ipv4.ping_group_range", "0 2147483647",
       "net.ipv4.ping_group_range = 0 2147483647\n"},
      {"CRLF", F, "a.b = 1\r\nc.d = 2\r\n", "c.d", "3", "a.b = 1\r\nc.d = 3\r\n"},
      {"CRLF, no final newline, appended", F, "a.b = 1\r\nc.d = 2", "e.f", "3", "a.b = 1\r\nc.d = 2\r\ne.f = 3\r\n"},
  });
}

TEST_CASE("setConfigValue: ini") {
  const ConfigFormat F = ConfigFormat::Ini;
  checkEdits({
      {"key in the section replaced, the other section untouched", F, "[main]\na=1\nb=2\n\n[other]\nb=9\n", "b", "3",
       "[main]\na=1\nb=3\n\n[other]\nb=9\n", "main"},
      {"spacing kept", F, "[s]\nkey = old\n", "key", "new", "[s]\nkey = new\n", "s"},
      {"missing key: after the section's last line, the next block's comment stays with it", F,
       "[main]\na=1\n\n# the other one\n[other]\nc=1\n", "b", "2",
       "[main]\na=1\nb=2\n\n# the other one\n[other]\nc=1\n", "main"},
      {"key only in another section: a new section is appended", F, "[other]\nb=1\n", "b", "2",
       "[other]\nb=1\n\n[main]\nb=2\n", "main"},
      {"missing section, file ends with a blank line", F, "[other]\nb=1\n\n", "b", "2", "[other]\nb=1\n\n[main]\nb=2\n",
       "main"},
      {"missing section in an empty file", F, "", "b", "2", "[main]\nb=2\n", "main"},
      {"missing section, no final newline", F, "[other]\nb=1", "b", "2", "[other]\nb=1\n\n[main]\nb=2\n", "main"},
      {"empty section block: after its header", F, "[s]\n\n[t]\n", "k", "v", "[s]\nk=v\n\n[t]\n", "s"},
      {"repeated section: the last occurrence of the key is replaced", F, "[s]\nk=1\n[t]\nk=5\n[s]\ny=1\n", "k", "2",
       "[s]\nk=2\n[t]\nk=5\n[s]\ny=1\n", "s"},
      {"repeated section: a missing key goes to the last block", F, "[s]\nk=1\n[t]\nx=1\n[s]\ny=1\n[u]\n", "z", "2",
       "[s]\nk=1\n[t]\nx=1\n[s]\ny=1\nz=2\n[u]\n", "s"},
      {"section \"\": keys before the first header", F, "top=1\n[s]\nk=1\n", "top", "2", "top=2\n[s]\nk=1\n", ""},
      {"section \"\": a missing key after the last top-level line", F, "# c\ntop=1\n\n[s]\nk=1\n", "new", "v",
       "# c\ntop=1\nnew=v\n\n[s]\nk=1\n", ""},
      {"section \"\": nothing top-level, at the start of the file", F, "[s]\nk=1\n", "g", "v", "g=v\n[s]\nk=1\n",
       ""},
      {"section \"\": no headers at all, appended", F, "# only a comment\n", "g", "v", "# only a comment\ng=v\n", ""},
      {"section name with blanks inside the brackets", F, "[ s ]\nk=1\n", "k", "2", "[ s ]\nk=2\n", "s"},
      {"CRLF: new section in CRLF", F, "[a]\r\nx=1\r\n", "k", "v", "[a]\r\nx=1\r\n\r\n[b]\r\nk=v\r\n", "b"},
      {"CRLF: key inserted in CRLF", F, "[a]\r\nx=1\r\n[b]\r\n", "k", "v", "[a]\r\nx=1\r\nk=v\r\n[b]\r\n", "a"},
      {"no final newline, key appended at the end of the last section", F, "[s]\na=1", "b", "2", "[s]\na=1\nb=2\n",
       "s"},
  });
}

TEST_CASE("setConfigValue: keyvalue") {
  const ConfigFormat F = ConfigFormat::KeyValue;
  checkEdits({
      {"plain value", F, "A=1\nB=2\n", "B", "3", "A=1\nB=3\n"},
      {"last assignment replaced", F, "X=1\nX=2\n", "X", "3", "X=1\nX=3\n"},
      {"export kept", F, "export PATH=/bin\n", "PATH", "/usr/bin", "export PATH=/usr/bin\n"},
      {"double quotes kept", F, "GRUB_CMDLINE_LINUX=\"quiet\"\n", "GRUB_CMDLINE_LINUX", "quiet splash",
       "GRUB_CMDLINE_LINUX=\"quiet splash\"\n"},
      {"double quotes kept for a plain value", F, "X=\"a\"\n", "X", "b", "X=\"b\"\n"},
      {"single quotes kept", F, "X='a'\n", "X", "b c", "X='b c'\n"},
      {"unquoted, new value with a space: double quotes", F, "X=a\n", "X", "b c", "X=\"b c\"\n"},
      {"a value needing escapes in double quotes gets single quotes (the reader undoes no escapes)", F, "X=a\n", "X",
       "a$b \"c\"", "X='a$b \"c\"'\n"},
      {"old single quotes, new value with a quote: double quotes", F, "X='a'\n", "X", "it's", "X=\"it's\"\n"},
      {"empty value", F, "X=a\n", "X", "", "X=\n"},
      {"empty value, quoted before", F, "X=\"a\"\n", "X", "", "X=\"\"\n"},
      {"a comment after a bare value is kept", F, "X=1 # note\n", "X", "2", "X=2 # note\n"},
      {"a comment after a value that becomes quoted is dropped (the reader would take it as value)", F,
       "X=1 # note\n", "X", "a b", "X=\"a b\"\n"},
      {"absent: appended", F, "A=1\n", "B", "x y", "A=1\nB=\"x y\"\n"},
      {"commented out only: appended", F, "#UMASK=022\n", "UMASK", "027", "#UMASK=022\nUMASK=027\n"},
      {"CRLF", F, "A=1\r\nB=2\r\n", "A", "3", "A=3\r\nB=2\r\n"},
      {"CRLF appended", F, "A=1\r\n", "B", "2", "A=1\r\nB=2\r\n"},
      {"no final newline: replaced in place", F, "A=1\nB=2", "B", "3", "A=1\nB=3"},
      {"no final newline: appended", F, "A=1", "B", "2", "A=1\nB=2\n"},
  });
}

TEST_CASE("setConfigValue: keyword") {
  const ConfigFormat F = ConfigFormat::Keyword;
  checkEdits({
      {"value replaced, blanks kept", F, "PASS_MAX_DAYS\t99999\nPASS_MIN_DAYS 0\n", "PASS_MAX_DAYS", "365",
       "PASS_MAX_DAYS\t365\nPASS_MIN_DAYS 0\n"},
      {"last line replaced (the last wins)", F, "UMASK 022\nUMASK 002\n", "UMASK", "027", "UMASK 022\nUMASK 027\n"},
      {"quoted value", F, "ENCRYPT_METHOD \"MD5\"\n", "ENCRYPT_METHOD", "SHA512", "ENCRYPT_METHOD SHA512\n"},
      {"commented out only: appended", F, "#PASS_WARN_AGE 7\n", "PASS_WARN_AGE", "7",
       "#PASS_WARN_AGE 7\nPASS_WARN_AGE 7\n"},
      {"already right: unchanged", F, "UMASK 027\n", "UMASK", "027", "UMASK 027\n"},
  });
}

TEST_CASE("setConfigValue: refusals") {
  struct Refusal {
    const char* name;
    ConfigFormat format;
    std::string key;
    std::string value;
    std::string section = "";
  };
  const std::vector<Refusal> refusals = {
      {"newline in the value", ConfigFormat::Sshd, "PermitRootLogin", "no\nPermitRootLogin yes"},
      {"NUL in the value", ConfigFormat::KeyValue, "A", std::string("a\0b", 3)},
      {"carriage return in the value", ConfigFormat::Sysctl, "a.b", "1\r"},
      {"newline in the key", ConfigFormat::Ini, "a\nb", "1", "s"},
      {"NUL in the key", ConfigFormat::Sshd, std::string("Port\0X", 6), "22"},
      {"newline in the section", ConfigFormat::Ini, "a", "1", "s]\n[t"},
      {"']' in the section", ConfigFormat::Ini, "a", "1", "s]x"},
      {"empty key", ConfigFormat::KeyValue, "", "1"},
      {"blank in an sshd key", ConfigFormat::Sshd, "Permit RootLogin", "no"},
      {"Match is structure, not a setting", ConfigFormat::Sshd, "match", "all"},
      {"sysctl key with '='", ConfigFormat::Sysctl, "a=b", "1"},
      {"ini key with surrounding blanks", ConfigFormat::Ini, " k", "1", "s"},
      {"keyvalue key with a blank", ConfigFormat::KeyValue, "A B", "1"},
      {"sshd value with surrounding blanks (the reader trims them)", ConfigFormat::Sshd, "Banner", " x "},
      {"sysctl value with a trailing blank", ConfigFormat::Sysctl, "a.b", "1 "},
      {"keyvalue value with both kinds of quote and a $", ConfigFormat::KeyValue, "A", "it's $HOME"},
  };
  for (const auto& r : refusals) {
    INFO(r.name);
    const std::string text = "# some file\n";
    const auto res = healing::setConfigValue(r.format, text, r.key, r.value, r.section);
    REQUIRE_FALSE(res.ok());
    CHECK_FALSE(res.error().empty());
  }
  const auto nl = healing::setConfigValue(ConfigFormat::Sshd, "", "PermitRootLogin", "no\nX", "");
  REQUIRE_FALSE(nl.ok());
  CHECK(nl.error() == "the value contains a newline");
}

TEST_CASE("ensureLine") {
  struct Case {
    const char* name;
    std::string text;
    std::string line;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"present: unchanged", "a\nauth required pam_x.so\nb\n", "auth required pam_x.so", "a\nauth required pam_x.so\nb\n"},
      {"present on a CRLF line", "a\r\nx\r\n", "x", "a\r\nx\r\n"},
      {"present as the last line without newline", "a\nx", "x", "a\nx"},
      {"absent: appended", "a\n", "x", "a\nx\n"},
      {"only a partial or indented match: appended", "  x\nxx\n", "x", "  x\nxx\nx\n"},
      {"no final newline: one added before the new line", "a", "x", "a\nx\n"},
      {"CRLF file: appended with CRLF", "a\r\n", "x", "a\r\nx\r\n"},
      {"empty file", "", "x", "x\n"},
      {"an empty line is a line", "a\n\nb\n", "", "a\n\nb\n"},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    const auto once = healing::ensureLine(c.text, c.line);
    REQUIRE(once.ok());
    CHECK(*once == c.expected);
    const auto twice = healing::ensureLine(*once, c.line);
    REQUIRE(twice.ok());
    CHECK(*twice == *once);
  }
  CHECK_FALSE(healing::ensureLine("a\n", "x\ny").ok());
  CHECK_FALSE(healing::ensureLine("a\n", std::string("x\0y", 3)).ok());
  CHECK_FALSE(healing::ensureLine("a\n", "x\r").ok());
}

TEST_CASE("removeLines") {
  const re2::RE2 re("^\\s*PermitEmptyPasswords\\s+yes");
  REQUIRE(re.ok());
  SECTION("every matching line, nothing else") {
    const auto r = healing::removeLines("Port 22\nPermitEmptyPasswords yes\n# PermitEmptyPasswords yes\n"
                                        "  PermitEmptyPasswords yes\nX 1\n",
                                        re);
    CHECK(r.text == "Port 22\n# PermitEmptyPasswords yes\nX 1\n");
    CHECK(r.removed == 2);
  }
  SECTION("no match: unchanged") {
    const auto r = healing::removeLines("a\nb", re);
    CHECK(r.text == "a\nb");
    CHECK(r.removed == 0);
  }
  SECTION("the last line without a newline") {
    const auto r = healing::removeLines("a\nPermitEmptyPasswords yes", re);
    CHECK(r.text == "a\n");
    CHECK(r.removed == 1);
  }
  SECTION("CRLF lines keep their ending; '\\r' is part of the line, as for the file_regex probe") {
    const auto r = healing::removeLines("a\r\nPermitEmptyPasswords yes\r\nb\r\n", re);
    CHECK(r.text == "a\r\nb\r\n");
    const re2::RE2 anchored("^b$");
    CHECK(healing::removeLines("a\r\nb\r\n", anchored).removed == 0);
  }
  SECTION("idempotent, and empty input") {
    const auto once = healing::removeLines("PermitEmptyPasswords yes\nok\n", re);
    CHECK(healing::removeLines(once.text, re).text == once.text);
    CHECK(healing::removeLines("", re).text.empty());
  }
  SECTION("a regex that did not compile matches nothing") {
    const re2::RE2 bad("(", re2::RE2::Quiet);
    REQUIRE_FALSE(bad.ok());
    const auto r = healing::removeLines("(\na\n", bad);
    CHECK(r.text == "(\na\n");
    CHECK(r.removed == 0);
  }
}

TEST_CASE("setConfigValue: random files either read back the value or are refused, one line changed at most") {
  struct Dialect {
    ConfigFormat format;
    std::vector<std::string> lines;  // fragments, without line endings
    std::vector<std::string> keys;
    std::vector<std::string> sections;
  };
  const std::vector<Dialect> dialects = {
      {ConfigFormat::Sshd,
       {"Port 22", "PermitRootLogin yes", "permitrootlogin=no", "  PermitRootLogin  \"yes\"", "#PermitRootLogin no",
        "Match User x", "  PermitRootLogin yes", "Include /etc/ssh/sshd_config.d/*.conf", "X11Forwarding yes", "",
        "# comment", "Banner 'a b'"},
       {"PermitRootLogin", "X11Forwarding", "Banner", "MaxAuthTries"},
       {""}},
      {ConfigFormat::Sysctl,
       {"net.ipv4.ip_forward = 1", "net/ipv4/ip_forward=0", "-net.ipv4.ip_forward = 1", "; c", "# c", "", "a.b = x y",
        "kernel.x ="},
       {"net.ipv4.ip_forward", "a.b", "kernel.x", "new.key"},
       {""}},
      {ConfigFormat::Ini,
       {"[s]", "[t]", "[ s ]", "k=1", "k = 2", "x=3", "; c", "# c", "", "[]", "junk line"},
       {"k", "x", "new"},
       {"", "s", "t", "u"}},
      {ConfigFormat::KeyValue,
       {"A=1", "export A=\"q\"", "A='s'", "B=2 # c", "#A=3", "", "A = spaced", "B=\"x\" # c", "export\tB=7"},
       {"A", "B", "C"},
       {""}},
  };
  const std::vector<std::string> values = {"no", "1", "a b", "", " lead", "it's", "$HOME", "q\"uote", "x#y", "é"};
  std::mt19937 rng(4242);
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  int ok = 0, refused = 0;
  for (int iter = 0; iter < 4000; ++iter) {
    const Dialect& d = dialects[pick(dialects.size())];
    const bool crlf = pick(4) == 0;
    std::string text;
    for (size_t n = pick(8); n > 0; --n) text += d.lines[pick(d.lines.size())] + (crlf ? "\r\n" : "\n");
    if (!text.empty() && pick(4) == 0) text.erase(text.size() - (crlf ? 2 : 1));  // no final newline
    const std::string& key = d.keys[pick(d.keys.size())];
    const std::string& value = values[pick(values.size())];
    const std::string& section = d.sections[pick(d.sections.size())];
    INFO(rules::toString(d.format) << " key=" << key << " value=[" << value << "] section=" << section << "\n" << text);
    const auto r = healing::setConfigValue(d.format, text, key, value, section);
    if (!r.ok()) {
      ++refused;
      // Plain values can always be written.
      CHECK((value.empty() || value.find_first_of(" '$\"#\xc3") != std::string::npos));
      continue;
    }
    ++ok;
    CHECK(readBack(d.format, *r, key, section) == value);
    CHECK(healing::setConfigValue(d.format, *r, key, value, section).valueOr("(refused)") == *r);
    // Only the edited line is replaced; additions are one line (three for a new ini section).
    const std::string diff = healing::unifiedDiff(text, *r, "/f", true, 0);
    size_t minus = 0, plus = 0;
    for (size_t p = diff.find('\n'); p != std::string::npos && p + 1 < diff.size(); p = diff.find('\n', p + 1)) {
      if (diff.compare(p + 1, 4, "+++ ") == 0 || diff.compare(p + 1, 4, "--- ") == 0) continue;
      if (diff[p + 1] == '-') ++minus;
      if (diff[p + 1] == '+') ++plus;
    }
    CHECK(minus <= 1);
    CHECK(plus <= minus + 3);
  }
  CHECK(ok > 1000);
  CHECK(refused > 0);
}
