// JSON policy document → Policy AST, with IAM's validation rules and error messages.
//
// Errors are Status::Service("MalformedPolicyDocument", 400, <AWS message>), except
// the size quota, which is Status::Service("LimitExceeded", 409, "Cannot exceed quota
// for PolicySize: N") as IAM returns it.
//
// Duplicate object keys are rejected as "Syntax errors in policy.": IAM's own
// parser is not documented on this point, and accepting them would let two readers
// of the same document (for example an auditor and this engine) disagree on which
// value wins.
#pragma once

#include <cstddef>
#include <string_view>

#include "core/status.h"
#include "policy/policy.h"

namespace bulwark::policy {

// Which kind of policy is being parsed: decides the Principal / Resource rules.
enum class PolicyKind {
  kIdentity,             // user/group/role policies: Principal prohibited, Resource required
  kPermissionsBoundary,  // as kIdentity
  kSession,              // as kIdentity
  kServiceControl,       // SCP: Principal prohibited, Resource optional
  kResource,             // resource-based (bucket, key policy…): Principal required
  kResourceControl,      // RCP: Principal required
  kTrust,                // role trust policy: Principal required, Resource prohibited
  // Lenient, for simulation inputs of unknown kind: Principal and Resource optional,
  // a bare ARN string as Principal, an empty Statement list, and actions such as
  // "s3:" (which match nothing) are accepted.
  kAny,
};

struct ParseOptions {
  PolicyKind kind = PolicyKind::kIdentity;
  // IAM's quota counts characters other than whitespace (managed policy: 6144,
  // inline user policy: 2048, role trust policy: 2048 by default). 0 = no quota.
  size_t max_policy_chars = 0;
  // Hard bound on the raw document, whitespace included, checked before parsing.
  size_t max_document_bytes = 1 << 20;
  // Maximum JSON nesting depth; a policy needs 6 (document, statements, statement,
  // condition, operator, value list).
  int max_depth = 16;
  // Maximum statements, and items in any one Action/Resource/Principal/value list.
  size_t max_statements = 1000;
  size_t max_list_items = 10000;
};

Result<Policy> ParsePolicy(std::string_view document, const ParseOptions& options = {});

// The IAM policy-size measure: characters other than JSON whitespace.
size_t PolicySizeChars(std::string_view document);

}  // namespace bulwark::policy
