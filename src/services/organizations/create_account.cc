// Creating accounts: CreateAccount, DescribeCreateAccountStatus, ListCreateAccountStatus.
//
// AWS creates an account in the background and answers IN_PROGRESS; Bulwark creates it
// in the request's transaction, so the answer is already SUCCEEDED (or FAILED, with the
// reason AWS would report in the status later, such as EMAIL_ALREADY_EXISTS). Clients
// written for AWS poll DescribeCreateAccountStatus until the state is no longer
// IN_PROGRESS, which they see at once.
//
// Each request's status is a record "organizations/create-account-status/car-ID" holding
// the CreateAccountStatus shape, so that statuses outlive restarts as in AWS.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <set>

#include "crypto/crypto.h"
#include "services/iam/handlers.h"
#include "services/organizations/directory.h"
#include "services/organizations/handlers.h"

namespace bulwark::organizations {
namespace {

constexpr std::string_view kStatusPrefix = "organizations/create-account-status/";
constexpr std::string_view kDefaultRoleName = "OrganizationAccountAccessRole";
constexpr std::string_view kAdministratorAccess = "arn:aws:iam::aws:policy/AdministratorAccess";
// "car-" and 8 to 32 lowercase letters or digits; AWS's are 32 long.
constexpr size_t kRequestIdChars = 32;

std::string StatusKey(std::string_view id) {
  std::string key(kStatusPrefix);
  key.append(id);
  return key;
}

// The trust policy of the role CreateAccount makes: principals of the management
// account whose own policies allow sts:AssumeRole on it may assume it.
std::string AccessRoleTrustPolicy(std::string_view management_account) {
  Json doc = {
      {"Version", "2012-10-17"},
      {"Statement",
       {{{"Effect", "Allow"},
         {"Principal", {{"AWS", "arn:aws:iam::" + std::string(management_account) + ":root"}}},
         {"Action", "sts:AssumeRole"}}}}};
  return doc.dump();
}

// Tag keys must be unique among one resource's tags (InvalidInputException,
// DUPLICATE_TAG_KEY).
Status CheckTags(const Json& input) {
  auto it = input.find("Tags");
  if (it == input.end() || !it->is_array()) return Status::Ok();
  std::set<std::string> keys;
  for (const Json& tag : *it) {
    if (!keys.insert(tag.value("Key", "")).second) {
      return InvalidInput("Duplicate tag keys are not allowed.");
    }
  }
  return Status::Ok();
}

// Whether an account of the data directory already has the address. Addresses compare
// without regard to case, as mail domains do and as AWS's sign-up treats them.
Result<bool> EmailTaken(storage::Transaction& txn, std::string_view email) {
  ASSIGN_OR_RETURN(std::vector<Json> accounts, ListAccountsIn(txn));
  const std::string wanted = iam::Lower(email);
  return std::any_of(accounts.begin(), accounts.end(),
                     [&](const Json& a) { return iam::Lower(EmailOf(a)) == wanted; });
}

// A status's place in listings: oldest request first, then by id. Zero-padded so that
// the positions order as strings, which NextToken relies on.
std::string Position(const Json& status) {
  char ts[24];
  std::snprintf(ts, sizeof(ts), "%020lld",
                static_cast<long long>(status.value("RequestedTimestamp", int64_t{0})));
  return std::string(ts) + "/" + status.value("Id", "");
}

bool IsPosition(std::string_view s) {
  return s.size() > 21 && s[20] == '/' && std::all_of(s.begin(), s.begin() + 20, [](char c) {
           return std::isdigit(static_cast<unsigned char>(c)) != 0;
         });
}

}  // namespace

Result<Json> CreateAccount(RequestContext& ctx, const Json& input) {
  const std::string email = input.at("Email").get<std::string>();
  const std::string name = input.at("AccountName").get<std::string>();
  const std::string role_name = input.value("RoleName", std::string(kDefaultRoleName));
  RETURN_IF_ERROR(CheckTags(input));
  ASSIGN_OR_RETURN(auto txn, iam::BeginWrite(ctx));
  ASSIGN_OR_RETURN(Json org, OrganizationOfManagement(ctx, *txn));
  const int64_t now = iam::Now(ctx);
  Json status = {{"Id", "car-" + crypto::RandomString("abcdefghijklmnopqrstuvwxyz0123456789",
                                                      kRequestIdChars)},
                 {"AccountName", name},
                 {"RequestedTimestamp", now}};
  ASSIGN_OR_RETURN(bool taken, EmailTaken(*txn, email));
  if (taken) {
    // AWS accepts the request and reports the failure in its status.
    status["State"] = "FAILED";
    status["FailureReason"] = "EMAIL_ALREADY_EXISTS";
  } else {
    ASSIGN_OR_RETURN(std::string id, NewAccountIdIn(*txn));
    Json record = NewAccountRecord(id, email, name, kJoinedCreated, now);
    record["iam_user_access_to_billing"] = input.value("IamUserAccessToBilling", "ALLOW");
    if (auto it = input.find("Tags"); it != input.end()) record["tags"] = *it;
    RETURN_IF_ERROR(PutNewAccountIn(*txn, record));
    // The role that lets the management account administer the new one.
    const Json role = {
        {"RoleName", role_name},
        {"AssumeRolePolicyDocument", AccessRoleTrustPolicy(org.value("MasterAccountId", ""))}};
    RETURN_IF_ERROR(iam::CreateRoleIn(ctx, *txn, id, role).status());
    RETURN_IF_ERROR(
        iam::AttachEntityPolicyIn(*txn, id, iam::kRoleRef, role_name, kAdministratorAccess)
            .status());
    status["State"] = "SUCCEEDED";
    status["AccountId"] = id;
  }
  status["CompletedTimestamp"] = now;
  RETURN_IF_ERROR(iam::Save(*txn, StatusKey(status["Id"].get<std::string>()), status));
  // Through IAM's Commit: the new role must be seen by the next AssumeRole.
  RETURN_IF_ERROR(iam::Commit(ctx, *txn));
  return Json{{"CreateAccountStatus", std::move(status)}};
}

Result<Json> DescribeCreateAccountStatus(RequestContext& ctx, const Json& input) {
  const std::string id = input.at("CreateAccountRequestId").get<std::string>();
  ASSIGN_OR_RETURN(auto txn, iam::BeginRead(ctx));
  RETURN_IF_ERROR(OrganizationOfManagement(ctx, *txn).status());
  ASSIGN_OR_RETURN(std::optional<Json> status, iam::Load(*txn, StatusKey(id)));
  if (!status) {
    return Status::Service(
        "CreateAccountStatusNotFoundException", 400,
        "We can't find an create account request with the CreateAccountRequestId that you "
        "specified.");
  }
  return Json{{"CreateAccountStatus", std::move(*status)}};
}

Result<Json> ListCreateAccountStatus(RequestContext& ctx, const Json& input) {
  const size_t max_results = MaxResultsOf(input);
  ASSIGN_OR_RETURN(std::string after, DecodeToken(input));
  if (!after.empty() && !IsPosition(after)) {
    return InvalidInput("The specified NextToken is not valid.");
  }
  std::set<std::string> states;
  if (auto it = input.find("States"); it != input.end() && it->is_array()) {
    for (const Json& s : *it) states.insert(s.get<std::string>());
  }
  ASSIGN_OR_RETURN(auto txn, iam::BeginRead(ctx));
  RETURN_IF_ERROR(OrganizationOfManagement(ctx, *txn).status());
  ASSIGN_OR_RETURN(std::vector<storage::KeyValue> rows, txn->Scan(kStatusPrefix));
  std::vector<std::pair<std::string, Json>> matching;
  for (const storage::KeyValue& row : rows) {
    Json status = Json::parse(row.value, nullptr, /*allow_exceptions=*/false);
    if (!status.is_object()) continue;
    if (!states.empty() && !states.contains(status.value("State", ""))) continue;
    std::string position = Position(status);
    if (!after.empty() && position <= after) continue;
    matching.emplace_back(std::move(position), std::move(status));
  }
  std::sort(matching.begin(), matching.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  Json out = {{"CreateAccountStatuses", Json::array()}};
  for (size_t i = 0; i < matching.size() && i < max_results; ++i) {
    out["CreateAccountStatuses"].push_back(std::move(matching[i].second));
  }
  if (matching.size() > max_results) {
    out["NextToken"] = EncodeToken(matching[max_results - 1].first);
  }
  return out;
}

}  // namespace bulwark::organizations
