// The wire contract of proto/central.proto, pinned through the generated descriptors: every
// message's field numbers, names and types, its reserved ranges, every enum value and every
// method. Appliances in the field and central command are upgraded at different times, so a
// renumbered or retyped field is a silent break: it must fail here. A field added on purpose is
// added to the table below in the same change (that is the review point: is the number new?).
#include <catch2/catch.hpp>

#include <google/protobuf/descriptor.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "central.grpc.pb.h"
#include "central.pb.h"

namespace {

namespace gp = google::protobuf;
namespace cc = compliance::central::v1;

constexpr const char* kPackage = "compliance.central.v1";

std::string typeOf(const gp::FieldDescriptor& f) {
  if (f.is_map()) {
    const auto* entry = f.message_type();
    return "map<" + typeOf(*entry->map_key()) + ", " + typeOf(*entry->map_value()) + ">";
  }
  std::string t;
  switch (f.type()) {
    case gp::FieldDescriptor::TYPE_MESSAGE: t = f.message_type()->full_name(); break;
    case gp::FieldDescriptor::TYPE_ENUM: t = f.enum_type()->full_name(); break;
    default: t = f.type_name(); break;
  }
  if (f.is_repeated()) t = "repeated " + t;
  if (f.real_containing_oneof() != nullptr) t += " (oneof " + f.real_containing_oneof()->name() + ")";
  return t;
}

// "N name type" per field, by number, then "reserved A to B" per reserved range.
std::vector<std::string> describe(const gp::Descriptor& d) {
  std::vector<const gp::FieldDescriptor*> fields;
  for (int i = 0; i < d.field_count(); ++i) fields.push_back(d.field(i));
  std::sort(fields.begin(), fields.end(),
            [](const auto* a, const auto* b) { return a->number() < b->number(); });
  std::vector<std::string> out;
  for (const auto* f : fields) out.push_back(std::to_string(f->number()) + " " + f->name() + " " + typeOf(*f));
  for (int i = 0; i < d.reserved_range_count(); ++i) {
    const auto* r = d.reserved_range(i);  // end is exclusive
    out.push_back("reserved " + std::to_string(r->start) + " to " + std::to_string(r->end - 1));
  }
  for (int i = 0; i < d.reserved_name_count(); ++i) out.push_back("reserved \"" + d.reserved_name(i) + "\"");
  return out;
}

std::vector<std::string> describe(const gp::EnumDescriptor& e) {
  std::vector<std::string> out;
  for (int i = 0; i < e.value_count(); ++i) {
    out.push_back(std::to_string(e.value(i)->number()) + " " + e.value(i)->name());
  }
  return out;
}

// The contract. Type names are protobuf's ("uint64", "bytes", ...) or the full name of a message
// or enum of this package.
const std::map<std::string, std::vector<std::string>> kMessages = {
    {"Identity",
     {"1 site_id string", "2 appliance_id string", "3 hostname string", "4 agent_version string",
      "5 nixos_version string", "6 uptime_seconds uint64"}},
    {"EvidenceHead", {"1 seq uint64", "2 hash bytes"}},
    {"CycleSummary",
     {"1 evidence_seq uint64", "2 started_at_unix_ms int64", "3 duration_ms uint64",
      "4 compliant uint32", "5 drifted uint32", "6 error uint32", "7 not_applicable uint32",
      "8 waived uint32", "9 outcomes map<string, uint32>", "10 rules_version string"}},
    {"HealthFlag", {"1 code string", "2 detail string", "3 since_unix_ms int64"}},
    {"Escalation",
     {"1 evidence_seq uint64", "2 rule_id string", "3 check_id string", "4 target string",
      "5 outcome string", "6 reason_code string", "7 reason_text string",
      "8 first_seen_unix_ms int64"}},
    {"CheckInRequest",
     {"1 identity compliance.central.v1.Identity", "2 active_tier compliance.central.v1.Tier",
      "3 bundle_version uint64", "4 mode compliance.central.v1.Mode",
      "5 evidence_head compliance.central.v1.EvidenceHead",
      "6 last_cycle compliance.central.v1.CycleSummary",
      "7 health repeated compliance.central.v1.HealthFlag", "8 evidence_public_key bytes",
      "9 open_escalations repeated compliance.central.v1.Escalation",
      "10 unacknowledged_results repeated compliance.central.v1.OrderResult",
      "11 sent_at_unix_ms int64", "reserved 500 to 999"}},
    {"Intervals", {"1 checkin_interval_ms uint64", "2 checks_interval_ms uint64"}},
    {"MaintenanceWindow", {"1 start_minute uint32", "2 end_minute uint32"}},
    {"TierStatement",
     {"1 site_id string", "2 tier compliance.central.v1.Tier", "3 bundle_version uint64",
      "4 bundle_sha256 bytes", "5 issued_at_unix_ms int64", "6 valid_until_unix_ms int64",
      "reserved 500 to 999"}},
    {"SignedTierStatement", {"1 payload bytes", "2 signature bytes", "3 key_id string"}},
    {"OrderPayload",
     {"1 order_id string", "2 appliance_id string", "3 type compliance.central.v1.OrderType",
      "4 arguments map<string, string>", "5 nonce bytes", "6 issued_at_unix_ms int64",
      "7 expires_at_unix_ms int64", "reserved 500 to 999"}},
    {"SignedOrder", {"1 payload bytes", "2 signature bytes", "3 key_id string", "4 order_id string"}},
    {"CheckInResponse",
     {"1 server_time_unix_ms int64", "2 site_tier compliance.central.v1.Tier",
      "3 latest_bundle_version uint64",
      "4 tier_statement compliance.central.v1.SignedTierStatement",
      "5 intervals compliance.central.v1.Intervals", "6 disabled_checks repeated string",
      "7 maintenance_window compliance.central.v1.MaintenanceWindow",
      "8 orders repeated compliance.central.v1.SignedOrder",
      "9 acknowledged_escalation_seqs repeated uint64", "10 acknowledged_order_ids repeated string",
      "reserved 500 to 999"}},
    {"SyncRulesRequest",
     {"1 site_id string", "2 appliance_id string", "3 tier compliance.central.v1.Tier",
      "4 held_bundle_version uint64", "5 held_bundle_sha256 bytes", "6 wanted_bundle_version uint64",
      "reserved 500 to 999"}},
    {"NotModified", {"1 latest_bundle_version uint64"}},
    {"RuleBundle", {"1 version uint64", "2 bundle bytes"}},
    {"SyncRulesResponse",
     {"1 not_modified compliance.central.v1.NotModified (oneof result)",
      "2 bundle compliance.central.v1.RuleBundle (oneof result)", "reserved 500 to 999"}},
    {"SubmitEvidenceRequest",
     {"1 site_id string", "2 appliance_id string", "3 first_seq uint64", "4 records repeated bytes",
      "reserved 500 to 999"}},
    {"EvidenceReceipt",
     {"1 appliance_id string", "2 highest_seq uint64", "3 record_hash bytes",
      "4 stored_at_unix_ms int64", "reserved 500 to 999"}},
    {"SignedReceipt", {"1 payload bytes", "2 signature bytes", "3 key_id string"}},
    {"SubmitEvidenceResponse",
     {"1 highest_seq_stored uint64", "2 receipt compliance.central.v1.SignedReceipt",
      "3 refusal compliance.central.v1.EvidenceRefusal", "4 refused_seq uint64", "5 detail string",
      "reserved 500 to 999"}},
    {"OrderResult",
     {"1 order_id string", "2 status compliance.central.v1.OrderStatus", "3 refusal_code string",
      "4 detail string", "5 finished_at_unix_ms int64", "6 evidence_seq uint64"}},
    {"ReportOrderResultRequest",
     {"1 site_id string", "2 appliance_id string",
      "3 results repeated compliance.central.v1.OrderResult", "reserved 500 to 999"}},
    {"ReportOrderResultResponse", {"1 acknowledged_order_ids repeated string", "reserved 500 to 999"}},
};

const std::map<std::string, std::vector<std::string>> kEnums = {
    {"Mode", {"0 MODE_UNSPECIFIED", "1 MODE_DRY_RUN", "2 MODE_LIVE"}},
    {"Tier", {"0 TIER_UNSPECIFIED", "1 TIER_STANDARD", "2 TIER_FULL_COVERAGE"}},
    {"OrderType",
     {"0 ORDER_TYPE_UNSPECIFIED", "1 ORDER_TYPE_FORCE_CHECKIN", "2 ORDER_TYPE_RUN_CYCLE",
      "3 ORDER_TYPE_SYNC_RULES", "4 ORDER_TYPE_SET_TIER", "5 ORDER_TYPE_PAUSE_HEALING",
      "6 ORDER_TYPE_RESUME_HEALING", "7 ORDER_TYPE_HEAL", "8 ORDER_TYPE_CLEAR_GUARD",
      "9 ORDER_TYPE_ROTATE_API_KEY"}},
    {"EvidenceRefusal",
     {"0 EVIDENCE_REFUSAL_UNSPECIFIED", "1 EVIDENCE_REFUSAL_GAP", "2 EVIDENCE_REFUSAL_FORK",
      "3 EVIDENCE_REFUSAL_BAD_SIGNATURE", "4 EVIDENCE_REFUSAL_MALFORMED",
      "5 EVIDENCE_REFUSAL_UNKNOWN_KEY"}},
    {"OrderStatus",
     {"0 ORDER_STATUS_UNSPECIFIED", "1 ORDER_STATUS_DONE", "2 ORDER_STATUS_FAILED",
      "3 ORDER_STATUS_REFUSED"}},
};

const gp::FileDescriptor& centralFile() {
  const auto* file = cc::CheckInRequest::descriptor()->file();
  REQUIRE(file != nullptr);
  return *file;
}

}  // namespace

