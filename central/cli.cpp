#include "cli.h"

#include <sodium.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "core/duration.h"
#include "keys.h"
#include "server.h"
#include "service.h"
#include "store.h"

namespace central {
namespace {

constexpr int kExitRefused = 1;
constexpr int kExitUsage = 2;
constexpr int kExitRuntime = 3;
// 32 random bytes, 64 hex digits on the wire: 256 bits, well past guessing.
constexpr std::size_t kApiKeyBytes = 32;

int exitFor(const StoreError& e) {
  std::cerr << "error: " << e.message << "\n";
  return e.code == StoreErrc::Exists || e.code == StoreErrc::NotFound ? kExitRefused : kExitRuntime;
}

core::Result<std::unique_ptr<Store>, int> openStore(const std::string& data_dir) {
  if (auto dir = prepareDataDir(data_dir); !dir.ok()) return core::fail(exitFor(dir.error()));
  auto store = Store::open(data_dir);
  if (!store.ok()) return core::fail(exitFor(store.error()));
  return std::move(store).value();
}

std::int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// "HH:MM-HH:MM" (agent.yaml's healing.maintenance_window spelling) -> minutes; "" -> none.
bool parseWindow(const std::string& text, SiteSettings& s) {
  if (text.empty()) {
    s.window_start_minute = s.window_end_minute = 0;
    return true;
  }
  unsigned h1, m1, h2, m2;
  char tail;
  if (text.size() != 11 || std::sscanf(text.c_str(), "%2u:%2u-%2u:%2u%c", &h1, &m1, &h2, &m2, &tail) != 4 ||
      h1 > 23 || h2 > 23 || m1 > 59 || m2 > 59 || text[2] != ':' || text[5] != '-' || text[8] != ':') {
    return false;
  }
  s.window_start_minute = h1 * 60 + m1;
  s.window_end_minute = h2 * 60 + m2;
  return true;
}

std::string formatWindow(const SiteSettings& s) {
  if (s.window_start_minute == s.window_end_minute) return "";
  char buf[32];  // the minutes are < 1440, but the compiler cannot know: room for any unsigned
  std::snprintf(buf, sizeof buf, "%02u:%02u-%02u:%02u", s.window_start_minute / 60, s.window_start_minute % 60,
                s.window_end_minute / 60, s.window_end_minute % 60);
  return buf;
}

int siteAdd(const std::string& data_dir, const std::string& site_id, const std::string& tier,
            const std::string& key_out) {
  if (!isValidSiteId(site_id)) {
    std::cerr << "error: SITE: 1 to " << kMaxSiteIdLength << " characters of A-Z a-z 0-9 . _ -\n";
    return kExitUsage;
  }
  auto store = openStore(data_dir);
  if (!store.ok()) return store.error();
  if (sodium_init() < 0) std::abort();
  unsigned char raw[kApiKeyBytes];
  randombytes_buf(raw, sizeof raw);
  std::string key = hex({reinterpret_cast<const char*>(raw), sizeof raw});
  sodium_memzero(raw, sizeof raw);
  const std::filesystem::path out(key_out);
  const std::string dir = out.has_parent_path() ? out.parent_path().string() : ".";
  const std::string name = out.filename().string();
  auto added = (*store)->addSite(site_id, tier, apiKeyHash(key), nowMs(), [&]() -> StoreStatus {
    auto made = core::createFileExclusive(dir, name, key + "\n", 0600);
    if (made.ok()) return core::Ok{};
    // A key file already there is the operator's (another site's key?): refused, left alone.
    const bool exists = made.error().code == core::CreateErrc::Exists;
    return core::fail(StoreError{exists ? StoreErrc::Exists : StoreErrc::Io, std::move(made.error().message)});
  });
  sodium_memzero(key.data(), key.size());
  if (!added.ok()) return exitFor(added.error());
  std::cout << "site " << site_id << " added (tier " << tier << "); API key written to " << key_out << "\n";
  return 0;
}

struct SetOptions {
  std::string checkin_interval, checks_interval, window;
  std::vector<std::string> disabled;
  CLI::Option *checkin_opt = nullptr, *checks_opt = nullptr, *window_opt = nullptr, *disabled_opt = nullptr;
};

int siteSet(const std::string& data_dir, const std::string& site_id, const SetOptions& o) {
  auto store = openStore(data_dir);
  if (!store.ok()) return store.error();
  auto site = (*store)->site(site_id);
  if (!site.ok()) return exitFor(site.error());
  if (!*site) return exitFor({StoreErrc::NotFound, "no site " + site_id});
  SiteSettings s = (*site)->settings;
  const std::pair<CLI::Option*, std::pair<const std::string*, std::uint64_t*>> durations[] = {
      {o.checkin_opt, {&o.checkin_interval, &s.checkin_interval_ms}},
      {o.checks_opt, {&o.checks_interval, &s.checks_interval_ms}},
  };
  for (const auto& d : durations) {
    if (d.first->count() == 0) continue;
    auto parsed = core::parseDuration(*d.second.first);
    if (!parsed.ok()) {
      std::cerr << "error: " << d.first->get_name() << ": " << parsed.error().message << "\n";
      return kExitUsage;
    }
    *d.second.second = static_cast<std::uint64_t>(parsed->count());
  }
  if (o.window_opt->count() != 0 && !parseWindow(o.window, s)) {
    std::cerr << "error: --maintenance-window: expected HH:MM-HH:MM or \"\" (none), got \"" << o.window << "\"\n";
    return kExitUsage;
  }
  if (o.disabled_opt->count() != 0) {
    s.disabled_checks.clear();
    for (const auto& c : o.disabled) {
      if (!c.empty()) s.disabled_checks.push_back(c);
    }
  }
  if (auto st = (*store)->setSettings(site_id, s); !st.ok()) return exitFor(st.error());
  std::cout << "site " << site_id << " updated\n";
  return 0;
}

int setTier(const std::string& data_dir, const std::string& site_id, const std::string& tier) {
  auto store = openStore(data_dir);
  if (!store.ok()) return store.error();
  if (auto st = (*store)->setTier(site_id, tier); !st.ok()) return exitFor(st.error());
  std::cout << "site " << site_id << ": tier " << tier << " (from the next check-in)\n";
  return 0;
}

int listSites(const std::string& data_dir, bool json) {
  auto store = openStore(data_dir);
  if (!store.ok()) return store.error();
  auto sites = (*store)->sites();
  if (!sites.ok()) return exitFor(sites.error());
  nlohmann::json doc = nlohmann::json::array();
  for (const auto& s : *sites) {
    if (!json) {
      std::cout << s.site_id << "  " << s.tier << "\n";
      continue;
    }
    doc.push_back({{"site_id", s.site_id},
                   {"tier", s.tier},
                   {"created_at_ms", s.created_at_ms},
                   {"checkin_interval_ms", s.settings.checkin_interval_ms},
                   {"checks_interval_ms", s.settings.checks_interval_ms},
                   {"maintenance_window", formatWindow(s.settings)},
                   {"disabled_checks", s.settings.disabled_checks}});
  }
  if (json) std::cout << doc.dump(2) << "\n";
  return 0;
}

int listAppliances(const std::string& data_dir, const std::string& site_id, bool json) {
  auto store = openStore(data_dir);
  if (!store.ok()) return store.error();
  auto appliances = (*store)->appliances(site_id);
  if (!appliances.ok()) return exitFor(appliances.error());
  nlohmann::json doc = nlohmann::json::array();
  for (const auto& a : *appliances) {
    if (!json) {
      std::cout << a.appliance_id << "  site " << a.site_id << "  " << a.checkins << " check-ins"
                << (a.refused_checkins ? "  (" + std::to_string(a.refused_checkins) + " refused)" : "")
                << "  key " << hex(a.evidence_public_key) << "\n";
      continue;
    }
    doc.push_back({{"appliance_id", a.appliance_id},
                   {"site_id", a.site_id},
                   {"evidence_public_key", hex(a.evidence_public_key)},
                   {"first_seen_ms", a.first_seen_ms},
                   {"last_seen_ms", a.last_seen_ms},
                   {"hostname", a.hostname},
                   {"agent_version", a.agent_version},
                   {"nixos_version", a.nixos_version},
                   {"checkins", a.checkins},
                   {"refused_checkins", a.refused_checkins},
                   {"reported_tier", a.reported_tier},
                   {"mode", a.mode},
                   {"bundle_version", a.bundle_version},
                   {"evidence_seq", a.evidence_seq}});
  }
  if (json) std::cout << doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  return 0;
}

}  // namespace

int runCli(int argc, char** argv) {
  CLI::App app{"compliance-central-dev: the development central command (gRPC, state in SQLite)"};
  app.require_subcommand(1);
  std::string data_dir;
  auto addData = [&](CLI::App* sub) {
    sub->add_option("--data", data_dir, "data directory (made 0700): central.db and keys/")
        ->type_name("DIR")
        ->required();
  };
  const auto tierCheck = CLI::IsMember({std::string(kTierStandard), std::string(kTierFullCoverage)});

  int rc = 0;
  ServeOptions serve_opts;
  auto* serve_cmd = app.add_subcommand("serve", "run the gRPC server until SIGTERM or SIGINT");
  addData(serve_cmd);
  serve_cmd->add_option("--listen", serve_opts.listen, "127.0.0.1:PORT (0: a free port) or unix:/path")
      ->type_name("ADDR")
      ->required();
  serve_cmd->add_option("--address-file", serve_opts.address_file, "write the bound address here (atomically)")
      ->type_name("FILE");
  serve_cmd->callback([&] {
    serve_opts.data_dir = data_dir;
    rc = serve(serve_opts, std::cout, std::cerr);
  });

  auto* site_cmd = app.add_subcommand("site", "add or configure a site");
  site_cmd->require_subcommand(1);
  std::string site_id, tier = std::string(kTierStandard), key_out;
  auto* add_cmd = site_cmd->add_subcommand("add", "add a site and write its new API key to a file (0600)");
  addData(add_cmd);
  add_cmd->add_option("SITE", site_id, "site id")->required();
  add_cmd->add_option("--tier", tier, "standard | full_coverage (default standard)")->check(tierCheck);
  add_cmd->add_option("--api-key-out", key_out, "file to create with the API key (never overwritten)")
      ->type_name("FILE")
      ->required();
  add_cmd->callback([&] { rc = siteAdd(data_dir, site_id, tier, key_out); });

  SetOptions set_opts;
  auto* set_cmd = site_cmd->add_subcommand("set", "change a site's settings sent at check-in");
  addData(set_cmd);
  set_cmd->add_option("SITE", site_id, "site id")->required();
  set_opts.checkin_opt = set_cmd->add_option("--checkin-interval", set_opts.checkin_interval,
                                             "e.g. 60s; 0s: the appliance's own")->type_name("DUR");
  set_opts.checks_opt = set_cmd->add_option("--checks-interval", set_opts.checks_interval,
                                            "e.g. 15m; 0s: the appliance's own")->type_name("DUR");
  set_opts.window_opt = set_cmd->add_option("--maintenance-window", set_opts.window,
                                            "HH:MM-HH:MM, or \"\": the appliance's own")->type_name("WINDOW");
  set_opts.disabled_opt = set_cmd->add_option("--disabled-checks", set_opts.disabled,
                                              "the full list of check ids central command disables, comma-separated; "
                                              "\"\": none")
                              ->type_name("IDS")
                              ->delimiter(',')
                              ->allow_extra_args(false);
  set_cmd->callback([&] { rc = siteSet(data_dir, site_id, set_opts); });

  auto* tier_cmd = app.add_subcommand("tier", "set a site's tier (a running server answers with it next)");
  addData(tier_cmd);
  tier_cmd->add_option("SITE", site_id, "site id")->required();
  tier_cmd->add_option("TIER", tier, "standard | full_coverage")->required()->check(tierCheck);
  tier_cmd->callback([&] { rc = setTier(data_dir, site_id, tier); });

  bool json = false;
  auto* sites_cmd = app.add_subcommand("sites", "list the sites");
  addData(sites_cmd);
  sites_cmd->add_flag("--json", json, "one JSON array on stdout");
  sites_cmd->callback([&] { rc = listSites(data_dir, json); });

  std::string only_site;
  auto* appl_cmd = app.add_subcommand("appliances", "list the registered appliances");
  addData(appl_cmd);
  appl_cmd->add_option("--site", only_site, "only this site's")->type_name("SITE");
  appl_cmd->add_flag("--json", json, "one JSON array on stdout");
  appl_cmd->callback([&] { rc = listAppliances(data_dir, only_site, json); });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : kExitUsage;
  }
  return rc;
}

}  // namespace central
