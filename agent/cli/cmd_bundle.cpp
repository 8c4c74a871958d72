// `rules pack` and `rules inspect`: making and showing signed rule bundles (rules/bundle.h,
// docs/bundle-format.md). Packing runs the agent's own loader first, so a bundle that an agent
// would refuse at validation is never made.
#include <fcntl.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <optional>
#include <chrono>
#include <cstdio>
#include <string>
#include <nlohmann/json.hpp>

#include "checks/probe_registry.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/setup.h"
#include "core/duration.h"
#include "core/atomic_file.h"
#include "core/sha256.h"
#include "evidence/keys.h"
#include "evidence/record.h"
#include "rules/bundle.h"

namespace cli {
namespace {

using json = nlohmann::ordered_json;

std::int64_t nowUnixMs() {
  // The edge of the process: one wall-clock read for the whole command.
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string timeText(std::int64_t unix_ms) {
  return evidence::formatTimestamp(core::Clock::WallTime(std::chrono::milliseconds(unix_ms)));
}

// Reads at most kMaxBundleBytes + 1 bytes: enough to tell an oversized bundle, never more.
bool readBounded(const std::string& path, std::string& out, std::string& error) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error = path + ": " + std::strerror(errno);
    return false;
  }
  out.assign(rules::kMaxBundleBytes + 1, '\0');
  std::size_t got = 0;
  while (got < out.size()) {
    const ssize_t n = ::read(fd, out.data() + got, out.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error = path + ": " + std::strerror(errno);
      ::close(fd);
      return false;
    }
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  ::close(fd);
  out.resize(got);
  return true;
}

// --pubkey: 64 hex digits, or a .pub file holding them.
bool readPubkey(const std::string& value, rules::Ed25519Key& key, std::string& error) {
  std::string lower = value;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (auto hex = evidence::fromHex<32>(lower)) {
    key = *hex;
    return true;
  }
  auto file = evidence::readPublicKeyFile(value);
  if (!file.ok()) {
    error = file.error().message;
    return false;
  }
  key = *file;
  return true;
}

}  // namespace

int runRulesPack(const GlobalOptions& global, const RulesPackOptions& o) {
  auto usage = [](const std::string& msg) {
    std::fprintf(stderr, "rules pack: %s\n", msg.c_str());
    return int(kExitUsage);
  };
  rules::BundleSpec spec;
  spec.site_id = o.site;
  if (o.tier == rules::toString(rules::Tier::Standard)) {
    spec.tier = rules::Tier::Standard;
  } else if (o.tier == rules::toString(rules::Tier::FullCoverage)) {
    spec.tier = rules::Tier::FullCoverage;
  } else {
    return usage("--tier: standard or full_coverage, got '" + o.tier + "'");
  }
  spec.version = o.version;
  auto ttl = core::parseDuration(o.expires);
  if (!ttl.ok()) return usage("--expires: " + ttl.error().message);
  if (ttl->count() <= 0) return usage("--expires: a bundle must be valid for some time, got " + o.expires);
  spec.created_unix_ms = nowUnixMs();
  spec.expires_unix_ms = spec.created_unix_ms + ttl->count();

  // The rules first: a bundle the agent's loader would refuse is never made.
  auto sources = rules::readRuleSources(o.dir);
  if (!sources.ok()) {
    std::fprintf(stderr, "%s: cannot be read\n%s", o.dir.c_str(), sources.error().format().c_str());
    return sources.error().code == rules::RulesErrc::Io ? kExitRuntime : kExitUsage;
  }
  checks::ProbeRegistry probes;
  checks::registerBuiltinProbes(probes);
  auto set = rules::loadRuleSources(*sources, cycle::knownTypes(probes));
  if (!set.ok()) {
    std::fprintf(stderr, "%s: invalid, no bundle made\n%s", o.dir.c_str(), set.error().format().c_str());
    return kExitUsage;
  }
  auto seed = evidence::readPrivateKeyFile(o.key);
  if (!seed.ok()) {
    // The shared reader speaks of the evidence key when the file is missing; this is another key.
    if (seed.error().code == evidence::KeyErrc::NotFound) return usage("--key: " + o.key + ": no such file");
    return usage("--key: " + seed.error().message);
  }
  rules::Ed25519Key key_seed = *seed;
  seed->fill(0);
  auto bytes = rules::packBundle(*sources, spec, key_seed);
  key_seed.fill(0);
  if (!bytes.ok()) return usage(std::string(rules::toString(bytes.error().code)) + ": " + bytes.error().message);

  // Never over an existing file: a bundle already handed out must not change under its name.
  const auto slash = o.output.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : o.output.substr(0, slash));
  const std::string name = slash == std::string::npos ? o.output : o.output.substr(slash + 1);
  auto made = core::createFileExclusive(dir, name, *bytes, 0644);
  if (!made.ok()) {
    std::fprintf(stderr, "rules pack: %s\n", made.error().message.c_str());
    return made.error().code == core::CreateErrc::Exists ? kExitUsage : kExitRuntime;
  }
  auto shown = rules::parseBundleUnverified(*bytes);
  if (!shown.ok()) std::abort();  // packBundle made it: a broken invariant
  const auto& m = shown->meta;
  if (global.json) {
    json doc{{"bundle", o.output}, {"bytes", bytes->size()}, {"site_id", m.site_id},
             {"tier", std::string(rules::toString(m.tier))}, {"version", m.version},
             {"created_unix_ms", m.created_unix_ms}, {"expires_unix_ms", m.expires_unix_ms},
             {"content_sha256", m.content_sha256}, {"key_id", m.key_id}, {"files", shown->files.size()},
             {"rules_version", set->source_version}};
    std::printf("%s\n", doc.dump(2).c_str());
  } else {
    std::printf("%s: site %s, tier %s, version %llu, %zu files, expires %s, key %s\n", o.output.c_str(),
                m.site_id.c_str(), std::string(rules::toString(m.tier)).c_str(),
                static_cast<unsigned long long>(m.version), shown->files.size(), timeText(m.expires_unix_ms).c_str(),
                m.key_id.c_str());
  }
  return kExitOk;
}

