#pragma once
// The text edits behind set_config_value, ensure_line and remove_line: pure functions from the old
// content of one file to the new one, shared by the dry-run planner (which diffs the result) and
// the live executor (which writes it). They change as little as possible: every line they do not
// edit keeps its bytes, comments, order and line ending. A file without a final newline keeps
// lacking one unless a line is added after its last line.
//
// set_config_value writes what the config_value probe reads: the result is checked with the same
// reader (checks/config_formats.h) before it is returned, so an edit that would not read back as
// the requested value is refused instead of written.
#include <re2/re2.h>

#include <string>
#include <string_view>

#include "core/result.h"
#include "rules/model.h"

namespace healing {

/// Sets `key` to `value` so that checks::parseConfig + findConfigValue read `value` back from the
/// result (first assignment wins for sshd, the last for the others). The winning assignment is
/// rewritten in place (its key spelling, separator, `export ` and quotes kept); an absent key is
/// added where it applies globally (sshd: after the last global directive, i.e. before the first
/// `Match` block; ini: at the end of the last `[section]` block, or a new block at the end;
/// sysctl, keyvalue: at the end). sshd: when the first global `Include` comes before the key's
/// first line (or the key is absent), a drop-in read there could override it, so the key's line
/// is moved (not copied: sshd adds up some keywords) to just before that `Include`. Otherwise
/// text that already reads as `value` is returned unchanged. `section` is used by ini only ("" =
/// before any header). Included files themselves are never edited.
/// Fails, with a message for humans, when the key, value or section contains a newline, a
/// carriage return or a NUL, the key or section cannot be written in the format, or the edited
/// text would not read back as `value` (e.g. surrounding blanks the reader trims).
core::Result<std::string, std::string> setConfigValue(rules::ConfigFormat format, std::string_view text,
                                                      const std::string& key, const std::string& value,
                                                      const std::string& section);

/// Appends `line` (with the file's line ending) unless a line of `text` already equals it once a
/// trailing '\r' is stripped; `text` is returned unchanged then. Fails when `line` contains a
/// newline, a carriage return or a NUL.
core::Result<std::string, std::string> ensureLine(std::string_view text, const std::string& line);

struct LineRemoval {
  std::string text;
  int removed = 0;  // how many lines were removed
};

/// Removes every line on which `regex` matches unanchored (RE2::PartialMatch on the line without
/// its '\n'; a '\r' stays part of the line, as for the file_regex probe). Never fails: a regex
/// that did not compile matches nothing.
LineRemoval removeLines(std::string_view text, const re2::RE2& regex);

}  // namespace healing