TEST_CASE("central.proto is proto3 in package compliance.central.v1") {
  const auto& file = centralFile();
  CHECK(file.name() == "central.proto");
  CHECK(file.package() == kPackage);
  CHECK(file.syntax() == gp::FileDescriptor::SYNTAX_PROTO3);
  CHECK(file.dependency_count() == 0);  // no imports: the generated code needs only this file
}

TEST_CASE("every message keeps its field numbers, names and types") {
  const auto& file = centralFile();
  std::set<std::string> seen;
  for (int i = 0; i < file.message_type_count(); ++i) {
    const auto& d = *file.message_type(i);
    INFO("message " << d.full_name());
    int maps = 0;
    for (int f = 0; f < d.field_count(); ++f) maps += d.field(f)->is_map() ? 1 : 0;
    CHECK(d.nested_type_count() == maps);  // no nested messages or enums but map entries
    CHECK(d.enum_type_count() == 0);
    const auto it = kMessages.find(d.name());
    REQUIRE(it != kMessages.end());  // a new message must be pinned here
    CHECK(describe(d) == it->second);
    seen.insert(d.name());
  }
  for (const auto& [name, fields] : kMessages) {
    INFO("message " << name);
    CHECK(seen.count(name) == 1);  // a pinned message must still exist
  }
}

