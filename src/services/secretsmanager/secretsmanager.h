// AWS Secrets Manager (awsJson 1.1, target prefix secretsmanager).
#pragma once

#include "services/service.h"

namespace bulwark::secretsmanager {

const ServiceSpec& Service();

}  // namespace bulwark::secretsmanager
