#pragma once
// Records and segment headers as lines: sealing (canonical encoding, hash, signature) and the
// per-line checks of docs/evidence-format.md section 6, shared by the writer's start-up scan and
// the verifier so that both judge a line the same way.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/result.h"
#include "evidence/canonical_json.h"
#include "evidence/signer.h"

namespace evidence {

inline constexpr int kRecordVersion = 1;
inline constexpr int kFormatVersion = 1;
inline constexpr const char* kFormatName = "compliance-agent-evidence";
/// The largest line, newline included: bounds what a reader must hold for one record.
inline constexpr std::size_t kMaxLineBytes = 1 << 20;
/// `prev` of the first record.
inline const std::string kGenesisPrev(64, '0');

enum class Kind { Cycle, Finding, Snapshot, Heal, Rules, Checkin, Gateway, Lifecycle };
std::string_view toString(Kind kind);
std::optional<Kind> parseKind(std::string_view name);

/// Who and what stands behind a record: the same for every record of a run until the rules or
/// the configuration change.
struct Provenance {
  std::string site_id;
  std::string appliance_id;
  std::string mode = "dry_run";  // dry_run | live
  std::string agent_version;
  std::string rules_version;
  std::string config_hash;
};

/// A record ready to be written: its line (with the newline) and what the chain needs.
struct SealedRecord {
  std::uint64_t seq = 0;
  std::string prev;
  std::string hash;
  std::string line;
};

enum class SealErrc { Encoding, TooLarge };
using SealError = core::Error<SealErrc>;

/// RFC 3339 UTC with milliseconds: 2026-11-28T09:00:00.123Z.
std::string formatTimestamp(core::Clock::WallTime t);
/// Whether `ts` is exactly that form and a real date and time.
bool isTimestamp(std::string_view ts);
/// That form back to a time point; nullopt when it is not exactly that form or not a real date.
std::optional<core::Clock::WallTime> parseTimestamp(std::string_view ts);

/// Encodes, hashes and signs one record. Fails Encoding (a float, invalid UTF-8, too deep: the
/// message names the body path) or TooLarge (the line would exceed kMaxLineBytes).
core::Result<SealedRecord, SealError> sealRecord(std::uint64_t seq, const std::string& prev, const std::string& ts,
                                                 Kind kind, const Provenance& provenance, const std::string& actor,
                                                 const nlohmann::json& body, const Signer& signer);

struct HeaderFields {
  std::uint64_t first_seq = 1;
  std::string prev = kGenesisPrev;
  std::string created;
  std::string reason;  // genesis | rotation | recovery | export
  std::string site_id;
  std::string appliance_id;
  std::optional<std::string> since, until;  // exports only
  // Exports only: the last record the export holds, which its verification requires it to end
  // with (the header also states the count, head_seq - first_seq + 1, as `records`).
  std::optional<std::uint64_t> head_seq;
  std::optional<std::string> head_hash;
};

/// The header line of a segment (with its newline), signed like a record.
core::Result<std::string, SealError> sealHeader(const HeaderFields& fields, const Signer& signer);

/// The reasons of docs/evidence-format.md section 6, in its spelling.
enum class Reason {
  Malformed, TornTail, NotCanonical, HashMismatch, BadSignature, SeqMismatch, PrevMismatch,
  HeaderInvalid, KeyMismatch, HeaderMismatch, MissingRecords,
};
std::string_view toString(Reason reason);

struct Problem {
  Reason reason;
  std::string detail;
};

/// A record line that is well formed and canonical; whether its hash and signature hold is
/// for checkRecord.
struct ParsedRecord {
  nlohmann::json doc;      // the whole record
  std::uint64_t seq = 0;
  std::string prev;
  std::string hash;        // as claimed
  std::string ts;
  Kind kind = Kind::Lifecycle;
  Digest digest{};         // SHA-256 of canon(record without hash and sig), as computed
  Signature sig{};
};

/// Steps 1-2 of section 6.1 on one line (without its newline): Malformed or NotCanonical.
core::Result<ParsedRecord, Problem> parseRecordLine(std::string_view line);

/// Steps 3-6: HashMismatch, BadSignature, SeqMismatch (against `expected_seq`) or PrevMismatch
/// (against `expected_prev`); nullopt when the record holds.
std::optional<Problem> checkRecord(const ParsedRecord& record, const PublicKey& key, std::uint64_t expected_seq,
                                   const std::string& expected_prev);
/// Steps 3-4 only: whether the record is intact on its own.
std::optional<Problem> checkRecordSeal(const ParsedRecord& record, const PublicKey& key);

struct ParsedHeader {
  HeaderFields fields;
  PublicKey public_key{};
  std::string hash;
  Digest digest{};
  Signature sig{};
};

/// Section 6.2 step 1 up to the key: HeaderInvalid or NotCanonical.
core::Result<ParsedHeader, Problem> parseHeaderLine(std::string_view line);
/// KeyMismatch, HashMismatch or BadSignature, in that order; nullopt when the header holds.
std::optional<Problem> checkHeaderSeal(const ParsedHeader& header, const PublicKey& key);

}  // namespace evidence
