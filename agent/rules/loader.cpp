#include "rules/loader.h"

#include "core/sha256.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <numeric>
#include <set>
#include <tuple>
#include <unordered_map>

#include "rules/legacy_import.h"
#include "rules/parse_spec.h"
#include "rules/vars.h"

namespace rules {
namespace {

namespace fs = std::filesystem;
using core::yaml::Diagnostics;
using core::yaml::MapReader;
using core::yaml::YamlErrc;
using core::yaml::YamlError;

const core::yaml::Limits kFileLimits{kMaxRuleFileBytes, kMaxRuleDepth};

std::string posText(const SourcePos& p) {
  return p.file + ":" + std::to_string(p.line) + ":" + std::to_string(p.column);
}

// Rule files are text: operators read them and their strings reach JSON output and evidence.
// Returns the offset of the first byte that is not valid UTF-8 (NUL included), or npos.
std::size_t firstInvalidUtf8(std::string_view s) {
  std::size_t i = 0;
  const auto* b = reinterpret_cast<const unsigned char*>(s.data());
  while (i < s.size()) {
    const unsigned char c = b[i];
    if (c == 0) return i;
    if (c < 0x80) { ++i; continue; }
    std::size_t n = 0;
    unsigned lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) n = 1;
    else if (c == 0xE0) { n = 2; lo = 0xA0; }            // no overlongs
    else if (c >= 0xE1 && c <= 0xEC) n = 2;
    else if (c == 0xED) { n = 2; hi = 0x9F; }            // no surrogates
    else if (c >= 0xEE && c <= 0xEF) n = 2;
    else if (c == 0xF0) { n = 3; lo = 0x90; }
    else if (c >= 0xF1 && c <= 0xF3) n = 3;
    else if (c == 0xF4) { n = 3; hi = 0x8F; }            // nothing above U+10FFFF
    else return i;
    if (i + n >= s.size()) return i;  // truncated sequence
    for (std::size_t k = 1; k <= n; ++k) {
      const unsigned char d = b[i + k];
      const unsigned l = k == 1 ? lo : 0x80, h = k == 1 ? hi : 0xBF;
      if (d < l || d > h) return i;
    }
    i += n + 1;
  }
  return std::string_view::npos;
}

YamlError errorAtOffset(std::string_view text, std::size_t offset, const std::string& file,
                        std::string message) {
  int line = 1, column = 1;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return YamlError{YamlErrc::BadValue, file, line, column, "", std::move(message)};
}

// yaml-cpp's message for a tab in the indentation ("illegal block entry", "illegal map value")
// does not say what is wrong; whether line `line` is indented with a tab does.
bool tabIndented(std::string_view text, int line) {
  std::size_t at = 0;
  for (int l = 1; l < line && at != std::string_view::npos; ++l) {
    at = text.find('\n', at);
    if (at != std::string_view::npos) ++at;
  }
  if (at == std::string_view::npos || line < 1) return false;
  for (; at < text.size() && (text[at] == ' ' || text[at] == '\t'); ++at) {
    if (text[at] == '\t') return true;
  }
  return false;
}

// Entries a document declares, counted before any of them is turned into the model.
std::size_t countEntries(const YAML::Node& doc, bool legacy) {
  if (legacy) {
    const YAML::Node& d = doc;
    return d.IsSequence() ? d.size() : d["rules"].size();
  }
  if (!doc.IsMap()) return 0;
  std::size_t n = 0;
  const YAML::Node& d = doc;
  for (const char* key : {"checks", "rules", "waivers"}) {
    const YAML::Node v = d[key];
    if (v.IsDefined() && v.IsSequence()) n += v.size();
  }
  return n;
}

// Field paths of parsed entries, kept beside the model for cross-file messages.
struct Parsed {
  RuleSet set;
  std::vector<std::string> check_fields, rule_fields, waiver_fields;
};

template <class T, class F>
void parseList(MapReader& m, const std::string& key, Diagnostics& diag, const std::string& file,
               std::vector<T>& out, std::vector<std::string>& fields, F&& parse) {
  const YAML::Node n = m.node(key);
  if (!n.IsDefined()) return;
  if (!n.IsSequence()) {
    diag.add(YamlErrc::Type, file, n.Mark(), key, "expected a list");
    return;
  }
  for (std::size_t i = 0; i < n.size(); ++i) {
    const std::string field = key + "[" + std::to_string(i) + "]";
    Diagnostics local;
    T item = parse(n[i], field, local);
    detail::mergeWithId(local, item.id, diag);
    out.push_back(std::move(item));
    fields.push_back(field);
  }
}

void parseDocument(const YAML::Node& doc, const std::string& file, const KnownTypes& known,
                   Diagnostics& diag, Parsed& p) {
  const std::vector<Variable>* vars = &p.set.vars;
  if (!doc.IsDefined() || doc.IsNull()) {
    diag.add(YamlError{YamlErrc::BadValue, file, 0, 0, "",
                       "empty rule file: expected a map with checks, rules or waivers"});
    return;
  }
  if (!doc.IsMap()) {
    diag.add(YamlErrc::Type, file, doc.Mark(), "", "expected a map with checks, rules or waivers");
    return;
  }
  MapReader m(doc, file, "", diag);
  auto check = [&](const YAML::Node& n, const std::string& f, Diagnostics& d) {
    detail::Ctx ctx{file, d, known, vars};
    return detail::parseCheck(n, f, ctx);
  };
  auto rule = [&](const YAML::Node& n, const std::string& f, Diagnostics& d) {
    detail::Ctx ctx{file, d, known, vars};
    return detail::parseRule(n, f, ctx);
  };
  parseList(m, "checks", diag, file, p.set.checks, p.check_fields, check);
  parseList(m, "rules", diag, file, p.set.rules, p.rule_fields, rule);
  // Waivers have no id of their own; their messages name the check they waive.
  const YAML::Node waivers = m.node("waivers");
  if (waivers.IsDefined() && !waivers.IsSequence()) {
    diag.add(YamlErrc::Type, file, waivers.Mark(), "waivers", "expected a list");
  } else if (waivers.IsDefined()) {
    for (std::size_t i = 0; i < waivers.size(); ++i) {
      const std::string field = "waivers[" + std::to_string(i) + "]";
      Diagnostics local;
      detail::Ctx ctx{file, local, known, vars};
      Waiver w = detail::parseWaiver(waivers[i], field, ctx);
      detail::mergeWithId(local, w.check_id, diag);
      p.set.waivers.push_back(std::move(w));
      p.waiver_fields.push_back(field);
    }
  }
  (void)m.node("vars");  // read before any document (declarations of the whole set)
  if (!m.has("checks") && !m.has("rules") && !m.has("waivers") && !m.has("vars")) {
    diag.add(YamlErrc::MissingKey, file, doc.Mark(), "", "the file holds no checks, rules, waivers or vars");
  }
  m.finish();
}

void addAt(Diagnostics& diag, const SourcePos& pos, const std::string& field, std::string msg) {
  diag.add(YamlError{YamlErrc::BadValue, pos.file, pos.line, pos.column, field, std::move(msg)});
}

// Checks that need the whole set: unique ids, and references between entries.
void crossCheck(const Parsed& p, Diagnostics& diag) {
  const auto& s = p.set;
  std::unordered_map<std::string, const SourcePos*> checks;
  checks.reserve(s.checks.size());
  for (std::size_t i = 0; i < s.checks.size(); ++i) {
    const auto& c = s.checks[i];
    if (c.id.empty()) continue;
    auto [it, fresh] = checks.emplace(c.id, &c.pos);
    if (!fresh) {
      addAt(diag, c.pos, p.check_fields[i] + ".id",
            "(" + c.id + ") duplicate check id '" + c.id + "'; first defined at " + posText(*it->second));
    }
  }
  std::unordered_map<std::string, const SourcePos*> rules;
  rules.reserve(s.rules.size());
  for (std::size_t i = 0; i < s.rules.size(); ++i) {
    const auto& r = s.rules[i];
    if (r.id.empty()) continue;
    auto [it, fresh] = rules.emplace(r.id, &r.pos);
    if (!fresh) {
      addAt(diag, r.pos, p.rule_fields[i] + ".id",
            "(" + r.id + ") duplicate rule id '" + r.id + "'; first defined at " + posText(*it->second));
    }
    // Workstation findings come from the gateway; their checks are not in this set.
    const bool remote = std::any_of(r.actions.begin(), r.actions.end(),
                                    [](const ActionSpec& a) { return a.type == "agent_heal"; });
    if (remote) continue;
    for (std::size_t j = 0; j < r.match.size(); ++j) {
      const auto& m = r.match[j];
      if (m.field != "check_id") continue;
      std::vector<std::string> ids;
      if (m.expect.op == MatchOp::Eq) ids.push_back(m.expect.value);
      if (m.expect.op == MatchOp::In) ids = m.expect.values;
      for (const auto& id : ids) {
        if (checks.count(id) == 0) {
          addAt(diag, m.pos, p.rule_fields[i] + ".match[" + std::to_string(j) + "]",
                "(" + r.id + ") matches check_id '" + id + "', which no check defines");
        }
      }
    }
  }
  std::map<std::pair<std::string, std::string>, const SourcePos*> waived;
  for (std::size_t i = 0; i < s.waivers.size(); ++i) {
    const auto& w = s.waivers[i];
    if (w.check_id.empty()) continue;
    if (checks.count(w.check_id) == 0) {
      addAt(diag, w.pos, p.waiver_fields[i] + ".check_id",
            "(" + w.check_id + ") waiver for check '" + w.check_id + "', which no check defines");
    }
    auto [it, fresh] = waived.emplace(std::make_pair(w.check_id, w.target), &w.pos);
    if (!fresh) {
      addAt(diag, w.pos, p.waiver_fields[i],
            "(" + w.check_id + ") duplicate waiver for target '" + w.target + "'; first at " + posText(*it->second));
    }
  }
}

// Converts into any Result<T, RulesError>: the loader and readRuleSources share it.
core::Unexpected<RulesError> failWith(Diagnostics& diag, bool limit, bool io) {
  RulesError e;
  e.code = io ? RulesErrc::Io : limit ? RulesErrc::Limit : RulesErrc::Invalid;
  const auto& all = diag.errors();
  const std::size_t n = std::min(all.size(), kMaxReportedProblems);
  e.problems.assign(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n));
  e.omitted = all.size() - n;
  return core::fail(std::move(e));
}

