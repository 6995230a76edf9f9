// IAM users' access keys. The key itself (sealed secret, owner, status) lives in the
// credential store that SigV4 authentication reads; IAM keeps an index of each user's
// keys next to the user. A deleted or deactivated key stops working on the next request.
#include "auth/credential_store.h"
#include "auth/ids.h"
#include "services/iam/common.h"
#include "services/iam/handlers.h"

namespace bulwark::iam {
namespace {

// UserName when given, else the calling IAM user. Root access keys are the operator's
// (bulwark serve creates them), so the root user must name a user.
Result<std::string> KeyOwner(const RequestContext& ctx, const Json& input) {
  if (auto it = input.find("UserName"); it != input.end() && it->is_string()) {
    return it->get<std::string>();
  }
  if (ctx.caller.type == Principal::Type::kIAMUser) return UserNameOfArn(ctx.caller.arn);
  return InvalidInput(
      "UserName is required: the root user's access keys are managed by the "
      "operator of this server.");
}

Status KeyNotFound(std::string_view akid) {
  return NoSuchEntity("The Access Key with id " + std::string(akid) + " cannot be found.");
}

// The key's credential record, checked to belong to `user` of this account.
Result<auth::AccessKeyInfo> UserKey(RequestContext& ctx, storage::Transaction& txn,
                                    std::string_view user, std::string_view akid) {
  ASSIGN_OR_RETURN(std::optional<std::string> indexed,
                   txn.Get(UserKeyPrefix(ctx.caller.account_id, user) + std::string(akid)));
  if (!indexed) return KeyNotFound(akid);
  ASSIGN_OR_RETURN(std::optional<auth::AccessKeyInfo> info,
                   ctx.env->credentials->InfoIn(txn, akid));
  if (!info) return KeyNotFound(akid);
  return std::move(*info);
}

}  // namespace

Result<Json> CreateAccessKey(RequestContext& ctx, const Json& input) {
  const std::string& account = ctx.caller.account_id;
  ASSIGN_OR_RETURN(std::string name, KeyOwner(ctx, input));
  ASSIGN_OR_RETURN(auto txn, BeginWrite(ctx));
  ASSIGN_OR_RETURN(Json user, LoadEntity(*txn, account, Kind::kUser, name));
  ASSIGN_OR_RETURN(size_t keys, Count(*txn, UserKeyPrefix(account, name)));
  if (keys >= kMaxAccessKeysPerUser) {
    return LimitExceeded("Cannot exceed quota for AccessKeysPerUser: " +
                         std::to_string(kMaxAccessKeysPerUser));
  }
  Principal owner;
  owner.type = Principal::Type::kIAMUser;
  owner.account_id = account;
  owner.arn = user["Arn"].get<std::string>();
  owner.user_id = user["UserId"].get<std::string>();
  const std::string akid = ids::NewAccessKeyId("AKIA", account);
  SecretBytes secret = ids::NewSecretAccessKey();
  const int64_t now = Now(ctx);
  const std::string user_name = user["UserName"].get<std::string>();
  RETURN_IF_ERROR(ctx.env->credentials->CreateIn(*txn, owner, user_name, akid, secret, now));
  RETURN_IF_ERROR(Save(*txn, UserKeyPrefix(account, name) + akid,
                       Json{{"AccessKeyId", akid}, {"CreateDate", now}}));
  RETURN_IF_ERROR(Commit(ctx, *txn));
  // The only time the secret is shown.
  return Json{{"AccessKey",
               {{"UserName", user_name},
                {"AccessKeyId", akid},
                {"Status", "Active"},
                {"SecretAccessKey", std::string(secret.view())},
                {"CreateDate", now}}}};
}

Result<Json> ListAccessKeys(RequestContext& ctx, const Json& input) {
  const std::string& account = ctx.caller.account_id;
  ASSIGN_OR_RETURN(std::string name, KeyOwner(ctx, input));
  ASSIGN_OR_RETURN(auto txn, BeginRead(ctx));
  ASSIGN_OR_RETURN(Json user, LoadEntity(*txn, account, Kind::kUser, name));
  ASSIGN_OR_RETURN(std::vector<storage::KeyValue> rows, txn->Scan(UserKeyPrefix(account, name)));
  Json items = Json::array();
  for (const storage::KeyValue& row : rows) {
    std::string akid = row.key.substr(row.key.rfind('/') + 1);
    ASSIGN_OR_RETURN(std::optional<auth::AccessKeyInfo> info,
                     ctx.env->credentials->InfoIn(*txn, akid));
    if (!info) continue;
    items.push_back({{"UserName", user["UserName"]},
                     {"AccessKeyId", akid},
                     {"Status", info->active ? "Active" : "Inactive"},
                     {"CreateDate", info->create_date}});
  }
  ASSIGN_OR_RETURN(Page page, PageOf(items, input));
  return PageOutput(std::move(page), "AccessKeyMetadata");
}

Result<Json> UpdateAccessKey(RequestContext& ctx, const Json& input) {
  ASSIGN_OR_RETURN(std::string name, KeyOwner(ctx, input));
  const std::string akid = input.at("AccessKeyId").get<std::string>();
  const bool active = input.at("Status").get<std::string>() == "Active";
  ASSIGN_OR_RETURN(auto txn, BeginWrite(ctx));
  RETURN_IF_ERROR(LoadEntity(*txn, ctx.caller.account_id, Kind::kUser, name).status());
  RETURN_IF_ERROR(UserKey(ctx, *txn, name, akid).status());
  RETURN_IF_ERROR(ctx.env->credentials->SetActiveIn(*txn, akid, active));
  RETURN_IF_ERROR(Commit(ctx, *txn));
  ctx.env->credentials->Forget(akid);
  return Json::object();
}

Result<Json> DeleteAccessKey(RequestContext& ctx, const Json& input) {
  ASSIGN_OR_RETURN(std::string name, KeyOwner(ctx, input));
  const std::string akid = input.at("AccessKeyId").get<std::string>();
  ASSIGN_OR_RETURN(auto txn, BeginWrite(ctx));
  RETURN_IF_ERROR(LoadEntity(*txn, ctx.caller.account_id, Kind::kUser, name).status());
  RETURN_IF_ERROR(UserKey(ctx, *txn, name, akid).status());
  RETURN_IF_ERROR(ctx.env->credentials->DeleteIn(*txn, akid));
  RETURN_IF_ERROR(txn->Delete(UserKeyPrefix(ctx.caller.account_id, name) + akid));
  RETURN_IF_ERROR(Commit(ctx, *txn));
  ctx.env->credentials->Forget(akid);
  return Json::object();
}

Result<Json> GetAccessKeyLastUsed(RequestContext& ctx, const Json& input) {
  const std::string akid = input.at("AccessKeyId").get<std::string>();
  ASSIGN_OR_RETURN(auto txn, BeginRead(ctx));
  ASSIGN_OR_RETURN(std::optional<auth::AccessKeyInfo> info,
                   ctx.env->credentials->InfoIn(*txn, akid));
  if (!info || info->user_name.empty()) return KeyNotFound(akid);
  // The key must belong to a user of the caller's account.
  ASSIGN_OR_RETURN(std::optional<std::string> indexed,
                   txn->Get(UserKeyPrefix(ctx.caller.account_id, info->user_name) + akid));
  if (!indexed) return KeyNotFound(akid);
  Json last = {{"ServiceName", "N/A"}, {"Region", "N/A"}};
  if (info->last_used_date != 0) {
    last = {{"LastUsedDate", info->last_used_date},
            {"ServiceName", info->last_used_service},
            {"Region", info->last_used_region}};
  }
  return Json{{"UserName", info->user_name}, {"AccessKeyLastUsed", std::move(last)}};
}

}  // namespace bulwark::iam
