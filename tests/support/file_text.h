#pragma once
// Whole-file reads and writes for tests (fixture files, outputs to compare byte for byte).
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace testsupport {

/// The bytes of a file ("" when it cannot be read).
inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

/// Writes `text` to `p` (creating parent directories), replacing it.
inline void spit(const std::filesystem::path& p, const std::string& text) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary | std::ios::trunc) << text;
}

}  // namespace testsupport