bool isLimit(YamlErrc c) { return c == YamlErrc::TooLarge || c == YamlErrc::TooDeep; }

bool hasRuleExtension(const fs::path& p) {
  const std::string ext = p.extension().string();
  return ext == ".yaml" || ext == ".yml" || ext == ".json";
}

}  // namespace

KnownTypes KnownTypes::all() {
  KnownTypes k;
  for (auto n : kProbeTypeNames) k.probes.emplace(n);
  for (auto n : kActionTypeNames) k.actions.emplace(n);
  return k;
}

std::string RulesError::format() const {
  std::string out;
  for (const auto& p : problems) {
    out += p.format();
    out += '\n';
  }
  if (omitted > 0) out += "(" + std::to_string(omitted) + " more problems not shown)\n";
  return out;
}

std::string ruleSetVersion(const std::vector<SourceFile>& files) {
  std::vector<const SourceFile*> order;
  for (const auto& f : files) order.push_back(&f);
  std::sort(order.begin(), order.end(), [](auto* a, auto* b) { return a->name < b->name; });
  core::Sha256 digest;
  for (const auto* f : order) {
    digest.update(f->name + '\0' + std::to_string(f->text.size()) + '\0');
    digest.update(f->text);
  }
  return digest.hexDigest();
}

core::Result<RuleSet, RulesError> loadRuleSources(const std::vector<SourceFile>& files,
                                                  const KnownTypes& known, const VarOverrides& overrides) {
  Diagnostics diag;
  bool limit = false;
  auto display = [](const SourceFile& f) { return f.display.empty() ? f.name : f.display; };
  if (files.size() > kMaxRuleFiles) {
    diag.add(YamlError{YamlErrc::TooLarge, "(rule set)", 0, 0, "",
                       std::to_string(files.size()) + " rule files, over the limit of " + std::to_string(kMaxRuleFiles)});
    return failWith(diag, true, false);
  }
  const std::size_t total = std::accumulate(files.begin(), files.end(), std::size_t{0},
                                            [](std::size_t n, const SourceFile& f) { return n + f.text.size(); });
  if (total > kMaxRuleSetBytes) {
    diag.add(YamlError{YamlErrc::TooLarge, "(rule set)", 0, 0, "",
                       "rule files total " + std::to_string(total) + " bytes, over the limit of " +
                           std::to_string(kMaxRuleSetBytes)});
    return failWith(diag, true, false);
  }
  std::vector<const SourceFile*> order;
  for (const auto& f : files) order.push_back(&f);
  std::stable_sort(order.begin(), order.end(), [](auto* a, auto* b) { return a->name < b->name; });
  for (std::size_t i = 1; i < order.size(); ++i) {
    if (order[i]->name == order[i - 1]->name) {
      diag.add(YamlError{YamlErrc::BadValue, display(*order[i]), 0, 0, "", "file name given twice"});
    }
  }

  // Pass 1: parse every document and collect the variable declarations of the whole set, so a
  // check may use a variable declared in another file. Pass 2 turns the documents into the model.
  struct Doc {
    std::string file;
    YAML::Node doc;
    bool legacy = false;
  };
  std::vector<Doc> docs;
  Parsed parsed;
  std::size_t entries = 0;
  for (const SourceFile* f : order) {
    const std::string file = display(*f);
    const std::size_t bad = firstInvalidUtf8(f->text);
    if (bad != std::string_view::npos) {
      diag.add(errorAtOffset(f->text, bad, file,
                             f->text[bad] == '\0' ? "a rule file is text: NUL byte found"
                                                  : "a rule file is text: invalid UTF-8"));
      continue;
    }
    auto doc = core::yaml::parseGuarded(f->text, file, kFileLimits);
    if (!doc) {
      limit = limit || isLimit(doc.error().code);
      YamlError e = doc.error();
      if (e.code == YamlErrc::Syntax && tabIndented(f->text, e.line)) {
        e.message += " (tabs cannot indent YAML; use spaces)";
      }
      diag.add(std::move(e));
      continue;
    }
    const bool legacy = isLegacyDocument(*doc);
    entries += countEntries(*doc, legacy);
    if (entries > kMaxRuleCount) {
      limit = true;
      diag.add(YamlError{YamlErrc::TooLarge, file, 0, 0, "",
                         "the rule set holds more than " + std::to_string(kMaxRuleCount) +
                             " checks, rules and waivers"});
      break;  // the rest would only add noise, and work
    }
    // (Duplicate keys were refused by parseGuarded: yaml-cpp would silently keep the first.)
    if (!legacy && doc->IsMap()) {
      const YAML::Node& root = *doc;  // const: operator[] must not add the key
      detail::parseVars(root["vars"], file, diag, parsed.set.vars);
    }
    docs.push_back(Doc{file, *doc, legacy});
  }
  if (!limit) detail::resolveVars(parsed.set.vars, overrides, diag);
  for (const Doc& d : docs) {
    const std::string& file = d.file;
    Diagnostics local;
    if (d.legacy) {
      const std::string base = d.doc.IsSequence() ? "" : "rules";
      std::size_t i = 0;
      for (auto& r : importLegacyRules(d.doc, file, known, local)) {
        parsed.rule_fields.push_back(base + "[" + std::to_string(i++) + "]");
        parsed.set.rules.push_back(std::move(r));
      }
    } else {
      parseDocument(d.doc, file, known, local, parsed);
    }
    // Getters report in the order they are called; operators read a file top to bottom.
    std::vector<YamlError> problems = local.errors();
    std::stable_sort(problems.begin(), problems.end(), [](const YamlError& a, const YamlError& b) {
      return std::tie(a.line, a.column) < std::tie(b.line, b.column);
    });
    for (auto& e : problems) diag.add(std::move(e));
    parsed.set.source_files.push_back(file);
  }
  if (!limit) crossCheck(parsed, diag);
  if (!diag.empty()) return failWith(diag, limit, false);
  parsed.set.source_version = ruleSetVersion(files);
  parsed.set.version = detail::versionInForce(parsed.set.source_version, parsed.set.vars);
  return std::move(parsed.set);
}

