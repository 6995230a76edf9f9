// AWS CloudTrail (awsJson 1.1, target prefix
// com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101): event history over the audit
// journal (event_log.h) that the request pipeline writes for every request.
#pragma once

#include "services/service.h"

namespace bulwark::cloudtrail {

const ServiceSpec& Service();

}  // namespace bulwark::cloudtrail
