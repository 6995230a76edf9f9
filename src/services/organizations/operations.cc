// Organizations: the operation table. One row per operation Bulwark implements;
// operations of the model not listed here answer with UnknownOperationException.
// Actions, resources and condition keys from the Service Authorization Reference.
#include "services/iam/common.h"
#include "services/organizations/directory.h"
#include "services/organizations/handlers.h"
#include "services/organizations/organizations.h"

namespace bulwark::organizations {
namespace {

constexpr std::string_view kRequestTagKeys[] = {"aws:RequestTag/${TagKey}", "aws:TagKeys"};

constexpr OperationSpec kOperations[] = {
    // name, IAM action, resource, condition keys, mutates, handler
    // organization.cc
    {"DescribeOrganization",
     "organizations:DescribeOrganization",
     "*",
     {},
     Mutates::kNo,
     &DescribeOrganization},
    {"CreateOrganization",
     "organizations:CreateOrganization",
     "*",
     {},
     Mutates::kYes,
     &CreateOrganization},
    {"ListAccounts", "organizations:ListAccounts", "*", {}, Mutates::kNo, &ListAccounts},
    // The resource is completed by CompleteAuthorization: the organization's id is not
    // in the input.
    {"DescribeAccount",
     "organizations:DescribeAccount",
     "arn:aws:organizations::{account}:account/{AccountId}",
     {},
     Mutates::kNo,
     &DescribeAccount},
    // create_account.cc
    {"CreateAccount", "organizations:CreateAccount", "*", kRequestTagKeys, Mutates::kYes,
     &CreateAccount},
    {"DescribeCreateAccountStatus",
     "organizations:DescribeCreateAccountStatus",
     "*",
     {},
     Mutates::kNo,
     &DescribeCreateAccountStatus},
    {"ListCreateAccountStatus",
     "organizations:ListCreateAccountStatus",
     "*",
     {},
     Mutates::kNo,
     &ListCreateAccountStatus},
};

constexpr ServiceSpec kService{"organizations", kOperations, &CompleteAuthorization};

}  // namespace

Status CompleteAuthorization(RequestContext& ctx, const OperationSpec& op, const Json& input,
                             AuthorizationRequest* authz) {
  // "If the request includes tags, then the requester must have the
  // organizations:TagResource permission." (CreateAccount's API reference)
  if (op.name == "CreateAccount" && input.contains("Tags")) {
    authz->additional_actions.push_back("organizations:TagResource");
  }
  if (op.name == "DescribeAccount") {
    ASSIGN_OR_RETURN(auto txn, iam::BeginRead(ctx));
    ASSIGN_OR_RETURN(std::optional<Json> org, LoadOrganizationIn(*txn));
    if (org) authz->context.resource = AccountArn(*org, input.value("AccountId", ""));
  }
  return Status::Ok();
}

const ServiceSpec& Service() { return kService; }

}  // namespace bulwark::organizations
