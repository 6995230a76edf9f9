// AWS Private Certificate Authority (awsJson 1.1, target prefix ACMPrivateCA).
#pragma once

#include "services/service.h"

namespace bulwark::acmpca {

const ServiceSpec& Service();

}  // namespace bulwark::acmpca
