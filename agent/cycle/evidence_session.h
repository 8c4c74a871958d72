#pragma once
// Opening the evidence for a writing command: the appliance key (made at first start), the
// evidence directory and the writer, with the provenance every record carries. Recovery faults
// found by the writer are logged here, once, as warnings.
#include <memory>
#include <string>

#include "cycle/foundation.h"
#include "config/agent_config.h"
#include "core/clock.h"
#include "evidence/keys.h"
#include "evidence/outbox.h"
#include "evidence/storage.h"
#include "evidence/writer.h"
#include "platform/host_files.h"

namespace cycle {

struct EvidenceSession {
  std::unique_ptr<evidence::Ed25519Signer> key;
  std::unique_ptr<evidence::PosixStorage> storage;
  std::unique_ptr<evidence::Writer> writer;
};

/// state_dir/evidence and state_dir/outbox.
std::string evidenceDir(const config::AgentConfig& cfg);
std::string outboxDir(const config::AgentConfig& cfg);

/// appliance_id from the configuration, else etc/machine-id under the host root, else "unknown".
std::string applianceId(const config::AgentConfig& cfg, const platform::HostFiles& files);

/// The provenance of records written under this configuration and rule set.
evidence::Provenance provenanceFor(const config::AgentConfig& cfg, const std::string& appliance_id,
                                   const std::string& rules_version);

/// Loads or makes the key and opens the writer (state_dir must exist and be locked), which
/// stamps records with `clock` (the command's one clock, the host environment's: it must
/// outlive the session). A Runtime problem (a key that is insecure or invalid, a damaged store,
/// an I/O error), naming the file.
core::Result<EvidenceSession, Problem> openEvidence(const config::AgentConfig& cfg,
                                                    const evidence::Provenance& provenance, const core::Clock& clock);

}  // namespace cycle
