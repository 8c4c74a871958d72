#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "healing/unified_diff.h"
#include "support/temp_dir.h"

using healing::unifiedDiff;

namespace {

std::vector<std::string> linesOf(std::string_view text) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t nl = text.find('\n', pos);
    const size_t end = nl == std::string_view::npos ? text.size() : nl + 1;
    out.emplace_back(text.substr(pos, end - pos));
    pos = end;
  }
  return out;
}

// A strict applier of our own output: hunk counts must match their headers, context and removed
// lines must match `before` exactly, and hunks must be in order. nullopt on any mismatch.
std::optional<std::string> applyStrict(std::string_view before, const std::string& diff) {
  const std::vector<std::string> a = linesOf(before);
  const std::vector<std::string> d = linesOf(diff);
  if (d.size() < 2 || d[0].rfind("--- ", 0) != 0 || d[1].rfind("+++ ", 0) != 0) return std::nullopt;
  std::string out;
  size_t out_lines = 0, ai = 0, di = 2;
  auto num = [](const std::string& s, size_t& p) {
    size_t v = 0;
    while (p < s.size() && std::isdigit(static_cast<unsigned char>(s[p]))) v = v * 10 + static_cast<size_t>(s[p++] - '0');
    return v;
  };
  while (di < d.size()) {
    const std::string& h = d[di++];
    if (h.rfind("@@ -", 0) != 0) return std::nullopt;
    size_t p = 4;
    const size_t ol = num(h, p);
    size_t os = 1;
    if (h[p] == ',') ++p, os = num(h, p);
    if (h.compare(p, 2, " +") != 0) return std::nullopt;
    p += 2;
    const size_t nl = num(h, p);
    size_t ns = 1;
    if (h[p] == ',') ++p, ns = num(h, p);
    if (h.substr(p) != " @@\n") return std::nullopt;
    const size_t old_start = os == 0 ? ol : ol - 1;
    const size_t new_start = ns == 0 ? nl : nl - 1;
    if (old_start < ai || old_start > a.size()) return std::nullopt;
    for (; ai < old_start; ++ai, ++out_lines) out += a[ai];
    if (out_lines != new_start) return std::nullopt;
    size_t seen_old = 0, seen_new = 0;
    while (seen_old < os || seen_new < ns) {
      if (di >= d.size() || d[di].empty()) return std::nullopt;
      const char tag = d[di][0];
      std::string content = d[di].substr(1);
      ++di;
      if (di < d.size() && d[di] == "\\ No newline at end of file\n") {
        content.pop_back();
        ++di;
      }
      if (tag == ' ' || tag == '-') {
        if (ai >= a.size() || a[ai] != content) return std::nullopt;
        ++ai, ++seen_old;
      }
      if (tag == ' ' || tag == '+') {
        out += content;
        ++out_lines, ++seen_new;
      }
      if (tag != ' ' && tag != '-' && tag != '+') return std::nullopt;
    }
    if (seen_old != os || seen_new != ns) return std::nullopt;
  }
  for (; ai < a.size(); ++ai) out += a[ai];
  return out;
}

std::string readFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Applies `diff` with GNU patch from a fake host root, exactly (no fuzz), as an operator would.
// nullopt when patch fails.
std::optional<std::string> applyWithPatch(const std::string& before, bool before_exists, const std::string& diff,
                                          const std::string& path) {
  testsupport::TempDir dir("ca-diff");
  const auto root = dir.path() / "root";
  std::filesystem::create_directories(root);
  const auto file = root / path.substr(1);
  if (before_exists) dir.write("root" + path, before);
  const auto patch_file = dir.write("change.diff", diff);
  const std::string cmd = "patch -p1 -s -f -F0 --no-backup-if-mismatch -d '" + root.string() + "' -i '" +
                          patch_file.string() + "' >'" + (dir.path() / "out").string() + "' 2>&1";
  if (std::system(cmd.c_str()) != 0) {
    UNSCOPED_INFO("patch failed: " << readFile(dir.path() / "out"));
    return std::nullopt;
  }
  // GNU patch may delete a file it emptied; for our purpose that is the empty content.
  return std::filesystem::exists(file) ? readFile(file) : std::string();
}

