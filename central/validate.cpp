#include "validate.h"

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>

namespace central {
namespace {

namespace cc = compliance::central::v1;

// proto3 has already refused strings that are not UTF-8; replace is only a backstop so that
// dump() can never throw.
constexpr auto kReplace = nlohmann::json::error_handler_t::replace;

constexpr std::uint64_t kMaxStoredInt = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());

FieldError refuse(std::string field, const std::string& what) {
  std::string message = field + ": " + what;
  return {std::move(field), std::move(message)};
}

// True when `s` is printable ASCII without spaces: what an id may hold.
bool isPlainId(const std::string& s) {
  for (const char c : s) {
    if (c <= ' ' || c > '~') return false;
  }
  return true;
}

}  // namespace

core::Result<CheckInRecord, FieldError> validateCheckIn(const cc::CheckInRequest& req, const std::string& site_id) {
  if (!req.has_identity()) return core::fail(refuse("identity", "missing"));
  const auto& id = req.identity();
  if (id.site_id() != site_id) {
    return core::fail(refuse("identity.site_id", "\"" + id.site_id().substr(0, kMaxIdLength) +
                                                     "\" is not the x-site-id header's site"));
  }
  if (id.appliance_id().empty()) return core::fail(refuse("identity.appliance_id", "missing"));
  if (id.appliance_id().size() > kMaxIdLength) {
    return core::fail(refuse("identity.appliance_id", "longer than " + std::to_string(kMaxIdLength) + " bytes"));
  }
  if (!isPlainId(id.appliance_id())) {
    return core::fail(refuse("identity.appliance_id", "must be printable ASCII without spaces"));
  }
  const std::pair<const char*, const std::string*> texts[] = {
      {"identity.hostname", &id.hostname()},
      {"identity.agent_version", &id.agent_version()},
      {"identity.nixos_version", &id.nixos_version()},
  };
  for (const auto& t : texts) {
    if (t.second->size() > kMaxTextLength) {
      return core::fail(refuse(t.first, "longer than " + std::to_string(kMaxTextLength) + " bytes"));
    }
  }
  if (id.uptime_seconds() > kMaxStoredInt) return core::fail(refuse("identity.uptime_seconds", "out of range"));

  CheckInRecord r;
  r.site_id = site_id;
  r.appliance_id = id.appliance_id();
  r.hostname = id.hostname();
  r.agent_version = id.agent_version();
  r.nixos_version = id.nixos_version();
  r.uptime_seconds = id.uptime_seconds();

  // proto3 keeps unknown enum numbers as they came: only the named ones are accepted.
  switch (req.active_tier()) {
    case cc::TIER_STANDARD: r.reported_tier = kTierStandard; break;
    case cc::TIER_FULL_COVERAGE: r.reported_tier = kTierFullCoverage; break;
    default: return core::fail(refuse("active_tier", "not a tier (" + std::to_string(req.active_tier()) + ")"));
  }
  switch (req.mode()) {
    case cc::MODE_DRY_RUN: r.mode = "dry_run"; break;
    case cc::MODE_LIVE: r.mode = "live"; break;
    default: return core::fail(refuse("mode", "not a mode (" + std::to_string(req.mode()) + ")"));
  }
  if (req.bundle_version() > kMaxStoredInt) return core::fail(refuse("bundle_version", "out of range"));
  r.bundle_version = req.bundle_version();

  if (!req.has_evidence_head()) return core::fail(refuse("evidence_head", "missing"));
  const auto& head = req.evidence_head();
  if (head.seq() > kMaxStoredInt) return core::fail(refuse("evidence_head.seq", "out of range"));
  if (head.seq() == 0 && !head.hash().empty()) {
    return core::fail(refuse("evidence_head.hash", "must be empty when evidence_head.seq is 0"));
  }
  if (head.seq() != 0 && head.hash().size() != 32) {
    return core::fail(refuse("evidence_head.hash", "must be 32 bytes (SHA-256), got " +
                                                       std::to_string(head.hash().size())));
  }
  r.evidence_seq = head.seq();
  r.evidence_hash = head.hash();

  if (req.evidence_public_key().size() != 32) {
    return core::fail(refuse("evidence_public_key", "must be 32 bytes (Ed25519), got " +
                                                        std::to_string(req.evidence_public_key().size())));
  }
  r.evidence_public_key = req.evidence_public_key();
  r.sent_at_ms = req.sent_at_unix_ms();

  if (req.has_last_cycle()) {
    const auto& c = req.last_cycle();
    if (c.evidence_seq() > kMaxStoredInt) return core::fail(refuse("last_cycle.evidence_seq", "out of range"));
    if (c.duration_ms() > kMaxStoredInt) return core::fail(refuse("last_cycle.duration_ms", "out of range"));
    if (c.rules_version().size() > kMaxTextLength) {
      return core::fail(refuse("last_cycle.rules_version", "longer than " + std::to_string(kMaxTextLength) + " bytes"));
    }
    if (static_cast<std::size_t>(c.outcomes_size()) > kMaxOutcomeKinds) {
      return core::fail(refuse("last_cycle.outcomes", "more than " + std::to_string(kMaxOutcomeKinds) + " entries"));
    }
    nlohmann::json outcomes = nlohmann::json::object();
    for (const auto& kv : c.outcomes()) {
      const std::string& name = kv.first;
      if (name.empty() || name.size() > kMaxTextLength) {
        return core::fail(refuse("last_cycle.outcomes", "a key is empty or longer than " +
                                                            std::to_string(kMaxTextLength) + " bytes"));
      }
      outcomes[name] = kv.second;
    }
    r.last_cycle_json = nlohmann::json{{"evidence_seq", c.evidence_seq()},
                                       {"started_at_unix_ms", c.started_at_unix_ms()},
                                       {"duration_ms", c.duration_ms()},
                                       {"compliant", c.compliant()},
                                       {"drifted", c.drifted()},
                                       {"error", c.error()},
                                       {"not_applicable", c.not_applicable()},
                                       {"waived", c.waived()},
                                       {"outcomes", outcomes},
                                       {"rules_version", c.rules_version()}}
                            .dump(-1, ' ', false, kReplace);
  }

  if (static_cast<std::size_t>(req.health_size()) > kMaxHealthFlags) {
    return core::fail(refuse("health", "more than " + std::to_string(kMaxHealthFlags) + " flags"));
  }
  nlohmann::json health = nlohmann::json::array();
  for (int i = 0; i < req.health_size(); ++i) {
    const auto& h = req.health(i);
    const std::string field = "health[" + std::to_string(i) + "]";
    if (h.code().empty()) return core::fail(refuse(field + ".code", "missing"));
    if (h.code().size() > kMaxTextLength) return core::fail(refuse(field + ".code", "too long"));
    if (h.detail().size() > kMaxTextLength) return core::fail(refuse(field + ".detail", "too long"));
    health.push_back({{"code", h.code()}, {"detail", h.detail()}, {"since_unix_ms", h.since_unix_ms()}});
  }
  r.health_json = health.dump(-1, ' ', false, kReplace);
  // open_escalations and unacknowledged_results are C5's (escalations, orders): not read yet.
  return r;
}

}  // namespace central
