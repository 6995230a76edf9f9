// Every operation table row names a real operation of its service's model, an IAM
// action of that service (one the Service Authorization Reference lists, from the
// corpus's iam-data) with condition keys the reference lists for it, and a handler; no
// operation appears twice.
#include "server/registry.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
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

// The actions the Service Authorization Reference lists for a service prefix, by
// lowercase name (the corpus's iam-data/data/actions/PREFIX.json).
nlohmann::json ActionsOf(const std::string& prefix) {
  std::ifstream in(std::string(BULWARK_CORPUS_DIR) + "/iam/iam-data/data/actions/" + prefix +
                   ".json");
  return nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

TEST(RegistryTest, EveryRowMatchesTheModel) {
  const Registry& registry = Registry::Default();
  ASSERT_FALSE(registry.services().empty());
  for (const ServiceSpec* svc : registry.services()) {
    const protocol::ServiceModel* model = protocol::ModelRegistry::Instance().Find(svc->model_name);
    ASSERT_NE(model, nullptr) << svc->model_name;
    const std::string prefix = ActionPrefix(svc->model_name);
    const nlohmann::json actions = ActionsOf(prefix);
    ASSERT_TRUE(actions.is_object()) << "no iam-data actions for " << prefix;
    std::set<std::string_view> seen;
    for (const OperationSpec& op : svc->operations) {
      EXPECT_NE(model->FindOperation(op.name), nullptr) << svc->model_name << " " << op.name;
      EXPECT_TRUE(seen.insert(op.name).second) << "duplicate row " << op.name;
      // Usually service:Operation; a few operations are authorized by other actions
      // (KMS ReEncrypt: kms:ReEncryptFrom and kms:ReEncryptTo).
      ASSERT_TRUE(op.action.starts_with(prefix + ":")) << op.action;
      EXPECT_TRUE(actions.contains(Lower(std::string(op.action.substr(prefix.size() + 1)))))
          << op.action << " is not an action of " << prefix;
      // Its service's own condition keys are keys the reference lists for the action.
      const nlohmann::json& listed = actions.value(
          Lower(std::string(op.action.substr(prefix.size() + 1))), nlohmann::json::object());
      const nlohmann::json keys = listed.value("conditionKeys", nlohmann::json::array());
      for (std::string_view key : op.condition_keys) {
        if (!key.starts_with(prefix + ":")) continue;
        EXPECT_NE(std::find(keys.begin(), keys.end(), std::string(key)), keys.end())
            << op.name << ": " << key << " is not a condition key of " << op.action;
      }
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
