// IAM's operation handlers (one per row of the operation table in operations.cc) and the
// helpers several families of them share.
#pragma once

#include <string>
#include <string_view>

#include "services/iam/common.h"

namespace bulwark::iam {

// The last path segment of a user/role ARN: the name.
std::string UserNameOfArn(std::string_view arn);

// --- Policies attached to users, groups and roles (policies.cc) ---------------------
// `kind` is the entity the policy belongs to; `name_member` the input member naming it
// ("UserName", "GroupName", "RoleName").
struct EntityRef {
  Kind kind;
  std::string_view name_member;
  size_t max_inline_chars;
};
inline constexpr EntityRef kUserRef{Kind::kUser, "UserName", kMaxUserInlineChars};
inline constexpr EntityRef kGroupRef{Kind::kGroup, "GroupName", kMaxGroupInlineChars};
inline constexpr EntityRef kRoleRef{Kind::kRole, "RoleName", kMaxRoleInlineChars};

Result<Json> PutEntityPolicy(RequestContext& ctx, const Json& input, const EntityRef& ref);
Result<Json> GetEntityPolicy(RequestContext& ctx, const Json& input, const EntityRef& ref);
Result<Json> DeleteEntityPolicy(RequestContext& ctx, const Json& input, const EntityRef& ref);
Result<Json> ListEntityPolicies(RequestContext& ctx, const Json& input, const EntityRef& ref);
Result<Json> AttachEntityPolicy(RequestContext& ctx, const Json& input, const EntityRef& ref);
Result<Json> DetachEntityPolicy(RequestContext& ctx, const Json& input, const EntityRef& ref);
Result<Json> ListAttachedEntityPolicies(RequestContext& ctx, const Json& input,
                                        const EntityRef& ref);

// Parses a policy document of the given kind, answering AWS's MalformedPolicyDocument
// or LimitExceeded errors. `max_chars` 0 = no size quota.
Status CheckPolicyDocument(std::string_view document, bool trust_policy, size_t max_chars);
// RFC 3986 percent-encoding, as IAM returns policy documents.
std::string UrlEncodeDocument(std::string_view document);

// A permissions boundary must be a managed policy that exists (customer or AWS).
Status CheckBoundaryPolicy(storage::Transaction& txn, std::string_view account,
                           std::string_view policy_arn);
// Counts boundary use on the policy (PermissionsBoundaryUsageCount); delta is ±1.
Status AdjustBoundaryUsage(storage::Transaction& txn, std::string_view account,
                           const Json& policy_arn, int delta);
// The default version's document of a managed policy (customer or AWS) by ARN, or
// nullopt if there is no such policy.
Result<std::optional<std::string>> ManagedPolicyDocument(storage::Transaction& txn,
                                                         std::string_view account,
                                                         std::string_view policy_arn);

#define BULWARK_IAM_HANDLER(name) Result<Json> name(RequestContext& ctx, const Json& input)

// users.cc
BULWARK_IAM_HANDLER(CreateUser);
BULWARK_IAM_HANDLER(GetUser);
BULWARK_IAM_HANDLER(ListUsers);
BULWARK_IAM_HANDLER(UpdateUser);
BULWARK_IAM_HANDLER(DeleteUser);
BULWARK_IAM_HANDLER(TagUser);
BULWARK_IAM_HANDLER(UntagUser);
BULWARK_IAM_HANDLER(ListUserTags);
BULWARK_IAM_HANDLER(PutUserPermissionsBoundary);
BULWARK_IAM_HANDLER(DeleteUserPermissionsBoundary);

// access_keys.cc
BULWARK_IAM_HANDLER(CreateAccessKey);
BULWARK_IAM_HANDLER(ListAccessKeys);
BULWARK_IAM_HANDLER(UpdateAccessKey);
BULWARK_IAM_HANDLER(DeleteAccessKey);
BULWARK_IAM_HANDLER(GetAccessKeyLastUsed);

// groups.cc
BULWARK_IAM_HANDLER(CreateGroup);
BULWARK_IAM_HANDLER(GetGroup);
BULWARK_IAM_HANDLER(ListGroups);
BULWARK_IAM_HANDLER(UpdateGroup);
BULWARK_IAM_HANDLER(DeleteGroup);
BULWARK_IAM_HANDLER(AddUserToGroup);
BULWARK_IAM_HANDLER(RemoveUserFromGroup);
BULWARK_IAM_HANDLER(ListGroupsForUser);

// roles.cc
BULWARK_IAM_HANDLER(CreateRole);
BULWARK_IAM_HANDLER(GetRole);
BULWARK_IAM_HANDLER(ListRoles);
BULWARK_IAM_HANDLER(UpdateRole);
BULWARK_IAM_HANDLER(UpdateRoleDescription);
BULWARK_IAM_HANDLER(UpdateAssumeRolePolicy);
BULWARK_IAM_HANDLER(DeleteRole);
BULWARK_IAM_HANDLER(TagRole);
BULWARK_IAM_HANDLER(UntagRole);
BULWARK_IAM_HANDLER(ListRoleTags);
BULWARK_IAM_HANDLER(PutRolePermissionsBoundary);
BULWARK_IAM_HANDLER(DeleteRolePermissionsBoundary);

// policies.cc: customer managed policies and their versions
BULWARK_IAM_HANDLER(CreatePolicy);
BULWARK_IAM_HANDLER(GetPolicy);
BULWARK_IAM_HANDLER(ListPolicies);
BULWARK_IAM_HANDLER(DeletePolicy);
BULWARK_IAM_HANDLER(CreatePolicyVersion);
BULWARK_IAM_HANDLER(GetPolicyVersion);
BULWARK_IAM_HANDLER(ListPolicyVersions);
BULWARK_IAM_HANDLER(DeletePolicyVersion);
BULWARK_IAM_HANDLER(SetDefaultPolicyVersion);
BULWARK_IAM_HANDLER(TagPolicy);
BULWARK_IAM_HANDLER(UntagPolicy);
BULWARK_IAM_HANDLER(ListPolicyTags);
BULWARK_IAM_HANDLER(ListEntitiesForPolicy);

#undef BULWARK_IAM_HANDLER

}  // namespace bulwark::iam
