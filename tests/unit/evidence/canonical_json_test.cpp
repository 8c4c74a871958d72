#include <catch2/catch.hpp>

#include "evidence/canonical_json.h"

using evidence::canonicalize;
using evidence::CanonErrc;
using nlohmann::json;

namespace {
std::string canon(const json& j) {
  auto r = canonicalize(j);
  REQUIRE(r.ok());
  return *r;
}
}  // namespace

TEST_CASE("canonical JSON has no whitespace and sorts members by name") {
  json j = json::parse(R"({"b": [1, true, null], "a": {"z": "x", "y": -3}, "A": 0})");
  CHECK(canon(j) == R"({"A":0,"a":{"y":-3,"z":"x"},"b":[1,true,null]})");
}

TEST_CASE("canonical JSON escapes only what RFC 8785 escapes, in lowercase hex") {
  json j = std::string("q\" b\\ \b\f\n\r\t \x01\x1f \x7f / \xc3\xa9 \xe2\x80\xa8 \xf0\x9f\x98\x80");
  CHECK(canon(j) == "\"q\\\" b\\\\ \\b\\f\\n\\r\\t \\u0001\\u001f \x7f / \xc3\xa9 \xe2\x80\xa8 \xf0\x9f\x98\x80\"");
}

TEST_CASE("canonical JSON orders member names by UTF-16 code units, not code points") {
  // U+E000 sorts after U+1F600 in UTF-16 (0xE000 > 0xD83D) although its code point is smaller.
  json j;
  j["\xee\x80\x80"] = 1;          // U+E000
  j["\xf0\x9f\x98\x80"] = 2;      // U+1F600
  j["a"] = 3;
  CHECK(canon(j) == "{\"a\":3,\"\xf0\x9f\x98\x80\":2,\"\xee\x80\x80\":1}");
}

TEST_CASE("canonical JSON refuses floats, unsafe integers, invalid UTF-8 and deep nesting, naming the path") {
  auto f = canonicalize(json{{"body", {{"ratio", 0.5}}}});
  REQUIRE_FALSE(f.ok());
  CHECK(f.error().code == CanonErrc::Float);
  CHECK(f.error().message.find("value.body.ratio") != std::string::npos);

  CHECK(canon(json(evidence::kMaxSafeInteger)) == "9007199254740991");
  CHECK(canon(json(-evidence::kMaxSafeInteger)) == "-9007199254740991");
  CHECK(canonicalize(json(evidence::kMaxSafeInteger + 1)).error().code == CanonErrc::IntegerRange);
  CHECK(canonicalize(json(std::uint64_t{1} << 63)).error().code == CanonErrc::IntegerRange);

  auto bad = canonicalize(json{{"x", json::array({"ok", std::string("\xff")})}});
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == CanonErrc::InvalidUtf8);
  CHECK(bad.error().message.find("value.x[1]") != std::string::npos);
  json bad_key;
  bad_key[std::string("\xc0\x80")] = 1;  // overlong NUL
  CHECK(canonicalize(bad_key).error().code == CanonErrc::InvalidUtf8);

  json deep = 1;
  for (int i = 0; i < evidence::kMaxJsonDepth - 1; ++i) deep = json::array({deep});
  CHECK(canonicalize(deep).ok());
  deep = json::array({deep});
  CHECK(canonicalize(deep).error().code == CanonErrc::TooDeep);
}

TEST_CASE("UTF-8 validation rejects overlongs, surrogates and truncation, and repair replaces them") {
  CHECK(evidence::isValidUtf8("plain \xc3\xa9 \xf4\x8f\xbf\xbf"));
  CHECK_FALSE(evidence::isValidUtf8("\xed\xa0\x80"));  // U+D800
  CHECK_FALSE(evidence::isValidUtf8("\xf4\x90\x80\x80"));  // beyond U+10FFFF
  CHECK_FALSE(evidence::isValidUtf8("\xe2\x82"));  // truncated
  CHECK_FALSE(evidence::isValidUtf8("\x80"));
  CHECK(evidence::toValidUtf8("a\xffz") == "a\xef\xbf\xbdz");
  CHECK(canonicalize(json{{"k", evidence::toValidUtf8("bin\xfe")}}).ok());
}
