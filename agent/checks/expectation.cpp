#include "checks/expectation.h"

#include <cctype>
#include <charconv>
#include <cmath>

namespace checks {
namespace {

bool equalsCase(const std::string& a, const std::string& b, bool ignore_case) {
  if (a.size() != b.size()) return false;
  if (!ignore_case) return a == b;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

bool containsCase(const std::string& hay, const std::string& needle, bool ignore_case) {
  if (!ignore_case) return hay.find(needle) != std::string::npos;
  if (needle.size() > hay.size()) return false;
  for (size_t i = 0; i + needle.size() <= hay.size(); ++i) {
    if (equalsCase(hay.substr(i, needle.size()), needle, true)) return true;
  }
  return false;
}

std::optional<double> toNumber(const std::string& s) {
  // Leading/trailing blanks are common in /proc values ("1\n"); anything else must be numeric.
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  if (b < e && s[b] == '+') ++b;  // from_chars refuses '+'; the rule loader accepts "+5"
  if (b == e) return std::nullopt;
  double v = 0;
  const auto [ptr, ec] = std::from_chars(s.data() + b, s.data() + e, v);
  if (ec != std::errc() || ptr != s.data() + e || !std::isfinite(v)) return std::nullopt;
  return v;
}

bool inList(const rules::Expectation& e, const std::string& v) {
  for (const auto& x : e.values) {
    if (equalsCase(x, v, e.ignore_case)) return true;
  }
  return false;
}

}  // namespace

bool satisfies(const rules::Expectation& e, const std::optional<std::string>& actual) {
  using rules::MatchOp;
  if (e.op == MatchOp::Exists) {
    const bool want = e.value != "false";
    return actual.has_value() == want;
  }
  if (!actual) return e.op == MatchOp::Ne || e.op == MatchOp::NotIn;
  const std::string& v = *actual;
  switch (e.op) {
    case MatchOp::Eq: return equalsCase(v, e.value, e.ignore_case);
    case MatchOp::Ne: return !equalsCase(v, e.value, e.ignore_case);
    case MatchOp::Contains: return containsCase(v, e.value, e.ignore_case);
    case MatchOp::Regex: return e.regex && re2::RE2::PartialMatch(v, *e.regex);
    case MatchOp::Gt: {
      const auto n = toNumber(v);
      return n && *n > e.number;
    }
    case MatchOp::Lt: {
      const auto n = toNumber(v);
      return n && *n < e.number;
    }
    case MatchOp::Le: {
      const auto n = toNumber(v);
      return n && *n <= e.number;
    }
    case MatchOp::Ge: {
      const auto n = toNumber(v);
      return n && *n >= e.number;
    }
    case MatchOp::Between: {
      const auto n = toNumber(v);
      return n && *n >= e.number && *n <= e.number_max;
    }
    case MatchOp::In: return inList(e, v);
    case MatchOp::NotIn: return !inList(e, v);
    case MatchOp::Exists: break;
  }
  return false;
}

std::string describe(const rules::Expectation& e) {
  using rules::MatchOp;
  auto list = [&] {
    std::string s = "[";
    for (size_t i = 0; i < e.values.size(); ++i) s += (i ? ", " : "") + e.values[i];
    return s + "]";
  };
  switch (e.op) {
    case MatchOp::Eq: return e.value;
    case MatchOp::Ne: return "not " + e.value;
    case MatchOp::Contains: return "contains " + e.value;
    case MatchOp::Regex: return "matches " + e.value;
    case MatchOp::Gt: return "> " + e.value;
    case MatchOp::Lt: return "< " + e.value;
    case MatchOp::Le: return "<= " + e.value;
    case MatchOp::Ge: return ">= " + e.value;
    case MatchOp::Between: return e.values.size() == 2 ? e.values[0] + ".." + e.values[1] : "";
    case MatchOp::In: return "one of " + list();
    case MatchOp::NotIn: return "none of " + list();
    case MatchOp::Exists: return e.value == "false" ? "absent" : "present";
  }
  return "";
}

}  // namespace checks
