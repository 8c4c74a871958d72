#include "checkin/response_validation.h"

#include <string_view>

namespace checkin {
namespace {

namespace v1 = compliance::central::v1;

core::Status<std::string> invalid(std::string what) { return core::fail(std::move(what)); }

bool isLowerHex(std::string_view s, std::size_t digits) {
  if (s.size() != digits) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// The envelope of everything central command signs (SignedTierStatement, SignedReceipt): the
// signature is checked later, over `payload`, by whoever uses it; here only its shape.
template <class Envelope>
core::Status<std::string> checkEnvelope(const Envelope& e, const std::string& field) {
  if (e.payload().empty()) return invalid(field + ".payload is empty");
  if (e.signature().size() != kSignatureBytes) {
    return invalid(field + ".signature is " + std::to_string(e.signature().size()) + " bytes, not " +
                   std::to_string(kSignatureBytes));
  }
  if (!isLowerHex(e.key_id(), kKeyIdHexDigits)) {
    return invalid(field + ".key_id is not " + std::to_string(kKeyIdHexDigits) + " lowercase hex digits");
  }
  return core::Ok{};
}

template <class Strings>
core::Status<std::string> noEmpty(const Strings& list, const std::string& field) {
  for (int i = 0; i < list.size(); ++i) {
    if (list.Get(i).empty()) return invalid(field + "[" + std::to_string(i) + "] is empty");
  }
  return core::Ok{};
}

core::Status<std::string> checkInterval(std::uint64_t ms, const std::string& field) {
  if (ms != 0 && ms < kMinIntervalMs) {
    return invalid(field + " is " + std::to_string(ms) + " ms: below the minimum of " +
                   std::to_string(kMinIntervalMs) + " ms (0 keeps the appliance's own)");
  }
  return core::Ok{};
}

}  // namespace

core::Status<std::string> validateResponse(const v1::CheckInResponse& r) {
  if (r.server_time_unix_ms() <= 0) return invalid("server_time_unix_ms is not set");
  if (!v1::Tier_IsValid(r.site_tier()) || r.site_tier() == v1::TIER_UNSPECIFIED) {
    return invalid("site_tier is " + std::to_string(r.site_tier()) + ": not a known tier");
  }
  if (r.has_tier_statement()) {
    if (auto ok = checkEnvelope(r.tier_statement(), "tier_statement"); !ok) return ok;
  }
  if (r.has_intervals()) {
    if (auto ok = checkInterval(r.intervals().checkin_interval_ms(), "intervals.checkin_interval_ms"); !ok) return ok;
    if (auto ok = checkInterval(r.intervals().checks_interval_ms(), "intervals.checks_interval_ms"); !ok) return ok;
  }
  if (r.has_maintenance_window()) {
    const auto& w = r.maintenance_window();
    if (w.start_minute() >= kMinutesPerDay || w.end_minute() >= kMinutesPerDay) {
      return invalid("maintenance_window minutes must be 0-" + std::to_string(kMinutesPerDay - 1) + ", got " +
                     std::to_string(w.start_minute()) + "-" + std::to_string(w.end_minute()));
    }
  }
  if (auto ok = noEmpty(r.disabled_checks(), "disabled_checks"); !ok) return ok;
  return noEmpty(r.acknowledged_order_ids(), "acknowledged_order_ids");
}

core::Status<std::string> validateResponse(const v1::SyncRulesResponse& r) {
  switch (r.result_case()) {
    case v1::SyncRulesResponse::kNotModified:
      return core::Ok{};
    case v1::SyncRulesResponse::kBundle:
      if (r.bundle().bundle().empty()) return invalid("bundle.bundle is empty");
      return core::Ok{};
    case v1::SyncRulesResponse::RESULT_NOT_SET:
      break;
  }
  return invalid("neither not_modified nor bundle is set");
}

core::Status<std::string> validateResponse(const v1::SubmitEvidenceResponse& r) {
  if (!v1::EvidenceRefusal_IsValid(r.refusal())) {
    return invalid("refusal is " + std::to_string(r.refusal()) + ": not a known refusal");
  }
  const bool refused = r.refusal() != v1::EVIDENCE_REFUSAL_UNSPECIFIED;
  if (refused != (r.refused_seq() != 0)) {
    return invalid(refused ? "refusal is set but refused_seq is 0" : "refused_seq is set without a refusal");
  }
  if (r.highest_seq_stored() == 0) {
    if (r.has_receipt()) return invalid("receipt is set but highest_seq_stored is 0");
    return core::Ok{};
  }
  if (!r.has_receipt()) return invalid("highest_seq_stored is set but receipt is absent");
  return checkEnvelope(r.receipt(), "receipt");
}

core::Status<std::string> validateResponse(const v1::ReportOrderResultResponse& r) {
  return noEmpty(r.acknowledged_order_ids(), "acknowledged_order_ids");
}

}  // namespace checkin
