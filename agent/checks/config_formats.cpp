#include "checks/config_formats.h"

#include <algorithm>
#include <cctype>

namespace checks {
namespace {

std::string_view trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t' || s[b] == '\r')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r')) --e;
  return s.substr(b, e - b);
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

std::string normaliseSysctlKey(std::string_view k) {
  std::string out(k);
  std::replace(out.begin(), out.end(), '/', '.');
  return out;
}

// Removes one level of matching surrounding quotes (sshd and shell-style values).
std::string_view unquote(std::string_view v) {
  if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front()) {
    return v.substr(1, v.size() - 2);
  }
  return v;
}

template <class F>
void forEachLine(std::string_view text, F&& f) {
  int line_no = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    const size_t nl = text.find('\n', pos);
    const size_t end = nl == std::string_view::npos ? text.size() : nl;
    ++line_no;
    if (!(nl == std::string_view::npos && pos == text.size())) f(text.substr(pos, end - pos), line_no);
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
}

// Keyword, then whitespace and/or one '=', then the arguments. Empty key: not a keyword line.
std::pair<std::string_view, std::string_view> sshdKeyword(std::string_view line) {
  size_t k = 0;
  while (k < line.size() && line[k] != ' ' && line[k] != '\t' && line[k] != '=') ++k;
  const std::string_view key = line.substr(0, k);
  std::string_view rest = trim(line.substr(k));
  if (!rest.empty() && rest.front() == '=') rest = trim(rest.substr(1));
  const bool word = !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0;
  });
  return {word ? key : std::string_view(), rest};
}

void parseSshd(std::string_view text, ParsedConfig& out) {
  std::string match;  // the Match block being read, "" before the first
  forEachLine(text, [&](std::string_view raw, int line_no) {
    const std::string_view line = trim(raw);
    if (line.empty()) return;
    if (line.front() == '#') {
      const auto [key, rest] = sshdKeyword(trim(line.substr(std::min(line.size(), line.find_first_not_of('#')))));
      if (!key.empty() && !rest.empty()) out.commented.push_back({std::string(key), sshdArguments(rest), line_no, match});
      return;
    }
    const auto [key, rest] = sshdKeyword(line);
    if (key.empty()) return;
    if (iequals(key, "Match")) {
      // Everything after a Match line belongs to its block, up to the next Match.
      match = "Match " + sshdArguments(rest);
      return;
    }
    if (!match.empty()) {
      out.conditional.push_back({std::string(key), sshdArguments(rest), line_no, match});
      return;
    }
    if (iequals(key, "Include")) {
      out.include_pos.push_back(out.entries.size());
      out.includes.push_back({sshdArguments(rest), line_no});
      return;
    }
    out.entries.push_back({std::string(key), sshdArguments(rest), line_no, ""});
  });
}

// A comment line's text after its comment characters, when the line is one ("#key = v").
std::optional<std::string_view> commentedOut(std::string_view line, std::string_view marks) {
  if (line.empty() || marks.find(line.front()) == std::string_view::npos) return std::nullopt;
  return trim(line.substr(std::min(line.size(), line.find_first_not_of(marks))));
}

// One assignment per line; a line commented out with one of `marks` that would be an
// assignment is kept apart (explicit: says where a setting is only commented out).
void parseAssignments(std::string_view text, std::string_view marks,
                      std::optional<ConfigEntry> (*assignment)(std::string_view, int), ParsedConfig& out) {
  forEachLine(text, [&](std::string_view raw, int line_no) {
    const std::string_view line = trim(raw);
    if (line.empty()) return;
    if (const auto body = commentedOut(line, marks)) {
      if (auto e = assignment(*body, line_no)) out.commented.push_back(std::move(*e));
      return;
    }
    if (auto e = assignment(line, line_no)) out.entries.push_back(std::move(*e));
  });
}

std::optional<ConfigEntry> sysctlAssignment(std::string_view line, int line_no) {
  if (!line.empty() && line.front() == '-') line = trim(line.substr(1));  // "-key = v": ignore-failure marker
  const size_t eq = line.find('=');
  if (eq == std::string_view::npos) return std::nullopt;
  const std::string_view key = trim(line.substr(0, eq));
  if (key.empty()) return std::nullopt;
  return ConfigEntry{normaliseSysctlKey(key), std::string(trim(line.substr(eq + 1))), line_no, ""};
}

