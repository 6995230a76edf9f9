// AWS Systems Manager (awsJson 1.1, target prefix AmazonSSM): Parameter Store.
#pragma once

#include "services/service.h"

namespace bulwark::ssm {

const ServiceSpec& Service();

}  // namespace bulwark::ssm
