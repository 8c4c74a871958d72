// `status`: what an operator asks first. The mode and where it came from, the pause, what the
// guards hold back, the backups, the evidence store (head, size, what central command holds, the
// health flags) and the last cycle. Read-only like `check`: no lock, never creates state_dir,
// nothing repaired; a part that cannot be read is shown as such and makes the exit code 3.
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <cstdio>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "core/log.h"
#include "cycle/central.h"
#include "cycle/evidence_session.h"
#include "cli/exit_codes.h"
#include "cycle/healing_session.h"
#include "cli/setup.h"
#include "cli/store_reader.h"
#include "core/duration.h"
#include "core/version.h"
#include "evidence/keys.h"
#include "evidence/outbox.h"
#include "evidence/record.h"
#include "evidence/retention.h"
#include "evidence/signer.h"
#include "evidence/storage.h"
#include "healing/backups.h"
#include "healing/outcome.h"

namespace cli {
namespace {

using nlohmann::json;

// How far back `status` looks for the last cycle record: a live cycle writes a record per
// finding change and per heal before its cycle record, so a few thousand lines cover one.
constexpr std::size_t kCycleSearchLines = 5000;
// The undelivered alerts and escalations shown (the newest); the count is of all of them.
constexpr std::size_t kUndeliveredShown = 20;

json tsOrNull(const std::optional<core::Clock::WallTime>& t) {
  return t ? json(evidence::formatTimestamp(*t)) : json(nullptr);
}

json healingPart(const config::AgentConfig& cfg, const core::Clock& clock, std::vector<std::string>& problems) {
  json out{{"max_actions_per_hour", cfg.healing.max_actions_per_hour}};
  auto guards = cycle::loadGuards(cfg, clock);
  if (!guards.ok()) {
    problems.push_back(guards.error().message);
    out["error"] = guards.error().message;
    return out;
  }
  const auto pause = guards->paused();
  out["paused"] = pause.has_value();
  out["pause_until"] = pause ? tsOrNull(pause->first) : json(nullptr);
  out["paused_by"] = pause ? json(pause->second) : json(nullptr);
  out["actions_last_hour"] = guards->actionsLastHour();
  json keys = json::array();
  for (const auto& k : guards->keys()) {
    keys.push_back({{"rule_id", k.rule_id},
                    {"target", k.target},
                    {"attempts", k.attempts},
                    {"flaps", k.flaps},
                    {"last_attempt", tsOrNull(k.last_attempt)},
                    {"flapping", k.flapping},
                    {"escalated", k.escalated},
                    {"handed_over", k.handed_over}});
  }
  out["guards"] = keys;
  return out;
}

json backupsPart(const config::AgentConfig& cfg, std::vector<std::string>& problems) {
  const std::string dir = cfg.state_dir + "/" + cycle::kBackupsDir;
  json out{{"dir", dir}, {"files", 0}, {"oldest", nullptr}, {"retention", core::formatDuration(cfg.healing.backup_retention)}};
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) {
    if (ec) {
      // Not readable by this user (a 0700 state_dir): say so rather than "0 files".
      problems.push_back("backups: cannot read " + dir + ": " + ec.message());
      out["error"] = ec.message();
    }
    return out;
  }
  std::int64_t oldest = -1;
  int files = 0;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::int64_t t = healing::backupTime(it->path().filename().string());
    if (t < 0) continue;
    ++files;
    if (oldest < 0 || t < oldest) oldest = t;
  }
  if (ec) {
    problems.push_back("backups: cannot read " + dir + ": " + ec.message());
    out["error"] = ec.message();
  }
  out["files"] = files;
  if (oldest >= 0) out["oldest"] = evidence::formatTimestamp(core::Clock::WallTime(std::chrono::milliseconds(oldest)));
  return out;
}

