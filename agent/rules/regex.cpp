#include "rules/regex.h"

namespace rules {

core::Result<std::shared_ptr<const re2::RE2>, std::string> compileRegex(std::string_view pattern) {
  if (pattern.size() > kMaxRegexLength) {
    return core::fail("regex is " + std::to_string(pattern.size()) + " bytes, over the limit of " +
                      std::to_string(kMaxRegexLength));
  }
  RE2::Options opts;
  // Errors are returned to the loader, which reports them with file and line; RE2 would
  // otherwise also log them to stderr.
  opts.set_log_errors(false);
  opts.set_max_mem(kRegexMaxMem);
  auto re = std::make_shared<const re2::RE2>(re2::StringPiece(pattern.data(), pattern.size()), opts);
  if (!re->ok()) return core::fail("invalid regex: " + re->error());
  return std::shared_ptr<const re2::RE2>(std::move(re));
}

}  // namespace rules