int runRulesInspect(const GlobalOptions& global, const RulesInspectOptions& o) {
  std::string bytes, error;
  if (!readBounded(o.bundle, bytes, error)) {
    std::fprintf(stderr, "rules inspect: %s\n", error.c_str());
    return kExitRuntime;
  }
  std::optional<rules::Ed25519Key> key;
  if (o.pubkey) {
    rules::Ed25519Key k{};
    if (!readPubkey(*o.pubkey, k, error)) {
      std::fprintf(stderr, "rules inspect: --pubkey: %s\n", error.c_str());
      return kExitUsage;
    }
    key = k;
  }
  // With a key: what an agent trusting only that key checks, short of site, tier and the
  // version it holds (inspect knows none of them), expiry against now included.
  auto bundle = key ? rules::verifyBundleSignature(bytes, {*key}) : rules::parseBundleUnverified(bytes);
  std::optional<rules::BundleError> refusal;
  if (!bundle.ok()) {
    refusal = bundle.error();
  } else if (key && nowUnixMs() >= bundle->meta.expires_unix_ms) {
    refusal = rules::BundleError{rules::BundleRefusal::Expired,
                                 "expired at " + timeText(bundle->meta.expires_unix_ms)};
  }
  if (global.json) {
    json doc{{"bundle", o.bundle}, {"bytes", bytes.size()}};
    if (bundle.ok()) {
      const auto& m = bundle->meta;
      doc["format_version"] = m.format_version;
      doc["site_id"] = m.site_id;
      doc["tier"] = std::string(rules::toString(m.tier));
      doc["version"] = m.version;
      doc["created_unix_ms"] = m.created_unix_ms;
      doc["expires_unix_ms"] = m.expires_unix_ms;
      doc["content_sha256"] = m.content_sha256;
      doc["key_id"] = m.key_id;
      doc["files"] = json::array();
      for (const auto& f : bundle->files) {
        doc["files"].push_back({{"path", f.name}, {"bytes", f.text.size()}, {"sha256", core::sha256Hex(f.text)}});
      }
    }
    doc["verified"] = key ? json(!refusal) : json(nullptr);
    if (refusal) doc["refusal"] = {{"code", std::string(rules::toString(refusal->code))}, {"message", refusal->message}};
    std::printf("%s\n", doc.dump(2, ' ', false, json::error_handler_t::replace).c_str());
  } else if (bundle.ok()) {
    const auto& m = bundle->meta;
    std::printf("bundle:    %s (%zu bytes, format %u)\n", o.bundle.c_str(), bytes.size(), m.format_version);
    std::printf("site:      %s\ntier:      %s\nversion:   %llu\n", m.site_id.c_str(),
                std::string(rules::toString(m.tier)).c_str(), static_cast<unsigned long long>(m.version));
    std::printf("created:   %s\nexpires:   %s\n", timeText(m.created_unix_ms).c_str(), timeText(m.expires_unix_ms).c_str());
    std::printf("content:   sha256 %s\nkey_id:    %s\n", m.content_sha256.c_str(), m.key_id.c_str());
    if (!key) {
      std::printf("signature: not checked (give --pubkey to verify)\n");
    } else if (!refusal) {
      std::printf("signature: verified with key %s\n", m.key_id.c_str());
    }
    std::printf("files (%zu):\n", bundle->files.size());
    for (const auto& f : bundle->files) std::printf("  %-40s %8zu bytes\n", f.name.c_str(), f.text.size());
  }
  if (refusal) {
    std::fprintf(stderr, "%s: refused: %s: %s\n", o.bundle.c_str(), std::string(rules::toString(refusal->code)).c_str(),
                 refusal->message.c_str());
    return kExitDrift;
  }
  return kExitOk;
}

}  // namespace cli
