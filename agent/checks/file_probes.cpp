// File probes: existence, mode, owner, line regexes, configuration values and hashes. Every read
// goes through HostFiles (rooted at host_root), bounded by kMaxProbeFileBytes.
#include <algorithm>
#include <cstdio>

#include "checks/config_formats.h"
#include "checks/expectation.h"
#include "checks/probe_registry.h"
#include "checks/probes.h"
#include "checks/redaction.h"
#include "checks/sshd_keywords.h"
#include "core/sha256.h"

namespace checks {
namespace {

using platform::FsErrc;
using platform::FsError;

std::string fsReason(const std::string& path, const FsError& e) { return path + ": " + e.message; }

// A host path is "missing" for a probe when it, or a component of it, does not exist.
bool isMissing(const FsError& e) { return e.code == FsErrc::NotFound || e.code == FsErrc::NotDirectory; }

// A file that does not exist, judged as the probe's `missing:` says.
ProbeResult missingResult(const std::string& path, const std::string& expected, rules::MissingFile missing) {
  ProbeResult r;
  switch (missing) {
    case rules::MissingFile::Pass: r = compliant(path, expected, "absent"); break;
    case rules::MissingFile::Fail: r = drifted(path, expected, "absent"); break;
    case rules::MissingFile::NotApplicable: return notApplicable(path, "absent");
  }
  r.details["reason"] = "absent";
  return r;
}

std::vector<ProbeResult> fileExists(const rules::ProbeSpec& spec, ProbeContext& ctx) {
  const auto& p = *spec.as<rules::FileExistsProbe>();
  auto r = ctx.files.exists(p.path);
  if (!r.ok()) return single(probeError(p.path, fsReason(p.path, r.error())));
  return {*r ? compliant(p.path, "exists", "exists") : drifted(p.path, "exists", "absent")};
}

std::vector<ProbeResult> fileAbsent(const rules::ProbeSpec& spec, ProbeContext& ctx) {
  const auto& p = *spec.as<rules::FileAbsentProbe>();
  auto r = ctx.files.exists(p.path);
  if (!r.ok()) return single(probeError(p.path, fsReason(p.path, r.error())));
  return {*r ? drifted(p.path, "absent", "exists") : compliant(p.path, "absent", "absent")};
}

std::vector<ProbeResult> fileMode(const rules::ProbeSpec& spec, ProbeContext& ctx) {
  const auto& p = *spec.as<rules::FileModeProbe>();
  const std::string expected = "at most " + octalMode(p.max_mode);
  auto st = ctx.files.stat(p.path);
  if (!st.ok()) {
    if (isMissing(st.error())) return single(missingResult(p.path, expected, p.missing));
    return single(probeError(p.path, fsReason(p.path, st.error())));
  }
  const unsigned mode = st->mode & 07777u;
  const unsigned extra = mode & ~p.max_mode;
  ProbeResult r = extra == 0 ? compliant(p.path, expected, octalMode(mode)) : drifted(p.path, expected, octalMode(mode));
  if (extra) r.details["excess_bits"] = octalMode(extra);
  return single(r);
}

std::vector<ProbeResult> fileOwner(const rules::ProbeSpec& spec, ProbeContext& ctx) {
  const auto& p = *spec.as<rules::FileOwnerProbe>();
  // chown's spelling: "root", "root:shadow", or ":shadow" when only the group is checked.
  const std::string expected = p.owner.value_or("") + (p.group ? ":" + *p.group : "");
  // A file that does not exist has no owner to be wrong, whatever the account files say (even
  // when the file is /etc/group itself, and the names cannot be resolved without it).
  auto st = ctx.files.stat(p.path);
  if (!st.ok()) {
    if (isMissing(st.error())) return single(missingResult(p.path, expected, p.missing));
    return single(probeError(p.path, fsReason(p.path, st.error())));
  }
  std::optional<std::uint32_t> want_uid, want_gid;
  if (p.owner) {
    want_uid = ctx.accounts.uid(*p.owner);
    if (!want_uid) return single(probeError(p.path, "user '" + *p.owner + "' is not in the host's /etc/passwd"));
  }
  if (p.group) {
    want_gid = ctx.accounts.gid(*p.group);
    if (!want_gid) return single(probeError(p.path, "group '" + *p.group + "' is not in the host's /etc/group"));
  }
  auto nameOr = [](std::string name, std::uint32_t id) { return name.empty() ? std::to_string(id) : name; };
  std::string actual;
  if (p.owner) actual = nameOr(ctx.accounts.userName(st->uid), st->uid);
  if (p.group) actual += ":" + nameOr(ctx.accounts.groupName(st->gid), st->gid);
  const bool ok = (!want_uid || st->uid == *want_uid) && (!want_gid || st->gid == *want_gid);
  ProbeResult r = ok ? compliant(p.path, expected, actual) : drifted(p.path, expected, actual);
  r.details["uid"] = std::to_string(st->uid);
  r.details["gid"] = std::to_string(st->gid);
  return single(r);
}

bool isCommentLine(std::string_view line, const std::string& prefix) {
  size_t i = 0;
  while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
  return !prefix.empty() && line.substr(i, prefix.size()) == prefix;
}

// Bounds the files one probe reads (a directory of drop-ins, sshd Includes).
constexpr std::size_t kMaxProbeFiles = 256;

// Matches one path component against a glob with '*' and '?', as glob(3) does for an Include or
// a shell's `rules.d/*.rules`: a leading dot is matched only by a pattern that starts with one.
bool globMatch(std::string_view pat, std::string_view name) {
  return sshdPatternMatch(pat, name) && (name.empty() || name[0] != '.' || (!pat.empty() && pat[0] == '.'));
}

std::string joinPath(const std::string& dir, const std::string& name) { return (dir == "/" ? "" : dir) + "/" + name; }

// The entries of `dir` whose names match `glob`, as full paths in name order (listDir's). With
// `files_only`, only regular files and links to them: the odd subdirectory, dangling link or a
// link to /dev/null (systemd's way of masking a drop-in) in a directory of drop-ins is not read,
// as augenrules, modprobe and systemd-sysctl do not read them.
core::Result<std::vector<std::string>, platform::FsError> filesMatching(ProbeContext& ctx, const std::string& dir,
                                                                        std::string_view glob, bool files_only) {
  auto list = ctx.files.listDir(dir);
  if (!list.ok()) return core::fail(list.error());
  std::vector<std::string> out;
  for (const auto& e : *list) {
    if (!globMatch(glob, e.name)) continue;
    const std::string path = joinPath(dir, e.name);
    if (files_only && e.type != platform::FileType::Regular) {
      if (e.type != platform::FileType::Symlink) continue;
      auto to = ctx.files.stat(path);
      if (!to.ok() || to->type != platform::FileType::Regular) continue;
    }
    out.push_back(path);
  }
  return out;
}

std::vector<ProbeResult> fileRegex(const rules::ProbeSpec& spec, ProbeContext& ctx) {
  const auto& p = *spec.as<rules::FileRegexProbe>();
  const std::string target = p.paths.front();
  const std::string expected = (p.present ? "a line matching " : "no line matching ") + p.pattern;
  // The files, in the order given; a directory contributes its files whose names match `names`
  // (subdirectories are not entered, as augenrules and modprobe do not).
  std::vector<std::string> files, missing;
  bool several = p.paths.size() > 1;
  for (const auto& path : p.paths) {
    auto st = ctx.files.stat(path);
    if (!st.ok()) {
      if (isMissing(st.error())) {
        missing.push_back(path);
        continue;
      }
      return single(probeError(target, fsReason(path, st.error())));
    }
    if (st->type != platform::FileType::Directory) {
      files.push_back(path);
      continue;
    }
    several = true;
    auto in_dir = filesMatching(ctx, path, p.names, true);
    if (!in_dir.ok()) return single(probeError(target, fsReason(path, in_dir.error())));
    files.insert(files.end(), in_dir->begin(), in_dir->end());
  }
  if (files.size() > kMaxProbeFiles) {
    return single(probeError(target, "more than " + std::to_string(kMaxProbeFiles) + " files to read"));
  }
  std::string matched_file;
  int matched_line = 0;
  std::string_view matched;
  std::string text_holder;
  std::size_t files_read = 0;
  for (const auto& file : files) {
    auto text = ctx.files.readFile(file, kMaxProbeFileBytes);
    if (!text.ok()) {
      if (isMissing(text.error())) {
        missing.push_back(file);
        continue;
      }
      return single(probeError(target, fsReason(file, text.error())));
    }
    ++files_read;
    text_holder = std::move(*text);
    std::string_view all = text_holder;
    int line_no = 0;
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
    if (matched_line != 0) {
      matched_file = file;
      break;
    }
  }
  const bool found = matched_line != 0;
  // Nothing can match in files that do not exist: "absent" when there was nothing to read.
  const std::string actual = found ? "matched at line " + std::to_string(matched_line)
                             : files_read == 0 && !missing.empty() && !several ? "absent"
                                                                               : "no matching line";
  ProbeResult r = found == p.present ? compliant(target, expected, actual) : drifted(target, expected, actual);
  if (found) {
    r.details["line"] = std::to_string(matched_line);
    r.details["text"] = isSensitivePath(matched_file) ? std::string(kRedacted) : excerpt(matched);
    if (several) r.details["file"] = matched_file;
  }
  if (several) {
    r.details["files_read"] = std::to_string(files_read);
    if (!missing.empty()) {
      std::string m;
      for (const auto& f : missing) m += (m.empty() ? "" : ", ") + f;
      r.details["missing_files"] = excerpt(m);
    }
  }
  return single(r);
}

// ---- config_value --------------------------------------------------------------------------

constexpr int kMaxIncludeDepth = 8;  // sshd's own limit is 16; deeper nesting is not sane config

struct LocatedEntry {
  ConfigEntry entry;
  std::string file;
};

struct ConfigCollector {
  ProbeContext& ctx;
  const rules::ConfigValueProbe& probe;
  std::vector<LocatedEntry> entries;
  std::vector<LocatedEntry> conditional;  // sshd: inside Match blocks
  std::vector<LocatedEntry> commented;
  std::vector<std::string> missing;
  std::size_t files_read = 0;
  std::optional<std::string> error;

