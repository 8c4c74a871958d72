#include "healing/unified_diff.h"

#include <algorithm>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

namespace healing {
namespace {

// Splits at '\n', each line keeping its '\n'. A last line without one is a different line from the
// same text with one, which is what makes the "No newline" markers come out right.
std::vector<std::string_view> splitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t nl = text.find('\n', pos);
    const size_t end = nl == std::string_view::npos ? text.size() : nl + 1;
    lines.push_back(text.substr(pos, end - pos));
    pos = end;
  }
  return lines;
}

// Myers' O(ND) diff in linear space: find the middle of an optimal edit path by searching from
// both ends at once, split there and recurse (the bisection of diff-match-patch). Lines are
// compared as interned ids. Every step counts against a budget; once it is spent the caller
// replaces the whole changed region instead.
class LineDiff {
 public:
  LineDiff(const std::vector<int>& a, const std::vector<int>& b, std::int64_t budget)
      : a_(a), b_(b), deleted_(a.size(), 0), inserted_(b.size(), 0), budget_(budget) {}

  // Returns false when the budget ran out; deleted()/inserted() are then meaningless.
  bool run() {
    compare(0, static_cast<int>(a_.size()), 0, static_cast<int>(b_.size()));
    return !exceeded_;
  }
  const std::vector<char>& deleted() const { return deleted_; }
  const std::vector<char>& inserted() const { return inserted_; }

 private:
  void compare(int a0, int a1, int b0, int b1) {
    while (a0 < a1 && b0 < b1 && a_[a0] == b_[b0]) ++a0, ++b0;
    while (a0 < a1 && b0 < b1 && a_[a1 - 1] == b_[b1 - 1]) --a1, --b1;
    if (a0 == a1 || b0 == b1) {
      markChanged(a0, a1, b0, b1);
      return;
    }
    if (exceeded_) return;
    const auto split = bisect(a0, a1, b0, b1);
    if (exceeded_) return;
    if (!split) {
      markChanged(a0, a1, b0, b1);  // the two sides have nothing in common
      return;
    }
    // Both halves are strictly smaller: with both sides non-empty after trimming, the edit
    // distance is at least 2, and the split lies on a path of ceil(D/2) edits from the start.
    compare(a0, split->first, b0, split->second);
    compare(split->first, a1, split->second, b1);
  }

  void markChanged(int a0, int a1, int b0, int b1) {
    std::fill(deleted_.begin() + a0, deleted_.begin() + a1, 1);
    std::fill(inserted_.begin() + b0, inserted_.begin() + b1, 1);
  }

  // The split point (absolute indices) of an optimal path through a[a0,a1) x b[b0,b1), both
  // non-empty; nullopt when there is none or the budget ran out (exceeded_ says which).
  std::optional<std::pair<int, int>> bisect(int a0, int a1, int b0, int b1) {
    const int n = a1 - a0;
    const int m = b1 - b0;
    const int max_d = (n + m + 1) / 2;
    const int off = max_d;
    // Diagonals -max_d..max_d are read (k +- 1 around |k| < max_d).
    const int vlen = 2 * max_d + 2;
    v1_.assign(static_cast<size_t>(vlen), -1);
    v2_.assign(static_cast<size_t>(vlen), -1);
    work_ += vlen;
    v1_[off + 1] = 0;
    v2_[off + 1] = 0;
    const int delta = n - m;
    // With an odd delta the paths meet during a forward step, with an even one during a reverse.
    const bool front = delta % 2 != 0;
    // Diagonals that ran off the grid are not searched again.
    int k1start = 0, k1end = 0, k2start = 0, k2end = 0;
    for (int d = 0; d < max_d; ++d) {
      if (work_ > budget_) {
        exceeded_ = true;
        return std::nullopt;
      }
      for (int k1 = -d + k1start; k1 <= d - k1end; k1 += 2) {
        ++work_;
        const int k1o = off + k1;
        int x1 = (k1 == -d || (k1 != d && v1_[k1o - 1] < v1_[k1o + 1])) ? v1_[k1o + 1] : v1_[k1o - 1] + 1;
        int y1 = x1 - k1;
        while (x1 < n && y1 < m && a_[a0 + x1] == b_[b0 + y1]) ++x1, ++y1, ++work_;
        v1_[k1o] = x1;
        if (x1 > n) {
          k1end += 2;
        } else if (y1 > m) {
          k1start += 2;
        } else if (front) {
          const int k2o = off + delta - k1;
          if (k2o >= 0 && k2o < vlen && v2_[k2o] != -1 && x1 >= n - v2_[k2o]) {
            return std::make_pair(a0 + x1, b0 + y1);
          }
        }
      }
      for (int k2 = -d + k2start; k2 <= d - k2end; k2 += 2) {
        ++work_;
        const int k2o = off + k2;
        int x2 = (k2 == -d || (k2 != d && v2_[k2o - 1] < v2_[k2o + 1])) ? v2_[k2o + 1] : v2_[k2o - 1] + 1;
        int y2 = x2 - k2;
        while (x2 < n && y2 < m && a_[a1 - 1 - x2] == b_[b1 - 1 - y2]) ++x2, ++y2, ++work_;
        v2_[k2o] = x2;
        if (x2 > n) {
          k2end += 2;
        } else if (y2 > m) {
          k2start += 2;
        } else if (!front) {
          const int k1o = off + delta - k2;
          if (k1o >= 0 && k1o < vlen && v1_[k1o] != -1) {
            const int x1 = v1_[k1o];
            const int y1 = x1 - (k1o - off);
            if (x1 >= n - x2) return std::make_pair(a0 + x1, b0 + y1);
          }
        }
      }
    }
    return std::nullopt;
  }

