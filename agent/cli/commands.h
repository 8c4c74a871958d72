#pragma once
// The subcommands. Each returns the process exit code; the CLI layer only parses and dispatches.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cli/global_options.h"

namespace cli {

struct CheckOptions {
  std::optional<std::string> check_id;
  bool verbose = false;
};

/// `check [--check ID]`: runs the checks, never acts, never writes. 0 compliant, 1 drift/errors.
int runCheck(const GlobalOptions& global, const CheckOptions& options);

struct RunOptions {
  bool once = false;
  bool diff = false;     // --diff: each file step's unified diff, once
  bool verbose = false;  // -v: the diffs, compliant findings and every not_in_tier plan
};

/// `run --once`: one cycle (checks, then healing: planned in dry-run). Takes the state_dir lock
/// (exit 4 when busy). 0 when all compliant, 1 when drift or errors remain.
int runOnce(const GlobalOptions& global, const RunOptions& options);

/// `rules validate PATH...`: 0 when every path loads, 2 with every problem otherwise.
int runRulesValidate(const GlobalOptions& global, const std::vector<std::string>& paths);

/// `rules compile`: validates the configured rules and stores the compiled set in
/// state_dir/cache (as run and the daemon do), so read-only commands skip the YAML parse.
int runRulesCompile(const GlobalOptions& global);

/// `rules list [--tier T]`: the checks, and the L1 rules that act in the tier.
int runRulesList(const GlobalOptions& global);

struct RulesPackOptions {
  std::string dir;       // the rules directory (or file), validated by the loader first
  std::string site;      // --site: a site_id, or "*" for every site
  std::string tier;      // --tier: standard | full_coverage
  std::uint64_t version = 0;
  std::string expires;   // --expires: a duration (30d) from now
  std::string key;       // --key: the rules key's private file (0600)
  std::string output;    // -o: the bundle, never over an existing file
};
/// `rules pack DIR ...`: validates DIR with the agent's loader, then signs a bundle of its files
/// (docs/bundle-format.md). 0 made, 2 invalid rules or usage (the file exists, a too-open key),
/// 3 unreadable.
int runRulesPack(const GlobalOptions& global, const RulesPackOptions& options);

struct RulesInspectOptions {
  std::string bundle;
  std::optional<std::string> pubkey;  // 64 hex digits or a .pub file
};
/// `rules inspect BUNDLE [--pubkey K]`: the metadata and files; with a key, verifies signature,
/// content hash and expiry. 0 shown (and verified), 1 refused (the code and why), 2 usage,
/// 3 unreadable.
int runRulesInspect(const GlobalOptions& global, const RulesInspectOptions& options);

struct HealOptions {
  std::optional<std::string> rule;    // --rule ID: an operator's heal
  std::optional<std::string> target;  // --target T (with --rule or --clear)
  std::optional<std::string> clear;   // --clear RULE
  bool pause = false;                 // --pause [--until T]
  std::optional<std::string> until;
  bool resume = false;
};
/// `heal`: `--rule ID [--target T]` heals (or, in dry-run, plans) the drifts the rule answers,
/// ignoring tier, cooldown and attempt caps but obeying the mode, the pause and the maintenance
/// window; `--clear RULE [--target T]`, `--pause [--until T]`, `--resume` control the guards.
/// All take the lock and record the operator's uid as actor. 0 done, 1 drift remains, 2 usage.
int runHeal(const GlobalOptions& global, const HealOptions& options);

/// `keygen`: makes the evidence key pair in state_dir/keys when there is none (0 either way; an
/// existing key is never replaced) and prints the public key.
int runKeygen(const GlobalOptions& global);

/// `evidence pubkey`: prints the appliance's public key (read-only). 3 when there is none yet.
int runEvidencePubkey(const GlobalOptions& global);

struct EvidenceVerifyOptions {
  std::optional<std::string> file;     // an export or a segment; none: the whole store
  std::optional<std::string> pubkey;   // key file; default: state_dir/keys (store) or the file's own
  std::optional<std::uint64_t> from;
};
/// `evidence verify`: 0 intact, 1 broken (the first bad record named), 2 usage, 3 unreadable.
int runEvidenceVerify(const GlobalOptions& global, const EvidenceVerifyOptions& options);

struct EvidenceTailOptions {
  std::size_t count = 10;
  std::optional<std::string> file;  // an export or a segment; none: state_dir/evidence
};
/// `evidence tail [-n N] [FILE]`: the newest records, as lines for humans or (--json) as
/// objects. 0 (an empty source says so on stderr), 2 FILE unreadable or not evidence, 3 no store.
int runEvidenceTail(const GlobalOptions& global, const EvidenceTailOptions& options);

struct EvidenceShowOptions {
  std::uint64_t seq = 0;
  std::optional<std::string> file;
};
/// `evidence show SEQ [FILE]`: one record in full (--json: the record's object as stored). 0
/// shown, 1 no record with that seq, 2 FILE unreadable or not evidence, 3 no store.
int runEvidenceShow(const GlobalOptions& global, const EvidenceShowOptions& options);

struct EvidenceExportOptions {
  std::string since;   // YYYY-MM-DD (from 00:00 UTC) or RFC 3339 UTC
  std::string until;   // YYYY-MM-DD (through that day) or RFC 3339 UTC (exclusive)
  std::string output;  // "-": stdout
};
/// `evidence export`: the records in the range as one self-contained, signed file whose header
/// names its last record, verified in memory before it is written (to stdout only when intact).
/// 0 written and intact, 1 nothing in range or the copy does not verify, 2 usage, 3 no store.
int runEvidenceExport(const GlobalOptions& global, const EvidenceExportOptions& options);

/// `status`: the mode, the pause, what the guards hold, backups, the evidence store and the last
/// cycle. Read-only (no lock, never creates state_dir). 0, or 3 when a part cannot be read.
int runStatus(const GlobalOptions& global);

/// `config show`: every setting of the effective configuration with its value and its source
/// (default, FILE:LINE, environment, flag); `--json` as one document. 0, or 2 when the
/// configuration is invalid (every problem listed, as every command does).
int runConfigShow(const GlobalOptions& global);
int runConfigValidate(const GlobalOptions& global);

/// `version`: versionLine(), or (--json) the version and the revision.
int runVersion(const GlobalOptions& global);
/// "compliance-agent 0.1.0 (revision 42a74bc-dirty)": `version` and `--version` print it.
std::string versionLine();

}  // namespace cli
