#pragma once
// Readers for the configuration file formats of the config_value probe. Pure functions over the
// bytes of one file: the probe resolves files (Include, sysctl.d order) through HostFiles and
// combines the per-file results with the format's precedence rule.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rules/model.h"

namespace checks {

using rules::ConfigFormat;

/// Whether the first assignment of a key wins (sshd) or the last one (the others).
inline bool firstValueWins(ConfigFormat f) { return f == ConfigFormat::Sshd; }

/// One assignment found in a file.
struct ConfigEntry {
  std::string key;
  std::string value;
  int line = 0;  // 1-based
  /// sshd: the Match line of the block this entry is in ("Match Address 10.0.0.0/8"); "" when
  /// it applies to every connection.
  std::string match;
};

/// An sshd `Include` directive met before the first Match block, in file order.
struct ConfigInclude {
  std::string pattern;
  int line = 0;
};

struct ParsedConfig {
  std::vector<ConfigEntry> entries;    // only those that apply globally (sshd: before any Match)
  std::vector<ConfigEntry> conditional;  // sshd: those inside Match blocks (`match` set)
  /// Definitions commented out ("#PermitRootLogin no"): what a reader may take for a setting.
  std::vector<ConfigEntry> commented;
  std::vector<ConfigInclude> includes; // sshd only; entries and includes keep their relative order
  // Position of each include among `entries`: entries[0..include_pos[i]) come before includes[i].
  std::vector<size_t> include_pos;
};

/// sshd's reading of a keyword's arguments: words split on blanks, double-quoted words kept
/// whole (quotes removed), and a word that begins with '#' starts a comment that runs to the end
/// of the line ("no # legacy" is "no"). The words are joined by one space.
std::string sshdArguments(std::string_view rest);

/// Extracts the assignments of `text`. For ini, only keys of `section` are returned (keys before
/// any section header belong to section ""). sysctl keys are normalised to dotted form.
/// Never fails: lines that are not assignments are skipped.
ParsedConfig parseConfig(ConfigFormat format, std::string_view text, std::string_view section = {});

/// Key comparison of the format: case-insensitive for sshd, exact otherwise (sysctl keys are
/// compared after '/' -> '.' normalisation).
bool configKeyEquals(ConfigFormat format, std::string_view a, std::string_view b);

/// Looks `key` up in one parsed file, honouring first- or last-wins. nullopt when absent.
std::optional<ConfigEntry> findConfigValue(ConfigFormat format, const ParsedConfig& parsed,
                                           std::string_view key);

}  // namespace checks