TEST_CASE("every enum keeps its values") {
  const auto& file = centralFile();
  std::set<std::string> seen;
  for (int i = 0; i < file.enum_type_count(); ++i) {
    const auto& e = *file.enum_type(i);
    INFO("enum " << e.full_name());
    const auto it = kEnums.find(e.name());
    REQUIRE(it != kEnums.end());
    CHECK(describe(e) == it->second);
    seen.insert(e.name());
  }
  for (const auto& [name, values] : kEnums) {
    INFO("enum " << name);
    CHECK(seen.count(name) == 1);
  }
}

TEST_CASE("service CentralCommand keeps its methods, unary, with their message types") {
  const auto& file = centralFile();
  REQUIRE(file.service_count() == 1);
  const auto* service = file.FindServiceByName("CentralCommand");
  REQUIRE(service != nullptr);
  CHECK(service->full_name() == "compliance.central.v1.CentralCommand");
  std::vector<std::string> methods;
  for (int i = 0; i < service->method_count(); ++i) {
    const auto* m = service->method(i);
    CHECK_FALSE(m->client_streaming());
    CHECK_FALSE(m->server_streaming());
    methods.push_back(m->name() + " " + m->input_type()->name() + " -> " + m->output_type()->name());
  }
  CHECK(methods == std::vector<std::string>{
                       "CheckIn CheckInRequest -> CheckInResponse",
                       "SyncRules SyncRulesRequest -> SyncRulesResponse",
                       "SubmitEvidence SubmitEvidenceRequest -> SubmitEvidenceResponse",
                       "ReportOrderResult ReportOrderResultRequest -> ReportOrderResultResponse",
                   });
}

TEST_CASE("every request, response and signed payload reserves 500 to 999 for deployments") {
  const auto& file = centralFile();
  for (int i = 0; i < file.message_type_count(); ++i) {
    const auto& d = *file.message_type(i);
    const std::string& n = d.name();
    const bool wants = n.ends_with("Request") || n.ends_with("Response") || n == "TierStatement" ||
                       n == "OrderPayload" || n == "EvidenceReceipt";
    if (!wants) continue;
    INFO("message " << d.full_name());
    CHECK(d.IsReservedNumber(500));
    CHECK(d.IsReservedNumber(999));
    CHECK_FALSE(d.IsReservedNumber(1000));
  }
}

TEST_CASE("signed payloads round-trip as the exact bytes that were signed") {
  // The envelope carries bytes; what the agent verifies is exactly what central command wrote,
  // whatever a re-encoding would produce. Bytes that are not UTF-8 survive a bytes field.
  cc::OrderPayload order;
  order.set_order_id("o-1");
  order.set_appliance_id("app-7");
  order.set_type(cc::ORDER_TYPE_PAUSE_HEALING);
  (*order.mutable_arguments())["until_unix_ms"] = "1800000000000";
  order.set_nonce(std::string("\x00\xff\x80\x01", 4));
  std::string payload;
  REQUIRE(order.SerializeToString(&payload));
  payload += std::string("\xba\x3e\x01\x00", 4);  // field 999 (reserved, so unknown here), 1 byte long

  cc::SignedOrder envelope;
  envelope.set_payload(payload);
  envelope.set_signature(std::string(64, '\x5a'));
  std::string wire;
  REQUIRE(envelope.SerializeToString(&wire));

  cc::SignedOrder received;
  REQUIRE(received.ParseFromString(wire));
  CHECK(received.payload() == payload);
  cc::OrderPayload parsed;
  REQUIRE(parsed.ParseFromString(received.payload()));
  CHECK(parsed.appliance_id() == "app-7");
  CHECK(parsed.type() == cc::ORDER_TYPE_PAUSE_HEALING);
  CHECK(parsed.nonce() == std::string("\x00\xff\x80\x01", 4));
}
