// Fuzzes the rule-set codec (rules/ruleset_codec.h). Each input is used three ways:
//   1. as a cache file, as is (the magic, version and checksum stop almost every mutation), and
//      when it starts with the magic, with its checksum rewritten, so mutations of an encoded set
//      (a corpus of encodeRuleSet() outputs, e.g. from the unit tests) reach the structural checks;
//   2. otherwise as the body behind a valid header with a matching checksum;
//   3. as a rule file (the seeds are rule files): a set the loader accepts must encode, decode and
//      re-encode to the same bytes; then a few flips and cuts of that real encoding, derived from
//      the input, are decoded too, so realistic encodings get mutated as well.
// Beyond "no crash, no sanitizer report, no uncaught exception": a decode that succeeds re-encodes
// to exactly its input (the encoding is canonical), a refusal carries the codec's message prefix,
// and a truncated encoding never decodes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "rules/loader.h"
#include "rules/ruleset_codec.h"

namespace {

/// Decodes `bytes`; returns whether it decoded. Aborts on a broken promise.
bool decodeChecked(const std::string& bytes) {
  auto r = rules::decodeRuleSet(bytes);
  if (r.ok()) {
    if (rules::encodeRuleSet(*r) != bytes) std::abort();
    return true;
  }
  if (r.error().rfind("encoded rule set: ", 0) != 0) std::abort();
  return false;
}

std::string framed(const std::string& body) {
  std::string bytes(rules::kRuleSetCodecMagic);
  for (int i = 0; i < 4; ++i) bytes.push_back(static_cast<char>((rules::kRuleSetCodecVersion >> (8 * i)) & 0xff));
  bytes.append(8, '\0');
  bytes += body;
  rules::resealEncodedRuleSet(bytes);
  return bytes;
}

std::uint64_t mix(std::uint64_t x) {  // splitmix64
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const rules::KnownTypes kKnown = rules::KnownTypes::all();
  const std::string input(reinterpret_cast<const char*>(data), size);

  decodeChecked(input);
  if (input.rfind(rules::kRuleSetCodecMagic, 0) == 0) {
    std::string sealed = input;
    rules::resealEncodedRuleSet(sealed);
    decodeChecked(sealed);
    return 0;
  }
  decodeChecked(framed(input));

  auto set = rules::loadRuleSources({rules::SourceFile{"fuzz.yaml", input, ""}}, kKnown);
  if (!set.ok()) return 0;
  const std::string bytes = rules::encodeRuleSet(*set);
  if (!decodeChecked(bytes)) std::abort();  // every set the loader accepts round-trips

  std::uint64_t h = size;
  for (unsigned char c : input) h = mix(h ^ c);
  const std::size_t body = bytes.size() - rules::kRuleSetCodecHeaderBytes;
  for (int k = 0; k < 8; ++k) {
    h = mix(h);
    std::string m = bytes;
    const std::size_t at = rules::kRuleSetCodecHeaderBytes + h % body;
    if (k < 4) {
      m[at] = static_cast<char>(m[at] ^ (1u << ((h >> 32) % 8)));
      rules::resealEncodedRuleSet(m);
      decodeChecked(m);
    } else {
      m.resize(at);
      rules::resealEncodedRuleSet(m);
      if (decodeChecked(m)) std::abort();  // a strict prefix never decodes
    }
  }
  return 0;
}