  const std::vector<int>& a_;
  const std::vector<int>& b_;
  std::vector<char> deleted_;
  std::vector<char> inserted_;
  std::vector<int> v1_, v2_;  // scratch, reused: bisect finishes before the recursion uses them
  std::int64_t budget_;
  std::int64_t work_ = 0;
  bool exceeded_ = false;
};

// The header name: git's conventions, which GNU patch understands. Control characters, quotes and
// backslashes are C-quoted so a hostile file name cannot forge diff lines; a name with a space
// gets a trailing tab so patch does not cut it at the space.
std::string headerName(std::string_view prefix, const std::string& path) {
  std::string name(prefix);
  if (path.empty() || path.front() != '/') name += '/';
  name += path;
  const bool needs_quotes = std::any_of(name.begin(), name.end(), [](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return c < 0x20 || c == 0x7f || c == '"' || c == '\\';
  });
  if (!needs_quotes) return name.find(' ') == std::string::npos ? name : name + '\t';
  std::string q = "\"";
  for (char ch : name) {
    const auto c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '"': q += "\\\""; break;
      case '\\': q += "\\\\"; break;
      case '\t': q += "\\t"; break;
      case '\n': q += "\\n"; break;
      case '\r': q += "\\r"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          q += '\\';
          q += static_cast<char>('0' + ((c >> 6) & 7));
          q += static_cast<char>('0' + ((c >> 3) & 7));
          q += static_cast<char>('0' + (c & 7));
        } else {
          q += ch;
        }
    }
  }
  return q + '"';
}

// "start,count" of a hunk side, as GNU diff writes it: an empty range names the line before it,
// a count of one is omitted.
std::string range(size_t start0, size_t count) {
  if (count == 0) return std::to_string(start0) + ",0";
  if (count == 1) return std::to_string(start0 + 1);
  return std::to_string(start0 + 1) + "," + std::to_string(count);
}

void appendLine(std::string& out, char tag, std::string_view line) {
  out += tag;
  out += line;
  if (line.empty() || line.back() != '\n') out += "\n\\ No newline at end of file\n";
}

struct Change {
  size_t a, na, b, nb;  // a run of deleted lines a[a, a+na) replaced by b[b, b+nb)
};

}  // namespace

