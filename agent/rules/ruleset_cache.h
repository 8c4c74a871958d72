#pragma once
// A cache of the validated rule set, keyed by what determines it: the bytes of the rule files
// (RuleSet::version), the probe and action types the agent implements, the codec version and
// the agent version. yaml-cpp needs ~60 ms for 300 checks; decoding the cache takes ~1 ms, so
// the read-only `check` command stays fast. Writers (run --once, the daemon, `rules compile`)
// store it; readers only read it and fall back to parsing. The files are hashed on every load,
// so an edited rule file is never served from a stale cache.
//
// Trust: the cache lives in state_dir (0700, root), like the evidence keys. Anyone who can write
// it can already act as the agent; the shipped and synced rules stay the source of truth.
#include <string>

#include "core/result.h"
#include "rules/loader.h"

namespace rules {

struct CacheOptions {
  std::string dir;     // empty: no cache
  bool write = false;  // store the validated set after a parse (writers only)
};

/// The cache key (64 hex digits) of `sources`, whose ruleSetVersion is `version`, under `known`
/// with `overrides` (their values and positions: both are in the cached set).
std::string ruleSetCacheKey(const std::string& version, const std::vector<SourceFile>& sources,
                            const KnownTypes& known, const VarOverrides& overrides = {});

/// As loadRulePath, through the cache in `options.dir`. Fails exactly as loadRulePath does; a
/// missing, unreadable or corrupt cache is never an error (the files are parsed instead), and a
/// cache that cannot be written is only skipped.
core::Result<RuleSet, RulesError> loadRulePathCached(const std::string& path, const KnownTypes& known,
                                                     const CacheOptions& options,
                                                     const VarOverrides& overrides = {});

}  // namespace rules