size_t count(const std::string& s, std::string_view what) {
  size_t n = 0;
  for (size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

size_t hunks(const std::string& diff) { return count(diff, "\n@@ "); }

// Body lines of the diff with this tag ('-' or '+'), headers excluded.
size_t tagged(const std::string& diff, char tag) {
  size_t n = 0;
  for (const auto& l : linesOf(diff)) {
    if (l[0] == tag && l.rfind("--- ", 0) != 0 && l.rfind("+++ ", 0) != 0) ++n;
  }
  return n;
}

std::string numbered(int from, int to, const std::string& prefix = "line ") {
  std::string out;
  for (int i = from; i < to; ++i) out += prefix + std::to_string(i) + "\n";
  return out;
}

std::string bigWithChanges() {
  std::string out;
  for (int i = 0; i < 20000; ++i) {
    if (i == 0) out += "changed first\n";
    else if (i == 5000) continue;                                          // deleted
    else if (i == 10000) out += "inserted a\ninserted b\nline 10000\n";     // inserted before
    else if (i == 15000) out += "line 15000 changed\n";
    else if (i == 19999) out += "last line changed";                       // and no final newline
    else out += "line " + std::to_string(i) + "\n";
  }
  return out;
}

}  // namespace

TEST_CASE("unifiedDiff: exact output for small cases") {
  SECTION("one changed line, three lines of context, headers from the host path") {
    const std::string before = "Port 22\n#PermitRootLogin yes\nPermitRootLogin yes\nPasswordAuthentication no\n";
    const std::string after = "Port 22\n#PermitRootLogin yes\nPermitRootLogin no\nPasswordAuthentication no\n";
    CHECK(unifiedDiff(before, after, "/etc/ssh/sshd_config") ==
          "--- a/etc/ssh/sshd_config\n"
          "+++ b/etc/ssh/sshd_config\n"
          "@@ -1,4 +1,4 @@\n"
          " Port 22\n"
          " #PermitRootLogin yes\n"
          "-PermitRootLogin yes\n"
          "+PermitRootLogin no\n"
          " PasswordAuthentication no\n");
  }
  SECTION("appending to a file without a final newline changes its last line") {
    CHECK(unifiedDiff("a\nb", "a\nb\nc\n", "/etc/x") ==
          "--- a/etc/x\n"
          "+++ b/etc/x\n"
          "@@ -1,2 +1,3 @@\n"
          " a\n"
          "-b\n"
          "\\ No newline at end of file\n"
          "+b\n"
          "+c\n");
  }
  SECTION("a new file is diffed against /dev/null") {
    CHECK(unifiedDiff("", "x\ny\n", "/etc/new.conf", false) ==
          "--- /dev/null\n"
          "+++ b/etc/new.conf\n"
          "@@ -0,0 +1,2 @@\n"
          "+x\n"
          "+y\n");
  }
  SECTION("distant changes get separate hunks; single-line ranges omit the count") {
    CHECK(unifiedDiff("1\n2\n3\n4\n5\n6\n7\n8\n9\n", "1\nTWO\n3\n4\n5\n6\n7\n8\nNINE\n", "/etc/n", true, 1) ==
          "--- a/etc/n\n"
          "+++ b/etc/n\n"
          "@@ -1,3 +1,3 @@\n"
          " 1\n"
          "-2\n"
          "+TWO\n"
          " 3\n"
          "@@ -8,2 +8,2 @@\n"
          " 8\n"
          "-9\n"
          "+NINE\n");
    CHECK(unifiedDiff("a\n", "b\n", "/etc/one", true, 3) == "--- a/etc/one\n+++ b/etc/one\n@@ -1 +1 @@\n-a\n+b\n");
  }
}

TEST_CASE("unifiedDiff: equal contents give no diff") {
  CHECK(unifiedDiff("", "", "/etc/x").empty());
  CHECK(unifiedDiff("a\nb\n", "a\nb\n", "/etc/x").empty());
  CHECK(unifiedDiff("", "", "/etc/x", false).empty());  // a new empty file: nothing a diff can show
}

TEST_CASE("unifiedDiff: GNU patch reproduces the new content") {
  struct Case {
    const char* name;
    std::string before;
    std::string after;
    bool before_exists = true;
  };
  const std::string big = numbered(0, 20000);
  const std::vector<Case> cases = {
      {"insertion in the middle", "a\nb\nc\n", "a\nb\nnew\nc\n"},
      {"insertion at the start", "a\nb\n", "new\na\nb\n"},
      {"insertion at the end", "a\nb\n", "a\nb\nnew\n"},
      {"deletion in the middle", "a\nb\nc\nd\n", "a\nd\n"},
      {"deletion at the start", "a\nb\nc\n", "b\nc\n"},
      {"deletion at the end", "a\nb\nc\n", "a\nb\n"},
      {"change at the start", "a\nb\nc\n", "A\nb\nc\n"},
      {"change at the end", "a\nb\nc\n", "a\nb\nC\n"},
      {"before lacks the final newline", "a\nb", "a\nB\n"},
      {"after lacks the final newline", "a\nb\n", "a\nb"},
      {"both lack it, last line changed", "a\nb", "a\nc"},
      {"both lack it, first line changed", "a\nb\nc\nd\ne\nf", "A\nb\nc\nd\ne\nf"},
      {"empty before (existing empty file)", "", "x\ny\n"},
      {"empty before (new file)", "", "x\ny\n", false},
      {"new file without final newline", "", "x", false},
      {"empty after", "x\ny\n", ""},
      {"CRLF lines", "a\r\nb\r\nc\r\n", "a\r\nB\r\nc\r\n"},
      {"bytes: NUL-free binary and invalid UTF-8", "\xff\xfe\x01\n\x80zz\n", "\xff\xfe\x01\n\xc3\x28\n"},
      {"repeated lines", "x\nx\nx\ny\nx\nx\n", "x\ny\nx\nx\nx\nx\n"},
      {"20,000 lines with a few changes", big, bigWithChanges()},
      {"completely different files", numbered(0, 3000, "old "), numbered(0, 2000, "new ")},
  };
  for (const auto& c : cases) {
    for (int context : {3, 0, 1}) {
      INFO(c.name << ", context " << context);
      const std::string diff = unifiedDiff(c.before, c.after, "/etc/app/x.conf", c.before_exists, context);
      REQUIRE_FALSE(diff.empty());
      CHECK(applyStrict(c.before_exists ? c.before : "", diff) == c.after);
      if (context == 3) CHECK(applyWithPatch(c.before, c.before_exists, diff, "/etc/app/x.conf") == c.after);
    }
  }
}

TEST_CASE("unifiedDiff: content is bytes, NUL included") {
  const std::string before("a\0b\nkeep\n\xff\n", 11);
  const std::string after("a\0c\nkeep\n\xff", 10);
  const std::string diff = unifiedDiff(before, after, "/etc/bin");
  CHECK(diff == std::string("--- a/etc/bin\n+++ b/etc/bin\n@@ -1,3 +1,3 @@\n-a\0b\n+a\0c\n keep\n-\xff\n+\xff\n"
                            "\\ No newline at end of file\n", 94));
  CHECK(applyStrict(before, diff) == after);
}

TEST_CASE("unifiedDiff: a large file with a few changes gives small hunks quickly") {
  const std::string before = numbered(0, 20000);
  const std::string after = bigWithChanges();
  const auto t0 = std::chrono::steady_clock::now();
  const std::string diff = unifiedDiff(before, after, "/etc/big");
  const auto elapsed = std::chrono::steady_clock::now() - t0;
  CHECK(hunks(diff) == 5);
  CHECK(tagged(diff, '-') == 4);  // lines 0, 5000, 15000 and 19999 changed or deleted
  CHECK(tagged(diff, '+') == 5);  // three replacements and two inserted lines
  CHECK(elapsed < std::chrono::seconds(5));  // generous: sanitizer builds are slow
}

TEST_CASE("unifiedDiff: hostile paths cannot forge diff lines") {
  const std::string diff = unifiedDiff("a\n", "b\n", "/etc/x\n+++ b/etc/passwd");
  CHECK(diff.rfind("--- \"a/etc/x\\n+++ b/etc/passwd\"\n+++ \"b/etc/x\\n+++ b/etc/passwd\"\n", 0) == 0);
  CHECK(count(diff, "\n+++ ") == 1);
  SECTION("a name with a space gets a trailing tab so patch keeps it whole") {
    const std::string d = unifiedDiff("a\n", "b\n", "/etc/my app.conf");
    CHECK(d.rfind("--- a/etc/my app.conf\t\n+++ b/etc/my app.conf\t\n", 0) == 0);
    CHECK(applyWithPatch("a\n", true, d, "/etc/my app.conf") == "b\n");
  }
}

TEST_CASE("unifiedDiff: random edits apply and are minimal") {
  std::mt19937 rng(12345);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  const std::vector<std::string> alphabet = {"a\n", "b\n", "c\n", "d\n", "\n", "a"};
  for (int iter = 0; iter < 2000; ++iter) {
    std::vector<std::string> a, b;
    for (int i = pick(25); i > 0; --i) a.push_back(alphabet[static_cast<size_t>(pick(5))]);
    b = a;
    for (int e = pick(6); e > 0; --e) {
      const int op = pick(3);
      if (op == 0 || b.empty()) b.insert(b.begin() + pick(static_cast<int>(b.size()) + 1), alphabet[static_cast<size_t>(pick(5))]);
      else if (op == 1) b.erase(b.begin() + pick(static_cast<int>(b.size())));
      else b[static_cast<size_t>(pick(static_cast<int>(b.size())))] = alphabet[static_cast<size_t>(pick(5))];
    }
    // Sometimes drop the final newline of either side.
    if (!a.empty() && pick(4) == 0) a.back() = a.back().substr(0, a.back().size() - 1) + "x";
    if (!b.empty() && pick(4) == 0) b.back() = b.back().substr(0, b.back().size() - 1) + "y";
    std::string before, after;
    for (auto& l : a) before += l;
    for (auto& l : b) after += l;
    const auto la = linesOf(before), lb = linesOf(after);
    const int context = pick(4);
    INFO("before=" << before << "|after=" << after << "|context=" << context);
    const std::string diff = unifiedDiff(before, after, "/f", true, context);
    if (before == after) {
      CHECK(diff.empty());
      continue;
    }
    REQUIRE(applyStrict(before, diff) == after);
    // Myers finds a shortest edit script: removed + added lines = |a| + |b| - 2 * LCS.
    std::vector<std::vector<int>> lcs(la.size() + 1, std::vector<int>(lb.size() + 1, 0));
    for (size_t i = la.size(); i-- > 0;)
      for (size_t j = lb.size(); j-- > 0;)
        lcs[i][j] = la[i] == lb[j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
    CHECK(tagged(diff, '-') + tagged(diff, '+') == la.size() + lb.size() - 2 * static_cast<size_t>(lcs[0][0]));
  }
}

TEST_CASE("unifiedDiff: past kMaxDiffWork the changed middle becomes one hunk, still correct") {
  // Two unrelated 2,000-line halves around a common block: the exact diff has two hunks but needs
  // about twice the budget.
  const std::string common = numbered(0, 10, "common ");
  const std::string before = numbered(0, 2000, "old a ") + common + numbered(0, 2000, "old b ");
  const std::string after = numbered(0, 2000, "new a ") + common + numbered(0, 2000, "new b ");
  const std::string bounded = unifiedDiff(before, after, "/etc/x");
  CHECK(hunks(bounded) == 1);
  CHECK(applyStrict(before, bounded) == after);
  CHECK(applyWithPatch(before, true, bounded, "/etc/x") == after);
  const std::string exact = healing::detail::unifiedDiffWithBudget(before, after, "/etc/x", true, 3,
                                                                   std::numeric_limits<std::int64_t>::max());
  CHECK(hunks(exact) == 2);
  CHECK(applyStrict(before, exact) == after);

  SECTION("a tiny budget keeps the common head and tail out of the hunk") {
    const std::string b = "h1\nh2\nh3\nh4\nx\nm1\nm2\nm3\nm4\nm5\nm6\nm7\ny\nt1\nt2\nt3\nt4\n";
    const std::string a = "h1\nh2\nh3\nh4\nX\nm1\nm2\nm3\nm4\nm5\nm6\nm7\nY\nt1\nt2\nt3\nt4\n";
    const std::string d = healing::detail::unifiedDiffWithBudget(b, a, "/f", true, 1, 0);
    CHECK(hunks(d) == 1);
    CHECK(d.find("@@ -4,11 +4,11 @@\n") != std::string::npos);
    CHECK(applyStrict(b, d) == a);
    CHECK(hunks(unifiedDiff(b, a, "/f", true, 1)) == 2);
  }
}
