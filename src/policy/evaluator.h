// The IAM evaluation logic: a pure function of parsed policies and a request.
//
// Order (reference_policies_evaluation-logic.md): an explicit Deny in any applicable
// policy wins (SCP, RCP, VPC endpoint, resource, identity, boundary, session); then
// every SCP level must Allow (RCPs only deny: they cannot grant), and so must the VPC
// endpoint policy when there is one; a resource policy the service makes mandatory
// (RequestContext::resource_policy_mode) must Allow. Then, within one account, a
// resource policy that names the caller's user or session ARN, or "*", allows on its
// own; one that names the role allows if the permissions boundary and session policy
// also allow; one that names only the account delegates to the identity policies,
// which must Allow with the boundary and session policy. Across accounts both the
// resource policy and the caller's own policies (within boundary and session
// policy) must Allow. Anonymous callers and service principals have no identity
// policies: only the resource policy can grant them access.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "policy/context.h"
#include "policy/policy.h"

namespace bulwark::policy {

enum class Decision { kAllow, kImplicitDeny, kExplicitDeny };

std::string_view DecisionName(Decision d);  // "Allowed", "ImplicitlyDenied", "ExplicitlyDenied"

enum class PolicySource {
  kIdentity,
  kResource,
  kPermissionsBoundary,
  kSession,
  kServiceControl,
  kResourceControl,
  kVpcEndpoint,
};

// One level of an organization's policies (root, OU…, account): one of the
// level's policies must allow.
struct OrgPolicyLevel {
  std::vector<const Policy*> policies;
};

// The policies that apply to one request. Pointers are borrowed.
struct PolicySet {
  std::vector<const Policy*> identity;
  const Policy* resource = nullptr;
  std::vector<const Policy*> permissions_boundaries;  // empty: no boundary
  std::vector<const Policy*> session;                 // empty: not a session with policies
  std::vector<OrgPolicyLevel> service_control;        // empty: no SCPs apply
  std::vector<OrgPolicyLevel> resource_control;       // empty: no RCPs apply
  // The policy of the VPC endpoint the request came through (one of them must
  // allow; a Principal, if present, must match). Empty: not through an endpoint.
  std::vector<const Policy*> vpc_endpoint;
};

// A statement that applied to the request (its action, resource, principal and
// conditions all matched).
struct MatchedStatement {
  PolicySource source;
  uint32_t level;  // org level for SCP/RCP, else 0
  uint32_t policy_index;
  uint32_t statement_index;
  Effect effect;
};

// Evaluates the request. When `matched` is given, every applying statement is
// appended to it (for SimulatePrincipalPolicy); otherwise evaluation stops early and
// does not allocate, apart from resolving policy variables.
Decision Evaluate(const PolicySet& policies, const RequestContext& request,
                  std::vector<MatchedStatement>* matched = nullptr);

// Whether one statement applies to the request (principal checks excepted: the
// caller decides whether the statement's Principal is relevant).
bool StatementMatchesRequest(const Statement& statement, PolicyVersion version,
                             const RequestContext& request);

// Whether one condition holds for the request.
bool ConditionHolds(const Condition& condition, const RequestContext& request);

}  // namespace bulwark::policy
