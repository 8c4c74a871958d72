// The shape checks on central command's answers: each rule refuses what it should, names the
// field, and lets the well-formed answer through.
#include <catch2/catch.hpp>

#include <functional>
#include <string>
#include <vector>

#include "checkin/response_validation.h"
#include "fake_stub.h"

namespace {

namespace v1 = compliance::central::v1;
using checkin_test::validCheckIn;

template <class Message>
void checkInvalid(const Message& m, const std::string& field) {
  const auto r = checkin::validateResponse(m);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().find(field) != std::string::npos);
}

template <class Envelope>
void fillEnvelope(Envelope* e) {
  e->set_payload("payload");
  e->set_signature(std::string(checkin::kSignatureBytes, '\x5a'));
  e->set_key_id(std::string(checkin::kKeyIdHexDigits, 'a'));
}

}  // namespace

TEST_CASE("CheckInResponse: a complete, well-formed answer passes") {
  auto r = validCheckIn();
  r.set_site_tier(v1::TIER_FULL_COVERAGE);
  fillEnvelope(r.mutable_tier_statement());
  r.mutable_intervals()->set_checkin_interval_ms(60'000);
  r.mutable_maintenance_window()->set_start_minute(0);
  r.mutable_maintenance_window()->set_end_minute(checkin::kMinutesPerDay - 1);
  r.add_disabled_checks("LIN-SSH-004");
  r.add_acknowledged_order_ids("order-1");
  // Orders are passed on unchecked: the order verifier refuses and reports them one by one.
  r.add_orders()->set_signature("short");
  CHECK(checkin::validateResponse(r).ok());
}

TEST_CASE("CheckInResponse: each malformed field is refused by name") {
  auto r = validCheckIn();
  SECTION("no server time") {
    r.set_server_time_unix_ms(0);
    checkInvalid(r, "server_time_unix_ms");
  }
  SECTION("tier unspecified, and a tier this agent does not know") {
    r.set_site_tier(v1::TIER_UNSPECIFIED);
    checkInvalid(r, "site_tier");
    r.set_site_tier(static_cast<v1::Tier>(7));
    checkInvalid(r, "site_tier is 7");
  }
  SECTION("tier statement: signature length, key id, payload") {
    fillEnvelope(r.mutable_tier_statement());
    REQUIRE(checkin::validateResponse(r).ok());
    r.mutable_tier_statement()->set_signature(std::string(checkin::kSignatureBytes - 1, 'x'));
    checkInvalid(r, "tier_statement.signature is 63 bytes");
    fillEnvelope(r.mutable_tier_statement());
    r.mutable_tier_statement()->set_key_id(std::string(checkin::kKeyIdHexDigits, 'A'));
    checkInvalid(r, "tier_statement.key_id");
    fillEnvelope(r.mutable_tier_statement());
    r.mutable_tier_statement()->clear_payload();
    checkInvalid(r, "tier_statement.payload");
  }
  SECTION("an interval below the minimum (0 keeps the appliance's own)") {
    r.mutable_intervals()->set_checkin_interval_ms(0);
    REQUIRE(checkin::validateResponse(r).ok());
    r.mutable_intervals()->set_checks_interval_ms(checkin::kMinIntervalMs - 1);
    checkInvalid(r, "intervals.checks_interval_ms");
    r.mutable_intervals()->set_checks_interval_ms(checkin::kMinIntervalMs);
    REQUIRE(checkin::validateResponse(r).ok());
    r.mutable_intervals()->set_checkin_interval_ms(5);
    checkInvalid(r, "intervals.checkin_interval_ms");
  }
  SECTION("a maintenance window minute past the day") {
    r.mutable_maintenance_window()->set_end_minute(checkin::kMinutesPerDay);
    checkInvalid(r, "maintenance_window");
  }
  SECTION("an empty disabled check id or acknowledged order id") {
    r.add_disabled_checks("");
    checkInvalid(r, "disabled_checks[0]");
    r.clear_disabled_checks();
    r.add_acknowledged_order_ids("o1");
    r.add_acknowledged_order_ids("");
    checkInvalid(r, "acknowledged_order_ids[1]");
  }
}

TEST_CASE("SyncRulesResponse: exactly one result, and a bundle is not empty") {
  v1::SyncRulesResponse r;
  checkInvalid(r, "neither not_modified nor bundle");
  r.mutable_not_modified();
  CHECK(checkin::validateResponse(r).ok());
  r.mutable_bundle()->set_version(3);
  checkInvalid(r, "bundle.bundle is empty");
  r.mutable_bundle()->set_bundle("x");
  CHECK(checkin::validateResponse(r).ok());
}

TEST_CASE("SubmitEvidenceResponse: refusal known and consistent with refused_seq, receipt with stored records") {
  v1::SubmitEvidenceResponse r;
  REQUIRE(checkin::validateResponse(r).ok());
  SECTION("unknown refusal") {
    r.set_refusal(static_cast<v1::EvidenceRefusal>(42));
    r.set_refused_seq(3);
    checkInvalid(r, "refusal is 42");
  }
  SECTION("refusal without refused_seq, and the reverse") {
    r.set_refusal(v1::EVIDENCE_REFUSAL_GAP);
    checkInvalid(r, "refused_seq is 0");
    r.set_refused_seq(5);
    CHECK(checkin::validateResponse(r).ok());
    r.set_refusal(v1::EVIDENCE_REFUSAL_UNSPECIFIED);
    checkInvalid(r, "refused_seq is set without a refusal");
  }
  SECTION("stored records need a well-formed receipt, none stored none") {
    r.set_highest_seq_stored(12);
    checkInvalid(r, "receipt is absent");
    fillEnvelope(r.mutable_receipt());
    CHECK(checkin::validateResponse(r).ok());
    r.mutable_receipt()->set_signature(std::string(65, 'x'));
    checkInvalid(r, "receipt.signature is 65 bytes");
    fillEnvelope(r.mutable_receipt());
    r.set_highest_seq_stored(0);
    checkInvalid(r, "receipt is set but highest_seq_stored is 0");
  }
}

TEST_CASE("ReportOrderResultResponse: acknowledged ids are not empty") {
  v1::ReportOrderResultResponse r;
  CHECK(checkin::validateResponse(r).ok());
  r.add_acknowledged_order_ids("order-1");
  CHECK(checkin::validateResponse(r).ok());
  r.add_acknowledged_order_ids("");
  checkInvalid(r, "acknowledged_order_ids[1]");
}
