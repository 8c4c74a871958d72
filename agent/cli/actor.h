#pragma once
// Who an operator's command acts as, for its evidence records.
#include <string>

namespace cli {

/// The actor of what an operator's command does: "uid:N" (the real uid). Run by root through
/// sudo, "uid:0 sudo_uid:M" adds the invoking user as sudo reports it (SUDO_UID): root can set
/// any environment, so it is what sudo said, next to the uid that counts, never instead of it.
/// A SUDO_UID seen by anyone but root is ignored (a user cannot claim to be someone else).
std::string operatorActor();
/// operatorActor for a given real uid and SUDO_UID value (nullptr: unset).
std::string actorFor(unsigned uid, const char* sudo_uid);

}  // namespace cli
