#include "model.h"

namespace central {

bool isTier(std::string_view tier) { return tier == kTierStandard || tier == kTierFullCoverage; }

bool isValidSiteId(std::string_view site_id) {
  if (site_id.empty() || site_id.size() > kMaxSiteIdLength) return false;
  for (const char c : site_id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace central
