// MAINTAINERS: this codec mirrors model.h field by field. When a struct in model.h gains, loses,
// renames or retypes a field, or an enum gains a value, or a variant gains an alternative:
//   1. update its visitFields() in ruleset_codec.h (and lastEnumValue() for an enum),
//   2. bump kRuleSetCodecVersion, so caches written before the change are refused, not misread,
//   3. run unit_rules: the round-trip tests compare every field the visitors know, over the
//      shipped rules and a set using every probe and action type.
// A new field type (not string, integer, bool, enum, double, optional, vector, map, duration,
// date, variant, regex or a model struct) needs an operator() in Encoder, MinSize and Decoder.
#include "rules/ruleset_codec.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <exception>
#include <limits>
#include <unordered_map>
#include <utility>

#include "rules/loader.h"
#include "rules/regex.h"

namespace rules {
namespace {

using codec::HasFields;

/// Longest string accepted: no string of a loaded set is longer than the rule file it came from.
constexpr std::size_t kMaxStringBytes = kMaxRuleFileBytes;
/// Elements reserved up front for one list (more than any real list of checks needs).
constexpr std::uint64_t kMaxReserve = 4096;

template <class T>
concept Enum = std::is_enum_v<T>;
template <class T>
concept Integer = std::integral<T> && !std::same_as<T, bool>;

constexpr std::string_view kPrefix = "encoded rule set: ";

std::uint64_t checksum(std::string_view body) {
  std::uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a 64
  for (unsigned char c : body) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

void putFixed(std::string& out, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

std::uint64_t getFixed(const char* p, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= std::uint64_t(static_cast<unsigned char>(p[i])) << (8 * i);
  return v;
}

std::uint64_t zigzag(std::int64_t v) {
  return (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
}
std::int64_t unzigzag(std::uint64_t u) {
  return static_cast<std::int64_t>((u >> 1) ^ (~(u & 1) + 1));
}

/// At most 40 characters of `s`, non-printable bytes as \xNN: for messages about hostile input.
std::string excerpt(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < s.size() && i < 40; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f) {
      out.push_back(static_cast<char>(c));
    } else {
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  if (s.size() > 40) out += "...";
  return out;
}

// ---------------------------------------------------------------------------------------------
// Encoder

class Encoder {
 public:
  explicit Encoder(std::string& out) : out_(out) {}

  void operator()(const std::string& s) {
    varint(s.size());
    out_.append(s);
  }
  void operator()(bool b) { out_.push_back(b ? '\1' : '\0'); }
  template <Integer T>
  void operator()(T v) {
    if constexpr (std::is_signed_v<T>) {
      varint(zigzag(v));
    } else {
      varint(v);
    }
  }
  template <Enum E>
  void operator()(E e) {
    varint(static_cast<std::uint64_t>(static_cast<std::underlying_type_t<E>>(e)));
  }
  void operator()(double d) {
    std::uint64_t bits = 0;
    std::memcpy(&bits, &d, sizeof bits);
    putFixed(out_, bits, 8);
  }
  void operator()(std::chrono::milliseconds d) { (*this)(d.count()); }
  void operator()(std::chrono::sys_days d) { (*this)(d.time_since_epoch().count()); }
  template <class T>
  void operator()(const std::optional<T>& o) {
    (*this)(o.has_value());
    if (o) (*this)(*o);
  }
  template <class T>
  void operator()(const std::vector<T>& v) {
    varint(v.size());
    for (const auto& e : v) (*this)(e);
  }
  void operator()(const std::map<std::string, std::string>& m) {
    varint(m.size());
    for (const auto& [k, v] : m) {
      (*this)(k);
      (*this)(v);
    }
  }
  template <class... A>
  void operator()(const std::variant<A...>& v) {
    varint(v.index());
    std::visit([this](const auto& alt) { (*this)(alt); }, v);
  }
  /// The pattern RE2 compiled, which is not always the source field next to it (an expectation
  /// with ignore_case compiles "(?i)" + value): storing it keeps the codec out of that logic.
  void operator()(const std::shared_ptr<const re2::RE2>& re) {
    (*this)(re != nullptr);
    if (re) (*this)(re->pattern());
  }
  template <HasFields T>
  void operator()(const T& t) {
    codec::visitFields(*this, t);
  }

 private:
  void varint(std::uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<char>((v & 0x7f) | 0x80));
      v >>= 7;
    }
    out_.push_back(static_cast<char>(v));
  }

  std::string& out_;
};

// ---------------------------------------------------------------------------------------------
// The fewest bytes an encoded value of a type takes: a count of n elements needs n times this.

template <class T>
std::size_t minEncodedSize();

struct MinSize {
  std::size_t n = 0;

  void operator()(const std::string&) { n += 1; }
  void operator()(bool) { n += 1; }
  template <Integer T>
  void operator()(T) { n += 1; }
  template <Enum E>
  void operator()(E) { n += 1; }
  void operator()(double) { n += 8; }
  void operator()(std::chrono::milliseconds) { n += 1; }
  void operator()(std::chrono::sys_days) { n += 1; }
  template <class T>
  void operator()(const std::optional<T>&) { n += 1; }
  template <class T>
  void operator()(const std::vector<T>&) { n += 1; }
  void operator()(const std::map<std::string, std::string>&) { n += 1; }
  void operator()(const std::shared_ptr<const re2::RE2>&) { n += 1; }
  template <class... A>
  void operator()(const std::variant<A...>&) { n += 1 + std::min({minEncodedSize<A>()...}); }
  template <HasFields T>
  void operator()(const T& t) { codec::visitFields(*this, t); }
};

template <class T>
std::size_t minEncodedSize() {
  static const std::size_t n = [] {
    MinSize m;
    m(T{});
    return m.n;
  }();
  return n;
}

/// Most elements of one list: checks, rules and waivers have the loader's limit; other lists are
/// bounded by the bytes left only.
template <class T>
constexpr std::size_t maxCount() {
  if constexpr (std::is_same_v<T, Check> || std::is_same_v<T, L1Rule> || std::is_same_v<T, Waiver>) {
    return kMaxRuleCount;
  } else {
    return std::numeric_limits<std::size_t>::max();
  }
}

// ---------------------------------------------------------------------------------------------
// Decoder. Every read checks the bytes left first; the first problem sets the error and every
// later call returns at once, so a failed decode unwinds without further work.

class Decoder {
 public:
  Decoder(const char* base, const char* begin, const char* end) : base_(base), p_(begin), end_(end) {}

  bool failed() const { return failed_; }
  const std::string& error() const { return error_; }
  std::size_t offset() const { return static_cast<std::size_t>(p_ - base_); }
  std::size_t remaining() const { return static_cast<std::size_t>(end_ - p_); }

  void operator()(std::string& s) {
    if (failed_) return;
    const std::size_t at = offset();
    std::uint64_t n = 0;
    if (!varint(n, "a string length")) return;
    if (n > kMaxStringBytes) {
      return fail(at, "a string of " + std::to_string(n) + " bytes, over the limit of " +
                          std::to_string(kMaxStringBytes));
    }
    if (n > remaining()) {
      return fail(at, "truncated: a string of " + std::to_string(n) + " bytes, " +
                          std::to_string(remaining()) + " left");
    }
    s.assign(p_, static_cast<std::size_t>(n));
    p_ += n;
  }
  void operator()(bool& b) {
    if (failed_) return;
    if (p_ == end_) return fail(offset(), "truncated: a flag");
    const auto c = static_cast<unsigned char>(*p_);
    if (c > 1) return fail(offset(), "a flag byte is " + std::to_string(c) + ", not 0 or 1");
    ++p_;
    b = c == 1;
  }
  template <Integer T>
  void operator()(T& v) {
    if (failed_) return;
    const std::size_t at = offset();
    std::uint64_t u = 0;
    if (!varint(u, "an integer")) return;
    if constexpr (std::is_signed_v<T>) {
      const std::int64_t x = unzigzag(u);
      if (x < std::numeric_limits<T>::min() || x > std::numeric_limits<T>::max()) {
        return fail(at, "integer " + std::to_string(x) + " out of range");
      }
      v = static_cast<T>(x);
    } else {
      if (u > std::numeric_limits<T>::max()) return fail(at, "integer " + std::to_string(u) + " out of range");
      v = static_cast<T>(u);
    }
  }
  template <Enum E>
  void operator()(E& e) {
    if (failed_) return;
    const std::size_t at = offset();
    std::uint64_t u = 0;
    if (!varint(u, "an enum value")) return;
    const auto last = static_cast<std::uint64_t>(
        static_cast<std::underlying_type_t<E>>(codec::lastEnumValue(E{})));
    if (u > last) {
      return fail(at, "enum value " + std::to_string(u) + " out of range 0.." + std::to_string(last));
    }
    e = static_cast<E>(static_cast<std::underlying_type_t<E>>(u));
  }
  void operator()(double& d) {
    if (failed_) return;
    if (remaining() < 8) return fail(offset(), "truncated: a number");
    const std::uint64_t bits = getFixed(p_, 8);
    double x = 0;
    std::memcpy(&x, &bits, sizeof x);
    if (!std::isfinite(x)) return fail(offset(), "a number is not finite");
    p_ += 8;
    d = x;
  }
  void operator()(std::chrono::milliseconds& d) {
    std::chrono::milliseconds::rep r{};
    (*this)(r);
    if (!failed_) d = std::chrono::milliseconds(r);
  }
  void operator()(std::chrono::sys_days& d) {
    std::chrono::days::rep r{};
    (*this)(r);
    if (!failed_) d = std::chrono::sys_days(std::chrono::days(r));
  }
  template <class T>
  void operator()(std::optional<T>& o) {
    bool has = false;
    (*this)(has);
    if (failed_ || !has) {
      o.reset();
      return;
    }
    (*this)(o.emplace());
  }
  template <class T>
  void operator()(std::vector<T>& v) {
    static_assert(!std::is_empty_v<T>, "an element must take at least one byte");
    std::uint64_t n = 0;
    if (!count(n, minEncodedSize<T>(), maxCount<T>())) return;
    v.clear();
    // Beyond a first block the vector grows with what is actually decoded, so a count that the
    // bytes left could only just hold costs no more than the elements that really follow.
    v.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(n, kMaxReserve)));
    for (std::uint64_t i = 0; i < n; ++i) {
      (*this)(v.emplace_back());
      if (failed_) return;
    }
  }
  void operator()(std::map<std::string, std::string>& m) {
    std::uint64_t n = 0;
    if (!count(n, 2, std::numeric_limits<std::size_t>::max())) return;
    m.clear();
    for (std::uint64_t i = 0; i < n; ++i) {
      const std::size_t at = offset();
      std::string key, value;
      (*this)(key);
      (*this)(value);
      if (failed_) return;
      if (!m.empty() && !(m.rbegin()->first < key)) {
        return fail(at, "map key '" + excerpt(key) + "' is not after the previous one");
      }
      m.emplace_hint(m.end(), std::move(key), std::move(value));
    }
  }
  template <class... A>
  void operator()(std::variant<A...>& v) {
    if (failed_) return;
    const std::size_t at = offset();
    std::uint64_t i = 0;
    if (!varint(i, "a type index")) return;
    if (i >= sizeof...(A)) {
      return fail(at, "type index " + std::to_string(i) + " out of range 0.." +
                          std::to_string(sizeof...(A) - 1));
    }
    emplaceIndex(v, static_cast<std::size_t>(i), std::index_sequence_for<A...>{});
    std::visit([this](auto& alt) { (*this)(alt); }, v);
  }
  void operator()(std::shared_ptr<const re2::RE2>& re) {
    bool has = false;
    (*this)(has);
    if (failed_ || !has) {
      re.reset();
      return;
    }
    const std::size_t at = offset();
    std::string pattern;
    (*this)(pattern);
    if (failed_) return;
    // Sets repeat patterns (a check's regex and its rule's): each distinct one is compiled once
    // and shared, as a compiled RE2 is immutable and safe to use from several threads.
    if (auto it = regexes_.find(pattern); it != regexes_.end()) {
      re = it->second;
      return;
    }
    auto compiled = compileRegex(pattern);
    if (!compiled) return fail(at, "regex '" + excerpt(pattern) + "' does not compile: " + compiled.error());
    re = compiled.value();
    regexes_.emplace(std::move(pattern), re);
  }
  void operator()(ProbeSpec& p) {
    if (failed_) return;
    if (depth_ >= kMaxRuleDepth) {
      return fail(offset(), "probes nested deeper than " + std::to_string(kMaxRuleDepth) + " levels");
    }
    ++depth_;
    decodeStruct(p);
    --depth_;
  }
  template <HasFields T>
  void operator()(T& t) {
    decodeStruct(t);
  }

