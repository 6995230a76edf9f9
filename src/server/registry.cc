#include "server/registry.h"

#include "services/acmpca/acmpca.h"
#include "services/cloudtrail/cloudtrail.h"
#include "services/iam/iam.h"
#include "services/kms/kms.h"
#include "services/organizations/organizations.h"
#include "services/secretsmanager/secretsmanager.h"
#include "services/ssm/ssm.h"
#include "services/sts/sts.h"

namespace bulwark::server {
namespace {

std::string Key(std::string_view service, std::string_view operation) {
  std::string key;
  key.reserve(service.size() + operation.size() + 1);
  key.append(service).push_back('\0');
  key.append(operation);
  return key;
}

}  // namespace

Registry::Registry(std::vector<const ServiceSpec*> services) : services_(std::move(services)) {
  for (const ServiceSpec* svc : services_) {
    for (const OperationSpec& op : svc->operations) {
      operations_.emplace(Key(svc->model_name, op.name), &op);
    }
  }
}

const Registry& Registry::Default() {
  static const Registry registry({&iam::Service(), &sts::Service(), &organizations::Service(),
                                  &kms::Service(), &secretsmanager::Service(), &ssm::Service(),
                                  &cloudtrail::Service(), &acmpca::Service()});
  return registry;
}

const ServiceSpec* Registry::FindService(std::string_view model_name) const {
  for (const ServiceSpec* svc : services_) {
    if (svc->model_name == model_name) return svc;
  }
  return nullptr;
}

const OperationSpec* Registry::FindOperation(std::string_view model_name,
                                             std::string_view operation) const {
  auto it = operations_.find(Key(model_name, operation));
  return it == operations_.end() ? nullptr : it->second;
}

}  // namespace bulwark::server
