// CloudTrail's operation table. Actions from the Service Authorization Reference; the
// operations not listed answer as unsupported.
#include "services/cloudtrail/cloudtrail.h"
#include "services/cloudtrail/handlers.h"

namespace bulwark::cloudtrail {
namespace {

constexpr OperationSpec kOperations[] = {
    // name, IAM action, resource, condition keys, mutates, handler
    {"LookupEvents", "cloudtrail:LookupEvents", "*", {}, Mutates::kNo, &LookupEvents},
};

Status Maintain(ServiceEnvironment& env) { return PruneHistory(env); }

}  // namespace

const ServiceSpec& Service() {
  static const ServiceSpec spec{"cloudtrail", kOperations, nullptr, false, &Maintain};
  return spec;
}

}  // namespace bulwark::cloudtrail
