#include "cycle/evidence_session.h"

#include "config/config_hash.h"
#include "core/log.h"
#include "core/version.h"

namespace cycle {

std::string evidenceDir(const config::AgentConfig& cfg) { return cfg.state_dir + "/evidence"; }
std::string outboxDir(const config::AgentConfig& cfg) { return cfg.state_dir + "/" + evidence::kOutboxDir; }

std::string applianceId(const config::AgentConfig& cfg, const platform::HostFiles& files) {
  if (!cfg.appliance_id.empty()) return cfg.appliance_id;
  auto text = files.readFile("/etc/machine-id", 4096);
  if (text.ok()) {
    std::string id;
    for (char c : *text) {
      if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) id.push_back(c);
      else if (c == '\n') break;
      else return "unknown";
    }
    if (id.size() == 32) return id;
  }
  return "unknown";
}

evidence::Provenance provenanceFor(const config::AgentConfig& cfg, const std::string& appliance_id,
                                   const std::string& rules_version) {
  return {cfg.site_id, appliance_id, modeName(cfg), core::kAgentVersion, rules_version, config::configHash(cfg)};
}

core::Result<EvidenceSession, Problem> openEvidence(const config::AgentConfig& cfg,
                                                    const evidence::Provenance& provenance, const core::Clock& clock) {
  const auto log = core::log::logger("evidence");
  EvidenceSession s;
  bool created = false;
  auto key = evidence::loadOrCreateKey(cfg.state_dir, &created);
  if (!key.ok()) return core::fail(Problem{ProblemKind::Runtime, "evidence key: " + key.error().message});
  s.key = std::move(*key);
  if (created) {
    log->info("evidence key created: {} (public key {})", evidence::privateKeyPath(cfg.state_dir),
              evidence::toHex(s.key->publicKey()));
  }
  auto storage = evidence::PosixStorage::open(evidenceDir(cfg), true);
  if (!storage.ok()) return core::fail(Problem{ProblemKind::Runtime, "evidence: " + storage.error().message});
  s.storage = std::move(*storage);
  const evidence::WriterOptions options{static_cast<std::uint64_t>(cfg.evidence.segment_kb) << 10};
  auto writer = evidence::Writer::open(*s.storage, *s.key, clock, provenance, options);
  if (!writer.ok()) return core::fail(Problem{ProblemKind::Runtime, "evidence: " + writer.error().message});
  s.writer = std::move(*writer);
  for (const auto& f : s.writer->recoveryFaults()) {
    log->warn("evidence recovery: {} line {}: {}{} (recorded as a lifecycle recovery record)", f.segment, f.line,
              evidence::toString(f.problem),
              f.problem == evidence::Reason::TornTail ? ", " + std::to_string(f.bytes_cut) + " bytes cut"
                                                      : ": " + f.detail + "; continuing in a new segment");
  }
  if (auto err = s.writer->lastCommitError()) log->error("evidence: {}", err->message);
  return s;
}

}  // namespace cycle
