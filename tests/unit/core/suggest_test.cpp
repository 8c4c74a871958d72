#include <catch2/catch.hpp>

#include "core/suggest.h"

TEST_CASE("editDistance counts insertions, deletions, substitutions and a swap of neighbours as one edit") {
  CHECK(core::editDistance("check", "check") == 0);
  CHECK(core::editDistance("chek", "check") == 1);
  CHECK(core::editDistance("chekc", "check") == 1);
  CHECK(core::editDistance("stauts", "status") == 1);
  CHECK(core::editDistance("CHECK", "check") == 0);
  CHECK(core::editDistance("", "abc") == 3);
  CHECK(core::editDistance("kitten", "sitting") == 3);
}

TEST_CASE("closestMatches suggests only what is close, closest first") {
  const std::vector<std::string> commands{"check", "run", "rules", "heal", "status", "config", "evidence", "version"};
  CHECK(core::closestMatches("chek", commands) == std::vector<std::string>{"check"});
  CHECK(core::closestMatches("rule", commands) == std::vector<std::string>{"rules"});
  CHECK(core::closestMatches("evidnce", commands) == std::vector<std::string>{"evidence"});
  CHECK(core::closestMatches("frobnicate", commands).empty());
  CHECK(core::closestMatches("xyz", commands).empty());
  // The exact name is not a suggestion.
  CHECK(core::closestMatches("check", commands).empty());
  const std::vector<std::string> checks{"LIN-SSH-001", "LIN-SSH-002", "LIN-AUD-001"};
  CHECK(core::closestMatches("LIN-SSH-01", checks) == std::vector<std::string>{"LIN-SSH-001", "LIN-SSH-002"});
  CHECK(core::closestMatches("LIN-SSH-01", checks, 1) == std::vector<std::string>{"LIN-SSH-001"});
}

TEST_CASE("didYouMean ends a message, or adds nothing") {
  CHECK(core::didYouMean("chek", {"check", "heal"}) == " (did you mean 'check'?)");
  CHECK(core::didYouMean("LIN-SSH-01", {"LIN-SSH-001", "LIN-SSH-002"}) ==
        " (did you mean 'LIN-SSH-001' or 'LIN-SSH-002'?)");
  CHECK(core::didYouMean("zzzzzz", {"check", "heal"}).empty());
}
