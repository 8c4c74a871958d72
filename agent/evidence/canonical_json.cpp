#include "evidence/canonical_json.h"

#include <algorithm>
#include <vector>

namespace evidence {
namespace {

// Decodes one UTF-8 sequence at text[i]; returns the code point and advances i, or -1 when the
// sequence is invalid (overlong, surrogate, beyond U+10FFFF, truncated, stray continuation).
long decodeOne(std::string_view text, std::size_t& i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char b0 = byte(i);
  if (b0 < 0x80) {
    ++i;
    return b0;
  }
  int len;
  long cp;
  long min;
  if ((b0 & 0xE0) == 0xC0) { len = 2; cp = b0 & 0x1F; min = 0x80; }
  else if ((b0 & 0xF0) == 0xE0) { len = 3; cp = b0 & 0x0F; min = 0x800; }
  else if ((b0 & 0xF8) == 0xF0) { len = 4; cp = b0 & 0x07; min = 0x10000; }
  else return -1;
  if (i + len > text.size()) return -1;
  for (int k = 1; k < len; ++k) {
    const unsigned char b = byte(i + k);
    if ((b & 0xC0) != 0x80) return -1;
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return -1;
  i += len;
  return cp;
}

// RFC 8785 orders member names by their UTF-16 code units.
std::u16string utf16(std::string_view text) {
  std::u16string out;
  for (std::size_t i = 0; i < text.size();) {
    long cp = decodeOne(text, i);
    if (cp < 0) break;  // keys are validated before they are compared
    if (cp >= 0x10000) {
      cp -= 0x10000;
      out.push_back(static_cast<char16_t>(0xD800 + (cp >> 10)));
      out.push_back(static_cast<char16_t>(0xDC00 + (cp & 0x3FF)));
    } else {
      out.push_back(static_cast<char16_t>(cp));
    }
  }
  return out;
}

void appendString(std::string_view s, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  // Runs of bytes that need no escape are appended at once: most strings are one run.
  std::size_t run = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto u = static_cast<unsigned char>(s[i]);
    if (u >= 0x20 && u != '"' && u != '\\') continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (u) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\f': out += "\\f"; break;
      case '\r': out += "\\r"; break;
      default:
        out += "\\u00";
        out.push_back(kHex[u >> 4]);
        out.push_back(kHex[u & 0xF]);
    }
  }
  out.append(s.data() + run, s.size() - run);
  out.push_back('"');
}

// Errors name the JSON path of the offending value; the path is built while unwinding, so the
// common (valid) case allocates nothing for it.
CanonError error(CanonErrc code, const std::string& what) { return {code, ": " + what}; }

core::Status<CanonError> within(core::Status<CanonError> st, const std::string& step) {
  if (!st.ok()) st.error().message.insert(0, step);
  return st;
}

bool needsUtf16Sort(const nlohmann::json& object) {
  for (auto it = object.begin(); it != object.end(); ++it) {
    for (char c : it.key()) {
      if (static_cast<unsigned char>(c) >= 0xEE) return true;  // U+E000 and above
    }
  }
  return false;
}

core::Status<CanonError> encode(const nlohmann::json& v, std::string& out, int depth) {
  using T = nlohmann::json::value_t;
  if (depth > kMaxJsonDepth) {
    return core::fail(error(CanonErrc::TooDeep, "nested deeper than " + std::to_string(kMaxJsonDepth) + " levels"));
  }
  switch (v.type()) {
    case T::null: out += "null"; return core::Ok{};
    case T::boolean: out += v.get<bool>() ? "true" : "false"; return core::Ok{};
    case T::number_integer: {
      const auto n = v.get<std::int64_t>();
      if (n > kMaxSafeInteger || n < -kMaxSafeInteger) {
        return core::fail(error(CanonErrc::IntegerRange, "integer out of the range +-(2^53-1)"));
      }
      out += std::to_string(n);
      return core::Ok{};
    }
    case T::number_unsigned: {
      const auto n = v.get<std::uint64_t>();
      if (n > static_cast<std::uint64_t>(kMaxSafeInteger)) {
        return core::fail(error(CanonErrc::IntegerRange, "integer out of the range +-(2^53-1)"));
      }
      out += std::to_string(n);
      return core::Ok{};
    }
    case T::number_float:
      return core::fail(error(CanonErrc::Float, "floating-point number (evidence holds integers only)"));
    case T::string: {
      const auto& s = v.get_ref<const std::string&>();
      if (!isValidUtf8(s)) return core::fail(error(CanonErrc::InvalidUtf8, "string is not valid UTF-8"));
      appendString(s, out);
      return core::Ok{};
    }
    case T::array: {
      out.push_back('[');
      std::size_t i = 0;
      for (const auto& item : v) {
        if (i) out.push_back(',');
        auto st = encode(item, out, depth + 1);
        if (!st.ok()) return within(std::move(st), "[" + std::to_string(i) + "]");
        ++i;
      }
      out.push_back(']');
      return core::Ok{};
    }
    case T::object: {
      // nlohmann::json keeps members in byte order, which is UTF-16 order unless names hold
      // characters from U+E000 up: sort by UTF-16 code units only then.
      out.push_back('{');
      if (!needsUtf16Sort(v)) {
        bool first = true;
        for (auto it = v.begin(); it != v.end(); ++it) {
          if (!first) out.push_back(',');
          first = false;
          if (!isValidUtf8(it.key())) return core::fail(error(CanonErrc::InvalidUtf8, "member name is not valid UTF-8"));
          appendString(it.key(), out);
          out.push_back(':');
          auto st = encode(it.value(), out, depth + 1);
          if (!st.ok()) return within(std::move(st), "." + it.key());
        }
        out.push_back('}');
        return core::Ok{};
      }
      std::vector<std::pair<const std::string*, const nlohmann::json*>> keys;
      keys.reserve(v.size());
      for (auto it = v.begin(); it != v.end(); ++it) {
        if (!isValidUtf8(it.key())) {
          return core::fail(error(CanonErrc::InvalidUtf8, "member name is not valid UTF-8"));
        }
        keys.emplace_back(&it.key(), &it.value());
      }
      std::stable_sort(keys.begin(), keys.end(),
                       [](const auto& a, const auto& b) { return utf16(*a.first) < utf16(*b.first); });
      bool first = true;
      for (const auto& [key, member] : keys) {
        if (!first) out.push_back(',');
        first = false;
        appendString(*key, out);
        out.push_back(':');
        auto st = encode(*member, out, depth + 1);
        if (!st.ok()) return within(std::move(st), "." + *key);
      }
      out.push_back('}');
      return core::Ok{};
    }
    case T::binary:
    case T::discarded:
      break;
  }
  return core::fail(error(CanonErrc::Unsupported, "value of a type JSON cannot carry"));
}

}  // namespace

bool isValidUtf8(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    if (static_cast<unsigned char>(text[i]) < 0x80) {  // ASCII: the common case, no decoding
      ++i;
      continue;
    }
    if (decodeOne(text, i) < 0) return false;
  }
  return true;
}

core::Status<CanonError> appendCanonicalString(std::string_view text, std::string& out) {
  if (!isValidUtf8(text)) return core::fail(CanonError{CanonErrc::InvalidUtf8, "string is not valid UTF-8"});
  appendString(text, out);
  return core::Ok{};
}

std::string toValidUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t start = i;
    if (decodeOne(text, i) < 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD
      i = start + 1;
    } else {
      out.append(text.substr(start, i - start));
    }
  }
  return out;
}

core::Status<CanonError> appendCanonical(const nlohmann::json& value, std::string& out, int depth) {
  return within(encode(value, out, depth), "value");
}

core::Result<std::string, CanonError> canonicalize(const nlohmann::json& value) {
  std::string out;
  auto st = appendCanonical(value, out);
  if (!st.ok()) return core::fail(std::move(st.error()));
  return out;
}

}  // namespace evidence
