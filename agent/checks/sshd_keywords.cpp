#include "checks/sshd_keywords.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <climits>
#include <vector>

namespace checks {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::vector<std::string> splitList(std::string_view s) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= s.size()) {
    const size_t comma = s.find(',', pos);
    const size_t end = comma == std::string_view::npos ? s.size() : comma;
    out.emplace_back(s.substr(pos, end - pos));
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return out;
}

std::string joinList(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& x : v) out += (out.empty() ? "" : ",") + x;
  return out;
}

enum class Kind { Words, Integer, Time, Algorithms };

struct Algorithms {
  std::vector<std::string_view> known;
  std::string_view defaults;  // OpenSSH 9.2's compiled-in list, what sshd -T prints when unset
};

const Algorithms kCiphers{
    {"3des-cbc", "aes128-cbc", "aes192-cbc", "aes256-cbc", "aes128-ctr", "aes192-ctr", "aes256-ctr",
     "aes128-gcm@openssh.com", "aes256-gcm@openssh.com", "chacha20-poly1305@openssh.com"},
    "chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com"};
const Algorithms kMacs{
    {"hmac-sha1", "hmac-sha1-96", "hmac-sha2-256", "hmac-sha2-512", "hmac-md5", "hmac-md5-96",
     "umac-64@openssh.com", "umac-128@openssh.com", "hmac-sha1-etm@openssh.com", "hmac-sha1-96-etm@openssh.com",
     "hmac-sha2-256-etm@openssh.com", "hmac-sha2-512-etm@openssh.com", "hmac-md5-etm@openssh.com",
     "hmac-md5-96-etm@openssh.com", "umac-64-etm@openssh.com", "umac-128-etm@openssh.com"},
    "umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,"
    "hmac-sha1-etm@openssh.com,umac-64@openssh.com,umac-128@openssh.com,hmac-sha2-256,hmac-sha2-512,hmac-sha1"};
const Algorithms kKex{
    {"diffie-hellman-group1-sha1", "diffie-hellman-group14-sha1", "diffie-hellman-group14-sha256",
     "diffie-hellman-group16-sha512", "diffie-hellman-group18-sha512", "diffie-hellman-group-exchange-sha1",
     "diffie-hellman-group-exchange-sha256", "ecdh-sha2-nistp256", "ecdh-sha2-nistp384", "ecdh-sha2-nistp521",
     "curve25519-sha256", "curve25519-sha256@libssh.org", "sntrup761x25519-sha512@openssh.com"},
    "sntrup761x25519-sha512@openssh.com,curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,"
    "ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,"
    "diffie-hellman-group18-sha512,diffie-hellman-group14-sha256"};

struct Keyword {
  std::string_view name;  // lower case
  Kind kind;
  std::vector<std::string_view> words;  // Kind::Words: the accepted words, lower case
  const Algorithms* algorithms = nullptr;
};

const std::vector<std::string_view> kYesNo{"yes", "no"};

const std::vector<Keyword>& keywords() {
  static const std::vector<Keyword> table = [] {
    std::vector<Keyword> t;
    for (std::string_view flag :
         {"passwordauthentication", "permitemptypasswords", "x11forwarding", "hostbasedauthentication",
          "ignoreuserknownhosts", "gssapiauthentication", "gssapicleanupcredentials", "kerberosauthentication",
          "kerberosorlocalpasswd", "kerberosticketcleanup", "strictmodes", "printlastlog", "printmotd", "usepam",
          "kbdinteractiveauthentication", "challengeresponseauthentication", "pubkeyauthentication", "tcpkeepalive",
          "usedns", "x11uselocalhost", "permittty", "permituserrc", "allowagentforwarding", "disableforwarding",
          "exposeauthinfo", "streamlocalbindunlink"}) {
      t.push_back({flag, Kind::Words, kYesNo});
    }
    t.push_back({"ignorerhosts", Kind::Words, {"yes", "no", "shosts-only"}});
    t.push_back({"permitrootlogin", Kind::Words,
                 {"yes", "no", "prohibit-password", "without-password", "forced-commands-only"}});
    t.push_back({"gatewayports", Kind::Words, {"yes", "no", "clientspecified"}});
    t.push_back({"compression", Kind::Words, {"yes", "no", "delayed"}});
    t.push_back({"allowtcpforwarding", Kind::Words, {"yes", "no", "all", "local", "remote"}});
    t.push_back({"allowstreamlocalforwarding", Kind::Words, {"yes", "no", "all", "local", "remote"}});
    t.push_back({"permittunnel", Kind::Words, {"yes", "no", "point-to-point", "ethernet"}});
    t.push_back({"loglevel", Kind::Words,
                 {"quiet", "fatal", "error", "info", "verbose", "debug", "debug1", "debug2", "debug3"}});
    t.push_back({"syslogfacility", Kind::Words,
                 {"daemon", "user", "auth", "authpriv", "local0", "local1", "local2", "local3", "local4", "local5",
                  "local6", "local7"}});
    for (std::string_view n : {"maxauthtries", "maxsessions", "clientalivecountmax", "x11displayoffset"}) {
      t.push_back({n, Kind::Integer, {}});
    }
    for (std::string_view n : {"logingracetime", "clientaliveinterval"}) t.push_back({n, Kind::Time, {}});
    t.push_back({"ciphers", Kind::Algorithms, {}, &kCiphers});
    t.push_back({"macs", Kind::Algorithms, {}, &kMacs});
    t.push_back({"kexalgorithms", Kind::Algorithms, {}, &kKex});
    return t;
  }();
  return table;
}

