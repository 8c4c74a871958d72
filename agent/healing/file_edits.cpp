#include "healing/file_edits.h"

#include <cctype>
#include <optional>
#include <vector>

#include "checks/config_formats.h"

namespace healing {
namespace {

using rules::ConfigFormat;

// One line of a file: content [begin, end) without its '\n' (a '\r' stays in it); the next line
// starts at `next`. Split exactly like the reader in checks/config_formats.cpp, so the line
// numbers it reports index this vector.
struct Line {
  size_t begin = 0;
  size_t end = 0;
  size_t next = 0;
};

std::vector<Line> splitLines(std::string_view text) {
  std::vector<Line> lines;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t nl = text.find('\n', pos);
    const size_t end = nl == std::string_view::npos ? text.size() : nl;
    lines.push_back({pos, end, nl == std::string_view::npos ? text.size() : nl + 1});
    pos = lines.back().next;
  }
  return lines;
}

bool isBlank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

// Narrows [b, e) to its content without surrounding blanks, as the reader's trim() does.
void trimRange(std::string_view text, size_t& b, size_t& e) {
  while (b < e && isBlank(text[b])) ++b;
  while (e > b && isBlank(text[e - 1])) --e;
}

std::string_view trimmed(std::string_view text, const Line& l) {
  size_t b = l.begin, e = l.end;
  trimRange(text, b, e);
  return text.substr(b, e - b);
}

// sshd keywords compare as the reader compares them.
bool sshdKeyIs(std::string_view key, std::string_view keyword) {
  return checks::configKeyEquals(rules::ConfigFormat::Sshd, key, keyword);
}

// Added lines follow the file's convention, taken from its first line ending, so a CRLF file
// stays CRLF.
std::string_view eolOf(std::string_view text) {
  const size_t nl = text.find('\n');
  return nl != std::string_view::npos && nl > 0 && text[nl - 1] == '\r' ? "\r\n" : "\n";
}

// Inserts `content` as a whole line before line `index` (or after the last line when index is
// lines.size(), terminating that last line first if it lacks a newline).
std::string insertLine(std::string_view text, const std::vector<Line>& lines, size_t index, std::string_view content) {
  const std::string_view eol = eolOf(text);
  std::string out;
  out.reserve(text.size() + content.size() + 4);
  if (index < lines.size()) {
    out.append(text.substr(0, lines[index].begin));
    out.append(content).append(eol);
    out.append(text.substr(lines[index].begin));
  } else {
    out.append(text);
    if (!text.empty() && text.back() != '\n') out.append(eol);
    out.append(content).append(eol);
  }
  return out;
}

std::string splice(std::string_view text, size_t b, size_t e, std::string_view with) {
  std::string out;
  out.reserve(text.size() - (e - b) + with.size());
  out.append(text.substr(0, b)).append(with).append(text.substr(e));
  return out;
}

std::optional<std::string> refuseControl(std::string_view what, std::string_view s) {
  for (char c : s) {
    if (c == '\n') return std::string(what) + " contains a newline";
    if (c == '\r') return std::string(what) + " contains a carriage return";
    if (c == '\0') return std::string(what) + " contains a NUL byte";
  }
  return std::nullopt;
}

// Keys the reader would split, skip as comments or treat as structure can never read back; a
// clear message beats the generic read-back failure.
std::optional<std::string> refuseKey(ConfigFormat format, const std::string& key, const std::string& section) {
  if (key.empty()) return std::string("the key is empty");
  if (auto e = refuseControl("the key", key)) return e;
  if (format == ConfigFormat::Ini) {
    if (auto e = refuseControl("the section", section)) return e;
    if (section.find(']') != std::string::npos) return "section '" + section + "' contains ']'";
  }
  const bool has_blank = key.find_first_of(" \t") != std::string::npos;
  switch (format) {
    case ConfigFormat::Sshd:
      if (has_blank || key.find('=') != std::string::npos || key.front() == '#') break;
      if (sshdKeyIs(key, "Match") || sshdKeyIs(key, "Include")) return "'" + key + "' is a structural sshd keyword, not a setting";
      return std::nullopt;
    case ConfigFormat::Sysctl:
      if (has_blank || key.find('=') != std::string::npos || key.front() == '#' || key.front() == ';' || key.front() == '-') break;
      return std::nullopt;
    case ConfigFormat::Ini:
      // Inner blanks are fine in ini keys; the reader trims only the ends.
      if (isBlank(key.front()) || isBlank(key.back()) || key.find('=') != std::string::npos || key.front() == '#' ||
          key.front() == ';' || key.front() == '[') break;
      return std::nullopt;
    case ConfigFormat::KeyValue:
      if (has_blank || key.find('=') != std::string::npos || key.front() == '#') break;
      return std::nullopt;
    case ConfigFormat::Keyword:
      if (has_blank || key.front() == '#') break;
      return std::nullopt;
  }
  return "key '" + key + "' cannot be written in " + std::string(rules::toString(format)) + " format";
}

// The byte range of the value on an assignment line, as the reader sees it before unquoting.
struct ValueRange {
  size_t begin = 0;
  size_t end = 0;
  size_t content_end = 0;  // end of the line without trailing blanks (a keyvalue comment lies before it)
};

size_t skipBlanks(std::string_view text, size_t p, size_t e) {
  while (p < e && isBlank(text[p])) ++p;
  return p;
}

// Mirrors the per-format value extraction of checks/config_formats.cpp on one line the reader
// reported as an assignment.
ValueRange valueRange(ConfigFormat format, std::string_view text, const Line& l) {
  size_t b = l.begin, e = l.end;
  trimRange(text, b, e);
  ValueRange r;
  r.content_end = e;
  switch (format) {
    case ConfigFormat::Sshd: {
      size_t k = b;
      while (k < e && text[k] != ' ' && text[k] != '\t' && text[k] != '=') ++k;
      k = skipBlanks(text, k, e);
      if (k < e && text[k] == '=') k = skipBlanks(text, k + 1, e);
      r.begin = k;
      r.end = e;
      break;
    }
    case ConfigFormat::Keyword: {
      size_t k = b;
      while (k < e && text[k] != ' ' && text[k] != '\t') ++k;
      r.begin = skipBlanks(text, k, e);
      r.end = e;
      break;
    }
    case ConfigFormat::Sysctl:
    case ConfigFormat::Ini: {
      const size_t eq = text.substr(b, e - b).find('=') + b;
      r.begin = skipBlanks(text, eq + 1, e);
      r.end = e;
      break;
    }
    case ConfigFormat::KeyValue: {
      size_t p = b;
      const std::string_view line = text.substr(b, e - b);
      if (line.substr(0, 7) == "export " || line.substr(0, 7) == "export\t") p = skipBlanks(text, b + 7, e);
      const size_t eq = text.substr(p, e - p).find('=') + p;
      size_t vb = eq + 1, ve = e;
      if (vb < e && text[vb] != '"' && text[vb] != '\'') {
        // Unquoted: a " #" starts a comment, which the edit keeps.
        const size_t hash = text.substr(vb, e - vb).find(" #");
        if (hash != std::string_view::npos) ve = vb + hash;
        trimRange(text, vb, ve);
      }
      r.begin = vb;
      r.end = ve;
      break;
    }
  }
  return r;
}

// The quote character around a value the reader unquotes, or 0.
char quoteOf(std::string_view v) {
  return v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front() ? v.front() : 0;
}

// Characters a shell takes literally outside quotes.
bool shellPlain(std::string_view v) {
  for (char ch : v) {
    const auto c = static_cast<unsigned char>(ch);
    if (!(std::isalnum(c) || ch == '_' || ch == '@' || ch == '%' || ch == '+' || ch == '=' || ch == ':' ||
          ch == ',' || ch == '.' || ch == '/' || ch == '-')) {
      return false;
    }
  }
  return true;
}

// A keyvalue value in the old value's quote style when possible. The reader strips one level of
// quotes but undoes no escapes, so the only spellings that both a shell and the reader see as
// `value` are: bare (plain characters only), "..." (no " \ $ ` inside) and '...' (no ' inside).
// Double quotes are preferred for new quoting, as shell files usually use them.
core::Result<std::string, std::string> renderShellValue(const std::string& value, char old_quote) {
  auto fits = [&](char q) {
    if (q == 0) return shellPlain(value);
    if (q == '"') return value.find_first_of("\"\\$`") == std::string::npos;
    return value.find('\'') == std::string::npos;
  };
  const char preferred = old_quote ? old_quote : (shellPlain(value) ? 0 : '"');
  for (char q : {preferred, '"', '\''}) {
    if (!fits(q)) continue;
    if (q == 0) return value;
    return std::string(1, q) + value + q;
  }
  return core::fail(std::string("the value contains both ' and one of \" \\ $ `: no shell quoting of it reads back "
                                "unchanged"));
}

// sshd: after the last global directive, so the key stays out of Match blocks and out of a
// commented-out example Match block at the end (Debian's default file ends with one: appending
// after it would silently make the key conditional once someone uncomments the example).
size_t sshdInsertIndex(std::string_view text, const std::vector<Line>& lines) {
  std::optional<size_t> last_global;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string_view t = trimmed(text, lines[i]);
    if (t.empty() || t.front() == '#') continue;
    size_t k = 0;
    while (k < t.size() && t[k] != ' ' && t[k] != '\t' && t[k] != '=') ++k;
    if (sshdKeyIs(t.substr(0, k), "Match")) return last_global ? *last_global + 1 : i;
    last_global = i;
  }
  return last_global ? *last_global + 1 : lines.size();
}

