// The organization and its accounts: DescribeOrganization, CreateOrganization,
// ListAccounts, DescribeAccount; and the errors, caller checks and paging every
// Organizations handler shares.
#include <algorithm>
#include <optional>

#include "auth/ids.h"
#include "crypto/crypto.h"
#include "services/iam/common.h"
#include "services/organizations/directory.h"
#include "services/organizations/handlers.h"

namespace bulwark::organizations {
namespace {

constexpr size_t kDefaultMaxResults = 20;

}  // namespace

Status ManagementOnly() {
  // What AWS answers a member account's ListAccounts, ListRoots, ListPolicies...
  return Status(ErrorKind::kAccessDenied, "You don't have permissions to access this resource.");
}

Status NotInUse() {
  return Status::Service("AWSOrganizationsNotInUseException", 400,
                         "Your account is not a member of an organization.");
}

Status InvalidInput(std::string message) {
  return Status::Service("InvalidInputException", 400, std::move(message));
}

Result<Json> OrganizationOf(RequestContext& ctx, storage::Transaction& txn) {
  ASSIGN_OR_RETURN(std::optional<Json> org, LoadOrganizationIn(txn));
  if (!org) return NotInUse();
  if (ctx.caller.account_id != org->value("MasterAccountId", "")) {
    // Every account of the data directory is a member.
    ASSIGN_OR_RETURN(std::optional<Json> member, LoadAccountIn(txn, ctx.caller.account_id));
    if (!member) return NotInUse();
  }
  return std::move(*org);
}

Result<Json> OrganizationOfManagement(RequestContext& ctx, storage::Transaction& txn) {
  ASSIGN_OR_RETURN(Json org, OrganizationOf(ctx, txn));
  if (ctx.caller.account_id != org.value("MasterAccountId", "")) return ManagementOnly();
  return org;
}

size_t MaxResultsOf(const Json& input) {
  auto it = input.find("MaxResults");
  if (it == input.end() || !it->is_number_integer() || it->get<int64_t>() < 1) {
    return kDefaultMaxResults;
  }
  // The model bounds it to 20, which is also the default.
  return std::min(static_cast<size_t>(it->get<int64_t>()), kDefaultMaxResults);
}

std::string EncodeToken(std::string_view position) { return crypto::Base64Encode(position); }

Result<std::string> DecodeToken(const Json& input) {
  auto it = input.find("NextToken");
  if (it == input.end() || !it->is_string()) return std::string();
  std::optional<std::string> raw = crypto::Base64Decode(it->get<std::string>());
  if (!raw || raw->empty()) return InvalidInput("The specified NextToken is not valid.");
  return std::move(*raw);
}

Json AccountOutput(const Json& account, const Json& organization) {
  const std::string id = account.value("account_id", "");
  return Json{{"Id", id},
              {"Arn", AccountArn(organization, id)},
              {"Email", EmailOf(account)},
              {"Name", NameOf(account, organization)},
              // Both members: State replaces Status, which AWS still returns.
              {"Status", "ACTIVE"},
              {"State", "ACTIVE"},
              {"JoinedMethod", JoinedMethodOf(account, organization)},
              {"JoinedTimestamp", JoinedTimestampOf(account, organization)}};
}

Result<Json> DescribeOrganization(RequestContext& ctx, const Json& input) {
  // Member accounts may describe their organization too.
  ASSIGN_OR_RETURN(auto txn, iam::BeginRead(ctx));
  ASSIGN_OR_RETURN(Json org, OrganizationOf(ctx, *txn));
  const std::string management = org.value("MasterAccountId", "");
  ASSIGN_OR_RETURN(std::optional<Json> account, LoadAccountIn(*txn, management));
  Json out = {{"Id", org["Id"]},
              {"Arn", OrganizationArn(org)},
              {"FeatureSet", "ALL"},
              {"MasterAccountArn", AccountArn(org, management)},
              {"MasterAccountId", management},
              {"MasterAccountEmail", account ? EmailOf(*account) : PlaceholderEmail(management)},
              // Deprecated by AWS, and Bulwark enforces no organization policy type.
              {"AvailablePolicyTypes", Json::array()}};
  return Json{{"Organization", std::move(out)}};
}

Result<Json> CreateOrganization(RequestContext& ctx, const Json& input) {
  // The data directory's accounts always form one organization.
  ASSIGN_OR_RETURN(auto txn, iam::BeginRead(ctx));
  RETURN_IF_ERROR(OrganizationOf(ctx, *txn).status());
  return Status::Service("AlreadyInOrganizationException", 400,
                         "The AWS account is already a member of an organization.");
}

Result<Json> ListAccounts(RequestContext& ctx, const Json& input) {
  const size_t max_results = MaxResultsOf(input);
  ASSIGN_OR_RETURN(std::string after, DecodeToken(input));
  if (!after.empty() && !ids::IsAccountId(after)) {
    return InvalidInput("The specified NextToken is not valid.");
  }
  ASSIGN_OR_RETURN(auto txn, iam::BeginRead(ctx));
  ASSIGN_OR_RETURN(Json org, OrganizationOfManagement(ctx, *txn));
  // One more than a page tells whether another page follows.
  ASSIGN_OR_RETURN(std::vector<Json> accounts, ListAccountsIn(*txn, after, max_results + 1));
  Json out = {{"Accounts", Json::array()}};
  for (size_t i = 0; i < accounts.size() && i < max_results; ++i) {
    out["Accounts"].push_back(AccountOutput(accounts[i], org));
  }
  if (accounts.size() > max_results) {
    out["NextToken"] = EncodeToken(accounts[max_results - 1].value("account_id", ""));
  }
  return out;
}

Result<Json> DescribeAccount(RequestContext& ctx, const Json& input) {
  const std::string id = input.at("AccountId").get<std::string>();
  ASSIGN_OR_RETURN(auto txn, iam::BeginRead(ctx));
  ASSIGN_OR_RETURN(Json org, OrganizationOfManagement(ctx, *txn));
  ASSIGN_OR_RETURN(std::optional<Json> account, LoadAccountIn(*txn, id));
  if (!account) {
    return Status::Service("AccountNotFoundException", 400,
                           "You specified an account that doesn't exist.");
  }
  (*account)["account_id"] = id;
  return Json{{"Account", AccountOutput(*account, org)}};
}

}  // namespace bulwark::organizations
