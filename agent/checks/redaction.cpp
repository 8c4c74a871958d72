#include "checks/redaction.h"

#include <algorithm>
#include <cctype>

#include <re2/re2.h>

namespace checks {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

bool containsAny(const std::string& hay, std::initializer_list<std::string_view> needles) {
  for (auto n : needles) {
    if (hay.find(n) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

bool isSensitivePath(std::string_view host_path) {
  const size_t slash = host_path.rfind('/');
  const std::string base = lower(slash == std::string_view::npos ? host_path : host_path.substr(slash + 1));
  return containsAny(base, {"shadow", "key", "secret", "token", "credential", ".pem", ".p12", ".pfx"});
}

bool isSensitiveKey(std::string_view key) {
  // By ending, not substring: DB_PASSWORD and API_TOKEN hold secrets, PasswordAuthentication and
  // PermitEmptyPasswords are switches whose values an operator must see.
  const std::string k = lower(key);
  for (std::string_view end : {"password", "passwd", "pass", "secret", "token", "apikey", "api_key",
                               "private_key", "privatekey", "credential", "credentials", "psk"}) {
    if (k.size() >= end.size() && k.compare(k.size() - end.size(), end.size(), end) == 0) return true;
  }
  return false;
}

std::string redactSecrets(std::string_view text) {
  // crypt(3) hashes: $1$ $2b$ $5$ $6$ $y$ $argon2id$ ..., with or without a salt field.
  static const re2::RE2 kCryptHash(R"(\$[0-9A-Za-z]{1,10}\$[./0-9A-Za-z=,$-]{4,})");
  // PEM private keys: everything from the BEGIN line on is secret.
  static const re2::RE2 kPrivateKey(R"(-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----(?s:.*))");
  // `DB_PASSWORD=x`, `api_token: x`, `secret x`: the value of a key that names a secret, in any
  // quoted line or diff line (config_value redacts by key already; a line has no parsed key).
  // The key must be a whole token, so /etc/passwd in an audit rule is not taken for one.
  static const re2::RE2 kSecretAssignment(
      R"((?i)((?:^|[\s"'{,;+])[A-Za-z0-9_.-]*(?:password|passwd|secret|token|api_?key|private_?key|credentials?|psk)\b["']?\s*[=:\s]\s*)\S+)");
  std::string out(text);
  re2::RE2::GlobalReplace(&out, kPrivateKey, std::string(kRedacted));
  re2::RE2::GlobalReplace(&out, kCryptHash, std::string(kRedacted));
  re2::RE2::GlobalReplace(&out, kSecretAssignment, std::string("\\1") + std::string(kRedacted));
  return out;
}

std::string excerpt(std::string_view raw, std::size_t max) {
  const std::string redacted = redactSecrets(raw);
  const std::string_view text = redacted;
  if (text.size() <= max) return std::string(text);
  size_t cut = max;
  // Do not split a UTF-8 sequence: back up over continuation bytes.
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return std::string(text.substr(0, cut)) + "...";
}

}  // namespace checks
