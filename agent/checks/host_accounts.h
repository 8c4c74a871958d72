#pragma once
// User and group names of the host root, from its own /etc/passwd and /etc/group (never the
// agent machine's NSS: a fixture root or an image has accounts of its own).
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "platform/host_files.h"

namespace checks {

class HostAccounts {
 public:
  explicit HostAccounts(const platform::HostFiles& files) : files_(files) {}

  /// uid of a user name or numeric string; nullopt when unknown (or passwd unreadable).
  std::optional<std::uint32_t> uid(const std::string& user_or_number);
  /// gid of a group name or numeric string; nullopt when unknown.
  std::optional<std::uint32_t> gid(const std::string& group_or_number);
  /// Name of a uid / gid; empty when the database does not name it.
  std::string userName(std::uint32_t uid);
  std::string groupName(std::uint32_t gid);

 private:
  struct Db {
    bool loaded = false;
    std::map<std::string, std::uint32_t> by_name;
    std::map<std::uint32_t, std::string> by_id;
  };
  Db& load(Db& db, const char* path);

  const platform::HostFiles& files_;
  Db users_;
  Db groups_;
};

}  // namespace checks
