#include "cli/validators.h"

#include <charconv>
#include <cstdint>

namespace cli {

CLI::Validator wholeNumber(const std::string& what, unsigned min) {
  const std::string need = "takes " + what + ", " + std::to_string(min) + " or more";
  return CLI::Validator(
      [need, min](std::string& text) -> std::string {
        std::uint64_t value = 0;
        const char* end = text.data() + text.size();
        const auto [ptr, ec] = std::from_chars(text.data(), end, value);
        if (text.empty() || ec != std::errc() || ptr != end || value < min) return need + ": got '" + text + "'";
        return "";
      },
      "", "");
}

}  // namespace cli
