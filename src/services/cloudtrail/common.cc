#include "services/cloudtrail/common.h"

namespace bulwark::cloudtrail {

Status Error(std::string code, std::string message) {
  return Status::Service(std::move(code), 400, std::move(message));
}

}  // namespace bulwark::cloudtrail
