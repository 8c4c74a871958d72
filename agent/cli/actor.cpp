#include "cli/actor.h"

#include <unistd.h>

#include <cstdlib>
#include <string_view>

namespace cli {

std::string actorFor(unsigned uid, const char* sudo_uid) {
  std::string actor = "uid:" + std::to_string(uid);
  if (uid != 0 || sudo_uid == nullptr) return actor;
  const std::string_view s(sudo_uid);
  const bool number = !s.empty() && s.size() <= 10 && s.find_first_not_of("0123456789") == std::string_view::npos;
  return number ? actor + " sudo_uid:" + std::string(s) : actor;
}

std::string operatorActor() { return actorFor(::getuid(), std::getenv("SUDO_UID")); }

}  // namespace cli