 private:
  template <class T>
  void decodeStruct(T& t) {
    if (failed_) return;
    const std::size_t at = offset();
    codec::visitFields(*this, t);
    if (!failed_) checkInvariants(t, at);
  }

  // What the agent relies on beyond the types: checked after a struct is decoded, so a decoded
  // set never holds what the loader could not have produced in these respects.
  template <class T>
  void checkInvariants(const T&, std::size_t) {}
  void checkInvariants(const ProbeSpec& p, std::size_t at) {
    if (p.type != kProbeTypeNames[p.body.index()]) {
      fail(at, "probe type '" + excerpt(p.type) + "' does not match its body (" +
                   std::string(kProbeTypeNames[p.body.index()]) + ")");
    }
  }
  void checkInvariants(const ActionSpec& a, std::size_t at) {
    if (a.type != kActionTypeNames[a.body.index()]) {
      fail(at, "action type '" + excerpt(a.type) + "' does not match its body (" +
                   std::string(kActionTypeNames[a.body.index()]) + ")");
    }
  }
  void checkInvariants(const Expectation& e, std::size_t at) {
    if ((e.op == MatchOp::Regex) != (e.regex != nullptr)) {
      fail(at, e.regex ? "an expectation with op " + std::string(toString(e.op)) + " has a compiled regex"
                       : "an expectation with op regex has no compiled regex");
    }
  }
  void checkInvariants(const FileRegexProbe& p, std::size_t at) {
    if (!p.regex) fail(at, "a file_regex probe has no compiled regex");
  }
  void checkInvariants(const RemoveLineAction& a, std::size_t at) {
    if (!a.regex) fail(at, "a remove_line action has no compiled regex");
  }
  void checkInvariants(const CommandProbe& p, std::size_t at) {
    if (p.expect_output.has_value() != (p.expect_output_regex != nullptr)) {
      fail(at, "a command probe's expect_output and its compiled regex disagree");
    }
  }
  void checkInvariants(const RuleSet& s, std::size_t at) {
    const std::size_t entries = s.checks.size() + s.rules.size() + s.waivers.size();
    if (entries > kMaxRuleCount) {
      fail(at, std::to_string(entries) + " checks, rules and waivers, over the limit of " +
                   std::to_string(kMaxRuleCount));
    } else if (s.source_files.size() > kMaxRuleFiles) {
      fail(at, std::to_string(s.source_files.size()) + " source files, over the limit of " +
                   std::to_string(kMaxRuleFiles));
    }
  }

