#include "cli/app.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <map>
#include <cstdio>
#include <iostream>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/global_options.h"
#include "cli/validators.h"
#include "core/suggest.h"
#include "core/version.h"

namespace cli {
namespace {

void addGlobalFlags(CLI::App& app, GlobalOptions& g) {
  app.add_option("--config", g.config_file, "agent.yaml to read (default /etc/compliance-agent/agent.yaml)")->type_name("FILE");
  app.add_option("--root", g.root, "host root to check, as if it were /")->type_name("DIR");
  app.add_option("--rules", g.rules_dir, "rule directory (loaded recursively) or file")->type_name("PATH");
  app.add_option("--state-dir", g.state_dir, "agent state directory")->type_name("DIR");
  app.add_option("--tier", g.tier, "healing tier for this run: standard | full_coverage")->type_name("TIER");
  app.add_option("--log-level", g.log_level, "trace | debug | info | warn (or warning) | error")->type_name("LEVEL");
  auto* dry = app.add_flag("--dry-run", g.dry_run, "plan healing only, change nothing");
  auto* live = app.add_flag("--live", g.live, "act on drift");
  dry->excludes(live);
  app.add_flag("--json", g.json, "print one JSON document on stdout");
}

// Global flags are defined once, on the root; fallthrough lets every subcommand, at any depth,
// accept them after its own name.
// Help shows a value's meaning (RULE, FILE), never CLI11's type (TEXT).
void nameValues(CLI::App& app) {
  static const std::map<std::string, std::string> kNames{
      {"--check", "ID"},      {"--rule", "RULE"},   {"--clear", "RULE"}, {"--target", "TARGET"}, {"--until", "TIME"},
      {"--pubkey", "FILE"},   {"--since", "DATE"},  {"file", "FILE"},    {"paths", "PATH"},      {"--output", "FILE"}};
  for (auto* opt : app.get_options()) {
    const auto names = opt->get_lnames();
    const std::string key = names.empty() ? opt->get_name() : "--" + names.front();
    if (auto it = kNames.find(key); it != kNames.end()) opt->type_name(it->second);
  }
}

// The global flags as a subcommand's help shows them: defined on the root, accepted everywhere.
std::string globalFlagsText(const CLI::App& root) {
  std::string out = "Global flags (accepted by every command, before or after its name):\n";
  for (const auto* opt : root.get_options()) {
    const std::string name = opt->get_name();
    if (name == "--help" || name == "--version" || name.rfind("-h", 0) == 0) continue;
    std::string left = "  " + name + (opt->get_type_size() == 0 ? "" : " " + opt->get_type_name());
    if (left.size() < 22) left.resize(22, ' ');
    out += left + " " + opt->get_description() + "\n";
  }
  return out;
}

constexpr const char* kExitCodesText =
    "Exit codes: 0 done, all compliant; 1 drift or check errors remain (evidence verify: not intact);\n"
    "  2 usage or configuration error; 3 runtime error (e.g. evidence not durable); 4 state_dir busy.\n";

// A few examples per command, as an operator types them.
const std::map<std::string, std::string>& examples() {
  static const std::map<std::string, std::string> kExamples{
      {"check", "  compliance-agent check\n  compliance-agent check --check LIN-SSH-001 -v\n"
                "  compliance-agent check --root /mnt/image --json\n"},
      {"run", "  compliance-agent run --once                          # dry-run: plans only\n"
              "  compliance-agent run --once --tier full_coverage --json\n"
              "  compliance-agent run --once --diff                   # with each file step's diff\n"
              "  compliance-agent run --once --live                   # acts (root)\n"},
      {"heal", "  compliance-agent heal --rule L1-LIN-SSH-004 --live\n"
               "  compliance-agent heal --clear L1-LIN-SSH-004\n"
               "  compliance-agent heal --pause --until 2h\n  compliance-agent heal --resume\n"},
      {"status", "  compliance-agent status\n  compliance-agent status --json\n"},
      {"rules", "  compliance-agent rules validate ./my-rules/\n  compliance-agent rules list --tier standard\n"},
      {"config", "  compliance-agent config show\n  compliance-agent config show --json\n"
                 "  compliance-agent config validate\n"},
      {"evidence", "  compliance-agent evidence verify\n  compliance-agent evidence tail -n 20\n"
                   "  compliance-agent evidence show 42\n"
                   "  compliance-agent evidence export --since 2026-11-01 --until 2026-11-30 -o nov.jsonl\n"
                   "  compliance-agent evidence verify nov.jsonl --pubkey appliance.pub\n"},
      {"version", "  compliance-agent version\n  compliance-agent version --json\n"},
      {"keygen", "  compliance-agent keygen\n"},
  };
  return kExamples;
}

// Every subcommand, at any depth: value names, fallthrough to the global flags, and a footer
// with those flags, examples (of its top-level command) and the exit codes.
void fallthroughAll(CLI::App& app, const CLI::App& root, const std::string& top = "") {
  for (auto* sub : app.get_subcommands({})) {
    nameValues(*sub);
    sub->fallthrough();
    const std::string command = top.empty() ? sub->get_name() : top;
    std::string footer = "\n" + globalFlagsText(root);
    if (auto it = examples().find(command); it != examples().end()) footer += "\nExamples:\n" + it->second;
    sub->footer(footer + "\n" + kExitCodesText);
    fallthroughAll(*sub, root, command);
  }
}

// The names an operator may have meant where `app` met an unknown word: its subcommands and
// its flags, and the global flags (accepted at any depth).
std::vector<std::string> knownWords(const CLI::App& app, const CLI::App& root) {
  std::vector<std::string> words;
  for (const auto* sub : app.get_subcommands({})) words.push_back(sub->get_name());
  for (const auto* a : {&app, &root}) {
    for (const auto* opt : a->get_options()) {
      for (const auto& l : opt->get_lnames()) words.push_back("--" + l);
      for (const auto& s : opt->get_snames()) words.push_back("-" + s);
    }
  }
  return words;
}

// The deepest subcommand the parse reached (the root when none).
const CLI::App& deepest(const CLI::App& app) {
  for (const auto* sub : app.get_subcommands()) return deepest(*sub);
  return app;
}

// CLI11's message for unexpected arguments, with "did you mean" for the first of them.
std::string unexpected(const CLI::App& root, const std::vector<std::string>& extras) {
  const CLI::App& at = deepest(root);
  std::string words;
  for (const auto& x : extras) words += (words.empty() ? "" : " ") + x;
  std::string where = at.get_parent() ? " for '" + at.get_name() + "'" : "";
  std::string msg = (extras.size() == 1 ? "unknown argument" + where + ": " : "unknown arguments" + where + ": ") + words;
  if (!extras.empty()) {
    std::string token = extras.front();
    if (const auto eq = token.find('='); eq != std::string::npos && token.rfind("--", 0) == 0) token.resize(eq);
    msg += core::didYouMean(token, knownWords(at, root));
  }
  return msg + "\nRun with --help for more information.\n";
}

}  // namespace

int run(int argc, char** argv) {
  CLI::App app{"compliance-agent: keeps a NixOS compliance appliance HIPAA-compliant"};
  // The same line as `version` prints, so scripts can use either.
  app.set_version_flag("--version", versionLine());
  app.name("compliance-agent");
  app.require_subcommand(1);
  GlobalOptions global;
  addGlobalFlags(app, global);
  int exit_code = kExitOk;

  app.add_subcommand("version", "print the agent version")->callback([&] { exit_code = runVersion(global); });

  CheckOptions check_opts;
  auto* check = app.add_subcommand("check", "run the checks against the host; never acts, writes nothing");
  check->add_option("--check", check_opts.check_id, "run only the check with this id");
  check->add_flag("-v,--verbose", check_opts.verbose, "list compliant findings too (table output)");
  check->callback([&] { exit_code = runCheck(global, check_opts); });

  RunOptions run_opts;
  auto* run_cmd = app.add_subcommand("run", "one cycle: checks, then healing (planned only in dry-run)");
  run_cmd->add_flag("--once", run_opts.once, "run one cycle and exit")->required();
  run_cmd->add_flag("--diff", run_opts.diff, "print each file step's unified diff (table output)");
  run_cmd->add_flag("-v,--verbose", run_opts.verbose, "the diffs, compliant findings and every not_in_tier plan");
  run_cmd->callback([&] { exit_code = runOnce(global, run_opts); });

  auto* rules_cmd = app.add_subcommand("rules", "validate and list rules; pack and inspect signed rule bundles");
  rules_cmd->require_subcommand(1);
  std::vector<std::string> validate_paths;
  auto* validate = rules_cmd->add_subcommand("validate", "validate rule files or directories");
  validate->add_option("paths", validate_paths, "rule files or directories")->required();
  validate->callback([&] { exit_code = runRulesValidate(global, validate_paths); });
  rules_cmd->add_subcommand("compile", "validate the configured rules and cache the compiled set in state_dir")
      ->callback([&] { exit_code = runRulesCompile(global); });
  // `rules list --tier T` is the global --tier: the tier of this run.
  rules_cmd->add_subcommand("list", "list the checks, and the L1 rules that act in the tier")
      ->callback([&] { exit_code = runRulesList(global); });

  RulesPackOptions pack_opts;
  auto* pack = rules_cmd->add_subcommand("pack", "validate a rules directory and sign it into a bundle");
  pack->add_option("dir", pack_opts.dir, "the rules directory (or file)")->required()->type_name("DIR");
  pack->add_option("--site", pack_opts.site, "the site it is for, or '*' for every site")->required()->type_name("SITE");
  pack->add_option("--tier", pack_opts.tier, "standard | full_coverage")->required()->type_name("TIER");
  pack->add_option("--version", pack_opts.version, "the bundle's version, higher than any before")
      ->required()
      ->type_name("N")
      ->check(wholeNumber("a bundle version", 1));
  pack->add_option("--expires", pack_opts.expires, "valid for this long from now (30d)")->required()->type_name("DUR");
  pack->add_option("--key", pack_opts.key, "the rules key's private file (mode 0600)")->required()->type_name("FILE");
  pack->add_option("-o,--output", pack_opts.output, "the bundle to write (never over an existing file)")->required();
  pack->callback([&] { exit_code = runRulesPack(global, pack_opts); });
  RulesInspectOptions inspect_opts;
  auto* inspect = rules_cmd->add_subcommand("inspect", "show a bundle; with --pubkey, verify it");
  inspect->add_option("bundle", inspect_opts.bundle, "the bundle file")->required()->type_name("BUNDLE");
  inspect->add_option("--pubkey", inspect_opts.pubkey, "the rules public key: 64 hex digits or a .pub file")
      ->type_name("KEY");

  inspect->callback([&] { exit_code = runRulesInspect(global, inspect_opts); });

  HealOptions heal_opts;
  auto* heal = app.add_subcommand("heal", "an operator's heal of one rule, or control of the healing guards");
  auto* heal_rule = heal->add_option("--rule", heal_opts.rule, "heal the drifts this L1 rule answers");
  heal->add_option("--target", heal_opts.target, "only this target (with --rule or --clear)");
  auto* heal_clear = heal->add_option("--clear", heal_opts.clear, "forget the guards of this rule (flapping, attempts)");
  auto* heal_pause = heal->add_flag("--pause", heal_opts.pause, "stop all healing actions");
  heal->add_option("--until", heal_opts.until, "with --pause: until this RFC 3339 UTC time, or for this long (2h)");
  auto* heal_resume = heal->add_flag("--resume", heal_opts.resume, "end a pause");
  heal_rule->excludes(heal_clear)->excludes(heal_pause)->excludes(heal_resume);
  heal_clear->excludes(heal_pause)->excludes(heal_resume);
  heal_pause->excludes(heal_resume);
  heal->callback([&] {
    if (!heal_opts.rule && !heal_opts.clear && !heal_opts.pause && !heal_opts.resume) {
      throw CLI::ValidationError("heal", "needs one of --rule, --clear, --pause, --resume");
    }
    if (heal_opts.until && !heal_opts.pause) throw CLI::ValidationError("--until", "only with --pause");
    exit_code = runHeal(global, heal_opts);
  });

  app.add_subcommand("status", "the mode, the pause, the guards, backups, evidence and the last cycle (read-only)")
      ->callback([&] { exit_code = runStatus(global); });

  auto* config_cmd = app.add_subcommand("config", "show the effective configuration");
  config_cmd->require_subcommand(1);
  config_cmd->add_subcommand("show", "every setting with its value and where it came from (default, file:line, "
                                     "environment, flag)")
      ->callback([&] { exit_code = runConfigShow(global); });
  config_cmd->add_subcommand("validate", "check the configuration, the rules, the host root and the central "
                                         "link's files as a start would; writes nothing (exit 0 or 2)")
      ->callback([&] { exit_code = runConfigValidate(global); });

  app.add_subcommand("keygen", "make the evidence key pair in state_dir/keys (an existing key is kept)")
      ->callback([&] { exit_code = runKeygen(global); });

  auto* evidence_cmd = app.add_subcommand("evidence", "verify, read and export the signed evidence");
  evidence_cmd->require_subcommand(1);
  evidence_cmd->add_subcommand("pubkey", "print the appliance's evidence public key")
      ->callback([&] { exit_code = runEvidencePubkey(global); });
  EvidenceVerifyOptions verify_opts;
  auto* verify = evidence_cmd->add_subcommand("verify", "check the hash chain and every signature");
  verify->add_option("file", verify_opts.file, "an export or a segment file (default: all of state_dir/evidence)");
  verify->add_option("--pubkey", verify_opts.pubkey, "file with the public key to verify with (64 hex digits)");
  verify->add_option("--from", verify_opts.from, "start at this seq (past a break already reported)")
      ->type_name("SEQ")
      ->check(wholeNumber("a record number", 1));
  verify->callback([&] { exit_code = runEvidenceVerify(global, verify_opts); });
  EvidenceTailOptions tail_opts;
  auto* tail = evidence_cmd->add_subcommand("tail", "print the newest records");
  tail->add_option("-n", tail_opts.count, "how many records (default 10)")
      ->type_name("N")
      ->check(wholeNumber("a count of records", 0));
  tail->add_option("file", tail_opts.file, "an export or a segment file (default: state_dir/evidence)");
  tail->callback([&] { exit_code = runEvidenceTail(global, tail_opts); });
  EvidenceShowOptions show_opts;
  auto* show = evidence_cmd->add_subcommand("show", "print one record in full");
  show->add_option("seq", show_opts.seq, "the record's seq")
      ->required()
      ->type_name("SEQ")
      ->check(wholeNumber("a record number", 1));
  show->add_option("file", show_opts.file, "an export or a segment file (default: state_dir/evidence)");
  show->callback([&] { exit_code = runEvidenceShow(global, show_opts); });
  EvidenceExportOptions export_opts;
  auto* exp = evidence_cmd->add_subcommand("export", "write a self-contained, verifiable file of a time range");
  exp->add_option("--since", export_opts.since, "YYYY-MM-DD (from 00:00 UTC) or RFC 3339 UTC time")->required();
  exp->add_option("--until", export_opts.until, "YYYY-MM-DD (through that day) or RFC 3339 UTC time (exclusive)")
      ->required();
  exp->add_option("-o,--output", export_opts.output, "the file to write (-: stdout)")->required();
  exp->callback([&] { exit_code = runEvidenceExport(global, export_opts); });

  fallthroughAll(app, app);
  app.footer(std::string("\n") + kExitCodesText + "`compliance-agent help COMMAND` shows a command's flags and examples.\n");

  // A bare `compliance-agent` lists the subcommands, as git does: on stdout, with the usage
  // exit code (nothing was done). `help [CMD [SUB]]` is `[CMD [SUB]] --help`.
  if (argc <= 1) {
    std::cout << app.help();
    return kExitUsage;
  }
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.front() == "help") {
    args.erase(args.begin());
    args.push_back("--help");
  }
  std::reverse(args.begin(), args.end());  // CLI11 takes a vector last argument first
  try {
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    // An unknown subcommand ends as "a subcommand is required"; name the word instead.
    if (e.get_exit_code() != 0 && !app.remaining().empty()) {
      std::cerr << unexpected(app, app.remaining());
      return kExitUsage;
    }
    // Help goes to stdout with exit 0; parse errors to stderr with exit 2.
    const int rc = app.exit(e, std::cout, std::cerr);
    return rc == 0 ? kExitOk : kExitUsage;
  } catch (const std::exception& e) {
    // The edge of the process: a library exception that escaped a command (JSON of unexpected
    // shape, a failed allocation) is a runtime error with a message, never an abort.
    std::fprintf(stderr, "compliance-agent: internal error: %s\n", e.what());
    return kExitRuntime;
  }
  return exit_code;
}

}  // namespace cli
