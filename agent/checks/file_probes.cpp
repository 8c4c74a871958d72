// File probes: existence, mode, owner, line regexes, configuration values and hashes. Every read
// goes through HostFiles (rooted at host_root), bounded by kMaxProbeFileBytes.
#include <algorithm>
#include <cstdio>

#include "checks/config_formats.h"
#include "checks/expectation.h"
#include "checks/probe_registry.h"
#include "checks/probes.h"
#include "checks/redaction.h"
#include "core/sha256.h"

namespace checks {
namespace {

using platform::FsErrc;
using platform::FsError;

std::string fsReason(const std::string& path, const FsError& e) { return path + ": " + e.message; }

// A host path is "missing" for a probe when it, or a component of it, does not exist.
bool isMissing(const FsError& e) { return e.code == FsErrc::NotFound || e.code == FsErrc::NotDirectory; }

std::vector<ProbeResult> fileExists(const rules::ProbeSpec& spec, ProbeContext& ctx) {
  const auto& p = *spec.as<rules::FileExistsProbe>();
  auto r = ctx.files.exists(p.path);
  if (!r.ok()) return {probeError(p.path, fsReason(p.path, r.error()))};
  return {*r ? compliant(p.path, "exists", "exists") : drifted(p.path, "exists", "absent")};
}

std::vector<ProbeResult> fileAbsent(const rules::ProbeSpec& spec, ProbeContext& ctx) {
  const auto& p = *spec.as<rules::FileAbsentProbe>();
  auto r = ctx.files.exists(p.path);
  if (!r.ok()) return {probeError(p.path, fsReason(p.path, r.error()))};
  return {*r ? drifted(p.path, "absent", "exists") : compliant(p.path, "absent", "absent")};
}

std::vector<ProbeResult> fileMode(const rules::ProbeSpec& spec, ProbeContext& ctx) {
  const auto& p = *spec.as<rules::FileModeProbe>();
  const std::string expected = "at most " + octalMode(p.max_mode);
  auto st = ctx.files.stat(p.path);
  if (!st.ok()) {
    if (isMissing(st.error())) return {drifted(p.path, expected, "absent")};
    return {probeError(p.path, fsReason(p.path, st.error()))};
  }
  const unsigned mode = st->mode & 07777u;
  const unsigned extra = mode & ~p.max_mode;
  ProbeResult r = extra == 0 ? compliant(p.path, expected, octalMode(mode)) : drifted(p.path, expected, octalMode(mode));
  if (extra) r.details["excess_bits"] = octalMode(extra);
  return {r};
}

std::vector<ProbeResult> fileOwner(const rules::ProbeSpec& spec, ProbeContext& ctx) {
  const auto& p = *spec.as<rules::FileOwnerProbe>();
  const std::string expected = p.owner + (p.group ? ":" + *p.group : "");
  const auto want_uid = ctx.accounts.uid(p.owner);
  if (!want_uid) return {probeError(p.path, "user '" + p.owner + "' is not in the host's /etc/passwd")};
  std::optional<std::uint32_t> want_gid;
  if (p.group) {
    want_gid = ctx.accounts.gid(*p.group);
    if (!want_gid) return {probeError(p.path, "group '" + *p.group + "' is not in the host's /etc/group")};
  }
  auto st = ctx.files.stat(p.path);
  if (!st.ok()) {
    if (isMissing(st.error())) return {drifted(p.path, expected, "absent")};
    return {probeError(p.path, fsReason(p.path, st.error()))};
  }
  auto nameOr = [](std::string name, std::uint32_t id) { return name.empty() ? std::to_string(id) : name; };
  std::string actual = nameOr(ctx.accounts.userName(st->uid), st->uid);
  if (p.group) actual += ":" + nameOr(ctx.accounts.groupName(st->gid), st->gid);
  const bool ok = st->uid == *want_uid && (!want_gid || st->gid == *want_gid);
  ProbeResult r = ok ? compliant(p.path, expected, actual) : drifted(p.path, expected, actual);
  r.details["uid"] = std::to_string(st->uid);
  r.details["gid"] = std::to_string(st->gid);
  return {r};
}

bool isCommentLine(std::string_view line, const std::string& prefix) {
  size_t i = 0;
  while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
  return !prefix.empty() && line.substr(i, prefix.size()) == prefix;
}

std::vector<ProbeResult> fileRegex(const rules::ProbeSpec& spec, ProbeContext& ctx) {
  const auto& p = *spec.as<rules::FileRegexProbe>();
  const std::string expected = (p.present ? "a line matching " : "no line matching ") + p.pattern;
  auto text = ctx.files.readFile(p.path, kMaxProbeFileBytes);
  if (!text.ok()) {
    if (isMissing(text.error())) {
      // Nothing can match in a file that does not exist.
      return {p.present ? drifted(p.path, expected, "absent") : compliant(p.path, expected, "absent")};
    }
    return {probeError(p.path, fsReason(p.path, text.error()))};
  }
  std::string_view all = *text;
  int line_no = 0;
  int matched_line = 0;
  std::string_view matched;
  size_t pos = 0;
  while (pos < all.size()) {
    const size_t nl = all.find('\n', pos);
    const std::string_view line = all.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? all.size() : nl + 1;
    ++line_no;
    if (p.skip_comments && isCommentLine(line, p.comment_prefix)) continue;
    if (re2::RE2::PartialMatch(re2::StringPiece(line.data(), line.size()), *p.regex)) {
      matched_line = line_no;
      matched = line;
      break;
    }
  }
  const bool found = matched_line != 0;
  const std::string actual = found ? "matched at line " + std::to_string(matched_line) : "no matching line";
  ProbeResult r = found == p.present ? compliant(p.path, expected, actual) : drifted(p.path, expected, actual);
  if (found) {
    r.details["line"] = std::to_string(matched_line);
    r.details["text"] = isSensitivePath(p.path) ? std::string(kRedacted) : excerpt(matched);
  }
  return {r};
}

// ---- config_value --------------------------------------------------------------------------

constexpr int kMaxIncludeDepth = 8;  // sshd's own limit is 16; deeper nesting is not sane config
constexpr std::size_t kMaxConfigFiles = 256;

struct LocatedEntry {
  ConfigEntry entry;
  std::string file;
};

struct ConfigCollector {
  ProbeContext& ctx;
  const rules::ConfigValueProbe& probe;
  std::vector<LocatedEntry> entries;
  std::vector<std::string> missing;
  std::size_t files_read = 0;
  std::optional<std::string> error;