// What status shows of a cycle record: only fields of the expected type. The record comes from
// disk unverified (that is `evidence verify`), and a damaged one must not take status down.
json cycleSummary(const evidence::ParsedRecord& rec) {
  const json& body = rec.doc["body"];
  const auto text = [](const json& doc, const char* key) {
    const auto it = doc.find(key);
    return it != doc.end() && it->is_string() ? it->get<std::string>() : std::string("?");
  };
  const auto counts = [&](const char* key) {
    json out = json::object();
    const auto it = body.find(key);
    if (it == body.end() || !it->is_object()) return out;
    for (const auto& [name, n] : it->items()) {
      if (n.is_number_integer()) out[name] = n;
    }
    return out;
  };
  json health = json::array();
  if (const auto it = body.find("health"); it != body.end() && it->is_array()) {
    for (const auto& h : *it) {
      if (h.is_string()) health.push_back(h);
    }
  }
  return {{"ts", rec.ts},           {"seq", rec.seq},          {"mode", text(rec.doc, "mode")},
          {"tier", text(body, "tier")}, {"counts", counts("counts")}, {"outcomes", counts("outcomes")},
          {"health", health}};
}

// An alerted or escalated heal record not yet acknowledged by central command: until the central
// link exists nothing carries it to a human, so `status` is where an operator sees it.
json undeliveredEntry(const evidence::ParsedRecord& rec) {
  const json& body = rec.doc["body"];
  const auto text = [&](const char* key) {
    const auto it = body.find(key);
    return it != body.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  return {{"seq", rec.seq},           {"ts", rec.ts},           {"outcome", text("outcome")},
          {"rule_id", text("rule_id")}, {"target", text("target")}, {"reason", text("reason")}};
}

json evidencePart(const config::AgentConfig& cfg, std::vector<std::string>& problems, json& last_cycle,
                  json& undelivered) {
  json out{{"dir", cycle::evidenceDir(cfg)}, {"segments", 0}, {"bytes", 0}, {"max_disk_mb", cfg.evidence.max_disk_mb},
           {"head_seq", 0}, {"head_ts", nullptr}, {"head_hash", nullptr}, {"acked_seq", 0}, {"flags", json::array()},
           {"public_key", nullptr}};
  auto fail = [&](const std::string& why) {
    problems.push_back(why);
    out["error"] = why;
    return out;
  };
  // The public half only: an operator without access to the private key can still see it.
  if (auto key = evidence::readPublicKeyFile(evidence::publicKeyPath(cfg.state_dir)); key.ok()) {
    out["public_key"] = evidence::toHex(*key);
  } else if (key.error().code != evidence::KeyErrc::NotFound) {
    problems.push_back("evidence key: " + key.error().message);
    out["public_key_error"] = key.error().message;
  }
  auto storage = evidence::PosixStorage::open(cycle::evidenceDir(cfg), false);
  if (!storage.ok()) {
    if (storage.error().code == evidence::StorageErrc::NotFound) return out;
    return fail("evidence: " + storage.error().message);
  }
  auto listed = (*storage)->list();
  if (!listed.ok()) return fail("evidence: " + listed.error().message);
  std::uint64_t bytes = 0;
  int segments = 0;
  for (const auto& f : *listed) {
    if (evidence::segmentSeq(f.name) == 0) continue;
    ++segments;
    bytes += f.size;
  }
  out["segments"] = segments;
  out["bytes"] = bytes;
  if (bytes > (static_cast<std::uint64_t>(cfg.evidence.max_disk_mb) << 20)) out["flags"].push_back(evidence::kDiskCapFlag);

  core::PosixStateDir outbox_dir(cycle::outboxDir(cfg));  // read only: a missing directory is nothing acked
  auto outbox = evidence::Outbox::open(outbox_dir, **storage);
  if (!outbox.ok()) {
    problems.push_back("evidence outbox: " + outbox.error().message);
  } else {
    out["acked_seq"] = outbox->ackedSeq();
    if (!outbox->cursorProblem().empty()) out["outbox_problem"] = outbox->cursorProblem();
  }

  auto lines = readStoreLines(cfg, kCycleSearchLines);
  if (!lines.ok()) return fail(lines.error().message);
  const std::uint64_t acked = out["acked_seq"].get<std::uint64_t>();
  bool head = false;
  std::size_t undelivered_total = 0;
  json found = json::array();
  for (auto it = lines->rbegin(); it != lines->rend(); ++it) {
    // Only the newest record, cycle records and hand-overs are parsed: the text of a canonical
    // record says its kind and outcome as `"kind":"heal"`, so the rest is skipped unparsed.
    const std::string_view text = it->text;
    const bool cycle = text.find("\"kind\":\"cycle\"") != std::string_view::npos;
    const bool handover = text.find("\"kind\":\"heal\"") != std::string_view::npos &&
                          (text.find("\"outcome\":\"alerted\"") != std::string_view::npos ||
                           text.find("\"outcome\":\"escalated\"") != std::string_view::npos);
    if (head && !cycle && !handover) continue;
    auto rec = evidence::parseRecordLine(text);
    if (!rec.ok()) continue;  // status does not verify (that is `evidence verify`)
    if (!head) {
      head = true;
      out["head_seq"] = rec->seq;
      out["head_ts"] = rec->ts;
      out["head_hash"] = rec->hash;
    }
    const bool unacked = rec->seq > acked;
    if (rec->kind == evidence::Kind::Cycle && last_cycle.is_null()) last_cycle = cycleSummary(*rec);
    const auto outcome = rec->doc["body"].find("outcome");
    if (unacked && rec->kind == evidence::Kind::Heal && outcome != rec->doc["body"].end() &&
        (*outcome == "alerted" || *outcome == "escalated")) {
      // The newest ones, and how many in all.
      if (++undelivered_total <= kUndeliveredShown) found.insert(found.begin(), undeliveredEntry(*rec));
    }
    if (!unacked && !last_cycle.is_null()) break;  // central command holds the rest
  }
  // The window read reaches back to its oldest line: complete when that is the acked seq's next.
  const std::uint64_t first_read = lines->empty() ? 0 : lineSeq(lines->front().text).value_or(0);
  undelivered = {{"records", found},
                 {"total", undelivered_total},
                 {"acked_seq", acked},
                 // Older records were not searched when the window did not reach the acked seq.
                 {"searched_from_seq", first_read},
                 {"complete", lines->empty() || first_read <= acked + 1}};
  return out;
}

std::string countsText(const json& counts) {
  std::string out;
  if (!counts.is_object()) return out;
  for (const auto& [name, n] : counts.items()) {
    if (!n.is_number_integer() || n.get<long long>() == 0) continue;
    out += (out.empty() ? "" : ", ") + std::to_string(n.get<long long>()) + " " + name;
  }
  return out.empty() ? "none" : out;
}

std::string guardText(const json& g) {
  std::string what;
  const std::string rule = g["rule_id"].get<std::string>();
  if (g["flapping"].get<bool>()) {
    what = "flapping: suppressed until `heal --clear " + rule + "`";
  } else if (g["handed_over"].get<bool>()) {
    what = "escalated or alerted, " + std::string(healing::kNotDelivered) + ": waits until compliant or `heal --clear " +
           rule + "`";
  } else if (g["escalated"].get<bool>()) {
    what = "attempt cap reached and escalated";
  }
  const std::string counted = std::to_string(g["attempts"].get<int>()) + " attempts in the window" +
                              (g["last_attempt"].is_string() ? ", last " + g["last_attempt"].get<std::string>() : "");
  return what.empty() ? counted : what + "; " + counted;
}

// `text` padded with blanks to `width` (never cut: a long target stays whole).
std::string padded(const std::string& text, std::size_t width) {
  return text.size() >= width ? text : text + std::string(width - text.size(), ' ');
}

std::string humanText(const json& s) {
  std::string out;
  auto row = [&](const char* name, const std::string& value) { out += padded(name, 11) + " " + value + "\n"; };
  row("version", s["version"].get<std::string>());
  row("mode", s["mode"].get<std::string>() + " (from " + s["mode_source"].get<std::string>() + ")");
  row("tier", s["tier"].get<std::string>() + " (from " + s["tier_source"].get<std::string>() + ")");
  row("host_root", s["host_root"].get<std::string>());
  row("state_dir", s["state_dir"].get<std::string>() +
                       (s.contains("state_dir_error")       ? " (cannot read: " + s["state_dir_error"].get<std::string>() + ")"
                        : s["state_dir_exists"].get<bool>() ? ""
                                                            : " (not created yet)"));

  const json& h = s["healing"];
  if (h.contains("error")) {
    row("healing", "cannot read the guards: " + h["error"].get<std::string>());
  } else {
    std::string pause = "not paused";
    if (h["paused"].get<bool>()) {
      pause = "PAUSED" + (h["pause_until"].is_string() ? " until " + h["pause_until"].get<std::string>() : " until `heal --resume`") +
              (h["paused_by"].is_string() && !h["paused_by"].get<std::string>().empty() ? " by " + h["paused_by"].get<std::string>() : "");
    }
    row("healing", pause + (s["mode"] == "dry_run" ? " (dry-run: plans only, acts never)" : ""));
    row("breaker", std::to_string(h["actions_last_hour"].get<int>()) + " of " +
                       std::to_string(h["max_actions_per_hour"].get<int>()) + " actions in the last hour");
    if (h["guards"].empty()) {
      row("guards", "nothing held or counted");
    } else {
      row("guards", std::to_string(h["guards"].size()) + " (rule, target) held or counted:");
      for (const auto& g : h["guards"]) {
        out += "  " + padded(g["rule_id"].get<std::string>(), 24) + " " + padded(g["target"].get<std::string>(), 32) +
               " " + guardText(g) + "\n";
      }
    }
  }

  const json& b = s["backups"];
  row("backups", std::to_string(b["files"].get<int>()) + " files" +
                     (b["oldest"].is_string() ? ", oldest " + b["oldest"].get<std::string>() : "") + ", kept " +
                     b["retention"].get<std::string>() + (b.contains("error") ? "; cannot read: " + b["error"].get<std::string>() : ""));

  const json& e = s["evidence"];
  if (e.contains("error")) {
    row("evidence", "cannot read: " + e["error"].get<std::string>());
  } else if (e["segments"].get<int>() == 0) {
    row("evidence", "no records yet");
  } else {
    char size[64];
    std::snprintf(size, sizeof size, "%.1f MiB of %d MiB", e["bytes"].get<double>() / (1 << 20), e["max_disk_mb"].get<int>());
    std::string flags;
    for (const auto& f : e["flags"]) flags += (flags.empty() ? "" : ", ") + f.get<std::string>();
    row("evidence", "head seq " + e["head_seq"].dump() + (e["head_ts"].is_string() ? " at " + e["head_ts"].get<std::string>() : "") +
                        ", " + std::to_string(e["segments"].get<int>()) + " segments, " + size +
                        ", acknowledged through seq " + e["acked_seq"].dump() + "; flags: " + (flags.empty() ? "none" : flags));
    if (e.contains("outbox_problem")) row("", e["outbox_problem"].get<std::string>());
  }
  row("key", e["public_key"].is_string()       ? "ed25519 " + e["public_key"].get<std::string>()
             : e.contains("public_key_error") ? "cannot read: " + e["public_key_error"].get<std::string>()
                                              : "none yet (made at the first run)");

  const json& u = s["undelivered"];
  if (u.is_object() && !u["records"].empty()) {
    const std::string shown = u["total"].get<std::size_t>() > u["records"].size()
                                  ? " (the newest " + std::to_string(u["records"].size()) + " below)"
                                  : "";
    row("undelivered", std::to_string(u["total"].get<std::size_t>()) + " alerted/escalated, " + healing::kNotDelivered + shown +
                           (u["complete"].get<bool>() ? ""
                                                      : " (searched from seq " + u["searched_from_seq"].dump() +
                                                            " only: `evidence tail` for older ones)") + ":");
    for (const auto& r : u["records"]) {
      out += "  " + r["ts"].get<std::string>() + " " + padded(r["outcome"].get<std::string>(), 9) + " " +
             padded(r["rule_id"].get<std::string>(), 24) + " " + r["target"].get<std::string>() +
             (r["reason"].get<std::string>().empty() ? "" : ": " + r["reason"].get<std::string>()) + "\n";
    }
  } else if (u.is_object()) {
    row("undelivered", "no alert or escalation waiting");
  } else if (e.contains("error")) {
    row("undelivered", "unknown: the evidence cannot be read");
  }

  const json& c = s["last_cycle"];
  if (c.is_null() && e.contains("error")) {
    row("last cycle", "unknown: the evidence cannot be read");
  } else if (c.is_null()) {
    row("last cycle", "none recorded");
  } else {
    row("last cycle", c["ts"].get<std::string>() + " (" + c["mode"].get<std::string>() + ", " +
                          c["tier"].get<std::string>() + "): " + countsText(c["counts"]));
    row("", "outcomes: " + countsText(c["outcomes"]));
    if (!c["health"].empty()) row("", "health: " + c["health"].dump());
  }
  for (const auto& p : s["problems"]) out += "problem: " + p.get<std::string>() + "\n";
  return out;
}

}  // namespace

