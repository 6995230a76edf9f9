// Organizations' operation handlers (one per row of operations.cc) and what they share:
// AWS's Organizations errors, the organization of the caller and NextToken paging.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "services/service.h"
#include "storage/kv.h"

namespace bulwark::organizations {

// What AWS answers a member account that calls an operation only the management
// account may call (ListAccounts, CreateAccount, ...).
Status ManagementOnly();
Status NotInUse();
Status InvalidInput(std::string message);

// The organization, which the data directory always has (server/bootstrap.cc makes it);
// AWSOrganizationsNotInUseException without one, or when the caller's account is not in
// the data directory.
Result<Json> OrganizationOf(RequestContext& ctx, storage::Transaction& txn);
// The organization, for operations only its management account may call.
Result<Json> OrganizationOfManagement(RequestContext& ctx, storage::Transaction& txn);

// MaxResults (1..20, validated by the model), default 20.
size_t MaxResultsOf(const Json& input);
// NextToken values are the base64 of the position after which the next page starts:
// opaque to clients, as AWS's are.
std::string EncodeToken(std::string_view position);
// The position in NextToken ("" without one); InvalidInputException when it is not one
// of ours.
Result<std::string> DecodeToken(const Json& input);

#define BULWARK_ORGANIZATIONS_HANDLER(name) \
  Result<Json> name(RequestContext& ctx, const Json& input)

// organization.cc
BULWARK_ORGANIZATIONS_HANDLER(DescribeOrganization);
BULWARK_ORGANIZATIONS_HANDLER(CreateOrganization);
BULWARK_ORGANIZATIONS_HANDLER(ListAccounts);
BULWARK_ORGANIZATIONS_HANDLER(DescribeAccount);

// create_account.cc
BULWARK_ORGANIZATIONS_HANDLER(CreateAccount);
BULWARK_ORGANIZATIONS_HANDLER(DescribeCreateAccountStatus);
BULWARK_ORGANIZATIONS_HANDLER(ListCreateAccountStatus);

#undef BULWARK_ORGANIZATIONS_HANDLER

// The Account shape of an account's record.
Json AccountOutput(const Json& account, const Json& organization);

// operations.cc: the authorization hook. DescribeAccount's resource is the account's ARN
// in the organization; CreateAccount with tags also needs organizations:TagResource.
Status CompleteAuthorization(RequestContext& ctx, const OperationSpec& op, const Json& input,
                             AuthorizationRequest* authz);

}  // namespace bulwark::organizations
