// What CloudTrail's handlers share: its errors.
#pragma once

#include <string>

#include "core/status.h"

namespace bulwark::cloudtrail {

// A CloudTrail error (HTTP 400, the code as the model's shape name).
Status Error(std::string code, std::string message);

}  // namespace bulwark::cloudtrail
