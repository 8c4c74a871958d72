#include "checks/host_accounts.h"

#include <charconv>
#include <string_view>

namespace checks {
namespace {

constexpr std::size_t kMaxAccountDbBytes = 16u << 20;

std::optional<std::uint32_t> parseId(std::string_view s) {
  std::uint32_t v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

}  // namespace

HostAccounts::Db& HostAccounts::load(Db& db, const char* path) {
  if (db.loaded) return db;
  db.loaded = true;
  auto text = files_.readFile(path, kMaxAccountDbBytes);
  if (!text.ok()) return db;
  std::string_view all = *text;
  while (!all.empty()) {
    const size_t nl = all.find('\n');
    std::string_view line = all.substr(0, nl);
    all = nl == std::string_view::npos ? std::string_view{} : all.substr(nl + 1);
    // name:x:id:... -- the id is the third field in both passwd and group.
    const size_t c1 = line.find(':');
    if (c1 == std::string_view::npos || c1 == 0) continue;
    const size_t c2 = line.find(':', c1 + 1);
    if (c2 == std::string_view::npos) continue;
    const size_t c3 = line.find(':', c2 + 1);
    const auto id = parseId(line.substr(c2 + 1, c3 == std::string_view::npos ? std::string_view::npos : c3 - c2 - 1));
    if (!id) continue;
    const std::string name(line.substr(0, c1));
    db.by_name.emplace(name, *id);  // the first entry of a name wins, as in getpwnam
    db.by_id.emplace(*id, name);
  }
  return db;
}

std::optional<std::uint32_t> HostAccounts::uid(const std::string& user_or_number) {
  if (auto n = parseId(user_or_number)) return n;
  auto& db = load(users_, "/etc/passwd");
  const auto it = db.by_name.find(user_or_number);
  if (it == db.by_name.end()) return std::nullopt;
  return it->second;
}

std::optional<std::uint32_t> HostAccounts::gid(const std::string& group_or_number) {
  if (auto n = parseId(group_or_number)) return n;
  auto& db = load(groups_, "/etc/group");
  const auto it = db.by_name.find(group_or_number);
  if (it == db.by_name.end()) return std::nullopt;
  return it->second;
}

std::string HostAccounts::userName(std::uint32_t id) {
  auto& db = load(users_, "/etc/passwd");
  const auto it = db.by_id.find(id);
  return it == db.by_id.end() ? std::string() : it->second;
}

std::string HostAccounts::groupName(std::uint32_t id) {
  auto& db = load(groups_, "/etc/group");
  const auto it = db.by_id.find(id);
  return it == db.by_id.end() ? std::string() : it->second;
}

}  // namespace checks
