#pragma once
// Shared by the agent_rules tests: load YAML text as one rule file and look at the result.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "rules/loader.h"

namespace rulestest {

inline core::Result<rules::RuleSet, rules::RulesError> load(const std::string& text,
                                                            const std::string& name = "t.yaml") {
  return rules::loadRuleSources({rules::SourceFile{name, text, ""}}, rules::KnownTypes::all());
}

/// Loads text that must be valid; fails the test with every problem otherwise.
inline rules::RuleSet loadOk(const std::string& text, const std::string& name = "t.yaml") {
  auto r = load(text, name);
  if (!r.ok()) FAIL(r.error().format());
  return std::move(r).value();
}

/// Loads text that must be refused; returns the formatted problems.
inline std::string loadErr(const std::string& text, const std::string& name = "t.yaml") {
  auto r = load(text, name);
  if (r.ok()) FAIL("loaded, but should have been refused:\n" << text);
  return r.error().format();
}

inline bool has(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

/// A minimal valid check, for files that need one to reference.
inline std::string check(const std::string& id) {
  return "  - {id: " + id + ", title: t, severity: low, probe: {type: time_sync}}\n";
}

}  // namespace rulestest
