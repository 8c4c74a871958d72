#pragma once
// FakeCommandRunner: records every CommandSpec it is asked to run and answers with replies
// scripted per tool (argv[0]). A tool with no script fails with UnknownTool, as the real runner
// does for a tool missing from the tools: map.
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "platform/command_runner.h"

namespace fakes {

class FakeCommandRunner final : public platform::CommandRunner {
 public:
  using Reply = core::Result<platform::CommandResult, platform::CommandError>;
  using Handler = std::function<Reply(const platform::CommandSpec&)>;

  /// Queues `reply` for the next run of `tool`. Replies are used in order; the last one stays
  /// and answers every later run.
  void script(const std::string& tool, Reply reply) { replies_[tool].push_back(std::move(reply)); }

  /// Convenience: a command that exits with `exit_code` and prints `out` / `err`.
  void scriptOutput(const std::string& tool, std::string out, int exit_code = 0,
                    std::string err = "") {
    platform::CommandResult r;
    r.exit_code = exit_code;
    r.out = std::move(out);
    r.err = std::move(err);
    script(tool, std::move(r));
  }

  /// Convenience: the tool cannot be run at all.
  void scriptError(const std::string& tool, platform::CommandErrc code, std::string message) {
    script(tool, core::fail(platform::CommandError{code, std::move(message)}));
  }

  /// Computes the reply from the spec; takes precedence over scripted replies for `tool`.
  void onRun(const std::string& tool, Handler handler) { handlers_[tool] = std::move(handler); }

  Reply run(const platform::CommandSpec& spec) override {
    calls_.push_back(spec);
    const std::string tool = spec.argv.empty() ? std::string() : spec.argv.front();
    if (auto h = handlers_.find(tool); h != handlers_.end()) return h->second(spec);
    auto it = replies_.find(tool);
    if (it == replies_.end() || it->second.empty()) {
      return core::fail(platform::CommandError{platform::CommandErrc::UnknownTool,
                                               "tool '" + tool + "' is not scripted"});
    }
    Reply reply = it->second.front();
    if (it->second.size() > 1) it->second.pop_front();
    return reply;
  }

  /// Every spec run so far, in order.
  /// Scripted and handled tools exist (as /fake/<tool>); every other tool is unknown.
  core::Result<std::string, platform::CommandError> toolPath(const std::string& tool) const override {
    if (replies_.count(tool) || handlers_.count(tool)) return "/fake/" + tool;
    return core::fail(platform::CommandError{platform::CommandErrc::UnknownTool, "tool '" + tool + "' is not scripted"});
  }

  const std::vector<platform::CommandSpec>& calls() const { return calls_; }
  /// The argv of every run so far, in order.
  std::vector<std::vector<std::string>> argvs() const {
    std::vector<std::vector<std::string>> out;
    for (const auto& c : calls_) out.push_back(c.argv);
    return out;
  }

 private:
  std::map<std::string, std::deque<Reply>> replies_;
  std::map<std::string, Handler> handlers_;
  std::vector<platform::CommandSpec> calls_;
};

}  // namespace fakes
