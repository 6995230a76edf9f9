// The policies that apply to a principal's requests, read from IAM's records and parsed
// once, then cached until the next committed IAM change (ServiceEnvironment's
// iam_generation): a change takes effect on the next request.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/principal.h"
#include "policy/policy.h"
#include "services/service.h"

namespace bulwark::iam {

struct PrincipalPolicies {
  bool exists = false;  // false: the principal's user or role is gone; nothing applies
  std::string name;     // user name (aws:username)
  std::vector<policy::Policy> identity;
  std::vector<policy::Policy> boundary;  // empty or one
  std::vector<policy::Policy> session;   // session policies of a temporary credential
  std::vector<std::pair<std::string, std::string>> tags;  // aws:PrincipalTag/*
};

// What authorization needs of the user, group or role a request acts on.
struct EntitySummary {
  std::string arn;                                        // with the entity's path
  std::string permissions_boundary;                       // policy ARN, or empty
  std::vector<std::pair<std::string, std::string>> tags;  // aws:ResourceTag/*
};

class Authority {
 public:
  explicit Authority(ServiceEnvironment* env) : env_(env) {}

  // For an IAM user: its inline and attached policies, those of its groups, its
  // permissions boundary and its tags. For an assumed role: the role's policies,
  // boundary and tags (session tags win), and the session policies. For a federated
  // user: those of the user (or root) behind it and its session policies, or nothing
  // when it has none. Thread-safe.
  Result<std::shared_ptr<const PrincipalPolicies>> PoliciesOf(const Principal& principal);
  // The entity stored under `key` (common.h's EntityKey), or null if there is none.
  Result<std::shared_ptr<const EntitySummary>> EntityAt(const std::string& key);

 private:
  Result<std::shared_ptr<const PrincipalPolicies>> Build(const Principal& principal);
  // Drops every cached value when IAM changed since they were read; returns the
  // generation the caller's reads belong to.
  uint64_t Refresh();
  static std::string CacheKey(const Principal& principal);

  ServiceEnvironment* env_;
  std::mutex mu_;
  uint64_t generation_ = UINT64_MAX;
  std::unordered_map<std::string, std::shared_ptr<const PrincipalPolicies>> cache_;
  std::unordered_map<std::string, std::shared_ptr<const EntitySummary>> entities_;
};

}  // namespace bulwark::iam