// sshd: the first global `Include` (before any Match block), or nullopt. sshd reads the files it
// names at that point, and the first value of a keyword wins: a setting after it can be
// overridden by a drop-in (cloud-init's 50-cloud-init.conf setting PasswordAuthentication yes).
std::optional<size_t> sshdFirstInclude(std::string_view text, const std::vector<Line>& lines) {
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string_view t = trimmed(text, lines[i]);
    if (t.empty() || t.front() == '#') continue;
    size_t k = 0;
    while (k < t.size() && t[k] != ' ' && t[k] != '\t' && t[k] != '=') ++k;
    if (sshdKeyIs(t.substr(0, k), "Match")) return std::nullopt;
    if (sshdKeyIs(t.substr(0, k), "Include")) return i;
  }
  return std::nullopt;
}

// ini: after the last line with content of the last block named `section` (its header when the
// block is empty), so a comment that introduces the next block stays with it.
std::string iniInsert(std::string_view text, const std::vector<Line>& lines, const std::string& section,
                      const std::string& assignment) {
  std::string current;
  bool any_header = false;
  std::optional<size_t> anchor;  // the line to insert after
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string_view t = trimmed(text, lines[i]);
    if (t.empty() || t.front() == '#' || t.front() == ';') continue;
    if (t.front() == '[') {
      any_header = true;
      const size_t close = t.find(']');
      size_t nb = 1, ne = close == std::string_view::npos ? t.size() : close;
      trimRange(t, nb, ne);
      current = std::string(t.substr(nb, ne - nb));
      if (current == section) anchor = i;
      continue;
    }
    if (current == section) anchor = i;
  }
  if (anchor) return insertLine(text, lines, *anchor + 1, assignment);
  if (section.empty()) return insertLine(text, lines, any_header ? 0 : lines.size(), assignment);
  // A new block at the end, set off by a blank line unless the file already ends with one.
  const std::string_view eol = eolOf(text);
  std::string out(text);
  if (!text.empty() && text.back() != '\n') out.append(eol);
  if (!lines.empty() && !trimmed(text, lines.back()).empty()) out.append(eol);
  out.append("[").append(section).append("]").append(eol);
  out.append(assignment).append(eol);
  return out;
}

}  // namespace

