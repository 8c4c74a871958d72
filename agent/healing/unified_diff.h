#pragma once
// A unified diff of two versions of one host file, for the dry-run plan and the evidence of live
// edits: what an operator reads to see exactly what the agent would change (or changed). Pure:
// bytes in, text out. The output applies with GNU `patch -p1` from the host root.
#include <cstdint>
#include <string>
#include <string_view>

namespace healing {

/// Upper bound on the work of the line diff (diagonals visited plus lines compared). A real edit
/// changes a few lines and needs a tiny fraction of it; two large, unrelated files would need
/// O(lines^2). Past the budget the changed middle becomes one hunk replacing it: still a correct
/// diff, only not minimal, and the daemon never stalls on a pathological file.
inline constexpr std::int64_t kMaxDiffWork = 20'000'000;

/// The unified diff turning `before` into `after`, with `context` unchanged lines around each
/// change (negative counts as 0). Headers are `--- a<path>` / `+++ b<path>` for an absolute host
/// path (`--- a/etc/ssh/sshd_config`), or `--- /dev/null` when `before_exists` is false (a new
/// file; `before` is then ignored). Content is bytes: lines are split at '\n' only, so a '\r' or
/// invalid UTF-8 is part of the line, and a side that lacks the final newline gets a
/// `\ No newline at end of file` marker. Returns "" when the contents are equal (a new, empty file
/// included: a diff cannot show one). Never fails.
std::string unifiedDiff(std::string_view before, std::string_view after, const std::string& path,
                        bool before_exists = true, int context = 3);

namespace detail {
/// unifiedDiff with an explicit work budget, so tests can reach the fallback with small inputs.
std::string unifiedDiffWithBudget(std::string_view before, std::string_view after, const std::string& path,
                                  bool before_exists, int context, std::int64_t max_work);
}  // namespace detail

}  // namespace healing
