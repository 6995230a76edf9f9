// Hand-written, data-driven evaluator cases: tests/data/policy/*.json, one file per
// topic, built from the examples of the AWS IAM User Guide. A new case is a new
// entry in a file; this runner never changes.
//
// File format:
//   {"topic": "...", "groups": [{
//      "name": "...", "doc": "page.md (where the rule is documented)",
//      "condition": {...}          shorthand: one identity policy allowing *:* on *
//                                   under this Condition block
//      "version": "2008-10-17"     (for "condition"; default 2012-10-17)
//      "identity": [policy...], "resource": policy, "boundaries": [policy...],
//      "session": [policy...], "scps": [[policy...]...], "rcps": [[policy...]...],
//      "endpoint": [policy...],
//      "requests": [{"name", "principal", "action", "resource", "resource_account",
//                    "resource_policy_required": bool, "context": {key: value|[values]},
//                    "expect": "Allowed" | "ImplicitlyDenied" | "ExplicitlyDenied"}]}]}
// Request defaults: principal arn:aws:iam::111122223333:user/alice, action
// s3:GetObject, resource arn:aws:s3:::bucket/key, resource account 111122223333.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "policy/evaluator.h"
#include "policy/parser.h"

namespace bulwark::policy {
namespace {

using nlohmann::json;

std::string DataDir() { return std::string(BULWARK_SOURCE_DIR) + "/tests/data/policy"; }

std::vector<std::string> DataFiles() {
  std::vector<std::string> files;
  for (const auto& f : std::filesystem::directory_iterator(DataDir())) {
    if (f.path().extension() == ".json") files.push_back(f.path().filename().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

class PolicyCases : public ::testing::TestWithParam<std::string> {};

const Policy* Parse(std::vector<std::unique_ptr<Policy>>* store, const json& doc, PolicyKind kind,
                    const std::string& where) {
  Result<Policy> p = ParsePolicy(doc.dump(), {.kind = kind});
  EXPECT_TRUE(p.ok()) << where << ": " << p.status().message() << " in " << doc.dump();
  if (!p.ok()) return nullptr;
  store->push_back(std::make_unique<Policy>(std::move(p).value()));
  return store->back().get();
}

int RunFile(const std::string& file) {
  std::ifstream in(DataDir() + "/" + file);
  json doc = json::parse(in);
  int requests = 0;
  for (const json& g : doc.at("groups")) {
    const std::string group = file + " / " + g.value("name", "?");
    std::vector<std::unique_ptr<Policy>> store;
    PolicySet set;
    if (g.contains("condition")) {
      json policy = {{"Version", g.value("version", "2012-10-17")},
                     {"Statement",
                      {{{"Effect", "Allow"},
                        {"Action", "*"},
                        {"Resource", "*"},
                        {"Condition", g["condition"]}}}}};
      set.identity.push_back(Parse(&store, policy, PolicyKind::kIdentity, group));
    }
    for (const json& p : g.value("identity", json::array())) {
      set.identity.push_back(Parse(&store, p, PolicyKind::kIdentity, group));
    }
    if (g.contains("resource")) {
      bool trust = false;
      for (const json& s : g["resource"]["Statement"]) trust = trust || !s.contains("Resource");
      set.resource =
          Parse(&store, g["resource"], trust ? PolicyKind::kTrust : PolicyKind::kResource, group);
    }
    for (const json& p : g.value("boundaries", json::array())) {
      set.permissions_boundaries.push_back(
          Parse(&store, p, PolicyKind::kPermissionsBoundary, group));
    }
    for (const json& p : g.value("session", json::array())) {
      set.session.push_back(Parse(&store, p, PolicyKind::kSession, group));
    }
    for (const json& level : g.value("scps", json::array())) {
      OrgPolicyLevel l;
      for (const json& p : level) {
        l.policies.push_back(Parse(&store, p, PolicyKind::kServiceControl, group));
      }
      set.service_control.push_back(std::move(l));
    }
    for (const json& level : g.value("rcps", json::array())) {
      OrgPolicyLevel l;
      for (const json& p : level) {
        l.policies.push_back(Parse(&store, p, PolicyKind::kResourceControl, group));
      }
      set.resource_control.push_back(std::move(l));
    }
    for (const json& p : g.value("endpoint", json::array())) {
      set.vpc_endpoint.push_back(Parse(&store, p, PolicyKind::kAny, group));
    }
    for (const json& r : g.at("requests")) {
      ++requests;
      const std::string where = group + " / " + r.value("name", r.dump());
      RequestContext rc;
      rc.SetPrincipal(r.value("principal", "arn:aws:iam::111122223333:user/alice"));
      rc.action = r.value("action", "s3:GetObject");
      rc.resource = r.value("resource", "arn:aws:s3:::bucket/key");
      rc.resource_account = r.value("resource_account", "111122223333");
      if (r.value("resource_policy_required", false)) {
        rc.resource_policy_mode = ResourcePolicyMode::kRequired;
      }
      const json context = r.value("context", json::object());
      for (const auto& [key, value] : context.items()) {
        if (value.is_array()) {
          rc.SetMultiValuedKey(key, value.get<std::vector<std::string>>());
        } else {
          rc.SetKey(key, value.get<std::string>());
        }
      }
      std::vector<MatchedStatement> matched;
      Decision fast = Evaluate(set, rc);
      Decision full = Evaluate(set, rc, &matched);
      EXPECT_EQ(fast, full) << where;
      EXPECT_EQ(DecisionName(fast), r.at("expect").get<std::string>()) << where;
      if (r.contains("matched")) {
        // [[source, policy_index, statement_index], ...] for identity/resource sources.
        std::vector<std::vector<int>> got;
        for (const MatchedStatement& m : matched) {
          got.push_back({static_cast<int>(m.source), static_cast<int>(m.policy_index),
                         static_cast<int>(m.statement_index)});
        }
        EXPECT_EQ(got, r["matched"].get<std::vector<std::vector<int>>>()) << where;
      }
    }
  }
  return requests;
}

TEST_P(PolicyCases, File) { EXPECT_GT(RunFile(GetParam()), 0) << GetParam(); }

INSTANTIATE_TEST_SUITE_P(Data, PolicyCases, ::testing::ValuesIn(DataFiles()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param.substr(0, info.param.find('.'));
                           for (char& c : name) {
                             if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return name;
                         });

TEST(PolicyCasesInventory, EveryTopicIsPresent) {
  std::vector<std::string> files = DataFiles();
  for (const char* topic :
       {"string_conditions.json", "numeric_conditions.json", "date_conditions.json",
        "bool_binary_null_conditions.json", "ip_conditions.json", "arn_conditions.json",
        "ifexists_and_missing_keys.json", "set_operators.json", "variables.json",
        "action_resource_matching.json", "evaluation_logic.json", "principals.json"}) {
    EXPECT_NE(std::find(files.begin(), files.end(), topic), files.end()) << topic;
  }
}

}  // namespace
}  // namespace bulwark::policy
