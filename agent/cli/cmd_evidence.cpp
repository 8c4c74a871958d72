// `keygen` and `evidence pubkey|verify|tail|show|export`. All but keygen are read-only: they take no
// lock and never create state_dir (export writes only its output file).
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cycle/evidence_session.h"
#include "cli/exit_codes.h"
#include "cli/setup.h"
#include "cli/store_reader.h"
#include "core/atomic_file.h"
#include "evidence/export.h"
#include "evidence/keys.h"
#include "evidence/record.h"
#include "evidence/retention.h"
#include "evidence/verifier.h"

namespace cli {
namespace {

using nlohmann::json;

void print(const std::string& text) { std::fwrite(text.data(), 1, text.size(), stdout); }

core::Result<evidence::PublicKey, Failure> readKey(const std::string& path) {
  auto key = evidence::readPublicKeyFile(path);
  if (!key.ok()) {
    switch (key.error().code) {
      case evidence::KeyErrc::NotFound:
        return core::fail(Failure{kExitRuntime, path + ": no evidence key (made by `compliance-agent keygen` or "
                                                       "the first `run --once`)"});
      case evidence::KeyErrc::Invalid:  // what the operator gave is not a key
        return core::fail(Failure{kExitUsage, key.error().message});
      default:
        return core::fail(Failure{kExitRuntime, key.error().message});
    }
  }
  return *key;
}

// "2026-11-28" (00:00 UTC that day) or an RFC 3339 UTC time, with or without milliseconds.
std::optional<core::Clock::WallTime> parseWhen(const std::string& text, bool whole_day_end) {
  if (text.size() == 10) {
    auto t = evidence::parseTimestamp(text + "T00:00:00.000Z");
    if (t && whole_day_end) *t += std::chrono::hours(24);
    return t;
  }
  if (text.size() == 20 && text.back() == 'Z') return evidence::parseTimestamp(text.substr(0, 19) + ".000Z");
  return evidence::parseTimestamp(text);
}

// A string member of `j`, or "" when it is missing or not a string: records read back may be
// damaged, and tail shows what it can instead of failing.
std::string str(const json& j, const char* key) {
  if (!j.is_object()) return "";
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string summary(const json& r) {
  const auto body_it = r.find("body");
  const json empty = json::object();
  const json& b = body_it != r.end() && body_it->is_object() ? *body_it : empty;
  const std::string kind = str(r, "kind");
  const auto s = [&](const char* k) { return str(b, k); };
  if (kind == "cycle" && b.contains("counts") && b["counts"].is_object()) {
    std::string out;
    for (auto it = b["counts"].begin(); it != b["counts"].end(); ++it) {
      if (it.value().is_number_integer() && it.value().get<std::int64_t>() > 0) out += it.key() + "=" + it.value().dump() + " ";
    }
    return out + "digest " + s("findings_digest").substr(0, 12);
  }
  if (kind == "finding") {
    return s("check_id") + " " + s("target") + " " + (s("previous_status").empty() ? "new" : s("previous_status")) +
           " -> " + s("status");
  }
  if (kind == "heal") return s("outcome") + " " + (s("rule_id").empty() ? s("check_id") : s("rule_id")) + " " + s("target");
  if (kind == "snapshot" && b.contains("findings") && b["findings"].is_array()) {
    return std::to_string(b["findings"].size()) + " findings";
  }
  if (kind == "rules") return "version " + s("version").substr(0, 12);
  if (kind == "lifecycle") return s("event") + (s("command").empty() ? "" : " " + s("command"));
  return "";
}

std::string clean(std::string s) {
  for (char& c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  return s;
}

// A fresh temporary next to the output (never an existing file or a planted link), synced and
// renamed over the output once complete.
core::Status<Failure> writeFileAtomically(const std::string& output, const std::string& content) {
  const std::string tmp = output + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return core::fail(Failure{kExitRuntime, tmp + ": " + std::strerror(errno)});
  const int write_error = core::writeFully(fd, content);
  const bool written = write_error == 0 && ::fsync(fd) == 0;
  const int saved = write_error != 0 ? write_error : errno;
  ::close(fd);
  if (!written || ::rename(tmp.c_str(), output.c_str()) != 0) {
    const int err = written ? errno : saved;
    ::unlink(tmp.c_str());
    return core::fail(Failure{kExitRuntime, output + ": " + std::strerror(err)});
  }
  return core::Ok{};
}

core::Status<Failure> writeStdout(const std::string& content) {
  if (std::fwrite(content.data(), 1, content.size(), stdout) != content.size() || std::fflush(stdout) != 0) {
    return core::fail(Failure{kExitRuntime, std::string("stdout: ") + std::strerror(errno)});
  }
  return core::Ok{};
}

// The record lines tail and show read: one file, or the store. An empty source is said on
// stderr (the output stays what it is: nothing, or an empty list).
core::Result<std::vector<StoredLine>, Failure> sourceLines(const config::AgentConfig& cfg,
                                                           const std::optional<std::string>& file,
                                                           std::optional<std::size_t> newest) {
  auto lines = file ? readFileLines(*file) : readStoreLines(cfg, newest);
  if (lines.ok() && lines->empty()) {
    std::fprintf(stderr, "%s holds no records\n",
                 file ? file->c_str() : ("the evidence store at " + cycle::evidenceDir(cfg)).c_str());
  }
  return lines;
}

std::string dumpJson(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

}  // namespace

int runKeygen(const GlobalOptions& global) {
  auto cfg = loadConfiguration(global);
  if (!cfg.ok()) return reportFailure(cfg.error());
  auto lock = cycle::lockStateDir(*cfg);
  if (!lock.ok()) return reportFailure(lock.error());
  bool created = false;
  auto key = evidence::loadOrCreateKey(cfg->state_dir, &created);
  if (!key.ok()) return reportFailure({kExitRuntime, "evidence key: " + key.error().message});
  const std::string hex = evidence::toHex((*key)->publicKey());
  if (global.json) {
    print(json{{"public_key", hex}, {"created", created}, {"file", evidence::publicKeyPath(cfg->state_dir)}}.dump() + "\n");
  } else {
    std::fprintf(stderr, "%s %s\n", created ? "created" : "kept the existing key (never replaced):",
                 evidence::privateKeyPath(cfg->state_dir).c_str());
    print(hex + "\n");
  }
  return kExitOk;
}

int runEvidencePubkey(const GlobalOptions& global) {
  auto cfg = loadConfiguration(global);
  if (!cfg.ok()) return reportFailure(cfg.error());
  auto key = readKey(evidence::publicKeyPath(cfg->state_dir));
  if (!key.ok()) return reportFailure(key.error());
  const std::string hex = evidence::toHex(*key);
  print(global.json ? json{{"public_key", hex}}.dump() + "\n" : hex + "\n");
  return kExitOk;
}

int runEvidenceVerify(const GlobalOptions& global, const EvidenceVerifyOptions& options) {
  auto cfg = loadConfiguration(global);
  if (!cfg.ok()) return reportFailure(cfg.error());
  std::optional<evidence::PublicKey> key;
  if (options.pubkey) {
    auto k = readKey(*options.pubkey);
    if (!k.ok()) return reportFailure(k.error());
    key = *k;
  }
  evidence::Verdict verdict;
  bool own_key = false;
  std::string what;
  std::string source = "store";
  if (options.file) {
    std::ifstream in(*options.file, std::ios::binary);
    if (!in) return reportFailure({kExitUsage, *options.file + ": " + std::strerror(errno)});
    std::stringstream text;
    text << in.rdbuf();
    const std::string name = options.file->substr(options.file->rfind('/') + 1);
    verdict = evidence::verifyFile(name, text.str(), key, options.from, &own_key);
    what = *options.file;
    source = verdict.file_kind == evidence::Verdict::FileKind::Export    ? "export"
             : verdict.file_kind == evidence::Verdict::FileKind::Segment ? "segment"
                                                                          : "";
  } else {
    // The store before the key: "no evidence store" is the answer to a wrong --state-dir, and
    // with --pubkey a missing store must not pass as an intact one of no records.
    auto storage = openStoreReadOnly(*cfg);
    if (!storage.ok()) return reportFailure(storage.error());
    if (!key) {
      auto k = readKey(evidence::publicKeyPath(cfg->state_dir));
      if (!k.ok()) return reportFailure(k.error());
      key = *k;
    }
    verdict = evidence::verifyStore(**storage, {*key, options.from});
    what = cycle::evidenceDir(*cfg);
  }
  const auto& f = verdict.failure;
  if (global.json) {
    json out{{"verdict", verdict.intact() ? "intact" : "broken"},
             {"records", verdict.records},
             {"head_seq", verdict.head.seq},
             {"file", f ? json(f->file) : json(nullptr)},
             {"line", f && f->line > 0 ? json(f->line) : json(nullptr)},
             {"reason", f ? json(std::string(evidence::toString(f->reason))) : json(nullptr)},
             {"detail", f ? json(f->detail) : json(nullptr)},
             {"source", source.empty() ? json(nullptr) : json(source)}};
    if (verdict.intact()) out["head_hash"] = verdict.head.hash;
    print(dumpJson(out) + "\n");
  } else if (verdict.intact()) {
    std::string line = "evidence intact" + (options.from ? " from seq " + std::to_string(*options.from) : "") + ": " +
                       what + ": " + std::to_string(verdict.records) + " records";
    if (verdict.records > 0) {
      line += " (seq " + std::to_string(verdict.first_seq) + ".." + std::to_string(verdict.head.seq) + "), head " +
              verdict.head.hash + (source == "export" ? ", the last record its header names" : "");
    }
    print(line + "\n");
    if (source == "segment") {
      print("note: a segment, not an export: it does not name its last record, so records cut off its end "
            "would not show\n");
    }
    if (own_key) {
      print("note: verified with the file's own public key; verify with --pubkey and the key central command "
            "holds to prove who signed it\n");
    }
  } else {
    print("evidence BROKEN: " + clean(f->file) + (f->line ? " line " + std::to_string(f->line) : "") + ": " +
          std::string(evidence::toString(f->reason)) + ": " + clean(f->detail) + "\n");
    if (verdict.records > 0) {
      print("records before it verified: seq " + std::to_string(verdict.first_seq) + ".." +
            std::to_string(verdict.head.seq) + "\n");
    }
  }
  return verdict.intact() ? kExitOk : kExitDrift;
}

int runEvidenceTail(const GlobalOptions& global, const EvidenceTailOptions& options) {
  auto cfg = loadConfiguration(global);
  if (!cfg.ok()) return reportFailure(cfg.error());
  const std::size_t count = options.count;
  auto lines = sourceLines(*cfg, options.file, count);
  if (!lines.ok()) return reportFailure(lines.error());
  const std::size_t from = lines->size() > count ? lines->size() - count : 0;
  json records = json::array();
  std::string out;
  for (std::size_t i = from; i < lines->size(); ++i) {
    const json r = json::parse((*lines)[i].text, nullptr, false);
    if (r.is_discarded() || !r.is_object() || !r.contains("body")) {
      // tail does not verify (that is `evidence verify`), but it does not hide what it cannot read.
      const std::string where = (*lines)[i].segment + " line " + std::to_string((*lines)[i].line);
      if (global.json) records.push_back({{"unreadable", where}});
      else out += "?      unreadable line: " + clean(where) + "\n";
      continue;
    }
    if (global.json) {
      records.push_back(r);
    } else {
      char head[160];
      const auto seq = r.find("seq");
      std::snprintf(head, sizeof head, "%-6s %-24s %-9s %-8s ",
                    seq != r.end() && seq->is_number_integer() ? seq->dump().c_str() : "?",
                    clean(str(r, "ts")).substr(0, 24).c_str(), clean(str(r, "kind")).substr(0, 9).c_str(),
                    clean(str(r, "actor")).substr(0, 20).c_str());
      out += head + clean(summary(r)) + "\n";
    }
  }
  print(global.json ? dumpJson(json{{"records", records}}) + "\n" : out);
  return kExitOk;
}

int runEvidenceShow(const GlobalOptions& global, const EvidenceShowOptions& options) {
  auto cfg = loadConfiguration(global);
  if (!cfg.ok()) return reportFailure(cfg.error());
  std::optional<StoredLine> found;
  bool empty = false;
  if (options.file) {
    auto lines = readFileLines(*options.file);
    if (!lines.ok()) return reportFailure(lines.error());
    empty = lines->empty();
    for (auto& l : *lines) {
      if (lineSeq(l.text) == options.seq) {
        found = std::move(l);
        break;
      }
    }
  } else {
    auto line = findStoreRecord(*cfg, options.seq);
    if (!line.ok()) return reportFailure(line.error());
    found = std::move(*line);
  }
  const std::string where = options.file ? *options.file : "the evidence store at " + cycle::evidenceDir(*cfg);
  if (!found) {
    std::fprintf(stderr, "no record with seq %llu in %s%s\n", static_cast<unsigned long long>(options.seq),
                 clean(where).c_str(), empty ? " (it holds no records)" : "");
    return kExitDrift;
  }
  if (global.json) {
    // The record as stored: its line is the (canonical) JSON object itself.
    print(found->text + "\n");
    return kExitOk;
  }
  const json r = json::parse(found->text, nullptr, false);  // parsed once already by lineSeq
  std::string out = "record " + std::to_string(options.seq) + ": " + clean(found->segment) + " line " +
                    std::to_string(found->line) + " (as stored; `evidence verify` checks it)\n";
  for (auto it = r.begin(); it != r.end(); ++it) {
    if (it.key() == "body") continue;
    char row[64];
    std::snprintf(row, sizeof row, "  %-14s ", clean(it.key()).substr(0, 40).c_str());
    out += row + clean(it->is_string() ? it->get<std::string>() : dumpJson(*it)) + "\n";
  }
  // The body in full, indented under its name; dump escapes control characters.
  const std::string body = r.value("body", json::object()).dump(2, ' ', false, json::error_handler_t::replace);
  out += "  body\n    ";
  for (char c : body) {
    out += c;
    if (c == '\n') out += "    ";
  }
  print(out + "\n");
  return kExitOk;
}

int runEvidenceExport(const GlobalOptions& global, const EvidenceExportOptions& options) {
  auto cfg = loadConfiguration(global);
  if (!cfg.ok()) return reportFailure(cfg.error());
  const auto since = parseWhen(options.since, false);
  const auto until = parseWhen(options.until, true);
  if (!since) return reportFailure({kExitUsage, "--since " + options.since + ": not a date (YYYY-MM-DD) or an RFC 3339 UTC time"});
  if (!until) return reportFailure({kExitUsage, "--until " + options.until + ": not a date (YYYY-MM-DD) or an RFC 3339 UTC time"});
  if (*until <= *since) return reportFailure({kExitUsage, "--until must be after --since"});
  const bool to_stdout = options.output == "-";
  if (to_stdout && global.json) {
    return reportFailure({kExitUsage, "-o - writes the export to stdout: --json has no room there"});
  }
  auto key = evidence::loadKey(cfg->state_dir);
  if (!key.ok()) return reportFailure({kExitRuntime, "evidence key: " + key.error().message});
  auto lines = readStoreLines(*cfg);
  if (!lines.ok()) return reportFailure(lines.error());
  std::vector<std::string_view> texts;
  texts.reserve(lines->size());
  for (const auto& l : *lines) texts.emplace_back(l.text);
  auto doc = evidence::buildExport(texts, *since, *until, std::chrono::system_clock::now(), **key);
  if (!doc.ok()) {
    std::fprintf(stderr, "%s\n", doc.error().message.c_str());
    return doc.error().code == evidence::ExportErrc::Empty ? kExitDrift : kExitRuntime;
  }
  // Verified in memory before it is written anywhere: stdout cannot be taken back, so a
  // document that does not verify never goes there; a file does, and is said not to verify.
  const std::string name = to_stdout ? "-" : options.output.substr(options.output.rfind('/') + 1);
  const auto verdict = evidence::verifyFile(name, doc->text, (*key)->publicKey(), std::nullopt);
  const std::string pub = evidence::toHex((*key)->publicKey());
  if (verdict.intact() || !to_stdout) {
    auto written = to_stdout ? writeStdout(doc->text) : writeFileAtomically(options.output, doc->text);
    if (!written.ok()) return reportFailure(written.error());
  }
  const std::string range = "seq " + std::to_string(doc->first_seq) + ".." + std::to_string(doc->head.seq);
  if (global.json) {
    print(json{{"file", options.output}, {"records", doc->records}, {"first_seq", doc->first_seq},
               {"last_seq", doc->head.seq}, {"head_hash", doc->head.hash}, {"public_key", pub},
               {"verdict", verdict.intact() ? "intact" : "broken"}}.dump() + "\n");
  } else if (verdict.intact()) {
    // With -o - stdout holds the export: what was done goes to stderr.
    std::fprintf(to_stdout ? stderr : stdout, "exported %llu records (%s, head %s) to %s: verifies with public key %s\n",
                 static_cast<unsigned long long>(doc->records), range.c_str(), doc->head.hash.c_str(),
                 to_stdout ? "stdout" : options.output.c_str(), pub.c_str());
  } else if (!to_stdout) {
    print("exported " + std::to_string(doc->records) + " records (" + range + ") to " + options.output +
          ": does NOT verify with public key " + pub + "\n");
  }
  if (!verdict.intact()) {
    std::fprintf(stderr, "export: the range holds damaged evidence: %s line %zu: %s%s\n",
                 clean(verdict.failure->file).c_str(), verdict.failure->line,
                 std::string(evidence::toString(verdict.failure->reason)).c_str(),
                 to_stdout ? "; nothing was written to stdout" : "");
    return kExitDrift;
  }
  return kExitOk;
}

}  // namespace cli
