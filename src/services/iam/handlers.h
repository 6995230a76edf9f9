// IAM's operation handlers (one per row of the operation table in operations.cc) and the
// helpers several families of them share.
#pragma once

#include <string>
#include <string_view>

#include "core/secret.h"
#include "services/iam/common.h"

namespace bulwark::iam {

// The last path segment of a user/role ARN: the name.
std::string UserNameOfArn(std::string_view arn);
// The string member `member` of a validated input that the model requires.
std::string NameOf(const Json& input, std::string_view member);
// Position of `name` in a JSON list of names, compared without regard to case.
Json::iterator FindName(Json& names, std::string_view name);

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

// account.cc: summary, authorization details, alias, credential report
BULWARK_IAM_HANDLER(GetAccountSummary);
BULWARK_IAM_HANDLER(GetAccountAuthorizationDetails);
BULWARK_IAM_HANDLER(CreateAccountAlias);
BULWARK_IAM_HANDLER(DeleteAccountAlias);
BULWARK_IAM_HANDLER(ListAccountAliases);
BULWARK_IAM_HANDLER(GenerateCredentialReport);
BULWARK_IAM_HANDLER(GetCredentialReport);
// The ManagedPolicyDetail shape of a managed policy (customer or AWS) by ARN, with every
// version and its percent-encoded document, newest first; nullopt if there is no such
// policy. Defined in policies.cc, next to the Policy shape it extends.
Result<std::optional<Json>> ManagedPolicyDetail(storage::Transaction& txn, std::string_view account,
                                                std::string_view policy_arn);

// simulate.cc: the policy simulator
BULWARK_IAM_HANDLER(SimulatePrincipalPolicy);
BULWARK_IAM_HANDLER(SimulateCustomPolicy);
BULWARK_IAM_HANDLER(GetContextKeysForPrincipalPolicy);
BULWARK_IAM_HANDLER(GetContextKeysForCustomPolicy);

// mfa.cc: virtual MFA devices
BULWARK_IAM_HANDLER(CreateVirtualMFADevice);
BULWARK_IAM_HANDLER(EnableMFADevice);
BULWARK_IAM_HANDLER(ResyncMFADevice);
BULWARK_IAM_HANDLER(DeactivateMFADevice);
BULWARK_IAM_HANDLER(DeleteVirtualMFADevice);
BULWARK_IAM_HANDLER(ListMFADevices);
BULWARK_IAM_HANDLER(ListVirtualMFADevices);
BULWARK_IAM_HANDLER(GetMFADevice);
BULWARK_IAM_HANDLER(TagMFADevice);
BULWARK_IAM_HANDLER(UntagMFADevice);
BULWARK_IAM_HANDLER(ListMFADeviceTags);
// STS's check of SerialNumber + TokenCode (GetSessionToken, AssumeRole): OK iff
// `serial_number` is a virtual MFA device of the caller's account assigned to the IAM
// user `user_arn_or_account_root` (its current ARN; the root user has no devices) and
// `token_code` is its code within one step of now, of a step later than any code the
// device accepted before. Records that step in `txn` (the caller commits), so the code
// cannot be used twice. Errors are kAccessDenied with STS's messages: "MultiFactor
// Authentication failed with invalid MFA one time pass code. " for a wrong or replayed
// code, "...unable to validate MFA code. Please verify your MFA serial number..." for a
// serial number that is not the user's device.
Status CheckMfaCode(RequestContext& ctx, storage::Transaction& txn,
                    std::string_view user_arn_or_account_root, std::string_view serial_number,
                    std::string_view token_code);

// login_profiles.cc: console passwords and the account password policy
BULWARK_IAM_HANDLER(CreateLoginProfile);
BULWARK_IAM_HANDLER(GetLoginProfile);
BULWARK_IAM_HANDLER(UpdateLoginProfile);
BULWARK_IAM_HANDLER(DeleteLoginProfile);
BULWARK_IAM_HANDLER(ChangePassword);
BULWARK_IAM_HANDLER(UpdateAccountPasswordPolicy);
BULWARK_IAM_HANDLER(GetAccountPasswordPolicy);
BULWARK_IAM_HANDLER(DeleteAccountPasswordPolicy);

// oidc.cc: OpenID Connect identity providers
BULWARK_IAM_HANDLER(CreateOpenIDConnectProvider);
BULWARK_IAM_HANDLER(GetOpenIDConnectProvider);
BULWARK_IAM_HANDLER(ListOpenIDConnectProviders);
BULWARK_IAM_HANDLER(DeleteOpenIDConnectProvider);
BULWARK_IAM_HANDLER(AddClientIDToOpenIDConnectProvider);
BULWARK_IAM_HANDLER(RemoveClientIDFromOpenIDConnectProvider);
BULWARK_IAM_HANDLER(UpdateOpenIDConnectProviderThumbprint);
BULWARK_IAM_HANDLER(TagOpenIDConnectProvider);
BULWARK_IAM_HANDLER(UntagOpenIDConnectProvider);
BULWARK_IAM_HANDLER(ListOpenIDConnectProviderTags);
// The provider record of `account` whose URL without "https://" is `url` (any case), or
// nullopt. Fields: Url, Arn, ClientIDList, ThumbprintList, CreateDate, Tags.
Result<std::optional<Json>> LoadOidcProvider(storage::Transaction& txn, std::string_view account,
                                             std::string_view url);
// The JWKS document of the provider at `url` (without "https://"): the file
// HOST_PATH.json of the environment's oidc_jwks_dir when there is one, else fetched
// through the issuer's discovery document (cached 10 minutes), its HTTPS certificate
// verified against the system's CAs or else pinned by one of `thumbprints` (the
// provider's ThumbprintList). IDPCommunicationError when it cannot be had.
Result<std::string> OidcJwksDocument(const RequestContext& ctx, std::string_view url,
                                     const std::vector<std::string>& thumbprints);

// instance_profiles.cc: instance profiles
BULWARK_IAM_HANDLER(CreateInstanceProfile);
BULWARK_IAM_HANDLER(GetInstanceProfile);
BULWARK_IAM_HANDLER(ListInstanceProfiles);
BULWARK_IAM_HANDLER(DeleteInstanceProfile);
BULWARK_IAM_HANDLER(AddRoleToInstanceProfile);
BULWARK_IAM_HANDLER(RemoveRoleFromInstanceProfile);
BULWARK_IAM_HANDLER(ListInstanceProfilesForRole);
BULWARK_IAM_HANDLER(TagInstanceProfile);
BULWARK_IAM_HANDLER(UntagInstanceProfile);
BULWARK_IAM_HANDLER(ListInstanceProfileTags);
// Where an instance profile's record is stored (its name in any case).
std::string InstanceProfileKey(std::string_view account, std::string_view name);
// Instance profiles per account (IAM and STS quotas page).
inline constexpr size_t kMaxInstanceProfiles = 1000;
// The InstanceProfile shapes (without tags, as listings show them) of the profiles the
// role record is in (its "InstanceProfiles" names, kept by Add/RemoveRoleToInstanceProfile),
// ordered by name; for ListInstanceProfilesForRole and GetAccountAuthorizationDetails.
Result<Json> InstanceProfilesOfRole(storage::Transaction& txn, std::string_view account,
                                    const Json& role);
// A Role as an InstanceProfile holds it: Path, RoleName, RoleId, Arn, CreateDate and the
// percent-encoded trust policy, from the role's current record. Defined in roles.cc.
Json InstanceProfileRoleOutput(const Json& role);
// UnmodifiableEntity for the roles AWS owns (/aws-service-role/, /aws-reserved/), with
// roles.cc's message. Defined in roles.cc.
Status CheckRoleModifiable(const Json& role);

// saml.cc: SAML 2.0 identity providers
BULWARK_IAM_HANDLER(CreateSAMLProvider);
BULWARK_IAM_HANDLER(GetSAMLProvider);
BULWARK_IAM_HANDLER(ListSAMLProviders);
BULWARK_IAM_HANDLER(UpdateSAMLProvider);
BULWARK_IAM_HANDLER(DeleteSAMLProvider);
BULWARK_IAM_HANDLER(TagSAMLProvider);
BULWARK_IAM_HANDLER(UntagSAMLProvider);
BULWARK_IAM_HANDLER(ListSAMLProviderTags);
// The provider record `arn` (arn:aws:iam::ACCOUNT:saml-provider/NAME, exactly as
// created) names, or nullopt. Fields: Name, Arn, CreateDate, ValidUntil, EntityId,
// Certificates (base64 DER signing certificates of the metadata), SAMLMetadataDocument,
// SAMLProviderUUID, AssertionEncryptionMode (absent: Allowed), PrivateKeys, Tags.
Result<std::optional<Json>> LoadSamlProvider(storage::Transaction& txn, std::string_view arn);
// The provider's private keys (PEM), unsealed, for decrypting assertions.
Result<std::vector<SecretBytes>> SamlProviderPrivateKeys(const RequestContext& ctx,
                                                         const Json& record);

// roles.cc, policies.cc: for services that set up IAM entities in an account inside their
// own transaction (Organizations' CreateAccount makes OrganizationAccountAccessRole with
// AdministratorAccess in the account it creates). The caller commits, through Commit().
// CreateRole's work in `account`: `input` is CreateRole's (validated by the model);
// returns CreateRole's output.
Result<Json> CreateRoleIn(RequestContext& ctx, storage::Transaction& txn, std::string_view account,
                          const Json& input);
// Attach{User,Group,Role}Policy's work in `account`; false when the policy was attached
// already (nothing changed).
Result<bool> AttachEntityPolicyIn(storage::Transaction& txn, std::string_view account,
                                  const EntityRef& ref, std::string_view name,
                                  std::string_view policy_arn);

#undef BULWARK_IAM_HANDLER

}  // namespace bulwark::iam
