// Every operation table row names a real operation of its service's model, an IAM
// action of that service, and a handler; no operation appears twice.
#include "server/registry.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "protocol/protocol.h"

namespace bulwark::server {
namespace {

// IAM action prefixes differ from model names for a few services.
std::string ActionPrefix(std::string_view model_name) {
  if (model_name == "accessanalyzer") return "access-analyzer";
  return std::string(model_name);
}

TEST(RegistryTest, EveryRowMatchesTheModel) {
  const Registry& registry = Registry::Default();
  ASSERT_FALSE(registry.services().empty());
  for (const ServiceSpec* svc : registry.services()) {
    const protocol::ServiceModel* model = protocol::ModelRegistry::Instance().Find(svc->model_name);
    ASSERT_NE(model, nullptr) << svc->model_name;
    std::set<std::string_view> seen;
    for (const OperationSpec& op : svc->operations) {
      EXPECT_NE(model->FindOperation(op.name), nullptr) << svc->model_name << " " << op.name;
      EXPECT_TRUE(seen.insert(op.name).second) << "duplicate row " << op.name;
      EXPECT_EQ(op.action, ActionPrefix(svc->model_name) + ":" + std::string(op.name))
          << "IAM actions are named service:Operation";
      EXPECT_NE(op.handler, nullptr) << op.name;
      EXPECT_FALSE(op.resource_pattern.empty()) << op.name;
      EXPECT_EQ(registry.FindOperation(svc->model_name, op.name), &op);
    }
  }
}

TEST(RegistryTest, UnknownOperationsAreNotFound) {
  const Registry& registry = Registry::Default();
  EXPECT_EQ(registry.FindOperation("sts", "NoSuchOperation"), nullptr);
  EXPECT_EQ(registry.FindOperation("nosuchservice", "GetCallerIdentity"), nullptr);
  EXPECT_EQ(registry.FindService("nosuchservice"), nullptr);
  ASSERT_NE(registry.FindService("sts"), nullptr);
}

}  // namespace
}  // namespace bulwark::server
