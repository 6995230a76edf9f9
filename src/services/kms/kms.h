// AWS Key Management Service (awsJson 1.1, target prefix TrentService).
#pragma once

#include "services/service.h"

namespace bulwark::kms {

const ServiceSpec& Service();

}  // namespace bulwark::kms