core::Result<std::string, std::string> setConfigValue(ConfigFormat format, std::string_view text,
                                                      const std::string& key, const std::string& value,
                                                      const std::string& section) {
  if (auto e = refuseKey(format, key, section)) return core::fail(std::move(*e));
  if (auto e = refuseControl("the value", value)) return core::fail(std::move(*e));
  const std::string_view sect = format == ConfigFormat::Ini ? std::string_view(section) : std::string_view();

  const auto current = checks::findConfigValue(format, checks::parseConfig(format, text, sect), key);
  const std::vector<Line> lines = splitLines(text);
  std::string edited;
  // sshd: a key whose first line comes after an Include (or that has none) can be overridden by
  // a drop-in; the setting goes before the Include, where it wins whatever the drop-ins say. Its
  // old line is moved there, not copied: sshd adds up some keywords (Port, ListenAddress,
  // AllowUsers ...), so a second line would add a value instead of replacing it.
  const std::optional<size_t> include = format == ConfigFormat::Sshd ? sshdFirstInclude(text, lines) : std::nullopt;
  const bool before_include = include && (!current || static_cast<size_t>(current->line - 1) > *include);
  if (before_include) {
    std::string rest(text);
    if (current) {
      const Line& old = lines.at(static_cast<size_t>(current->line - 1));
      rest = std::string(text.substr(0, old.begin)) + std::string(text.substr(old.next));
    }
    // The Include line is before the removed one: its index is the same in `rest`.
    edited = insertLine(rest, splitLines(rest), *include, key + " " + value);
  } else if (current && current->value == value) {
    // Already right: no rewrite, so a second run (or a redundant rule) changes no byte.
    return std::string(text);
  } else if (current) {
    const Line& l = lines.at(static_cast<size_t>(current->line - 1));
    ValueRange r = valueRange(format, text, l);
    const char old_quote = quoteOf(text.substr(r.begin, r.end - r.begin));
    std::string rendered = value;
    if (format == ConfigFormat::KeyValue) {
      auto v = renderShellValue(value, old_quote);
      if (!v.ok()) return core::fail(std::move(v).error());
      rendered = std::move(*v);
      // The reader takes a quoted value up to the end of the line, comment included.
      if (quoteOf(rendered)) r.end = r.content_end;
    } else if (format == ConfigFormat::Sshd && old_quote && value.find(old_quote) == std::string::npos) {
      rendered = std::string(1, old_quote) + value + old_quote;
    }
    edited = splice(text, r.begin, r.end, rendered);
  } else {
    switch (format) {
      case ConfigFormat::Sshd:
        edited = insertLine(text, lines, sshdInsertIndex(text, lines), key + " " + value);
        break;
      case ConfigFormat::Sysctl:
        edited = insertLine(text, lines, lines.size(), key + " = " + value);
        break;
      case ConfigFormat::Keyword:
        edited = insertLine(text, lines, lines.size(), key + " " + value);
        break;
      case ConfigFormat::Ini:
        edited = iniInsert(text, lines, section, key + "=" + value);
        break;
      case ConfigFormat::KeyValue: {
        auto v = renderShellValue(value, 0);
        if (!v.ok()) return core::fail(std::move(v).error());
        edited = insertLine(text, lines, lines.size(), key + "=" + *v);
        break;
      }
    }
  }

  // The contract is what the probe will read; check it with the probe's own reader.
  const auto after = checks::findConfigValue(format, checks::parseConfig(format, edited, sect), key);
  if (!after || after->value != value) {
    return core::fail("setting " + key + " to '" + value + "' cannot be written in " +
                      std::string(rules::toString(format)) + " format: the file would read " +
                      (after ? "'" + after->value + "'" : std::string("no value")));
  }
  return edited;
}

core::Result<std::string, std::string> ensureLine(std::string_view text, const std::string& line) {
  if (auto e = refuseControl("the line", line)) return core::fail(std::move(*e));
  const std::vector<Line> lines = splitLines(text);
  for (const Line& l : lines) {
    std::string_view have = text.substr(l.begin, l.end - l.begin);
    if (!have.empty() && have.back() == '\r') have.remove_suffix(1);
    if (have == line) return std::string(text);
  }
  return insertLine(text, lines, lines.size(), line);
}

LineRemoval removeLines(std::string_view text, const re2::RE2& regex) {
  LineRemoval out;
  out.text.reserve(text.size());
  for (const Line& l : splitLines(text)) {
    if (re2::RE2::PartialMatch(re2::StringPiece(text.data() + l.begin, l.end - l.begin), regex)) {
      ++out.removed;
      continue;
    }
    out.text.append(text.substr(l.begin, l.next - l.begin));
  }
  return out;
}

}  // namespace healing
