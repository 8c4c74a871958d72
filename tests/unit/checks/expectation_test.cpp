// The numeric comparisons of expectations: lt/gt strict, le/ge/between inclusive, an actual
// value that is not a number never satisfies them, and what `expected` says.
#include <catch2/catch.hpp>

#include "checks/expectation.h"

using rules::Expectation;
using rules::MatchOp;

namespace {
Expectation numeric(MatchOp op, double lo, double hi = 0, std::vector<std::string> values = {}) {
  Expectation e;
  e.op = op;
  e.number = lo;
  e.number_max = hi;
  e.value = std::to_string(static_cast<int>(lo));
  e.values = std::move(values);
  return e;
}
}  // namespace

TEST_CASE("le, ge and between are inclusive, lt and gt strict") {
  using checks::satisfies;
  CHECK(satisfies(numeric(MatchOp::Le, 4), std::string("4")));
  CHECK_FALSE(satisfies(numeric(MatchOp::Le, 4), std::string("5")));
  CHECK_FALSE(satisfies(numeric(MatchOp::Lt, 4), std::string("4")));
  CHECK(satisfies(numeric(MatchOp::Ge, 1), std::string("1")));
  CHECK_FALSE(satisfies(numeric(MatchOp::Ge, 1), std::string("0")));
  CHECK_FALSE(satisfies(numeric(MatchOp::Gt, 1), std::string("1")));
  const Expectation range = numeric(MatchOp::Between, 1, 4, {"1", "4"});
  CHECK(satisfies(range, std::string("1")));
  CHECK(satisfies(range, std::string("4")));
  CHECK_FALSE(satisfies(range, std::string("0")));
  CHECK_FALSE(satisfies(range, std::string("5")));
  CHECK_FALSE(satisfies(range, std::string("three")));
  CHECK_FALSE(satisfies(range, std::nullopt));
  CHECK(checks::describe(range) == "1..4");
  CHECK(checks::describe(numeric(MatchOp::Le, 4)) == "<= 4");
  CHECK(checks::describe(numeric(MatchOp::Ge, 4)) == ">= 4");
}