int runStatus(const GlobalOptions& global) {
  auto cfg = loadConfiguration(global);
  if (!cfg.ok()) return reportFailure(cfg.error());
  cycle::startLogging(*cfg);
  // Connected, the tier in force is central command's, as its last check-in left it.
  const cycle::KeptCentralSettings kept = cycle::keptCentralSettings(*cfg);
  if (!kept.warning.empty()) core::log::logger("cli")->warn("{}", kept.warning);
  if (kept.settings) *cfg = cycle::withCentralSettings(std::move(*cfg), *kept.settings);
  const auto tier_source = cfg->origin.sources.find("rules.tier");
  core::SystemClock clock;
  std::vector<std::string> problems;
  struct stat st{};
  json s{{"version", core::kAgentVersion},
         {"mode", cycle::modeName(*cfg)},
         {"mode_source", std::string(config::toString(cfg->origin.dry_run_source))},
         {"tier", std::string(config::toString(cfg->rules.tier))},
         {"tier_source", tier_source == cfg->origin.sources.end() ? std::string("default") : tier_source->second},
         {"host_root", cfg->host_root},
         {"state_dir", cfg->state_dir},
         {"state_dir_exists", false}};
  const bool there = ::stat(cfg->state_dir.c_str(), &st) == 0;
  const int stat_errno = errno;
  s["state_dir_exists"] = there;
  if (!there && stat_errno != ENOENT) {
    // There, perhaps, but not readable by this user: not "not created yet".
    s["state_dir_error"] = std::strerror(stat_errno);
    problems.push_back("state_dir " + cfg->state_dir + ": " + std::strerror(stat_errno));
  }
  s["healing"] = healingPart(*cfg, clock, problems);
  s["backups"] = backupsPart(*cfg, problems);
  json last_cycle = nullptr, undelivered = nullptr;
  s["evidence"] = evidencePart(*cfg, problems, last_cycle, undelivered);
  s["last_cycle"] = last_cycle;
  s["undelivered"] = undelivered;
  s["problems"] = problems;
  const std::string text =
      global.json ? s.dump(-1, ' ', false, json::error_handler_t::replace) + "\n" : humanText(s);
  std::fwrite(text.data(), 1, text.size(), stdout);
  return problems.empty() ? kExitOk : kExitRuntime;
}

}  // namespace cli
