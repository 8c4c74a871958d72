#pragma once
// The dev server's vocabulary: what a site, an appliance and one check-in are, as the store
// keeps them. Tiers and modes are the agent's spellings ("standard", "full_coverage", "dry_run",
// "live"), so the database, the CLI's output and the agent's own output read alike.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace central {

inline constexpr std::string_view kTierStandard = "standard";
inline constexpr std::string_view kTierFullCoverage = "full_coverage";

/// Whether `tier` is one of the two tiers' spellings.
bool isTier(std::string_view tier);

/// A site id central command issues: 1 to kMaxSiteIdLength of [A-Za-z0-9._-]. Stricter than
/// agent.yaml (which only forbids spaces) on purpose: it travels in a gRPC header and file names.
inline constexpr std::size_t kMaxSiteIdLength = 64;
bool isValidSiteId(std::string_view site_id);

/// Per-site settings sent in every CheckInResponse. 0 / empty mean "not set": the appliance keeps
/// its own value (agent.yaml), which is the proto's meaning of an absent or 0 field.
struct SiteSettings {
  std::uint64_t checkin_interval_ms = 0;
  std::uint64_t checks_interval_ms = 0;
  // Minutes after local midnight; start == end: no window from central command.
  std::uint32_t window_start_minute = 0;
  std::uint32_t window_end_minute = 0;
  std::vector<std::string> disabled_checks;  // sorted
};

struct Site {
  std::string site_id;
  std::string tier;
  std::string api_key_sha256;  // 32 raw bytes
  std::int64_t created_at_ms = 0;
  SiteSettings settings;
};

/// What one CheckIn said, validated (validate.h): every field the store keeps.
struct CheckInRecord {
  std::string site_id;
  std::string appliance_id;
  std::string hostname;
  std::string agent_version;
  std::string nixos_version;
  std::uint64_t uptime_seconds = 0;
  std::string reported_tier;
  std::string mode;
  std::uint64_t bundle_version = 0;
  std::uint64_t evidence_seq = 0;
  std::string evidence_hash;        // 32 raw bytes, or empty when evidence_seq is 0
  std::string evidence_public_key;  // 32 raw bytes
  std::int64_t sent_at_ms = 0;
  // The last cycle's counts as JSON ({"evidence_seq":..,"compliant":..,"outcomes":{..}}); empty
  // when the request had none. JSON rather than columns: the counts' vocabulary grows with the
  // agent, and nothing queries them yet.
  std::string last_cycle_json;
  std::string health_json;  // [{"code":..,"detail":..,"since_unix_ms":..}], "[]" when healthy
};

/// What became of a check-in in the store.
enum class CheckInVerdict {
  Accepted,       // stored; the appliance was known with this key
  Registered,     // stored; the appliance's first check-in, its key now the trusted one
  KeyMismatch,    // refused: the appliance is registered with another evidence key
  OtherSite,      // refused: the appliance is registered to another site
};

struct Appliance {
  std::string appliance_id;
  std::string site_id;
  std::string evidence_public_key;  // 32 raw bytes
  std::int64_t first_seen_ms = 0;
  std::int64_t last_seen_ms = 0;
  std::string hostname;
  std::string agent_version;
  std::string nixos_version;
  std::int64_t checkins = 0;          // accepted check-ins
  std::int64_t refused_checkins = 0;  // refused ones (another key, another site)
  // From the latest accepted check-in.
  std::string reported_tier;
  std::string mode;
  std::uint64_t bundle_version = 0;
  std::uint64_t evidence_seq = 0;
};

}  // namespace central
