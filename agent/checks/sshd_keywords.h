#pragma once
// How sshd (OpenSSH 9.x, as `sshd -t` and `sshd -T` read it) takes the argument of a keyword:
// the keywords a check may ask about have a kind (a yes/no flag, one word of a set, a
// non-negative integer, a time, a log level, an algorithm list), and a value outside it makes sshd
// refuse the whole file (`sshd -t` exits 255). The effective form is what `sshd -T` prints:
// times in seconds, words in lower case. Keywords not in the table are taken as written.
#include <string>
#include <string_view>

namespace checks {

struct SshdValue {
  bool valid = true;
  std::string effective;  // valid only: the value as sshd -T prints it
  std::string why;        // invalid only: what sshd would say, e.g. "not a non-negative integer"
};

/// Reads `value` (the keyword's arguments, comments removed, joined by one space) as sshd would
/// read the argument of `keyword` (case-insensitive).
SshdValue readSshdValue(std::string_view keyword, std::string_view value);

/// sshd's pattern match (`*` any run, `?` one character; the whole string, case-sensitive), as
/// its algorithm lists and glob(3) for Include use it.
bool sshdPatternMatch(std::string_view pattern, std::string_view s);

/// sshd's time format (sshd_config(5) TIME FORMATS): digits with an optional unit, s m h d w,
/// several in a row ("1h30m"); nullopt-like -1 when it is not one.
long long sshdSeconds(std::string_view value);

}  // namespace checks
