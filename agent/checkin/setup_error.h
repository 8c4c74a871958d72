#pragma once
// Why a link to central command could not be set up from the configuration: a problem the
// operator fixes (a file, its mode, a missing setting), not a network condition. The composition
// root reports it like a configuration error; `message` names the file and what to do, and
// never holds the API key.
#include "core/result.h"

namespace checkin {

enum class SetupErrc {
  Offline,     // central.endpoint is empty: there is nothing to connect to
  NoSiteId,    // site_id is empty: central command would not know whose appliance this is
  ApiKey,      // central.api_key_file is unset, unreadable, too open or malformed
  CaFile,      // central.ca_file cannot be read
  ClientCert,  // central.client_cert_file cannot be read
  ClientKey,   // central.client_key_file cannot be read, or is too open
};

using SetupError = core::Error<SetupErrc>;

}  // namespace checkin
