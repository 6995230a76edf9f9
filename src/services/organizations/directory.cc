#include "services/organizations/directory.h"

#include "auth/ids.h"
#include "crypto/crypto.h"

namespace bulwark::organizations {
namespace {

constexpr std::string_view kLowerAlnum = "abcdefghijklmnopqrstuvwxyz0123456789";
// AWS's formats: "o-" and 10 to 32, "r-" and 4 to 32 lowercase letters or digits. The
// shortest, as AWS issues them.
constexpr size_t kOrganizationIdChars = 10;
constexpr size_t kRootIdChars = 4;

Result<std::optional<Json>> LoadJson(storage::Transaction& txn, std::string_view key) {
  ASSIGN_OR_RETURN(std::optional<std::string> raw, txn.Get(key));
  if (!raw) return std::optional<Json>();
  Json record = Json::parse(*raw, nullptr, /*allow_exceptions=*/false);
  if (!record.is_object()) {
    return Status(ErrorKind::kInternalFailure, "corrupt record " + std::string(key));
  }
  return std::optional<Json>(std::move(record));
}

std::string StringOf(const Json& record, const char* member) {
  auto it = record.find(member);
  return it != record.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool IsManagement(const Json& account, const Json& organization) {
  return StringOf(account, "account_id") == StringOf(organization, "MasterAccountId");
}

}  // namespace

std::string AccountKey(std::string_view account_id) {
  std::string key(kAccountsPrefix);
  key.append(account_id);
  return key;
}

Result<std::string> NewAccountIdIn(storage::Transaction& txn) {
  // Account ids are random; try again on the unlikely collision.
  for (int attempt = 0; attempt < 8; ++attempt) {
    std::string id = ids::NewAccountId();
    ASSIGN_OR_RETURN(std::optional<std::string> taken, txn.Get(AccountKey(id)));
    if (!taken) return id;
  }
  return Status(ErrorKind::kInternalFailure, "no free account id found");
}

Json NewAccountRecord(std::string_view account_id, std::string_view email, std::string_view name,
                      std::string_view joined_method, int64_t now) {
  return Json{{"account_id", account_id},
              {"email", email},
              {"name", name},
              {"joined_method", joined_method},
              {"joined_timestamp", now}};
}

Status PutNewAccountIn(storage::Transaction& txn, const Json& record) {
  const std::string key = AccountKey(StringOf(record, "account_id"));
  ASSIGN_OR_RETURN(std::optional<std::string> taken, txn.Get(key));
  if (taken) return Status(ErrorKind::kInternalFailure, "account id collision");
  return txn.Put(key, record.dump());
}

Result<std::optional<Json>> LoadAccountIn(storage::Transaction& txn, std::string_view account_id) {
  return LoadJson(txn, AccountKey(account_id));
}

Result<std::vector<Json>> ListAccountsIn(storage::Transaction& txn, std::string_view start_after,
                                         size_t limit) {
  const std::string after = start_after.empty() ? std::string() : AccountKey(start_after);
  ASSIGN_OR_RETURN(std::vector<storage::KeyValue> rows, txn.Scan(kAccountsPrefix, after, limit));
  std::vector<Json> out;
  out.reserve(rows.size());
  for (const storage::KeyValue& row : rows) {
    Json record = Json::parse(row.value, nullptr, /*allow_exceptions=*/false);
    if (!record.is_object()) {
      return Status(ErrorKind::kInternalFailure, "corrupt record " + row.key);
    }
    // The key names the account; older records may lack nothing else that matters.
    record["account_id"] = row.key.substr(kAccountsPrefix.size());
    out.push_back(std::move(record));
  }
  return out;
}

Result<Json> EnsureOrganizationIn(storage::Transaction& txn, std::string_view management_account_id,
                                  int64_t now) {
  ASSIGN_OR_RETURN(std::optional<Json> existing, LoadJson(txn, kOrganizationKey));
  if (existing && StringOf(*existing, "MasterAccountId") == management_account_id) {
    return std::move(*existing);
  }
  Json org = {{"Id", "o-" + crypto::RandomString(kLowerAlnum, kOrganizationIdChars)},
              {"RootId", "r-" + crypto::RandomString(kLowerAlnum, kRootIdChars)},
              {"MasterAccountId", management_account_id},
              {"CreatedTimestamp", now}};
  RETURN_IF_ERROR(txn.Put(kOrganizationKey, org.dump()));
  return org;
}

Result<std::optional<Json>> LoadOrganizationIn(storage::Transaction& txn) {
  return LoadJson(txn, kOrganizationKey);
}

std::string PlaceholderEmail(std::string_view account_id) {
  return std::string(account_id) + "@bulwark.invalid";
}

std::string EmailOf(const Json& account) {
  std::string email = StringOf(account, "email");
  return email.empty() ? PlaceholderEmail(StringOf(account, "account_id")) : email;
}

std::string NameOf(const Json& account, const Json& organization) {
  std::string name = StringOf(account, "name");
  if (!name.empty()) return name;
  return IsManagement(account, organization) ? "default"
                                             : "account-" + StringOf(account, "account_id");
}

int64_t JoinedTimestampOf(const Json& account, const Json& organization) {
  auto it = account.find("joined_timestamp");
  if (it != account.end() && it->is_number_integer()) return it->get<int64_t>();
  return organization.value("CreatedTimestamp", int64_t{0});
}

std::string JoinedMethodOf(const Json& account, const Json& organization) {
  std::string method = StringOf(account, "joined_method");
  if (!method.empty()) return method;
  // AWS lists the account that made the organization as INVITED.
  return std::string(IsManagement(account, organization) ? kJoinedInvited : kJoinedCreated);
}

std::string AccountArn(const Json& organization, std::string_view account_id) {
  return "arn:aws:organizations::" + StringOf(organization, "MasterAccountId") + ":account/" +
         StringOf(organization, "Id") + "/" + std::string(account_id);
}

std::string OrganizationArn(const Json& organization) {
  return "arn:aws:organizations::" + StringOf(organization, "MasterAccountId") + ":organization/" +
         StringOf(organization, "Id");
}

}  // namespace bulwark::organizations