SshdValue invalid(std::string why) { return {false, "", std::move(why)}; }

SshdValue readInteger(std::string_view v) {
  std::string_view d = v;
  if (!d.empty() && d.front() == '+') d.remove_prefix(1);
  if (d.empty() || !std::all_of(d.begin(), d.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return invalid("not a non-negative integer");
  }
  long long n = 0;
  for (char c : d) {
    n = n * 10 + (c - '0');
    if (n > INT_MAX) return invalid("out of range (at most " + std::to_string(INT_MAX) + ")");
  }
  return {true, std::to_string(n), ""};
}

SshdValue readAlgorithms(const Algorithms& a, std::string_view v) {
  if (v.empty()) return invalid("an empty list");
  const char prefix = v.front() == '+' || v.front() == '-' || v.front() == '^' ? v.front() : 0;
  const std::vector<std::string> names = splitList(prefix ? v.substr(1) : v);
  for (const auto& n : names) {
    const bool pattern = prefix == '-' && n.find_first_of("*?") != std::string::npos;
    if (n.empty() || (!pattern && std::find(a.known.begin(), a.known.end(), n) == a.known.end())) {
      return invalid("'" + n + "' is not an algorithm OpenSSH knows");
    }
  }
  if (!prefix) return {true, joinList(names), ""};
  std::vector<std::string> list = splitList(a.defaults);
  if (prefix == '+') {
    for (const auto& n : names) {
      if (std::find(list.begin(), list.end(), n) == list.end()) list.push_back(n);
    }
  } else if (prefix == '-') {
    std::erase_if(list, [&](const std::string& x) {
      return std::any_of(names.begin(), names.end(), [&](const std::string& p) { return sshdPatternMatch(p, x); });
    });
  } else {
    std::vector<std::string> front = names;
    for (const auto& x : list) {
      if (std::find(front.begin(), front.end(), x) == front.end()) front.push_back(x);
    }
    list = std::move(front);
  }
  return {true, joinList(list), ""};
}

}  // namespace

bool sshdPatternMatch(std::string_view pat, std::string_view s) {
  size_t p = 0, n = 0, star = std::string_view::npos, mark = 0;
  while (n < s.size()) {
    if (p < pat.size() && (pat[p] == '?' || pat[p] == s[n])) { ++p; ++n; }
    else if (p < pat.size() && pat[p] == '*') { star = p++; mark = n; }
    else if (star != std::string_view::npos) { p = star + 1; n = ++mark; }
    else return false;
  }
  while (p < pat.size() && pat[p] == '*') ++p;
  return p == pat.size();
}

long long sshdSeconds(std::string_view v) {
  if (v.empty()) return -1;
  long long total = 0;
  size_t i = 0;
  while (i < v.size()) {
    if (!(v[i] >= '0' && v[i] <= '9')) return -1;
    long long n = 0;
    while (i < v.size() && v[i] >= '0' && v[i] <= '9') {
      n = n * 10 + (v[i++] - '0');
      if (n > INT_MAX) return -1;
    }
    long long unit = 1;
    if (i < v.size()) {
      switch (std::tolower(static_cast<unsigned char>(v[i]))) {
        case 's': unit = 1; ++i; break;
        case 'm': unit = 60; ++i; break;
        case 'h': unit = 3600; ++i; break;
        case 'd': unit = 86400; ++i; break;
        case 'w': unit = 604800; ++i; break;
        default:
          if (!(v[i] >= '0' && v[i] <= '9')) return -1;
      }
    }
    total += n * unit;
    if (total > INT_MAX) return -1;
  }
  return total;
}

SshdValue readSshdValue(std::string_view keyword, std::string_view value) {
  const std::string key = lower(keyword);
  const auto& table = keywords();
  const auto it = std::find_if(table.begin(), table.end(), [&](const Keyword& k) { return k.name == key; });
  if (it == table.end()) return {true, std::string(value), ""};
  if (value.empty()) return invalid("no argument");
  // One argument: a second word is refused ("garbage at end of line").
  if (it->kind != Kind::Algorithms && value.find(' ') != std::string_view::npos) {
    return invalid("more than one argument");
  }
  switch (it->kind) {
    case Kind::Words: {
      const std::string w = lower(value);
      if (std::find(it->words.begin(), it->words.end(), w) != it->words.end()) return {true, w, ""};
      std::string allowed;
      for (auto x : it->words) allowed += (allowed.empty() ? "" : ", ") + std::string(x);
      return invalid("not one of " + allowed);
    }
    case Kind::Integer: return readInteger(value);
    case Kind::Time: {
      const long long s = sshdSeconds(value);
      if (s < 0) return invalid("not a time (seconds, or a number with s, m, h, d or w)");
      return {true, std::to_string(s), ""};
    }
    case Kind::Algorithms:
      if (value.find(' ') != std::string_view::npos) return invalid("more than one argument");
      return readAlgorithms(*it->algorithms, value);
  }
  return {true, std::string(value), ""};
}

}  // namespace checks
