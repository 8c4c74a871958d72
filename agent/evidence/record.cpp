#include "evidence/record.h"

#include <ctime>
#include <set>

namespace evidence {
namespace {

using nlohmann::json;

constexpr std::string_view kKindNames[] = {"cycle", "finding", "snapshot", "heal",
                                           "rules", "checkin", "gateway",  "lifecycle"};

const std::set<std::string>& recordMembers() {
  static const std::set<std::string> kMembers{"v",        "seq",          "prev",          "ts",
                                              "kind",     "site_id",      "appliance_id",  "mode",
                                              "agent_version", "rules_version", "config_hash", "actor",
                                              "body",     "hash",         "sig"};
  return kMembers;
}

const std::set<std::string>& headerMembers(bool exported) {
  static const std::set<std::string> kSegment{"format", "format_version", "first_seq", "prev",   "created",
                                              "reason", "site_id",        "appliance_id", "public_key",
                                              "hash",   "sig"};
  static const std::set<std::string> kExport = [] {
    auto s = kSegment;
    for (const char* name : {"since", "until", "head_seq", "head_hash", "records"}) s.insert(name);
    return s;
  }();
  return exported ? kExport : kSegment;
}

bool isLowerHex(const json& v, std::size_t digits) {
  if (!v.is_string()) return false;
  const auto& s = v.get_ref<const std::string&>();
  if (s.size() != digits) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// A JSON integer in 1 .. 2^53-1 (booleans are not integers in nlohmann::json).
std::optional<std::uint64_t> positiveInteger(const json& v) {
  if (v.is_number_unsigned()) {
    const auto n = v.get<std::uint64_t>();
    if (n >= 1 && n <= static_cast<std::uint64_t>(kMaxSafeInteger)) return n;
  } else if (v.is_number_integer()) {
    const auto n = v.get<std::int64_t>();
    if (n >= 1 && n <= kMaxSafeInteger) return static_cast<std::uint64_t>(n);
  }
  return std::nullopt;
}

// The members of `doc` that are not in `allowed`, or missing from it: "" when it matches.
std::string memberProblem(const json& doc, const std::set<std::string>& allowed) {
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    if (!allowed.count(it.key())) return "unknown member \"" + toValidUtf8(it.key()) + "\"";
  }
  for (const auto& name : allowed) {
    if (!doc.contains(name)) return "missing member \"" + name + "\"";
  }
  return "";
}

// Parses one line into an object, Malformed (or `invalid`, for headers) when it is not one.
core::Result<json, Problem> parseObject(std::string_view line, Reason invalid) {
  if (line.size() + 1 > kMaxLineBytes) return core::fail(Problem{invalid, "line longer than 1 MiB"});
  json doc = json::parse(line.begin(), line.end(), nullptr, false);
  if (doc.is_discarded()) return core::fail(Problem{invalid, "not JSON (or not UTF-8)"});
  if (!doc.is_object()) return core::fail(Problem{invalid, "not a JSON object"});
  return doc;
}

// Step 2 (canonical form) and the digest of the line without hash and sig. Values the canonical
// encoder refuses (floats, huge integers, deep nesting) make the line malformed.
core::Result<Digest, Problem> canonicalDigest(std::string_view line, const json& doc, Reason invalid) {
  std::string canon;
  canon.reserve(line.size());
  if (auto st = appendCanonical(doc, canon); !st.ok()) return core::fail(Problem{invalid, st.error().message});
  if (canon != line) return core::fail(Problem{Reason::NotCanonical, "the line is not the canonical encoding of its data"});
  // canon(object without hash and sig) is the line with those two members cut out. In canonical
  // text a raw quote only delimits a string, so `,"sig":"` can only be a member name; the
  // top-level hash and sig come after the one nested member (body, or none in a header) and
  // before other scalars only, so they are the last occurrences. Their values are fixed-size hex
  // (checked before), so the cut is exact.
  const auto cut = [&](std::string_view name, std::size_t value_size) {
    const std::string key = ",\"" + std::string(name) + "\":\"";
    const std::size_t at = canon.rfind(key);
    if (at != std::string::npos) canon.erase(at, key.size() + value_size + 1);
  };
  cut("sig", 128);
  cut("hash", 64);
  return sha256(canon);
}

std::string digestHex(const Digest& d) { return toHex(d); }

// Adds hash and sig to an unsealed object and returns its line.
core::Result<std::pair<std::string, std::string>, SealError> seal(json doc, const Signer& signer) {
  auto unsealed = canonicalize(doc);
  if (!unsealed.ok()) return core::fail(SealError{SealErrc::Encoding, unsealed.error().message});
  const Digest digest = sha256(*unsealed);
  const std::string hash = digestHex(digest);
  doc["hash"] = hash;
  doc["sig"] = toHex(signer.sign(digest));
  auto line = canonicalize(doc);
  if (!line.ok()) return core::fail(SealError{SealErrc::Encoding, line.error().message});
  line->push_back('\n');
  if (line->size() > kMaxLineBytes) {
    return core::fail(SealError{SealErrc::TooLarge, "record of " + std::to_string(line->size()) +
                                                        " bytes exceeds the 1 MiB line limit"});
  }
  return std::make_pair(std::move(*line), hash);
}

}  // namespace

std::string_view toString(Kind kind) { return kKindNames[static_cast<int>(kind)]; }

std::optional<Kind> parseKind(std::string_view name) {
  for (std::size_t i = 0; i < std::size(kKindNames); ++i) {
    if (kKindNames[i] == name) return static_cast<Kind>(i);
  }
  return std::nullopt;
}

std::string_view toString(Reason reason) {
  switch (reason) {
    case Reason::Malformed: return "malformed";
    case Reason::TornTail: return "torn_tail";
    case Reason::NotCanonical: return "not_canonical";
    case Reason::HashMismatch: return "hash_mismatch";
    case Reason::BadSignature: return "bad_signature";
    case Reason::SeqMismatch: return "seq_mismatch";
    case Reason::PrevMismatch: return "prev_mismatch";
    case Reason::HeaderInvalid: return "header_invalid";
    case Reason::KeyMismatch: return "key_mismatch";
    case Reason::HeaderMismatch: return "header_mismatch";
    case Reason::MissingRecords: return "missing_records";
  }
  return "?";
}

std::string formatTimestamp(core::Clock::WallTime t) {
  using namespace std::chrono;
  const auto ms = duration_cast<milliseconds>(t.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  long millis = static_cast<long>(ms % 1000);
  if (millis < 0) {  // before 1970: floor, not truncate
    millis += 1000;
    --secs;
  }
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[80];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
  return buf;
}

namespace {

// The fields of a ts of the exact form, as seconds since the epoch and milliseconds; false when
// the form or the date is wrong (year 0000 included: RFC 3339 years start at 0001).
bool timestampFields(std::string_view ts, std::time_t& secs, int& millis) {
  static constexpr std::string_view kShape = "dddd-dd-ddTdd:dd:dd.dddZ";
  if (ts.size() != kShape.size()) return false;
  for (std::size_t i = 0; i < ts.size(); ++i) {
    if (kShape[i] == 'd' ? (ts[i] < '0' || ts[i] > '9') : ts[i] != kShape[i]) return false;
  }
  const auto num = [&](std::size_t pos, std::size_t len) {
    int n = 0;
    for (std::size_t i = pos; i < pos + len; ++i) n = n * 10 + (ts[i] - '0');
    return n;
  };
  std::tm tm{};
  if (num(0, 4) == 0) return false;
  tm.tm_year = num(0, 4) - 1900;
  tm.tm_mon = num(5, 2) - 1;
  tm.tm_mday = num(8, 2);
  tm.tm_hour = num(11, 2);
  tm.tm_min = num(14, 2);
  tm.tm_sec = num(17, 2);
  if (tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 59) return false;
  // A real date: timegm normalises 2026-02-30 to March, which the round trip shows.
  std::tm check = tm;
  secs = timegm(&check);
  std::tm back{};
  gmtime_r(&secs, &back);
  if (back.tm_mday != tm.tm_mday || back.tm_mon != tm.tm_mon || back.tm_year != tm.tm_year) return false;
  millis = num(20, 3);
  return true;
}

}  // namespace

bool isTimestamp(std::string_view ts) {
  std::time_t secs = 0;
  int millis = 0;
  return timestampFields(ts, secs, millis);
}

std::optional<core::Clock::WallTime> parseTimestamp(std::string_view ts) {
  std::time_t secs = 0;
  int millis = 0;
  if (!timestampFields(ts, secs, millis)) return std::nullopt;
  // system_clock counts nanoseconds: about the years 1678..2261 fit. A valid timestamp outside
  // them (a year 9999 written by a wrong clock) has no time point here.
  constexpr std::time_t kLimit = 9'000'000'000;
  if (secs < -kLimit || secs > kLimit) return std::nullopt;
  return core::Clock::WallTime(std::chrono::seconds(secs)) + std::chrono::milliseconds(millis);
}

core::Result<SealedRecord, SealError> sealRecord(std::uint64_t seq, const std::string& prev, const std::string& ts,
                                                 Kind kind, const Provenance& p, const std::string& actor,
                                                 const json& body, const Signer& signer) {
  // The record's canonical text is written member by member in RFC 8785 order, with the body
  // encoded once; `hash` and `sig` sort between config_hash/kind and seq/site_id, so the sealed
  // line is the unsealed text with them spliced in. The verifier's re-encoding (parseRecordLine)
  // checks this against the generic encoder in every test.
  const auto member = [](std::string& out, const char* name, const std::string& value) -> core::Status<SealError> {
    out += name;
    if (auto st = appendCanonicalString(value, out); !st.ok()) {
      return core::fail(SealError{SealErrc::Encoding, std::string(name) + " " + st.error().message});
    }
    return core::Ok{};
  };
  std::string head;  // {"actor" .. "config_hash"
  std::string mid;   // ,"kind" .. "seq"
  std::string tail;  // ,"site_id" .. "v"}
  head.reserve(512);
  if (auto st = member(head, "{\"actor\":", actor); !st.ok()) return core::fail(st.error());
  if (auto st = member(head, ",\"agent_version\":", p.agent_version); !st.ok()) return core::fail(st.error());
  if (auto st = member(head, ",\"appliance_id\":", p.appliance_id); !st.ok()) return core::fail(st.error());
  head += ",\"body\":";
  if (!body.is_object()) return core::fail(SealError{SealErrc::Encoding, "body: not an object"});
  // Level 2: the verifier counts the record as level 1 (docs/evidence-format.md section 2).
  if (auto st = appendCanonical(body, head, 2); !st.ok()) {
    return core::fail(SealError{SealErrc::Encoding, "body: " + st.error().message});
  }
  if (auto st = member(head, ",\"config_hash\":", p.config_hash); !st.ok()) return core::fail(st.error());
  if (auto st = member(mid, ",\"kind\":", std::string(toString(kind))); !st.ok()) return core::fail(st.error());
  if (auto st = member(mid, ",\"mode\":", p.mode); !st.ok()) return core::fail(st.error());
  if (auto st = member(mid, ",\"prev\":", prev); !st.ok()) return core::fail(st.error());
  if (auto st = member(mid, ",\"rules_version\":", p.rules_version); !st.ok()) return core::fail(st.error());
  if (seq > static_cast<std::uint64_t>(kMaxSafeInteger)) return core::fail(SealError{SealErrc::Encoding, "seq out of range"});
  mid += ",\"seq\":" + std::to_string(seq);
  if (auto st = member(tail, ",\"site_id\":", p.site_id); !st.ok()) return core::fail(st.error());
  if (auto st = member(tail, ",\"ts\":", ts); !st.ok()) return core::fail(st.error());
  tail += ",\"v\":" + std::to_string(kRecordVersion) + "}";

  std::string line;
  line.reserve(head.size() + mid.size() + tail.size() + 240);
  line += head;
  line += mid;
  line += tail;
  const Digest digest = sha256(line);
  std::string hash = toHex(digest);
  line.resize(head.size());
  line += ",\"hash\":\"" + hash + "\"";
  line += mid;
  line += ",\"sig\":\"" + toHex(signer.sign(digest)) + "\"";
  line += tail;
  line.push_back('\n');
  if (line.size() > kMaxLineBytes) {
    return core::fail(SealError{SealErrc::TooLarge, "record of " + std::to_string(line.size()) +
                                                        " bytes exceeds the 1 MiB line limit"});
  }
  return SealedRecord{seq, prev, std::move(hash), std::move(line)};
}

core::Result<std::string, SealError> sealHeader(const HeaderFields& f, const Signer& signer) {
  json doc = {{"format", kFormatName},
              {"format_version", kFormatVersion},
              {"first_seq", f.first_seq},
              {"prev", f.prev},
              {"created", f.created},
              {"reason", f.reason},
              {"site_id", f.site_id},
              {"appliance_id", f.appliance_id},
              {"public_key", toHex(signer.publicKey())}};
  if (f.since) doc["since"] = *f.since;
  if (f.until) doc["until"] = *f.until;
  if (f.head_seq) {
    doc["head_seq"] = *f.head_seq;
    doc["records"] = *f.head_seq - f.first_seq + 1;
  }
  if (f.head_hash) doc["head_hash"] = *f.head_hash;
  auto sealed = seal(std::move(doc), signer);
  if (!sealed.ok()) return core::fail(std::move(sealed.error()));
  return std::move(sealed->first);
}

core::Result<ParsedRecord, Problem> parseRecordLine(std::string_view line) {
  auto parsed = parseObject(line, Reason::Malformed);
  if (!parsed.ok()) return core::fail(std::move(parsed.error()));
  json& doc = *parsed;
  const auto malformed = [](std::string what) { return core::fail(Problem{Reason::Malformed, std::move(what)}); };
  if (auto problem = memberProblem(doc, recordMembers()); !problem.empty()) return malformed(problem);
  if (!(doc["v"].is_number_integer() && !doc["v"].is_boolean() && doc["v"].get<std::int64_t>() == kRecordVersion)) {
    return malformed("\"v\" is not 1");
  }
  const auto seq = positiveInteger(doc["seq"]);
  if (!seq) return malformed("\"seq\" is not a positive integer");
  if (!isLowerHex(doc["prev"], 64)) return malformed("\"prev\" is not 64 lowercase hex digits");
  if (!isLowerHex(doc["hash"], 64)) return malformed("\"hash\" is not 64 lowercase hex digits");
  if (!isLowerHex(doc["sig"], 128)) return malformed("\"sig\" is not 128 lowercase hex digits");
  if (!doc["ts"].is_string() || !isTimestamp(doc["ts"].get_ref<const std::string&>())) {
    return malformed("\"ts\" is not an RFC 3339 UTC time with milliseconds");
  }
  std::optional<Kind> kind = doc["kind"].is_string() ? parseKind(doc["kind"].get_ref<const std::string&>()) : std::nullopt;
  if (!kind) return malformed("\"kind\" is not a record kind");
  if (!(doc["mode"] == "dry_run" || doc["mode"] == "live")) return malformed("\"mode\" is not dry_run or live");
  for (const char* name : {"site_id", "appliance_id", "agent_version", "rules_version", "config_hash", "actor"}) {
    if (!doc[name].is_string()) return malformed(std::string("\"") + name + "\" is not a string");
  }
  if (!doc["body"].is_object()) return malformed("\"body\" is not an object");
  auto digest = canonicalDigest(line, doc, Reason::Malformed);
  if (!digest.ok()) return core::fail(std::move(digest.error()));
  ParsedRecord r;
  r.seq = *seq;
  r.prev = doc["prev"].get<std::string>();
  r.hash = doc["hash"].get<std::string>();
  r.ts = doc["ts"].get<std::string>();
  r.kind = *kind;
  r.digest = *digest;
  r.sig = *fromHex<64>(doc["sig"].get_ref<const std::string&>());
  r.doc = std::move(doc);
  return r;
}

std::optional<Problem> checkRecordSeal(const ParsedRecord& r, const PublicKey& key) {
  if (digestHex(r.digest) != r.hash) {
    return Problem{Reason::HashMismatch, "hash does not match the record's content (seq " + std::to_string(r.seq) + ")"};
  }
  if (!verifySignature(key, r.digest, r.sig)) {
    return Problem{Reason::BadSignature, "signature does not verify with the key (seq " + std::to_string(r.seq) + ")"};
  }
  return std::nullopt;
}

std::optional<Problem> checkRecord(const ParsedRecord& r, const PublicKey& key, std::uint64_t expected_seq,
                                   const std::string& expected_prev) {
  if (auto problem = checkRecordSeal(r, key)) return problem;
  if (r.seq != expected_seq) {
    return Problem{Reason::SeqMismatch,
                   "expected seq " + std::to_string(expected_seq) + ", found " + std::to_string(r.seq)};
  }
  if (r.prev != expected_prev) {
    return Problem{Reason::PrevMismatch, "prev of seq " + std::to_string(r.seq) +
                                             " is not the hash of the record before it"};
  }
  return std::nullopt;
}

core::Result<ParsedHeader, Problem> parseHeaderLine(std::string_view line) {
  auto parsed = parseObject(line, Reason::HeaderInvalid);
  if (!parsed.ok()) return core::fail(std::move(parsed.error()));
  json& doc = *parsed;
  const auto invalid = [](std::string what) { return core::fail(Problem{Reason::HeaderInvalid, std::move(what)}); };
  const bool exported = doc.contains("reason") && doc["reason"] == "export";
  if (auto problem = memberProblem(doc, headerMembers(exported)); !problem.empty()) return invalid(problem);
  if (doc["format"] != kFormatName) return invalid("\"format\" is not compliance-agent-evidence");
  if (!(doc["format_version"].is_number_integer() && doc["format_version"].get<std::int64_t>() == kFormatVersion)) {
    return invalid("\"format_version\" is not 1");
  }
  const auto first = positiveInteger(doc["first_seq"]);
  if (!first) return invalid("\"first_seq\" is not a positive integer");
  if (!isLowerHex(doc["prev"], 64)) return invalid("\"prev\" is not 64 lowercase hex digits");
  if (!isLowerHex(doc["public_key"], 64)) return invalid("\"public_key\" is not 64 lowercase hex digits");
  if (!isLowerHex(doc["hash"], 64)) return invalid("\"hash\" is not 64 lowercase hex digits");
  if (!isLowerHex(doc["sig"], 128)) return invalid("\"sig\" is not 128 lowercase hex digits");
  for (const char* name : {"created", "since", "until"}) {
    if (doc.contains(name) && !(doc[name].is_string() && isTimestamp(doc[name].get_ref<const std::string&>()))) {
      return invalid(std::string("\"") + name + "\" is not an RFC 3339 UTC time with milliseconds");
    }
  }
  if (!(doc["reason"] == "genesis" || doc["reason"] == "rotation" || doc["reason"] == "recovery" ||
        doc["reason"] == "export")) {
    return invalid("\"reason\" is not genesis, rotation, recovery or export");
  }
  for (const char* name : {"site_id", "appliance_id"}) {
    if (!doc[name].is_string()) return invalid(std::string("\"") + name + "\" is not a string");
  }
  std::optional<std::uint64_t> head_seq;
  if (exported) {
    head_seq = positiveInteger(doc["head_seq"]);
    if (!head_seq || *head_seq < *first) return invalid("\"head_seq\" is not an integer of at least first_seq");
    if (!isLowerHex(doc["head_hash"], 64)) return invalid("\"head_hash\" is not 64 lowercase hex digits");
    const auto records = positiveInteger(doc["records"]);
    if (!records || *records != *head_seq - *first + 1) return invalid("\"records\" is not head_seq - first_seq + 1");
  }
  auto digest = canonicalDigest(line, doc, Reason::HeaderInvalid);
  if (!digest.ok()) return core::fail(std::move(digest.error()));
  ParsedHeader h;
  h.fields.first_seq = *first;
  h.fields.prev = doc["prev"].get<std::string>();
  h.fields.created = doc["created"].get<std::string>();
  h.fields.reason = doc["reason"].get<std::string>();
  h.fields.site_id = doc["site_id"].get<std::string>();
  h.fields.appliance_id = doc["appliance_id"].get<std::string>();
  if (doc.contains("since")) h.fields.since = doc["since"].get<std::string>();
  if (doc.contains("until")) h.fields.until = doc["until"].get<std::string>();
  if (exported) {
    h.fields.head_seq = head_seq;
    h.fields.head_hash = doc["head_hash"].get<std::string>();
  }
  h.public_key = *fromHex<32>(doc["public_key"].get_ref<const std::string&>());
  h.hash = doc["hash"].get<std::string>();
  h.digest = *digest;
  h.sig = *fromHex<64>(doc["sig"].get_ref<const std::string&>());
  return h;
}

std::optional<Problem> checkHeaderSeal(const ParsedHeader& h, const PublicKey& key) {
  if (h.public_key != key) {
    return Problem{Reason::KeyMismatch, "the header's public key " + toHex(h.public_key) +
                                            " is not the verifying key " + toHex(key)};
  }
  if (digestHex(h.digest) != h.hash) return Problem{Reason::HashMismatch, "header hash does not match its content"};
  if (!verifySignature(key, h.digest, h.sig)) return Problem{Reason::BadSignature, "header signature does not verify"};
  return std::nullopt;
}

}  // namespace evidence
