#pragma once
// The shape checks every CentralLink transport applies to an answer before returning it (parse,
// validate, use): required fields set, closed enums known and not UNSPECIFIED, the fixed byte
// lengths proto/central.proto names for signatures and hashes, ranges. A failure is a message
// naming the field; the transport reports it as LinkErrc::InvalidResponse.
//
// Deliberately not checked here, because a module above owns the decision and must be able to
// report it: signatures (they need central.server_public_key: C3's statement check, C5's orders,
// C4's receipts) and the orders themselves. An order that is malformed, unsigned or mis-signed is
// refused by the order verifier, one by one, and reported in ReportOrderResult; refusing the
// whole check-in for it here would keep that refusal from ever being reported.
#include <cstdint>
#include <string>

#include "central.pb.h"
#include "core/result.h"

namespace checkin {

/// Ed25519 signatures are 64 bytes (RFC 8032); key ids 64 lowercase hex digits (SHA-256 of the
/// key).
inline constexpr std::size_t kSignatureBytes = 64;
inline constexpr std::size_t kKeyIdHexDigits = 64;
/// An interval central command sets may not be shorter than agent.yaml's minimum (1s): a 0
/// keeps the appliance's own value, anything in between would have the fleet hammer central
/// command.
inline constexpr std::uint64_t kMinIntervalMs = 1000;
/// Minutes of a day: a maintenance window's bounds are 0..kMinutesPerDay-1.
inline constexpr std::uint32_t kMinutesPerDay = 24 * 60;

/// Each returns Ok, or a message naming the first field that is not well-formed.
core::Status<std::string> validateResponse(const compliance::central::v1::CheckInResponse& r);
core::Status<std::string> validateResponse(const compliance::central::v1::SyncRulesResponse& r);
core::Status<std::string> validateResponse(const compliance::central::v1::SubmitEvidenceResponse& r);
core::Status<std::string> validateResponse(const compliance::central::v1::ReportOrderResultResponse& r);

}  // namespace checkin