  // Matches one path component against a glob with '*' and '?' (sshd's Include uses glob(3)).
  static bool globMatch(std::string_view pat, std::string_view name) {
    size_t p = 0, n = 0, star = std::string_view::npos, mark = 0;
    while (n < name.size()) {
      if (p < pat.size() && (pat[p] == '?' || pat[p] == name[n])) { ++p; ++n; }
      else if (p < pat.size() && pat[p] == '*') { star = p++; mark = n; }
      else if (star != std::string_view::npos) { p = star + 1; n = ++mark; }
      else return false;
    }
    while (p < pat.size() && pat[p] == '*') ++p;
    return p == pat.size() && (name.empty() || name[0] != '.' || pat[0] == '.');
  }

  // Expands a path whose last component may hold a glob; sorted, as glob(3) returns them.
  std::vector<std::string> expand(const std::string& pattern) {
    const size_t slash = pattern.rfind('/');
    const std::string dir = slash == 0 ? "/" : pattern.substr(0, slash);
    const std::string base = pattern.substr(slash + 1);
    if (base.find_first_of("*?") == std::string::npos) return {pattern};
    std::vector<std::string> out;
    auto list = ctx.files.listDir(dir);
    if (!list.ok()) return out;
    for (const auto& e : *list) {
      if (globMatch(base, e.name)) out.push_back((dir == "/" ? "" : dir) + "/" + e.name);
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  void addFile(const std::string& path, int depth) {
    if (error) return;
    if (++files_read > kMaxConfigFiles) {
      error = "more than " + std::to_string(kMaxConfigFiles) + " configuration files";
      return;
    }
    auto text = ctx.files.readFile(path, kMaxProbeFileBytes);
    if (!text.ok()) {
      if (isMissing(text.error())) missing.push_back(path);
      else error = fsReason(path, text.error());
      return;
    }
    const ParsedConfig parsed = parseConfig(probe.format, *text, probe.section);
    size_t next_include = 0;
    for (size_t i = 0; i <= parsed.entries.size(); ++i) {
      // sshd: an Include takes effect where it stands, between the entries around it.
      while (next_include < parsed.includes.size() && parsed.include_pos[next_include] == i) {
        const auto& inc = parsed.includes[next_include++];
        if (depth >= kMaxIncludeDepth) {
          error = path + ":" + std::to_string(inc.line) + ": Include nested too deeply";
          return;
        }
        // Relative Include paths are relative to /etc/ssh, as sshd reads them.
        const std::string pat = inc.pattern.empty() || inc.pattern[0] == '/' ? inc.pattern : "/etc/ssh/" + inc.pattern;
        for (const auto& f : expand(pat)) addFile(f, depth + 1);
      }
      if (i < parsed.entries.size()) entries.push_back({parsed.entries[i], path});
    }
  }

  void addPath(const std::string& path) {
    auto st = ctx.files.stat(path);
    if (st.ok() && st->type == platform::FileType::Directory) {
      auto list = ctx.files.listDir(path);
      if (!list.ok()) {
        error = fsReason(path, list.error());
        return;
      }
      std::vector<std::string> names;
      for (const auto& e : *list) {
        if (e.name.size() > 5 && e.name.compare(e.name.size() - 5, 5, ".conf") == 0) names.push_back(e.name);
      }
      std::sort(names.begin(), names.end());
      for (const auto& n : names) addFile((path == "/" ? "" : path) + "/" + n, 0);
      return;
    }
    addFile(path, 0);
  }
};

std::vector<ProbeResult> configValue(const rules::ProbeSpec& spec, ProbeContext& ctx) {
  const auto& p = *spec.as<rules::ConfigValueProbe>();
  const std::string target = p.paths.front();
  ConfigCollector c{ctx, p, {}, {}, 0, std::nullopt};
  for (const auto& path : p.paths) c.addPath(path);
  if (c.error) return {probeError(target, *c.error)};

  const LocatedEntry* found = nullptr;
  for (const auto& e : c.entries) {
    if (!configKeyEquals(p.format, e.entry.key, p.key)) continue;
    found = &e;
    if (firstValueWins(p.format)) break;
  }
  std::optional<std::string> value;
  std::map<std::string, std::string> details;
  if (found) {
    value = found->entry.value;
    details["source"] = found->file + ":" + std::to_string(found->entry.line);
  } else if (p.default_value) {
    value = *p.default_value;
    details["source"] = "default";
  }
  // sshd reads its keyword arguments case-insensitively ("No" is "no").
  rules::Expectation expect = p.expect;
  if (p.format == rules::ConfigFormat::Sshd) expect.ignore_case = true;
  const bool ok = satisfies(expect, value);
  const bool secret = isSensitiveKey(p.key) || isSensitivePath(target);
  const std::string actual = !value ? "(absent)" : secret ? std::string(kRedacted) : excerpt(*value);
  ProbeResult r = ok ? compliant(target, describe(p.expect), actual) : drifted(target, describe(p.expect), actual);
  r.details = std::move(details);
  r.details["key"] = p.key;
  if (!c.missing.empty()) {
    std::string m;
    for (const auto& f : c.missing) m += (m.empty() ? "" : ", ") + f;
    r.details["missing_files"] = m;
  }
  return {r};
}

std::vector<ProbeResult> fileHash(const rules::ProbeSpec& spec, ProbeContext& ctx) {
  const auto& p = *spec.as<rules::FileHashProbe>();
  auto text = ctx.files.readFile(p.path, kMaxProbeFileBytes);
  if (!text.ok()) {
    if (isMissing(text.error())) return {drifted(p.path, p.sha256, "absent")};
    return {probeError(p.path, fsReason(p.path, text.error()))};
  }
  const std::string digest = core::sha256Hex(*text);
  return {digest == p.sha256 ? compliant(p.path, p.sha256, digest) : drifted(p.path, p.sha256, digest)};
}

}  // namespace

void registerFileProbes(ProbeRegistry& registry) {
  registry.add("file_exists", fileExists);
  registry.add("file_absent", fileAbsent);
  registry.add("file_mode", fileMode);
  registry.add("file_owner", fileOwner);
  registry.add("file_regex", fileRegex);
  registry.add("config_value", configValue);
  registry.add("file_hash", fileHash);
}

}  // namespace checks
