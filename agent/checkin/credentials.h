#pragma once
// The secrets and certificates the link needs, read from the files the configuration names and
// nowhere else (design.md: "the API key lived in several places; after a rotation, auth broke
// silently"; one source of truth).
//
// ApiKey holds the site's key and has no way to be printed, formatted or compared with text:
// the only way out is bearerValue(), which the transport hands to gRPC's metadata. So a log
// line, an error message or an evidence record cannot carry it by accident. Every message here
// names the file, never the content.
//
// Files are opened following symbolic links (NixOS secret managers such as agenix and sops-nix
// install secrets as links into /run), then the file actually opened is checked (fstat): a
// regular file, closed to group and others for secrets, below a size cap.
#include <cstddef>
#include <string>

#include "checkin/setup_error.h"
#include "core/result.h"

namespace checkin {

/// Larger than any API key; a bigger file is refused unread (it is not a key).
inline constexpr std::size_t kMaxApiKeyBytes = 4096;
/// Larger than any certificate chain or PEM private key we would be given.
inline constexpr std::size_t kMaxPemFileBytes = 1024 * 1024;

class ApiKey {
 public:
  /// `key` must be what readApiKey accepts (tests build keys directly).
  explicit ApiKey(std::string key) : key_(std::move(key)) {}
  /// "Bearer <key>": the value of the `authorization` metadata, and its only use.
  std::string bearerValue() const { return "Bearer " + key_; }
  /// `text` with every occurrence of the key replaced by "[redacted]": for messages from the
  /// other side, which may echo it, before they are logged or returned.
  std::string redact(std::string text) const;

 private:
  std::string key_;
};

/// Reads the API key from `path` (central.api_key_file). Refused (SetupErrc::ApiKey, the message
/// naming the file and, for a mode, the `chmod 600` to run) when: `path` is empty; the file cannot
/// be opened or is not a regular file; group or others may read or write it; it is empty, larger
/// than kMaxApiKeyBytes, or holds more than one line or a character outside visible ASCII
/// (0x21-0x7e: spaces included, which a key never has and a metadata value would mangle). One
/// trailing "\n" (or "\r\n") is trimmed.
core::Result<ApiKey, SetupError> readApiKey(const std::string& path);

/// Reads a PEM file (`what` names it in messages, e.g. "central.ca_file"), at most
/// kMaxPemFileBytes. With `secret` (a private key) it is refused, as the API key is, when group
/// or others may read or write it. Errors carry `code`.
core::Result<std::string, SetupError> readPemFile(const std::string& path, const std::string& what, SetupErrc code,
                                                  bool secret);

}  // namespace checkin