  // Expands a path whose last component may hold a glob; sorted, as glob(3) returns them (a
  // directory that cannot be listed matches nothing, as for sshd).
  std::vector<std::string> expand(const std::string& pattern) {
    const size_t slash = pattern.rfind('/');
    const std::string dir = slash == 0 ? "/" : pattern.substr(0, slash);
    const std::string base = pattern.substr(slash + 1);
    if (base.find_first_of("*?") == std::string::npos) return {pattern};
    auto out = filesMatching(ctx, dir, base, false);
    return out.ok() ? std::move(*out) : std::vector<std::string>{};
  }

  void addFile(const std::string& path, int depth) {
    if (error) return;
    if (++files_read > kMaxProbeFiles) {
      error = "more than " + std::to_string(kMaxProbeFiles) + " configuration files";
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
    for (const auto& e : parsed.conditional) conditional.push_back({e, path});
    for (const auto& e : parsed.commented) commented.push_back({e, path});
  }

  void addPath(const std::string& path) {
    auto st = ctx.files.stat(path);
    if (st.ok() && st->type == platform::FileType::Directory) {
      auto files = filesMatching(ctx, path, "*.conf", true);
      if (!files.ok()) {
        error = fsReason(path, files.error());
        return;
      }
      for (const auto& f : *files) addFile(f, 0);
      return;
    }
    addFile(path, 0);
  }
};

std::string where(const LocatedEntry& e) { return e.file + ":" + std::to_string(e.entry.line); }

bool equalsIgnoringCase(const std::string& a, const std::string& b, bool ignore_case) {
  rules::Expectation same;
  same.value = b;
  same.ignore_case = ignore_case;
  return satisfies(same, a);
}

std::vector<ProbeResult> configValue(const rules::ProbeSpec& spec, ProbeContext& ctx) {
  const auto& p = *spec.as<rules::ConfigValueProbe>();
  const std::string target = p.paths.front();
  ConfigCollector c{ctx, p, {}, {}, {}, {}, 0, std::nullopt};
  for (const auto& path : p.paths) c.addPath(path);
  if (c.error) return single(probeError(target, *c.error));
  const bool sshd = p.format == rules::ConfigFormat::Sshd;
  const auto ofKey = [&](const std::vector<LocatedEntry>& from) {
    std::vector<const LocatedEntry*> out;
    for (const auto& e : from) {
      if (configKeyEquals(p.format, e.entry.key, p.key)) out.push_back(&e);
    }
    return out;
  };
  const auto defined = ofKey(c.entries);
  const auto conditional = ofKey(c.conditional);
  // What the program takes from a definition: sshd reads it by its keyword's kind (times in
  // seconds ...), the other formats as written.
  const auto effective = [&](const LocatedEntry& e) -> SshdValue {
    return sshd ? readSshdValue(p.key, e.entry.value) : SshdValue{true, e.entry.value, ""};
  };
  // sshd's reading of the expectation's case (it reads "No" as "no").
  rules::Expectation expect = p.expect;
  if (sshd) expect.ignore_case = true;
  const bool secret = isSensitiveKey(p.key) || isSensitivePath(target);
  const auto shown = [&](const std::optional<std::string>& v) {
    return !v ? std::string("(absent)") : secret ? std::string(kRedacted) : excerpt(*v);
  };
  const auto result = [&](bool ok, const std::optional<std::string>& value) {
    ProbeResult r = ok ? compliant(target, describe(p.expect), shown(value)) : drifted(target, describe(p.expect), shown(value));
    r.details["key"] = p.key;
    if (!c.missing.empty()) {
      std::string m;
      for (const auto& f : c.missing) m += (m.empty() ? "" : ", ") + f;
      r.details["missing_files"] = m;
    }
    return r;
  };

  // A definition the program refuses makes the whole file refused (sshd -t fails): wherever it
  // is, it is drifted, whatever the other definitions say.
  std::vector<const LocatedEntry*> all = defined;
  all.insert(all.end(), conditional.begin(), conditional.end());
  for (const LocatedEntry* e : all) {
    const SshdValue v = effective(*e);
    if (v.valid) continue;
    ProbeResult r = result(false, e->entry.value);
    r.details["source"] = where(*e);
    r.details["reason"] = "sshd refuses '" + e->entry.key + " " + (secret ? std::string(kRedacted) : e->entry.value) +
                          "' at " + where(*e) + ": " + v.why + " (sshd -t fails on this file)";
    return single(r);
  }

  const LocatedEntry* found = nullptr;
  if (!defined.empty()) found = firstValueWins(p.format) ? defined.front() : defined.back();
  std::optional<std::string> value;
  std::map<std::string, std::string> details;
  if (found) {
    value = effective(*found).effective;
    details["source"] = where(*found);
  } else if (p.explicit_setting) {
    // The default does not count: the setting must be written, whatever the program's default.
    const auto commented = ofKey(c.commented);
    ProbeResult r = result(false, std::nullopt);
    r.actual = "(not set)";
    r.details["reason"] = commented.empty() ? "not set in any file; it must be set explicitly"
                                            : "not set: commented out at " + where(*commented.front()) +
                                                  "; it must be set explicitly";
    return single(r);
  } else if (p.default_value) {
    value = *p.default_value;
    details["source"] = "default";
  }
  if (p.conflict == rules::Conflict::Fail) {
    std::string listed;
    bool differ = false;
    for (const LocatedEntry* e : defined) {
      differ = differ || !equalsIgnoringCase(effective(*e).effective, *value, sshd);
      listed += (listed.empty() ? "" : ", ") + where(*e) + " '" + (secret ? std::string(kRedacted) : e->entry.value) + "'";
    }
    if (differ) {
      ProbeResult r = result(false, value);
      r.details.merge(details);
      r.details["reason"] = "conflicting definitions: " + listed;
      return single(r);
    }
  }
  if (!satisfies(expect, value)) {
    ProbeResult r = result(false, value);
    r.details.merge(details);
    return single(r);
  }
  // sshd: a Match block that sets a value the check refuses weakens it for the connections the
  // block matches (what `sshd -T -C` shows for such a connection).
  for (const LocatedEntry* e : conditional) {
    const std::string v = effective(*e).effective;
    if (satisfies(expect, v)) continue;
    ProbeResult r = result(false, v);
    r.details["source"] = where(*e);
    r.details["match"] = e->entry.match;
    r.details["reason"] = "'" + e->entry.match + "' (" + where(*e) + ") sets it to " + shown(v) +
                          " for the connections it matches";
    return single(r);
  }
  ProbeResult r = result(true, value);
  r.details.merge(details);
  return single(r);
}

std::vector<ProbeResult> fileHash(const rules::ProbeSpec& spec, ProbeContext& ctx) {
  const auto& p = *spec.as<rules::FileHashProbe>();
  auto text = ctx.files.readFile(p.path, kMaxProbeFileBytes);
  if (!text.ok()) {
    if (isMissing(text.error())) return single(drifted(p.path, p.sha256, "absent"));
    return single(probeError(p.path, fsReason(p.path, text.error())));
  }
  const std::string digest = core::sha256Hex(*text);
  return single(digest == p.sha256 ? compliant(p.path, p.sha256, digest) : drifted(p.path, p.sha256, digest));
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
