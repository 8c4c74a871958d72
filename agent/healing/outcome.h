#pragma once
// Action outcomes: one vocabulary end to end (JSON, evidence, metrics, check-in). Only `healed`
// counts as healed; alerted, escalated, audited, planned and refused never do.
#include <string_view>

namespace healing {

enum class Outcome {
  Healed, Failed, RolledBack, Planned, Refused, Audited, Suppressed, NotInTier, NoRule, Alerted,
  Escalated, Dispatched, TimedOut,
};

constexpr std::string_view toString(Outcome o) {
  switch (o) {
    case Outcome::Healed: return "healed";
    case Outcome::Failed: return "failed";
    case Outcome::RolledBack: return "rolled_back";
    case Outcome::Planned: return "planned";
    case Outcome::Refused: return "refused";
    case Outcome::Audited: return "audited";
    case Outcome::Suppressed: return "suppressed";
    case Outcome::NotInTier: return "not_in_tier";
    case Outcome::NoRule: return "no_rule";
    case Outcome::Alerted: return "alerted";
    case Outcome::Escalated: return "escalated";
    case Outcome::Dispatched: return "dispatched";
    case Outcome::TimedOut: return "timed_out";
  }
  return "?";
}

/// The earlier agents counted alerts and plans as heals; nothing but a verified heal is one.
constexpr bool countsAsHealed(Outcome o) { return o == Outcome::Healed; }

/// What `alerted` and `escalated` say until a channel carries them to a human (the central
/// command link): they are evidence records, and nobody has been told yet.
inline constexpr const char* kNotDelivered = "recorded, not delivered (escalations do not reach central command yet)";

}  // namespace healing
