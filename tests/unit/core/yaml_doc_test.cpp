#include <catch2/catch.hpp>
#include <string>

#include "core/yaml_doc.h"

using namespace core::yaml;

namespace {
const Limits kTest{1 << 20, 8};
}

TEST_CASE("parseGuarded parses ordinary YAML and JSON") {
  auto r = parseGuarded("a: 1\nb: [x, y]\n", "t.yaml", kTest);
  REQUIRE(r.ok());
  CHECK(r->operator[]("b").size() == 2);
  auto j = parseGuarded(R"({"a": [1, 2, {"b": "c"}]})", "t.json", kTest);
  REQUIRE(j.ok());
  auto empty = parseGuarded("", "e.yaml", kTest);
  REQUIRE(empty.ok());
  CHECK(empty->IsNull());
}

TEST_CASE("parseGuarded refuses anchors and aliases with a position") {
  auto r = parseGuarded("a: &x [1, 2]\nb: *x\n", "bomb.yaml", kTest);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == YamlErrc::AnchorOrAlias);
  CHECK(r.error().line == 1);
  CHECK(r.error().format().rfind("bomb.yaml:1:", 0) == 0);
}

TEST_CASE("parseGuarded refuses nesting over the limit before building a tree") {
  std::string deep(100000, '[');
  auto r = parseGuarded(deep, "deep.yaml", kTest);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == YamlErrc::TooDeep);
  std::string ok = "[[[[[[[[1]]]]]]]]";  // exactly 8
  CHECK(parseGuarded(ok, "ok.yaml", kTest).ok());
  CHECK_FALSE(parseGuarded("[" + ok + "]", "nine.yaml", kTest).ok());
}

TEST_CASE("parseGuarded refuses oversized files and multiple documents") {
  auto big = parseGuarded(std::string(kTest.max_bytes + 1, 'a'), "big.yaml", kTest);
  REQUIRE_FALSE(big.ok());
  CHECK(big.error().code == YamlErrc::TooLarge);
  auto multi = parseGuarded("a: 1\n---\nb: 2\n", "m.yaml", kTest);
  REQUIRE_FALSE(multi.ok());
  CHECK(multi.error().code == YamlErrc::MultipleDocuments);
  auto syntax = parseGuarded("a: [1, 2\n", "s.yaml", kTest);
  REQUIRE_FALSE(syntax.ok());
  CHECK(syntax.error().code == YamlErrc::Syntax);
}

TEST_CASE("MapReader checks types and reports unknown keys with line and column") {
  auto doc = parseGuarded("name: x\ncount: 3\nflag: maybe\nlist: [a, b]\nextra: 1\n", "m.yaml", kTest);
  REQUIRE(doc.ok());
  Diagnostics diag;
  MapReader m(*doc, "m.yaml", "top", diag);
  CHECK(*m.str("name") == "x");
  CHECK(*m.integer("count") == 3);
  CHECK_FALSE(m.boolean("flag").has_value());
  CHECK(m.strList("list")->size() == 2);
  CHECK_FALSE(m.str("missing", true).has_value());
  m.finish();
  REQUIRE(diag.errors().size() == 3);
  CHECK(diag.errors()[0].code == YamlErrc::Type);
  CHECK(diag.errors()[0].field == "top.flag");
  CHECK(diag.errors()[0].line == 3);
  CHECK(diag.errors()[1].code == YamlErrc::MissingKey);
  CHECK(diag.errors()[2].code == YamlErrc::UnknownKey);
  CHECK(diag.errors()[2].field == "top.extra");
  CHECK(diag.errors()[2].line == 5);
  CHECK(diag.errors()[2].column == 1);
}

TEST_CASE("parseGuarded refuses duplicate keys in one map, at any depth") {
  auto top = parseGuarded("dry_run: false\nx: 1\ndry_run: true\n", "d.yaml", kTest);
  REQUIRE_FALSE(top.ok());
  CHECK(top.error().code == YamlErrc::DuplicateKey);
  CHECK(top.error().line == 3);
  CHECK(top.error().field == "dry_run");
  CHECK(top.error().message == "duplicate key (first at line 1)");
  auto nested = parseGuarded("a: {b: 1, c: [ {d: 1, d: 2} ]}\n", "n.yaml", kTest);
  REQUIRE_FALSE(nested.ok());
  CHECK(nested.error().code == YamlErrc::DuplicateKey);
  CHECK(nested.error().field == "a.c[0].d");
  // The same key in sibling maps, or as a value, is fine.
  CHECK(parseGuarded("a: {k: 1}\nb: {k: 1}\nc: a\nd: [a, a]\n", "ok.yaml", kTest).ok());
  CHECK(parseGuarded("a: {x: {k: 1}, k: 2}\n", "ok2.yaml", kTest).ok());
}
