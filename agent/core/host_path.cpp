#include "core/host_path.h"

#include <vector>

namespace core {

core::Result<std::string, std::string> normaliseHostPath(std::string_view path) {
  if (path.empty()) return core::fail(std::string("host path is empty"));
  if (path.size() > kMaxHostPathLength) {
    return core::fail("host path is longer than " + std::to_string(kMaxHostPathLength) + " bytes");
  }
  if (path.front() != '/') {
    return core::fail("host path '" + std::string(path) + "' is not absolute");
  }
  for (unsigned char c : path) {
    if (c < 0x20 || c == 0x7f) return core::fail(std::string("host path contains a control character"));
  }
  std::vector<std::string_view> parts;
  std::size_t at = 0;
  while (at < path.size()) {
    const std::size_t next = path.find('/', at);
    const std::string_view part = path.substr(at, next == std::string_view::npos ? std::string_view::npos : next - at);
    // ".." is refused rather than resolved: lexically folding it would differ from what the
    // kernel does when a component is a symlink, and a rule never needs it.
    if (part == "..") {
      return core::fail("host path '" + std::string(path) + "' has a '..' component");
    }
    if (!part.empty() && part != ".") parts.push_back(part);
    if (next == std::string_view::npos) break;
    at = next + 1;
  }
  std::string out;
  for (auto p : parts) {
    out += '/';
    out += p;
  }
  return out.empty() ? std::string("/") : out;
}

}  // namespace core
