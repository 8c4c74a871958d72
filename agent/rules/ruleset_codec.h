#pragma once
// A compact binary encoding of a validated RuleSet, for the rule-set cache: a writer stores
// encodeRuleSet() of a set it loaded (and validated) from YAML; `check` decodes it instead of
// parsing YAML again. decodeRuleSet() takes any bytes (corrupt, truncated, hostile) and either
// gives back exactly the set that was encoded or fails with a message; it never throws.
//
// Layout (all integers little-endian):
//   "CARS"  u32 kRuleSetCodecVersion  u64 FNV-1a-64 checksum of the body  body
// The body is the RuleSet's fields in visitFields() order (below): strings as a varint length and
// the bytes; unsigned integers, enums, counts and variant indexes as LEB128 varints; signed
// integers (and durations, dates) zigzag-encoded; bool and "is set" flags as one byte 0/1;
// doubles as their 8 bytes; a compiled regex as a flag and the pattern RE2 compiled (recompiled
// on decode with compileRegex). The encoding is canonical: a decode that succeeds re-encodes to
// the same bytes (decode refuses non-minimal varints, flags other than 0/1, unsorted maps).
//
// The visitors below are the single description of the model's fields: the encoder, the decoder
// and the tests' field-by-field comparison all go through them. When model.h changes, update the
// visitFields() of the struct and bump kRuleSetCodecVersion.
#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

#include "core/result.h"
#include "rules/model.h"

