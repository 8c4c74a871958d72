#pragma once
// Redaction at the probe: secrets (shadow hashes, private keys, API keys, tokens) never leave a
// probe, so they cannot reach JSON output, evidence or logs, whatever later code does.
#include <string>
#include <string_view>

namespace checks {

inline constexpr std::string_view kRedacted = "[redacted]";

/// Whether the content of a host file must never be quoted: shadow databases and anything whose
/// name says key, secret, token or credential.
bool isSensitivePath(std::string_view host_path);

/// Whether a configuration key names a secret value: it ends in password, secret, token, api key,
/// private key ... (PasswordAuthentication, a switch, does not).
bool isSensitiveKey(std::string_view key);

/// `text` with every password hash (crypt "$id$salt$hash" and "$id$hash" forms) and private-key
/// material replaced by kRedacted.
std::string redactSecrets(std::string_view text);

/// How probes quote host content: secrets redacted (redactSecrets), then cut to at most `max`
/// bytes on a UTF-8 boundary, with "..." when cut.
std::string excerpt(std::string_view text, std::size_t max = 200);

}  // namespace checks