namespace detail {

std::string unifiedDiffWithBudget(std::string_view before, std::string_view after, const std::string& path,
                                  bool before_exists, int context, std::int64_t max_work) {
  if (!before_exists) before = {};
  if (before == after) return {};
  const size_t ctx = context > 0 ? static_cast<size_t>(context) : 0;
  const std::vector<std::string_view> a = splitLines(before);
  const std::vector<std::string_view> b = splitLines(after);

  // The common head and tail cost no diff work; only the middle is interned and searched.
  size_t head = 0;
  while (head < a.size() && head < b.size() && a[head] == b[head]) ++head;
  size_t tail = 0;
  while (tail < a.size() - head && tail < b.size() - head && a[a.size() - 1 - tail] == b[b.size() - 1 - tail]) ++tail;
  const size_t na = a.size() - head - tail;
  const size_t nb = b.size() - head - tail;

  std::unordered_map<std::string_view, int> ids;
  auto intern = [&](size_t first, size_t count, const std::vector<std::string_view>& lines) {
    std::vector<int> out;
    out.reserve(count);
    for (size_t i = first; i < first + count; ++i) out.push_back(ids.emplace(lines[i], static_cast<int>(ids.size())).first->second);
    return out;
  };
  const std::vector<int> ia = intern(head, na, a);
  const std::vector<int> ib = intern(head, nb, b);

  std::vector<char> deleted(a.size(), 0), inserted(b.size(), 0);
  LineDiff diff(ia, ib, max_work);
  if (diff.run()) {
    std::copy(diff.deleted().begin(), diff.deleted().end(), deleted.begin() + static_cast<std::ptrdiff_t>(head));
    std::copy(diff.inserted().begin(), diff.inserted().end(), inserted.begin() + static_cast<std::ptrdiff_t>(head));
  } else {
    std::fill(deleted.begin() + static_cast<std::ptrdiff_t>(head), deleted.begin() + static_cast<std::ptrdiff_t>(head + na), 1);
    std::fill(inserted.begin() + static_cast<std::ptrdiff_t>(head), inserted.begin() + static_cast<std::ptrdiff_t>(head + nb), 1);
  }

  std::vector<Change> changes;
  for (size_t i = 0, j = 0; i < a.size() || j < b.size();) {
    if ((i < a.size() && deleted[i]) || (j < b.size() && inserted[j])) {
      Change c{i, 0, j, 0};
      while (i < a.size() && deleted[i]) ++i;
      while (j < b.size() && inserted[j]) ++j;
      c.na = i - c.a;
      c.nb = j - c.b;
      changes.push_back(c);
    } else {
      ++i, ++j;  // an unchanged line, present on both sides
    }
  }

  std::string out;
  out += "--- " + (before_exists ? headerName("a", path) : std::string("/dev/null")) + "\n";
  out += "+++ " + headerName("b", path) + "\n";
  for (size_t g = 0; g < changes.size();) {
    // Changes closer than twice the context share a hunk (their contexts would touch).
    size_t last = g;
    while (last + 1 < changes.size() && changes[last + 1].a - (changes[last].a + changes[last].na) <= 2 * ctx) ++last;
    const Change& first = changes[g];
    const Change& end = changes[last];
    const size_t ha = first.a > ctx ? first.a - ctx : 0;
    const size_t hb = first.b - (first.a - ha);
    const size_t ea = std::min(a.size(), end.a + end.na + ctx);
    const size_t eb = end.b + end.nb + (ea - (end.a + end.na));
    out += "@@ -" + range(ha, ea - ha) + " +" + range(hb, eb - hb) + " @@\n";
    size_t i = ha;
    for (size_t c = g; c <= last; ++c) {
      for (; i < changes[c].a; ++i) appendLine(out, ' ', a[i]);
      for (size_t k = 0; k < changes[c].na; ++k) appendLine(out, '-', a[changes[c].a + k]);
      for (size_t k = 0; k < changes[c].nb; ++k) appendLine(out, '+', b[changes[c].b + k]);
      i = changes[c].a + changes[c].na;
    }
    for (; i < ea; ++i) appendLine(out, ' ', a[i]);
    g = last + 1;
  }
  return out;
}

}  // namespace detail

std::string unifiedDiff(std::string_view before, std::string_view after, const std::string& path,
                        bool before_exists, int context) {
  return detail::unifiedDiffWithBudget(before, after, path, before_exists, context, kMaxDiffWork);
}

}  // namespace healing