namespace rules {

/// Bump on any change of model.h or of the layout: a cache written by another version is refused.
// 2: dir_scan cross_mounts; 3: explicit, conflict, missing; 4 (session 5): vars, le/ge/between,
// source_version, refs, file_owner without owner, file_regex paths + names, config format keyword
inline constexpr std::uint32_t kRuleSetCodecVersion = 4;
inline constexpr std::string_view kRuleSetCodecMagic = "CARS";
/// Bytes before the body: magic, version, checksum.
inline constexpr std::size_t kRuleSetCodecHeaderBytes = 16;

/// The encoding of `set` (see above). Never fails. A set the loader could not have produced (probe
/// nesting deeper than kMaxRuleDepth, a missing compiled regex, a string over 1 MiB ...) encodes,
/// but its decode fails: a cache miss, never a different set.
std::string encodeRuleSet(const RuleSet& set);

/// The set encoded in `bytes`, with every regex compiled again (compileRegex). Fails, with a
/// message naming the problem and its byte offset, on a wrong magic, version or checksum, on
/// truncated or trailing bytes, on a length, count, enum value or variant index out of range, on a
/// pattern that does not compile, and on sets that break the model's invariants the agent relies
/// on (a probe's `type` matching its body, a compiled regex wherever a pattern is set).
/// Memory use is bounded by the input's size; never throws.
core::Result<RuleSet, std::string> decodeRuleSet(std::string_view bytes);

/// For tests and fuzzing only: rewrites the checksum of `bytes` (when it has a full header) to
/// match its body, so that mutated or truncated bodies reach the structural checks of the decoder
/// instead of stopping at the checksum.
void resealEncodedRuleSet(std::string& bytes);

namespace codec {

// ---------------------------------------------------------------------------------------------
// Field visitors: visitFields(v, s...) calls v(s.field...) for every field of the struct, in
// encoding order. It takes one object (encode, decode) or several of the same type side by side
// (comparison), const or not. Adding a field to the model without adding it here loses it in the
// cache: update these together with model.h, and bump kRuleSetCodecVersion.

template <class S, class T>
concept Like = std::same_as<std::remove_const_t<S>, T>;

template <class V, Like<SourcePos>... S> void visitFields(V& v, S&... s) { v(s.file...); v(s.line...); v(s.column...); }
template <class V, Like<Expectation>... S> void visitFields(V& v, S&... s) {
  v(s.op...); v(s.value...); v(s.values...); v(s.regex...); v(s.number...); v(s.number_max...); v(s.ignore_case...);
}
template <class V, Like<MatchCondition>... S> void visitFields(V& v, S&... s) { v(s.field...); v(s.expect...); v(s.pos...); }

// Probes, in ProbeBody order.
template <class V, Like<FileExistsProbe>... S> void visitFields(V& v, S&... s) { v(s.path...); }
template <class V, Like<FileAbsentProbe>... S> void visitFields(V& v, S&... s) { v(s.path...); }
template <class V, Like<FileModeProbe>... S> void visitFields(V& v, S&... s) {
  v(s.path...); v(s.max_mode...); v(s.missing...);
}
template <class V, Like<FileOwnerProbe>... S> void visitFields(V& v, S&... s) {
  v(s.path...); v(s.owner...); v(s.group...); v(s.missing...);
}
template <class V, Like<FileRegexProbe>... S> void visitFields(V& v, S&... s) {
  v(s.paths...); v(s.names...); v(s.pattern...); v(s.regex...); v(s.present...); v(s.skip_comments...);
  v(s.comment_prefix...);
}
template <class V, Like<ConfigValueProbe>... S> void visitFields(V& v, S&... s) {
  v(s.paths...); v(s.key...); v(s.format...); v(s.section...); v(s.default_value...); v(s.expect...);
  v(s.explicit_setting...); v(s.conflict...);
}
template <class V, Like<FileHashProbe>... S> void visitFields(V& v, S&... s) { v(s.path...); v(s.sha256...); }
template <class V, Like<DirScanProbe>... S> void visitFields(V& v, S&... s) {
  v(s.path...); v(s.find...); v(s.allow...); v(s.exclude...); v(s.max_depth...); v(s.max_entries...);
  v(s.cross_mounts...);
}
template <class V, Like<SysctlProbe>... S> void visitFields(V& v, S&... s) { v(s.key...); v(s.expect...); }
template <class V, Like<SystemdUnitProbe>... S> void visitFields(V& v, S&... s) { v(s.unit...); v(s.active...); v(s.enabled...); }
template <class V, Like<ProcessRunningProbe>... S> void visitFields(V& v, S&... s) { v(s.name...); v(s.running...); }
template <class V, Like<PortRange>... S> void visitFields(V& v, S&... s) { v(s.first...); v(s.last...); }
template <class V, Like<PortListeningProbe>... S> void visitFields(V& v, S&... s) { v(s.protocol...); v(s.ports...); v(s.listening...); }
template <class V, Like<DiskUsageProbe>... S> void visitFields(V& v, S&... s) { v(s.mounts...); v(s.max_percent...); }
template <class V, Like<CertExpiryProbe>... S> void visitFields(V& v, S&... s) { v(s.path...); v(s.agent_file...); v(s.min_days...); }
template <class V, Like<NixosGenerationProbe>... S> void visitFields(V&, S&...) {}
template <class V, Like<TimeSyncProbe>... S> void visitFields(V&, S&...) {}
template <class V, Like<CommandProbe>... S> void visitFields(V& v, S&... s) {
  v(s.argv...); v(s.expect_exit...); v(s.expect_output...); v(s.expect_output_regex...); v(s.timeout...);
}
template <class V, Like<AllProbe>... S> void visitFields(V& v, S&... s) { v(s.probes...); v(s.target...); }
template <class V, Like<AnyProbe>... S> void visitFields(V& v, S&... s) { v(s.probes...); v(s.target...); }
template <class V, Like<NoneProbe>... S> void visitFields(V& v, S&... s) { v(s.probes...); v(s.target...); }
template <class V, Like<ProbeSpec>... S> void visitFields(V& v, S&... s) { v(s.type...); v(s.pos...); v(s.body...); }

// Actions, in ActionBody order.
template <class V, Like<RestartServiceAction>... S> void visitFields(V& v, S&... s) { v(s.unit...); }
template <class V, Like<ReloadServiceAction>... S> void visitFields(V& v, S&... s) { v(s.unit...); }
template <class V, Like<StartServiceAction>... S> void visitFields(V& v, S&... s) { v(s.unit...); }
template <class V, Like<EnableServiceAction>... S> void visitFields(V& v, S&... s) { v(s.unit...); }
template <class V, Like<SetFileModeAction>... S> void visitFields(V& v, S&... s) { v(s.path...); v(s.mode...); v(s.max_mode...); }
template <class V, Like<SetFileOwnerAction>... S> void visitFields(V& v, S&... s) { v(s.path...); v(s.owner...); v(s.group...); }
template <class V, Like<SetConfigValueAction>... S> void visitFields(V& v, S&... s) {
  v(s.path...); v(s.key...); v(s.value...); v(s.format...); v(s.section...); v(s.validate...);
}
template <class V, Like<EnsureLineAction>... S> void visitFields(V& v, S&... s) { v(s.path...); v(s.line...); v(s.validate...); }
template <class V, Like<RemoveLineAction>... S> void visitFields(V& v, S&... s) {
  v(s.path...); v(s.pattern...); v(s.regex...); v(s.validate...);
}
template <class V, Like<WriteFileAction>... S> void visitFields(V& v, S&... s) {
  v(s.path...); v(s.content...); v(s.mode...); v(s.owner...); v(s.group...); v(s.validate...);
}
template <class V, Like<SetSysctlAction>... S> void visitFields(V& v, S&... s) { v(s.key...); v(s.value...); v(s.persist_file...); }
template <class V, Like<RunCommandAction>... S> void visitFields(V& v, S&... s) { v(s.argv...); v(s.timeout...); }
template <class V, Like<AlertAction>... S> void visitFields(V& v, S&... s) { v(s.message...); }
template <class V, Like<EscalateAction>... S> void visitFields(V& v, S&... s) { v(s.reason...); }
template <class V, Like<AgentHealAction>... S> void visitFields(V& v, S&... s) { v(s.check_type...); v(s.params...); v(s.timeout...); }
template <class V, Like<ActionSpec>... S> void visitFields(V& v, S&... s) { v(s.type...); v(s.pos...); v(s.body...); }

// Checks, rules, waivers, the set.
template <class V, Like<CheckRefs>... S> void visitFields(V& v, S&... s) { v(s.ssg...); v(s.cis...); v(s.stig...); }
template <class V, Like<Check>... S> void visitFields(V& v, S&... s) {
  v(s.id...); v(s.title...); v(s.description...); v(s.platforms...); v(s.severity...); v(s.hipaa...);
  v(s.probe...); v(s.applies_if...); v(s.refs...); v(s.pos...);
}
template <class V, Like<L1Rule>... S> void visitFields(V& v, S&... s) {
  v(s.id...); v(s.name...); v(s.description...); v(s.tiers...); v(s.match...); v(s.actions...);
  v(s.verify_after...); v(s.cooldown...); v(s.max_attempts...); v(s.disruptive...); v(s.mode...);
  v(s.priority...); v(s.severity...); v(s.legacy...); v(s.pos...);
}
template <class V, Like<Waiver>... S> void visitFields(V& v, S&... s) {
  v(s.check_id...); v(s.target...); v(s.reason...); v(s.approved_by...); v(s.expires...); v(s.pos...);
}
template <class V, Like<Variable>... S> void visitFields(V& v, S&... s) {
  v(s.name...); v(s.type...); v(s.description...); v(s.default_value...); v(s.min...); v(s.max...);
  v(s.allowed...); v(s.value...); v(s.source...); v(s.pos...);
}
template <class V, Like<RuleSet>... S> void visitFields(V& v, S&... s) {
  v(s.checks...); v(s.rules...); v(s.waivers...); v(s.vars...); v(s.version...); v(s.source_version...);
  v(s.source_files...);
}

/// A visitor accepting anything: only to ask whether a type has a visitFields().
struct AnyField {
  template <class... T> void operator()(T&...) const {}
};
/// The model structs (those with a visitFields()), as opposed to the field types the visitors
/// handle themselves (strings, numbers, enums, containers, variants, regexes).
template <class T>
concept HasFields = requires(AnyField& v, T& t) { visitFields(v, t); };

// The last value of each enum: the decoder refuses anything above it. Keep in step with model.h
// (a test checks that each switch-based toString() knows no value past these).
constexpr Severity lastEnumValue(Severity) { return Severity::Critical; }
constexpr Tier lastEnumValue(Tier) { return Tier::FullCoverage; }
constexpr RuleMode lastEnumValue(RuleMode) { return RuleMode::Audit; }
constexpr Platform lastEnumValue(Platform) { return Platform::Nixos; }
constexpr MatchOp lastEnumValue(MatchOp) { return MatchOp::Between; }
constexpr ConfigFormat lastEnumValue(ConfigFormat) { return ConfigFormat::Keyword; }
constexpr ScanFind lastEnumValue(ScanFind) { return ScanFind::WorldWritable; }
constexpr Protocol lastEnumValue(Protocol) { return Protocol::Udp; }
constexpr MissingFile lastEnumValue(MissingFile) { return MissingFile::NotApplicable; }
constexpr Conflict lastEnumValue(Conflict) { return Conflict::Fail; }
constexpr VarType lastEnumValue(VarType) { return VarType::String; }

}  // namespace codec
}  // namespace rules