  template <class Var, std::size_t... I>
  static void emplaceIndex(Var& v, std::size_t i, std::index_sequence<I...>) {
    ((i == I ? (void)v.template emplace<I>() : (void)0), ...);
  }

  /// A LEB128 varint, refusing more than 64 bits and non-minimal forms (the encoding is canonical).
  bool varint(std::uint64_t& out, const char* what) {
    if (failed_) return false;
    if (p_ != end_ && (static_cast<unsigned char>(*p_) & 0x80) == 0) {  // one byte: most of them
      out = static_cast<unsigned char>(*p_++);
      return true;
    }
    const std::size_t at = offset();
    std::uint64_t v = 0;
    for (int shift = 0;; shift += 7) {
      if (p_ == end_) {
        fail(at, std::string("truncated: ") + what);
        return false;
      }
      const auto b = static_cast<unsigned char>(*p_++);
      if (shift == 63 && b > 1) {
        fail(at, std::string(what) + " does not fit in 64 bits");
        return false;
      }
      v |= std::uint64_t(b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        if (b == 0 && shift > 0) {
          fail(at, std::string(what) + " is not minimally encoded");
          return false;
        }
        out = v;
        return true;
      }
    }
  }

  /// A list or map size: at most `max`, and no more elements than the bytes left can hold at
  /// `min_bytes` each, so nothing is allocated for elements the input does not contain.
  bool count(std::uint64_t& n, std::size_t min_bytes, std::size_t max) {
    if (failed_) return false;
    const std::size_t at = offset();
    if (!varint(n, "a count")) return false;
    if (n > max) {
      fail(at, "a count of " + std::to_string(n) + " entries, over the limit of " + std::to_string(max));
      return false;
    }
    if (n > remaining() / min_bytes) {
      fail(at, "truncated: a count of " + std::to_string(n) + " entries of at least " +
                   std::to_string(min_bytes) + " bytes each, " + std::to_string(remaining()) +
                   " bytes left");
      return false;
    }
    return true;
  }

