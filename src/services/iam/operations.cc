// IAM: the operation table. One row per operation Bulwark implements; operations of the
// model not listed here answer with the protocol's unsupported-operation error.
// Actions, resource types and condition keys are those of the Service Authorization
// Reference; resource patterns name the input members that complete the ARN (the
// authorization hook puts in the entity's path).
#include "services/iam/handlers.h"
#include "services/iam/iam.h"

namespace bulwark::iam {
namespace {

// The inline-policy and attachment operations of users, groups and roles share one
// implementation each.
Result<Json> PutUserPolicy(RequestContext& ctx, const Json& input) {
  return PutEntityPolicy(ctx, input, kUserRef);
}
Result<Json> GetUserPolicy(RequestContext& ctx, const Json& input) {
  return GetEntityPolicy(ctx, input, kUserRef);
}
Result<Json> DeleteUserPolicy(RequestContext& ctx, const Json& input) {
  return DeleteEntityPolicy(ctx, input, kUserRef);
}
Result<Json> ListUserPolicies(RequestContext& ctx, const Json& input) {
  return ListEntityPolicies(ctx, input, kUserRef);
}
Result<Json> AttachUserPolicy(RequestContext& ctx, const Json& input) {
  return AttachEntityPolicy(ctx, input, kUserRef);
}
Result<Json> DetachUserPolicy(RequestContext& ctx, const Json& input) {
  return DetachEntityPolicy(ctx, input, kUserRef);
}
Result<Json> ListAttachedUserPolicies(RequestContext& ctx, const Json& input) {
  return ListAttachedEntityPolicies(ctx, input, kUserRef);
}
Result<Json> PutGroupPolicy(RequestContext& ctx, const Json& input) {
  return PutEntityPolicy(ctx, input, kGroupRef);
}
Result<Json> GetGroupPolicy(RequestContext& ctx, const Json& input) {
  return GetEntityPolicy(ctx, input, kGroupRef);
}
Result<Json> DeleteGroupPolicy(RequestContext& ctx, const Json& input) {
  return DeleteEntityPolicy(ctx, input, kGroupRef);
}
Result<Json> ListGroupPolicies(RequestContext& ctx, const Json& input) {
  return ListEntityPolicies(ctx, input, kGroupRef);
}
Result<Json> AttachGroupPolicy(RequestContext& ctx, const Json& input) {
  return AttachEntityPolicy(ctx, input, kGroupRef);
}
Result<Json> DetachGroupPolicy(RequestContext& ctx, const Json& input) {
  return DetachEntityPolicy(ctx, input, kGroupRef);
}
Result<Json> ListAttachedGroupPolicies(RequestContext& ctx, const Json& input) {
  return ListAttachedEntityPolicies(ctx, input, kGroupRef);
}
Result<Json> PutRolePolicy(RequestContext& ctx, const Json& input) {
  return PutEntityPolicy(ctx, input, kRoleRef);
}
Result<Json> GetRolePolicy(RequestContext& ctx, const Json& input) {
  return GetEntityPolicy(ctx, input, kRoleRef);
}
Result<Json> DeleteRolePolicy(RequestContext& ctx, const Json& input) {
  return DeleteEntityPolicy(ctx, input, kRoleRef);
}
Result<Json> ListRolePolicies(RequestContext& ctx, const Json& input) {
  return ListEntityPolicies(ctx, input, kRoleRef);
}
Result<Json> AttachRolePolicy(RequestContext& ctx, const Json& input) {
  return AttachEntityPolicy(ctx, input, kRoleRef);
}
Result<Json> DetachRolePolicy(RequestContext& ctx, const Json& input) {
  return DetachEntityPolicy(ctx, input, kRoleRef);
}
Result<Json> ListAttachedRolePolicies(RequestContext& ctx, const Json& input) {
  return ListAttachedEntityPolicies(ctx, input, kRoleRef);
}

constexpr std::string_view kRequestTagTagKeysPermissionsBoundary[] = {
    "aws:RequestTag/${TagKey}", "aws:TagKeys", "iam:PermissionsBoundary"};
constexpr std::string_view kRequestTagTagKeys[] = {"aws:RequestTag/${TagKey}", "aws:TagKeys"};
constexpr std::string_view kTagKeys[] = {"aws:TagKeys"};
constexpr std::string_view kPermissionsBoundary[] = {"iam:PermissionsBoundary"};
constexpr std::string_view kRequestTagTagKeysPermissionsBoundaryRoleTemplateARN[] = {
    "aws:RequestTag/${TagKey}", "aws:TagKeys", "iam:PermissionsBoundary", "iam:RoleTemplateARN"};
constexpr std::string_view kPermissionsBoundaryRoleTemplateARN[] = {"iam:PermissionsBoundary",
                                                                    "iam:RoleTemplateARN"};
constexpr std::string_view kRequestTagTagKeysRoleTemplateARN[] = {
    "aws:RequestTag/${TagKey}", "aws:TagKeys", "iam:RoleTemplateARN"};
constexpr std::string_view kPermissionsBoundaryPolicyARN[] = {"iam:PermissionsBoundary",
                                                              "iam:PolicyARN"};
constexpr std::string_view kPolicyARN[] = {"iam:PolicyARN"};
constexpr std::string_view kPermissionsBoundaryPolicyARNRoleTemplateARN[] = {
    "iam:PermissionsBoundary", "iam:PolicyARN", "iam:RoleTemplateARN"};

// mfa.cc: EnableMFADevice's keys (security keys; virtual devices never set them).
constexpr std::string_view kFidoRegisterSecurityKey[] = {
    "iam:FIDO-FIPS-140-2-certification", "iam:FIDO-FIPS-140-3-certification",
    "iam:FIDO-certification", "iam:RegisterSecurityKey"};

constexpr OperationSpec kOperations[] = {
    // name, IAM action, resource, condition keys, mutates, handler
    {"CreateUser", "iam:CreateUser", "arn:aws:iam::{account}:user/{UserName}",
     kRequestTagTagKeysPermissionsBoundary, Mutates::kYes, &CreateUser},
    {"GetUser",
     "iam:GetUser",
     "arn:aws:iam::{account}:user/{UserName}",
     {},
     Mutates::kNo,
     &GetUser},
    {"ListUsers", "iam:ListUsers", "arn:aws:iam::{account}:user/", {}, Mutates::kNo, &ListUsers},
    {"UpdateUser",
     "iam:UpdateUser",
     "arn:aws:iam::{account}:user/{UserName}",
     {},
     Mutates::kYes,
     &UpdateUser},
    {"DeleteUser",
     "iam:DeleteUser",
     "arn:aws:iam::{account}:user/{UserName}",
     {},
     Mutates::kYes,
     &DeleteUser},
    {"TagUser", "iam:TagUser", "arn:aws:iam::{account}:user/{UserName}", kRequestTagTagKeys,
     Mutates::kYes, &TagUser},
    {"UntagUser", "iam:UntagUser", "arn:aws:iam::{account}:user/{UserName}", kTagKeys,
     Mutates::kYes, &UntagUser},
    {"ListUserTags",
     "iam:ListUserTags",
     "arn:aws:iam::{account}:user/{UserName}",
     {},
     Mutates::kNo,
     &ListUserTags},
    {"PutUserPermissionsBoundary", "iam:PutUserPermissionsBoundary",
     "arn:aws:iam::{account}:user/{UserName}", kPermissionsBoundary, Mutates::kYes,
     &PutUserPermissionsBoundary},
    {"DeleteUserPermissionsBoundary", "iam:DeleteUserPermissionsBoundary",
     "arn:aws:iam::{account}:user/{UserName}", kPermissionsBoundary, Mutates::kYes,
     &DeleteUserPermissionsBoundary},
    {"CreateAccessKey",
     "iam:CreateAccessKey",
     "arn:aws:iam::{account}:user/{UserName}",
     {},
     Mutates::kYes,
     &CreateAccessKey},
    {"ListAccessKeys",
     "iam:ListAccessKeys",
     "arn:aws:iam::{account}:user/{UserName}",
     {},
     Mutates::kNo,
     &ListAccessKeys},
    {"UpdateAccessKey",
     "iam:UpdateAccessKey",
     "arn:aws:iam::{account}:user/{UserName}",
     {},
     Mutates::kYes,
     &UpdateAccessKey},
    {"DeleteAccessKey",
     "iam:DeleteAccessKey",
     "arn:aws:iam::{account}:user/{UserName}",
     {},
     Mutates::kYes,
     &DeleteAccessKey},
    {"GetAccessKeyLastUsed",
     "iam:GetAccessKeyLastUsed",
     "arn:aws:iam::{account}:user/{UserName}",
     {},
     Mutates::kNo,
     &GetAccessKeyLastUsed},
    {"CreateGroup",
     "iam:CreateGroup",
     "arn:aws:iam::{account}:group/{GroupName}",
     {},
     Mutates::kYes,
     &CreateGroup},
    {"GetGroup",
     "iam:GetGroup",
     "arn:aws:iam::{account}:group/{GroupName}",
     {},
     Mutates::kNo,
     &GetGroup},
    {"ListGroups",
     "iam:ListGroups",
     "arn:aws:iam::{account}:group/",
     {},
     Mutates::kNo,
     &ListGroups},
    {"UpdateGroup",
     "iam:UpdateGroup",
     "arn:aws:iam::{account}:group/{GroupName}",
     {},
     Mutates::kYes,
     &UpdateGroup},
    {"DeleteGroup",
     "iam:DeleteGroup",
     "arn:aws:iam::{account}:group/{GroupName}",
     {},
     Mutates::kYes,
     &DeleteGroup},
    {"AddUserToGroup",
     "iam:AddUserToGroup",
     "arn:aws:iam::{account}:group/{GroupName}",
     {},
     Mutates::kYes,
     &AddUserToGroup},
    {"RemoveUserFromGroup",
     "iam:RemoveUserFromGroup",
     "arn:aws:iam::{account}:group/{GroupName}",
     {},
     Mutates::kYes,
     &RemoveUserFromGroup},
    {"ListGroupsForUser",
     "iam:ListGroupsForUser",
     "arn:aws:iam::{account}:user/{UserName}",
     {},
     Mutates::kNo,
     &ListGroupsForUser},
    {"CreateRole", "iam:CreateRole", "arn:aws:iam::{account}:role/{RoleName}",
     kRequestTagTagKeysPermissionsBoundaryRoleTemplateARN, Mutates::kYes, &CreateRole},
    {"GetRole", "iam:GetRole", "arn:aws:iam::{account}:role/{RoleName}",
     kPermissionsBoundaryRoleTemplateARN, Mutates::kNo, &GetRole},
    {"ListRoles", "iam:ListRoles", "arn:aws:iam::{account}:role/", {}, Mutates::kNo, &ListRoles},
    {"UpdateRole", "iam:UpdateRole", "arn:aws:iam::{account}:role/{RoleName}", kPermissionsBoundary,
     Mutates::kYes, &UpdateRole},
    {"UpdateRoleDescription", "iam:UpdateRoleDescription", "arn:aws:iam::{account}:role/{RoleName}",
     kPermissionsBoundary, Mutates::kYes, &UpdateRoleDescription},
    {"UpdateAssumeRolePolicy", "iam:UpdateAssumeRolePolicy",
     "arn:aws:iam::{account}:role/{RoleName}", kPermissionsBoundary, Mutates::kYes,
     &UpdateAssumeRolePolicy},
    {"DeleteRole", "iam:DeleteRole", "arn:aws:iam::{account}:role/{RoleName}", kPermissionsBoundary,
     Mutates::kYes, &DeleteRole},
    {"TagRole", "iam:TagRole", "arn:aws:iam::{account}:role/{RoleName}",
     kRequestTagTagKeysRoleTemplateARN, Mutates::kYes, &TagRole},
    {"UntagRole", "iam:UntagRole", "arn:aws:iam::{account}:role/{RoleName}", kTagKeys,
     Mutates::kYes, &UntagRole},
    {"ListRoleTags",
     "iam:ListRoleTags",
     "arn:aws:iam::{account}:role/{RoleName}",
     {},
     Mutates::kNo,
     &ListRoleTags},
    {"PutRolePermissionsBoundary", "iam:PutRolePermissionsBoundary",
     "arn:aws:iam::{account}:role/{RoleName}", kPermissionsBoundaryRoleTemplateARN, Mutates::kYes,
     &PutRolePermissionsBoundary},
    {"DeleteRolePermissionsBoundary", "iam:DeleteRolePermissionsBoundary",
     "arn:aws:iam::{account}:role/{RoleName}", kPermissionsBoundary, Mutates::kYes,
     &DeleteRolePermissionsBoundary},
    {"CreatePolicy", "iam:CreatePolicy", "arn:aws:iam::{account}:policy/{PolicyName}",
     kRequestTagTagKeys, Mutates::kYes, &CreatePolicy},
    {"GetPolicy", "iam:GetPolicy", "{PolicyArn}", {}, Mutates::kNo, &GetPolicy},
    {"ListPolicies",
     "iam:ListPolicies",
     "arn:aws:iam::{account}:policy/",
     {},
     Mutates::kNo,
     &ListPolicies},
    {"DeletePolicy", "iam:DeletePolicy", "{PolicyArn}", {}, Mutates::kYes, &DeletePolicy},
    {"CreatePolicyVersion",
     "iam:CreatePolicyVersion",
     "{PolicyArn}",
     {},
     Mutates::kYes,
     &CreatePolicyVersion},
    {"GetPolicyVersion",
     "iam:GetPolicyVersion",
     "{PolicyArn}",
     {},
     Mutates::kNo,
     &GetPolicyVersion},
    {"ListPolicyVersions",
     "iam:ListPolicyVersions",
     "{PolicyArn}",
     {},
     Mutates::kNo,
     &ListPolicyVersions},
    {"DeletePolicyVersion",
     "iam:DeletePolicyVersion",
     "{PolicyArn}",
     {},
     Mutates::kYes,
     &DeletePolicyVersion},
    {"SetDefaultPolicyVersion",
     "iam:SetDefaultPolicyVersion",
     "{PolicyArn}",
     {},
     Mutates::kYes,
     &SetDefaultPolicyVersion},
    {"TagPolicy", "iam:TagPolicy", "{PolicyArn}", kRequestTagTagKeys, Mutates::kYes, &TagPolicy},
    {"UntagPolicy", "iam:UntagPolicy", "{PolicyArn}", kTagKeys, Mutates::kYes, &UntagPolicy},
    {"ListPolicyTags", "iam:ListPolicyTags", "{PolicyArn}", {}, Mutates::kNo, &ListPolicyTags},
    {"ListEntitiesForPolicy",
     "iam:ListEntitiesForPolicy",
     "{PolicyArn}",
     {},
     Mutates::kNo,
     &ListEntitiesForPolicy},
    {"PutUserPolicy", "iam:PutUserPolicy", "arn:aws:iam::{account}:user/{UserName}",
     kPermissionsBoundary, Mutates::kYes, &PutUserPolicy},
    {"GetUserPolicy",
     "iam:GetUserPolicy",
     "arn:aws:iam::{account}:user/{UserName}",
     {},
     Mutates::kNo,
     &GetUserPolicy},
    {"DeleteUserPolicy", "iam:DeleteUserPolicy", "arn:aws:iam::{account}:user/{UserName}",
     kPermissionsBoundary, Mutates::kYes, &DeleteUserPolicy},
    {"ListUserPolicies",
     "iam:ListUserPolicies",
     "arn:aws:iam::{account}:user/{UserName}",
     {},
     Mutates::kNo,
     &ListUserPolicies},
    {"AttachUserPolicy", "iam:AttachUserPolicy", "arn:aws:iam::{account}:user/{UserName}",
     kPermissionsBoundaryPolicyARN, Mutates::kYes, &AttachUserPolicy},
    {"DetachUserPolicy", "iam:DetachUserPolicy", "arn:aws:iam::{account}:user/{UserName}",
     kPermissionsBoundaryPolicyARN, Mutates::kYes, &DetachUserPolicy},
    {"ListAttachedUserPolicies",
     "iam:ListAttachedUserPolicies",
     "arn:aws:iam::{account}:user/{UserName}",
     {},
     Mutates::kNo,
     &ListAttachedUserPolicies},
    {"PutGroupPolicy",
     "iam:PutGroupPolicy",
     "arn:aws:iam::{account}:group/{GroupName}",
     {},
     Mutates::kYes,
     &PutGroupPolicy},
    {"GetGroupPolicy",
     "iam:GetGroupPolicy",
     "arn:aws:iam::{account}:group/{GroupName}",
     {},
     Mutates::kNo,
     &GetGroupPolicy},
    {"DeleteGroupPolicy",
     "iam:DeleteGroupPolicy",
     "arn:aws:iam::{account}:group/{GroupName}",
     {},
     Mutates::kYes,
     &DeleteGroupPolicy},
    {"ListGroupPolicies",
     "iam:ListGroupPolicies",
     "arn:aws:iam::{account}:group/{GroupName}",
     {},
     Mutates::kNo,
     &ListGroupPolicies},
    {"AttachGroupPolicy", "iam:AttachGroupPolicy", "arn:aws:iam::{account}:group/{GroupName}",
     kPolicyARN, Mutates::kYes, &AttachGroupPolicy},
    {"DetachGroupPolicy", "iam:DetachGroupPolicy", "arn:aws:iam::{account}:group/{GroupName}",
     kPolicyARN, Mutates::kYes, &DetachGroupPolicy},
    {"ListAttachedGroupPolicies",
     "iam:ListAttachedGroupPolicies",
     "arn:aws:iam::{account}:group/{GroupName}",
     {},
     Mutates::kNo,
     &ListAttachedGroupPolicies},
    {"PutRolePolicy", "iam:PutRolePolicy", "arn:aws:iam::{account}:role/{RoleName}",
     kPermissionsBoundaryRoleTemplateARN, Mutates::kYes, &PutRolePolicy},
    {"GetRolePolicy",
     "iam:GetRolePolicy",
     "arn:aws:iam::{account}:role/{RoleName}",
     {},
     Mutates::kNo,
     &GetRolePolicy},
    {"DeleteRolePolicy", "iam:DeleteRolePolicy", "arn:aws:iam::{account}:role/{RoleName}",
     kPermissionsBoundary, Mutates::kYes, &DeleteRolePolicy},
    {"ListRolePolicies",
     "iam:ListRolePolicies",
     "arn:aws:iam::{account}:role/{RoleName}",
     {},
     Mutates::kNo,
     &ListRolePolicies},
    {"AttachRolePolicy", "iam:AttachRolePolicy", "arn:aws:iam::{account}:role/{RoleName}",
     kPermissionsBoundaryPolicyARNRoleTemplateARN, Mutates::kYes, &AttachRolePolicy},
    {"DetachRolePolicy", "iam:DetachRolePolicy", "arn:aws:iam::{account}:role/{RoleName}",
     kPermissionsBoundaryPolicyARN, Mutates::kYes, &DetachRolePolicy},
    {"ListAttachedRolePolicies",
     "iam:ListAttachedRolePolicies",
     "arn:aws:iam::{account}:role/{RoleName}",
     {},
     Mutates::kNo,
     &ListAttachedRolePolicies},
    // mfa.cc
    {"CreateVirtualMFADevice", "iam:CreateVirtualMFADevice",
     "arn:aws:iam::{account}:mfa/{VirtualMFADeviceName}", kRequestTagTagKeys, Mutates::kYes,
     &CreateVirtualMFADevice},
    {"EnableMFADevice", "iam:EnableMFADevice", "arn:aws:iam::{account}:user/{UserName}",
     kFidoRegisterSecurityKey, Mutates::kYes, &EnableMFADevice},
    {"ResyncMFADevice",
     "iam:ResyncMFADevice",
     "arn:aws:iam::{account}:user/{UserName}",
     {},
     Mutates::kYes,
     &ResyncMFADevice},
    {"DeactivateMFADevice",
     "iam:DeactivateMFADevice",
     "arn:aws:iam::{account}:user/{UserName}",
     {},
     Mutates::kYes,
     &DeactivateMFADevice},
    {"DeleteVirtualMFADevice",
     "iam:DeleteVirtualMFADevice",
     "{SerialNumber}",
     {},
     Mutates::kYes,
     &DeleteVirtualMFADevice},
    {"ListMFADevices",
     "iam:ListMFADevices",
     "arn:aws:iam::{account}:user/{UserName}",
     {},
     Mutates::kNo,
     &ListMFADevices},
    {"ListVirtualMFADevices",
     "iam:ListVirtualMFADevices",
     "*",
     {},
     Mutates::kNo,
     &ListVirtualMFADevices},
    {"GetMFADevice",
     "iam:GetMFADevice",
     "arn:aws:iam::{account}:user/{UserName}",
     {},
     Mutates::kNo,
     &GetMFADevice},
    {"TagMFADevice", "iam:TagMFADevice", "{SerialNumber}", kRequestTagTagKeys, Mutates::kYes,
     &TagMFADevice},
    {"UntagMFADevice", "iam:UntagMFADevice", "{SerialNumber}", kTagKeys, Mutates::kYes,
     &UntagMFADevice},
    {"ListMFADeviceTags",
     "iam:ListMFADeviceTags",
     "{SerialNumber}",
     {},
     Mutates::kNo,
     &ListMFADeviceTags},
    // login_profiles.cc
    {"CreateLoginProfile",
     "iam:CreateLoginProfile",
     "arn:aws:iam::{account}:user/{UserName}",
     {},
     Mutates::kYes,
     &CreateLoginProfile},
    {"GetLoginProfile",
     "iam:GetLoginProfile",
     "arn:aws:iam::{account}:user/{UserName}",
     {},
     Mutates::kNo,
     &GetLoginProfile},
    {"UpdateLoginProfile",
     "iam:UpdateLoginProfile",
     "arn:aws:iam::{account}:user/{UserName}",
     {},
     Mutates::kYes,
     &UpdateLoginProfile},
    {"DeleteLoginProfile",
     "iam:DeleteLoginProfile",
     "arn:aws:iam::{account}:user/{UserName}",
     {},
     Mutates::kYes,
     &DeleteLoginProfile},
    {"ChangePassword",
     "iam:ChangePassword",
     "arn:aws:iam::{account}:user/{UserName}",
     {},
     Mutates::kYes,
     &ChangePassword},
    {"UpdateAccountPasswordPolicy",
     "iam:UpdateAccountPasswordPolicy",
     "*",
     {},
     Mutates::kYes,
     &UpdateAccountPasswordPolicy},
    {"GetAccountPasswordPolicy",
     "iam:GetAccountPasswordPolicy",
     "*",
     {},
     Mutates::kNo,
     &GetAccountPasswordPolicy},
    {"DeleteAccountPasswordPolicy",
     "iam:DeleteAccountPasswordPolicy",
     "*",
     {},
     Mutates::kYes,
     &DeleteAccountPasswordPolicy},
    // account.cc
    {"GetAccountSummary", "iam:GetAccountSummary", "*", {}, Mutates::kNo, &GetAccountSummary},
    {"GetAccountAuthorizationDetails",
     "iam:GetAccountAuthorizationDetails",
     "*",
     {},
     Mutates::kNo,
     &GetAccountAuthorizationDetails},
    {"CreateAccountAlias", "iam:CreateAccountAlias", "*", {}, Mutates::kYes, &CreateAccountAlias},
    {"DeleteAccountAlias", "iam:DeleteAccountAlias", "*", {}, Mutates::kYes, &DeleteAccountAlias},
    {"ListAccountAliases", "iam:ListAccountAliases", "*", {}, Mutates::kNo, &ListAccountAliases},
    {"GenerateCredentialReport",
     "iam:GenerateCredentialReport",
     "*",
     {},
     Mutates::kYes,
     &GenerateCredentialReport},
    {"GetCredentialReport", "iam:GetCredentialReport", "*", {}, Mutates::kNo, &GetCredentialReport},
    // simulate.cc: the principal operations act on the user, group or role simulated.
    {"SimulatePrincipalPolicy",
     "iam:SimulatePrincipalPolicy",
     "{PolicySourceArn}",
     {},
     Mutates::kNo,
     &SimulatePrincipalPolicy},
    {"SimulateCustomPolicy",
     "iam:SimulateCustomPolicy",
     "*",
     {},
     Mutates::kNo,
     &SimulateCustomPolicy},
    {"GetContextKeysForPrincipalPolicy",
     "iam:GetContextKeysForPrincipalPolicy",
     "{PolicySourceArn}",
     {},
     Mutates::kNo,
     &GetContextKeysForPrincipalPolicy},
    {"GetContextKeysForCustomPolicy",
     "iam:GetContextKeysForCustomPolicy",
     "*",
     {},
     Mutates::kNo,
     &GetContextKeysForCustomPolicy},
};

constexpr ServiceSpec kService{"iam", kOperations, &CompleteAuthorization};

}  // namespace

const ServiceSpec& Service() { return kService; }

}  // namespace bulwark::iam