core::Result<RuleSet, RulesError> loadRulePath(const std::string& path, const KnownTypes& known,
                                               const VarOverrides& overrides) {
  auto sources = readRuleSources(path);
  if (!sources.ok()) return core::fail(std::move(sources).error());
  return loadRuleSources(*sources, known, overrides);
}

core::Result<std::vector<SourceFile>, RulesError> readRuleSources(const std::string& path) {
  Diagnostics diag;
  bool limit = false, io = false;
  auto ioError = [&](const std::string& file, const std::string& msg) {
    io = true;
    diag.add(YamlError{YamlErrc::Io, file, 0, 0, "", msg});
  };
  const fs::path root(path);
  std::error_code ec;
  const fs::file_status st = fs::status(root, ec);
  struct Entry {
    std::string rel;
    fs::path full;
    std::string display;
  };
  std::vector<Entry> entries;
  if (ec || !fs::exists(st)) {
    ioError(path, "cannot read: " + (ec ? ec.message() : std::string("no such file or directory")));
    return failWith(diag, limit, io);
  }
  if (fs::is_regular_file(st)) {
    entries.push_back({root.filename().string(), root, path});
  } else if (fs::is_directory(st)) {
    fs::recursive_directory_iterator it(root, fs::directory_options::none, ec);
    for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      const fs::path& p = it->path();
      // Editor and VCS leftovers (.#x.yaml, .git/) are never rules.
      if (p.filename().string().front() == '.') {
        if (it->is_directory(ec)) it.disable_recursion_pending();
        continue;
      }
      std::error_code fec;
      if (!it->is_regular_file(fec) || !hasRuleExtension(p)) continue;
      const std::string rel = p.lexically_relative(root).generic_string();
      entries.push_back({rel, p, (root / rel).string()});
      if (entries.size() > kMaxRuleFiles) {
        limit = true;
        diag.add(YamlError{YamlErrc::TooLarge, path, 0, 0, "",
                           "more than " + std::to_string(kMaxRuleFiles) + " rule files"});
        return failWith(diag, limit, io);
      }
    }
    if (ec) {
      ioError(path, "cannot list: " + ec.message());
      return failWith(diag, limit, io);
    }
  } else {
    ioError(path, "not a regular file or a directory");
    return failWith(diag, limit, io);
  }
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.rel < b.rel; });

  std::vector<SourceFile> sources;
  std::size_t total = 0;
  for (const auto& e : entries) {
    std::error_code sec;
    const auto size = fs::file_size(e.full, sec);
    if (sec) {
      ioError(e.display, "cannot read: " + sec.message());
      continue;
    }
    // Checked before reading: a huge file is refused without being loaded into memory.
    if (size > kMaxRuleFileBytes) {
      limit = true;
      diag.add(YamlError{YamlErrc::TooLarge, e.display, 0, 0, "",
                         "file is " + std::to_string(size) + " bytes, over the limit of " +
                             std::to_string(kMaxRuleFileBytes)});
      continue;
    }
    total += size;
    if (total > kMaxRuleSetBytes) {
      limit = true;
      diag.add(YamlError{YamlErrc::TooLarge, path, 0, 0, "",
                         "rule files total more than " + std::to_string(kMaxRuleSetBytes) + " bytes"});
      break;
    }
    std::ifstream in(e.full, std::ios::binary);
    if (!in) {
      ioError(e.display, std::string("cannot open: ") + std::strerror(errno));
      continue;
    }
    std::string text;
    text.resize(size + 1);  // +1: a file that grew since the size check is noticed
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    if (in.bad() || static_cast<std::uintmax_t>(in.gcount()) > size) {
      ioError(e.display, in.bad() ? "read error" : "file changed while being read");
      continue;
    }
    text.resize(static_cast<std::size_t>(in.gcount()));
    sources.push_back(SourceFile{e.rel, std::move(text), e.display});
  }
  if (!diag.empty()) return failWith(diag, limit, io);
  return sources;
}

}  // namespace rules
