#include "rules/ruleset_cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/sha256.h"
#include "core/version.h"
#include "rules/ruleset_codec.h"

namespace rules {
namespace {

namespace fs = std::filesystem;

constexpr const char* kPrefix = "ruleset-";
constexpr const char* kSuffix = ".bin";
// A cache file is a few hundred KiB for thousands of checks; anything bigger is not ours.
constexpr std::uintmax_t kMaxCacheBytes = 64u << 20;

std::string cachePath(const std::string& dir, const std::string& key) { return dir + "/" + kPrefix + key + kSuffix; }

// Only a cache this user wrote, in a directory only it can write, is trusted: anyone else who
// could plant one could make `check` judge the host by rules nobody shipped.
bool ownedAndPrivate(const std::string& path, bool want_dir) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return false;
  if (want_dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode)) return false;
  return st.st_uid == ::geteuid() && (st.st_mode & 022) == 0;
}

// The running binary's identity: a new build (stricter validation, a fixed parser) must not be
// served a set an older build accepted, even when the version string is the same.
std::string binaryIdentity() {
  struct stat st {};
  if (::stat("/proc/self/exe", &st) != 0) return "unknown";
  return std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino) + ":" + std::to_string(st.st_size) + ":" +
         std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
}

bool readCache(const std::string& dir, const std::string& file, std::string& out) {
  if (!ownedAndPrivate(dir, true) || !ownedAndPrivate(file, false)) return false;
  std::error_code ec;
  const auto size = fs::file_size(file, ec);
  if (ec || size > kMaxCacheBytes) return false;
  std::ifstream in(file, std::ios::binary);
  if (!in) return false;
  std::ostringstream s;
  s << in.rdbuf();
  out = s.str();
  return true;
}

// Temp file, fsync, rename: a reader sees the old cache or the new one, never half of one.
void writeCache(const std::string& dir, const std::string& key, const std::string& bytes) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return;
  ::chmod(dir.c_str(), 0700);
  const std::string final_path = cachePath(dir, key);
  const std::string tmp = final_path + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return;
  size_t off = 0;
  bool ok = true;
  while (ok && off < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + off, bytes.size() - off);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) off += static_cast<size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), final_path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return;
  }
  // Only the current set is worth keeping.
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.rfind(kPrefix, 0) == 0 && e.path().string() != final_path) fs::remove(e.path(), ec);
  }
}

}  // namespace

std::string ruleSetCacheKey(const std::string& version, const std::vector<SourceFile>& sources,
                            const KnownTypes& known, const VarOverrides& overrides) {
  core::Sha256 h;
  h.update("codec " + std::to_string(kRuleSetCodecVersion) + "\nagent " + core::kAgentVersion + "\nbinary " +
           binaryIdentity() + "\n");
  for (const auto& p : known.probes) h.update("probe " + p + "\n");
  for (const auto& a : known.actions) h.update("action " + a + "\n");
  h.update("sources " + version + "\n");
  // Messages and SourcePos name files as they were found: the same files elsewhere are another set.
  for (const auto& s : sources) h.update("file " + (s.display.empty() ? s.name : s.display) + "\n");
  // The overrides are substituted into the cached set, and their positions name agent.yaml lines.
  for (const auto& [name, o] : overrides) {
    h.update("var " + std::to_string(name.size()) + ":" + name + " " + std::to_string(o.value.size()) + ":" + o.value +
             " at " + o.pos.file + ":" + std::to_string(o.pos.line) + "\n");
  }
  return h.hexDigest();
}

core::Result<RuleSet, RulesError> loadRulePathCached(const std::string& path, const KnownTypes& known,
                                                     const CacheOptions& options, const VarOverrides& overrides) {
  auto sources = readRuleSources(path);
  if (!sources.ok()) return core::fail(std::move(sources).error());
  if (options.dir.empty()) return loadRuleSources(*sources, known, overrides);

  const std::string version = ruleSetVersion(*sources);
  const std::string key = ruleSetCacheKey(version, *sources, known, overrides);
  std::string bytes;
  if (readCache(options.dir, cachePath(options.dir, key), bytes)) {
    auto decoded = decodeRuleSet(bytes);
    // The version re-derived from the files must be the one the cache was made from.
    if (decoded.ok() && decoded->source_version == version) return std::move(*decoded);
  }
  auto set = loadRuleSources(*sources, known, overrides);
  if (set.ok() && options.write) writeCache(options.dir, key, encodeRuleSet(*set));
  return set;
}

}  // namespace rules