  void fail(std::size_t at, const std::string& message) {
    if (failed_) return;
    failed_ = true;
    error_ = std::string(kPrefix) + "byte " + std::to_string(at) + ": " + message;
  }

  const char* base_;
  const char* p_;
  const char* end_;
  int depth_ = 0;
  bool failed_ = false;
  std::string error_;
  std::unordered_map<std::string, std::shared_ptr<const re2::RE2>> regexes_;
};

}  // namespace

std::string encodeRuleSet(const RuleSet& set) {
  std::string out;
  out.reserve(4096);
  out.append(kRuleSetCodecMagic);
  putFixed(out, kRuleSetCodecVersion, 4);
  putFixed(out, 0, 8);  // the checksum, once the body is known
  Encoder enc(out);
  enc(set);
  resealEncodedRuleSet(out);
  return out;
}

void resealEncodedRuleSet(std::string& bytes) {
  if (bytes.size() < kRuleSetCodecHeaderBytes) return;
  const std::uint64_t sum = checksum(std::string_view(bytes).substr(kRuleSetCodecHeaderBytes));
  for (int i = 0; i < 8; ++i) bytes[8 + i] = static_cast<char>((sum >> (8 * i)) & 0xff);
}

core::Result<RuleSet, std::string> decodeRuleSet(std::string_view bytes) {
  const std::string prefix(kPrefix);
  if (bytes.substr(0, kRuleSetCodecMagic.size()) != kRuleSetCodecMagic) {
    return core::fail(prefix + "bad magic '" + excerpt(bytes.substr(0, kRuleSetCodecMagic.size())) +
                      "', expected '" + std::string(kRuleSetCodecMagic) + "'");
  }
  if (bytes.size() < kRuleSetCodecHeaderBytes) {
    return core::fail(prefix + "truncated header: " + std::to_string(bytes.size()) + " bytes, " +
                      std::to_string(kRuleSetCodecHeaderBytes) + " needed");
  }
  const auto version = static_cast<std::uint32_t>(getFixed(bytes.data() + 4, 4));
  if (version != kRuleSetCodecVersion) {
    return core::fail(prefix + "codec version " + std::to_string(version) +
                      ", this agent reads version " + std::to_string(kRuleSetCodecVersion));
  }
  const std::uint64_t stored = getFixed(bytes.data() + 8, 8);
  if (stored != checksum(bytes.substr(kRuleSetCodecHeaderBytes))) {
    return core::fail(prefix + "checksum mismatch: the data is corrupt or truncated");
  }
  try {
    Decoder dec(bytes.data(), bytes.data() + kRuleSetCodecHeaderBytes, bytes.data() + bytes.size());
    RuleSet set;
    dec(set);
    if (dec.failed()) return core::fail(dec.error());
    if (dec.remaining() != 0) {
      return core::fail(prefix + "byte " + std::to_string(dec.offset()) + ": " +
                        std::to_string(dec.remaining()) + " trailing bytes after the rule set");
    }
    return set;
  } catch (const std::exception& e) {  // allocation failure: the input's size is bounded above
    return core::fail(prefix + "decoding failed: " + e.what());
  }
}

}  // namespace rules
