// The services Bulwark serves, and the lookup from (service, operation) to its row.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "services/service.h"

namespace bulwark::server {

class Registry {
 public:
  explicit Registry(std::vector<const ServiceSpec*> services);
  // Every service Bulwark implements.
  static const Registry& Default();

  const ServiceSpec* FindService(std::string_view model_name) const;
  const OperationSpec* FindOperation(std::string_view model_name, std::string_view operation) const;
  std::span<const ServiceSpec* const> services() const { return services_; }

 private:
  std::vector<const ServiceSpec*> services_;
  std::unordered_map<std::string, const OperationSpec*> operations_;  // "svc\0Op"
};

}  // namespace bulwark::server
