// The request as the evaluator sees it: who, what action, on which resource, and the
// condition context keys. Pure data; the server fills it from the authenticated
// principal and the operation row.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace bulwark::policy {

enum class PrincipalKind {
  kAnonymous,      // unauthenticated; only Principal "*" matches
  kAccountRoot,    // arn:aws:iam::123456789012:root
  kIamUser,        // arn:aws:iam::123456789012:user/path/name
  kIamRole,        // arn:aws:iam::123456789012:role/path/name
  kAssumedRole,    // arn:aws:sts::123456789012:assumed-role/role-name/session
  kFederatedUser,  // arn:aws:sts::123456789012:federated-user/name
  kService,        // a service principal, e.g. lambda.amazonaws.com
  kOther,          // any other ARN (matched exactly)
};

// Classifies a principal string: an ARN, a service principal name, or "" (anonymous).
PrincipalKind ClassifyPrincipal(std::string_view principal);

// The values of one context key. Single-valued keys hold one value.
struct ContextValue {
  std::vector<std::string> values;
  bool multi_valued = false;
};

// Whether the resource's own policy must allow the request even within one account.
// KMS key policies and role trust policies (sts:AssumeRole*) work this way: an
// identity policy alone is not enough. The operation table decides.
enum class ResourcePolicyMode { kOptional, kRequired };

struct RequestContext {
  std::string principal;  // ARN, service principal name, or "" for anonymous
  PrincipalKind principal_kind = PrincipalKind::kAnonymous;
  std::string principal_account;  // 12 digits; empty for anonymous and services
  std::string action;             // "service:ActionName", any case
  std::string resource;           // ARN, or "*" for actions without a resource
  std::string resource_account;   // account owning the resource
  ResourcePolicyMode resource_policy_mode = ResourcePolicyMode::kOptional;
  // Condition keys, by lowercase name (condition keys are case-insensitive).
  std::map<std::string, ContextValue, std::less<>> keys;

  // Sets the principal and derives its kind and account from the ARN.
  void SetPrincipal(std::string principal_arn);
  // Sets a single-valued key (the name is lowercased).
  void SetKey(std::string_view name, std::string value);
  // Sets a multi-valued key (the name is lowercased).
  void SetMultiValuedKey(std::string_view name, std::vector<std::string> values);
  // Looks up a key by its lowercase name; nullptr if absent.
  const ContextValue* Find(std::string_view lowercase_name) const;
};

}  // namespace bulwark::policy
