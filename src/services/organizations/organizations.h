// AWS Organizations: the data directory's accounts as one organization whose management
// account is the default account (services/organizations/directory.h).
#pragma once

#include "services/service.h"

namespace bulwark::organizations {

const ServiceSpec& Service();

}  // namespace bulwark::organizations