void parseIni(std::string_view text, std::string_view section, ParsedConfig& out) {
  std::string current;
  forEachLine(text, [&](std::string_view raw, int line_no) {
    const std::string_view line = trim(raw);
    if (line.empty() || line.front() == '#' || line.front() == ';') return;
    if (line.front() == '[') {
      const size_t close = line.find(']');
      current = std::string(trim(line.substr(1, close == std::string_view::npos ? line.size() - 1 : close - 1)));
      return;
    }
    if (current != section) return;
    const size_t eq = line.find('=');
    if (eq == std::string_view::npos) return;
    const std::string_view key = trim(line.substr(0, eq));
    if (key.empty()) return;
    out.entries.push_back({std::string(key), std::string(trim(line.substr(eq + 1))), line_no, ""});
  });
}

std::optional<ConfigEntry> shellAssignment(std::string_view line, int line_no) {
  if (line.substr(0, 7) == "export " || line.substr(0, 7) == "export\t") line = trim(line.substr(7));
  const size_t eq = line.find('=');
  if (eq == std::string_view::npos || eq == 0) return std::nullopt;
  const std::string_view key = line.substr(0, eq);
  // Shell assignments have no spaces around '='; a line that has them is not an assignment.
  if (key.find_first_of(" \t") != std::string_view::npos) return std::nullopt;
  std::string_view value = line.substr(eq + 1);
  if (!value.empty() && value.front() != '"' && value.front() != '\'') {
    const size_t hash = value.find(" #");
    if (hash != std::string_view::npos) value = value.substr(0, hash);
    value = trim(value);
  }
  return ConfigEntry{std::string(key), std::string(unquote(trim(value))), line_no, ""};
}

// login.defs(5) as shadow-utils' getdef reads it: the name up to the first blank, the value the
// rest of the line without surrounding blanks and double quotes; a later line overrides.
std::optional<ConfigEntry> keywordAssignment(std::string_view line, int line_no) {
  const size_t blank = line.find_first_of(" \t");
  if (blank == 0 || blank == std::string_view::npos) return std::nullopt;
  std::string_view value = trim(line.substr(blank));
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
  return ConfigEntry{std::string(line.substr(0, blank)), std::string(value), line_no, ""};
}

}  // namespace

std::string sshdArguments(std::string_view rest) {
  // As OpenSSH's argv_split(): blanks separate words outside quotes; ' and " quote (anywhere in a
  // word, and are removed); a backslash takes a quote, a backslash or (outside quotes) a blank
  // literally; an unquoted word that begins with '#' begins the comment.
  std::string out, word;
  bool in_word = false;
  char quote = 0;
  for (size_t i = 0; i < rest.size(); ++i) {
    const char c = rest[i];
    const bool blank = c == ' ' || c == '\t' || c == '\r';
    if (!in_word) {
      if (blank) continue;
      if (c == '#') break;
      in_word = true;
    }
    if (c == '\\' && i + 1 < rest.size()) {
      const char n = rest[i + 1];
      if (n == '\'' || n == '"' || n == '\\' || (quote == 0 && n == ' ')) {
        word += n;
        ++i;
        continue;
      }
    }
    if (quote == 0 && (c == '\'' || c == '"')) {
      quote = c;
    } else if (quote != 0 && c == quote) {
      quote = 0;
    } else if (quote == 0 && blank) {
      out += (out.empty() ? "" : " ") + word;
      word.clear();
      in_word = false;
    } else {
      word += c;
    }
  }
  if (in_word) out += (out.empty() ? "" : " ") + word;
  return out;
}

ParsedConfig parseConfig(ConfigFormat format, std::string_view text, std::string_view section) {
  ParsedConfig out;
  switch (format) {
    case ConfigFormat::Sshd: parseSshd(text, out); break;
    case ConfigFormat::Sysctl: parseAssignments(text, "#;", sysctlAssignment, out); break;
    case ConfigFormat::Ini: parseIni(text, section, out); break;
    case ConfigFormat::KeyValue: parseAssignments(text, "#", shellAssignment, out); break;
    case ConfigFormat::Keyword: parseAssignments(text, "#", keywordAssignment, out); break;
  }
  return out;
}

bool configKeyEquals(ConfigFormat format, std::string_view a, std::string_view b) {
  switch (format) {
    case ConfigFormat::Sshd: return iequals(a, b);
    case ConfigFormat::Sysctl: return normaliseSysctlKey(a) == normaliseSysctlKey(b);
    default: return a == b;
  }
}

std::optional<ConfigEntry> findConfigValue(ConfigFormat format, const ParsedConfig& parsed,
                                           std::string_view key) {
  std::optional<ConfigEntry> found;
  for (const auto& e : parsed.entries) {
    if (!configKeyEquals(format, e.key, key)) continue;
    found = e;
    if (firstValueWins(format)) break;
  }
  return found;
}

}  // namespace checks
