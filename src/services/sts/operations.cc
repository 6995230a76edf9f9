// STS: the operation table. One row per operation Bulwark implements; operations of
// the model not listed here answer with the protocol's unsupported-operation error.
#include "services/sts/sts.h"

namespace bulwark::sts {

Result<Json> HandleGetCallerIdentity(RequestContext& ctx, const Json& input);
Result<Json> HandleAssumeRole(RequestContext& ctx, const Json& input);
Result<Json> HandleGetSessionToken(RequestContext& ctx, const Json& input);
Result<Json> HandleAssumeRoleWithWebIdentity(RequestContext& ctx, const Json& input);
Result<Json> HandleGetAccessKeyInfo(RequestContext& ctx, const Json& input);
Result<Json> HandleDecodeAuthorizationMessage(RequestContext& ctx, const Json& input);
Result<Json> HandleGetFederationToken(RequestContext& ctx, const Json& input);
Result<Json> HandleAssumeRoleWithSAML(RequestContext& ctx, const Json& input);
Status CompleteAuthorization(RequestContext& ctx, const OperationSpec& op, const Json& input,
                             AuthorizationRequest* authz);

namespace {

constexpr std::string_view kAssumeRoleKeys[] = {
    "aws:RequestTag/${TagKey}", "aws:TagKeys",        "iam:ResourceTag/${TagKey}", "sts:ExternalId",
    "sts:RoleSessionName",      "sts:SourceIdentity", "sts:TransitiveTagKeys"};

constexpr std::string_view kRequestTagKeys[] = {"aws:RequestTag/${TagKey}", "aws:TagKeys"};

constexpr OperationSpec kOperations[] = {
    // name, IAM action, resource, condition keys, mutates, handler
    {"GetCallerIdentity",
     "sts:GetCallerIdentity",
     "*",
     {},
     Mutates::kNo,
     &HandleGetCallerIdentity,
     Access::kAnyCaller},
    {"AssumeRole", "sts:AssumeRole", "{RoleArn}", kAssumeRoleKeys, Mutates::kYes,
     &HandleAssumeRole},
    // AWS requires no permission for GetSessionToken.
    {"GetSessionToken",
     "sts:GetSessionToken",
     "*",
     {},
     Mutates::kYes,
     &HandleGetSessionToken,
     Access::kAnyCaller},
    // web_identity.cc: unsigned; the token authenticates, the trust policy authorizes.
    {"AssumeRoleWithWebIdentity",
     "sts:AssumeRoleWithWebIdentity",
     "{RoleArn}",
     {},
     Mutates::kYes,
     &HandleAssumeRoleWithWebIdentity,
     Access::kUnsigned},
    // identity.cc
    {"GetAccessKeyInfo", "sts:GetAccessKeyInfo", "*", {}, Mutates::kNo, &HandleGetAccessKeyInfo},
    {"DecodeAuthorizationMessage", "sts:DecodeAuthorizationMessage", "*", {}, Mutates::kNo,
     &HandleDecodeAuthorizationMessage},
    // federation.cc
    {"GetFederationToken", "sts:GetFederationToken",
     "arn:aws:sts::{account}:federated-user/{Name}", kRequestTagKeys, Mutates::kYes,
     &HandleGetFederationToken},
    // saml.cc: unsigned; the SAML response authenticates, the trust policy authorizes.
    {"AssumeRoleWithSAML", "sts:AssumeRoleWithSAML", "{RoleArn}", {}, Mutates::kYes,
     &HandleAssumeRoleWithSAML, Access::kUnsigned},
};

constexpr ServiceSpec kService{"sts", kOperations, &CompleteAuthorization};

}  // namespace

const ServiceSpec& Service() { return kService; }

}  // namespace bulwark::sts
