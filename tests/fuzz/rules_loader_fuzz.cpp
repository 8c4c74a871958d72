// Fuzzes the rule loader with one file's bytes, read both as YAML and as JSON (the name only
// changes messages; the format is detected by shape, so both must hold). Beyond "no crash, no
// sanitizer report, no uncaught exception", it checks the loader's promises: a refusal always
// names the file and carries at least one problem; a success has a version.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "rules/loader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const rules::KnownTypes kKnown = rules::KnownTypes::all();
  const std::string text(reinterpret_cast<const char*>(data), size);
  for (const char* name : {"fuzz.yaml", "fuzz.json"}) {
    auto r = rules::loadRuleSources({rules::SourceFile{name, text, ""}}, kKnown);
    if (r.ok()) {
      if (r->version.size() != 64) std::abort();
      for (const auto& c : r->checks) {
        if (c.id.empty() || c.probe.type.empty()) std::abort();
      }
      for (const auto& rule : r->rules) {
        if (rule.tiers.empty() || rule.match.empty() || rule.actions.empty()) std::abort();
      }
    } else {
      const auto& e = r.error();
      if (e.problems.empty()) std::abort();
      for (const auto& p : e.problems) {
        if (p.file != name || p.message.empty()) std::abort();
      }
      if (e.format().find(name) == std::string::npos) std::abort();
    }
  }
  return 0;
}
