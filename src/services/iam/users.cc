// IAM users: create, read, list, rename, delete, tags.
#include <algorithm>

#include "auth/credential_store.h"
#include "auth/ids.h"
#include "services/iam/common.h"
#include "services/iam/handlers.h"

namespace bulwark::iam {
namespace {

// The User shape. ListUsers leaves tags and the boundary out, as AWS does.
Json UserOutput(const Json& user, bool full) {
  Json out = {
      {"Path", user["Path"]}, {"UserName", user["UserName"]},     {"UserId", user["UserId"]},
      {"Arn", user["Arn"]},   {"CreateDate", user["CreateDate"]},
  };
  if (full) {
    if (user.contains("PermissionsBoundary")) {
      out["PermissionsBoundary"] = {{"PermissionsBoundaryType", "PermissionsBoundaryPolicy"},
                                    {"PermissionsBoundaryArn", user["PermissionsBoundary"]}};
    }
    if (!user.value("Tags", Json::array()).empty()) out["Tags"] = user["Tags"];
  }
  return out;
}

// UserName when given, else the calling user (AWS: "If you do not specify a user name,
// IAM determines the user name implicitly based on the AWS access key ID used to sign
// the request"). Root callers without a name get a Root-shaped answer from GetUser only.
std::string TargetUser(const RequestContext& ctx, const Json& input) {
  if (auto it = input.find("UserName"); it != input.end() && it->is_string()) {
    return it->get<std::string>();
  }
  return ctx.caller.type == Principal::Type::kIAMUser ? UserNameOfArn(ctx.caller.arn) : "";
}

}  // namespace

std::string UserNameOfArn(std::string_view arn) {
  size_t slash = arn.rfind('/');
  return slash == std::string_view::npos ? std::string() : std::string(arn.substr(slash + 1));
}

std::string NameOf(const Json& input, std::string_view member) {
  return input.at(std::string(member)).get<std::string>();
}

Json::iterator FindName(Json& names, std::string_view name) {
  const std::string lower = Lower(name);
  return std::find_if(names.begin(), names.end(), [&](const Json& n) {
    return n.is_string() && Lower(n.get<std::string>()) == lower;
  });
}

Result<Json> CreateUser(RequestContext& ctx, const Json& input) {
  const std::string& account = ctx.caller.account_id;
  const std::string name = input.at("UserName").get<std::string>();
  ASSIGN_OR_RETURN(std::string path, PathOf(input));
  ASSIGN_OR_RETURN(auto txn, BeginWrite(ctx));
  const std::string key = EntityKey(account, Kind::kUser, name);
  ASSIGN_OR_RETURN(std::optional<Json> existing, Load(*txn, key));
  if (existing) return EntityAlreadyExists("User with name " + name + " already exists.");
  ASSIGN_OR_RETURN(size_t users, Count(*txn, KindPrefix(account, Kind::kUser)));
  if (users >= kMaxUsers) {
    return LimitExceeded("Cannot exceed quota for UsersPerAccount: " + std::to_string(kMaxUsers));
  }
  Json user = {
      {"UserName", name},
      {"UserId", ids::NewUniqueId("AIDA")},
      {"Path", path},
      {"Arn", Arn(account, Kind::kUser, path, name)},
      {"CreateDate", Now(ctx)},
      {"Tags", Json::array()},
      {"InlinePolicies", Json::object()},
      {"AttachedPolicies", Json::array()},
      {"Groups", Json::array()},
  };
  if (auto it = input.find("Tags"); it != input.end()) {
    ASSIGN_OR_RETURN(user["Tags"], MergeTags(Json::array(), *it));
  }
  if (auto it = input.find("PermissionsBoundary"); it != input.end()) {
    RETURN_IF_ERROR(CheckBoundaryPolicy(*txn, account, it->get<std::string>()));
    RETURN_IF_ERROR(AdjustBoundaryUsage(*txn, account, *it, +1));
    user["PermissionsBoundary"] = *it;
  }
  RETURN_IF_ERROR(Save(*txn, key, user));
  RETURN_IF_ERROR(Commit(ctx, *txn));
  return Json{{"User", UserOutput(user, true)}};
}

Result<Json> GetUser(RequestContext& ctx, const Json& input) {
  std::string name = TargetUser(ctx, input);
  if (name.empty()) {
    // The root user, answered the way AWS does for root credentials.
    return Json{{"User",
                 {{"UserId", ctx.caller.account_id},
                  {"Arn", ctx.caller.arn},
                  {"CreateDate", 0},
                  {"Path", "/"},
                  {"UserName", ""}}}};
  }
  ASSIGN_OR_RETURN(auto txn, BeginRead(ctx));
  ASSIGN_OR_RETURN(Json user, LoadEntity(*txn, ctx.caller.account_id, Kind::kUser, name));
  return Json{{"User", UserOutput(user, true)}};
}

Result<Json> ListUsers(RequestContext& ctx, const Json& input) {
  const std::string prefix = input.value("PathPrefix", "/");
  ASSIGN_OR_RETURN(auto txn, BeginRead(ctx));
  ASSIGN_OR_RETURN(Page page,
                   ListRecords(
                       *txn, KindPrefix(ctx.caller.account_id, Kind::kUser), input,
                       [&](const Json& u) { return u.value("Path", "/").starts_with(prefix); },
                       [](const Json& u) { return UserOutput(u, false); }));
  return PageOutput(std::move(page), "Users");
}

Result<Json> UpdateUser(RequestContext& ctx, const Json& input) {
  const std::string& account = ctx.caller.account_id;
  const std::string name = input.at("UserName").get<std::string>();
  ASSIGN_OR_RETURN(auto txn, BeginWrite(ctx));
  ASSIGN_OR_RETURN(Json user, LoadEntity(*txn, account, Kind::kUser, name));
  if (input.contains("NewPath")) {
    ASSIGN_OR_RETURN(std::string path, PathOf(input, "NewPath"));
    user["Path"] = path;
  }
  std::string new_name = input.value("NewUserName", user["UserName"].get<std::string>());
  const bool renamed = new_name != user["UserName"].get<std::string>();
  if (renamed && Lower(new_name) != Lower(name)) {
    ASSIGN_OR_RETURN(std::optional<Json> clash,
                     Load(*txn, EntityKey(account, Kind::kUser, new_name)));
    if (clash) return EntityAlreadyExists("User with name " + new_name + " already exists.");
  }
  if (renamed) {
    for (const Json& group_name : user["Groups"]) {
      ASSIGN_OR_RETURN(Json group,
                       LoadEntity(*txn, account, Kind::kGroup, group_name.get<std::string>()));
      for (Json& member : group["Members"]) {
        if (Lower(member.get<std::string>()) == Lower(name)) member = new_name;
      }
      RETURN_IF_ERROR(Save(
          *txn, EntityKey(account, Kind::kGroup, group["GroupName"].get<std::string>()), group));
    }
    // Its MFA devices name their user too.
    for (const Json& serial : user.value("MFADevices", Json::array())) {
      const std::string& s = serial.get_ref<const std::string&>();
      const std::string key = MfaDeviceKey(account, s.substr(s.rfind('/') + 1));
      ASSIGN_OR_RETURN(std::optional<Json> device, Load(*txn, key));
      if (!device) continue;
      (*device)["User"] = new_name;
      RETURN_IF_ERROR(Save(*txn, key, *device));
    }
    RETURN_IF_ERROR(txn->Delete(EntityKey(account, Kind::kUser, name)));
    user["UserName"] = new_name;
  }
  user["Arn"] = Arn(account, Kind::kUser, user["Path"].get<std::string>(), new_name);
  // The user's access keys follow it to its new name and ARN.
  ASSIGN_OR_RETURN(std::vector<storage::KeyValue> keys, txn->Scan(UserKeyPrefix(account, name)));
  std::vector<std::string> moved;
  for (const storage::KeyValue& row : keys) {
    std::string akid = row.key.substr(row.key.rfind('/') + 1);
    RETURN_IF_ERROR(
        ctx.env->credentials->SetOwnerIn(*txn, akid, user["Arn"].get<std::string>(), new_name));
    RETURN_IF_ERROR(txn->Delete(row.key));
    RETURN_IF_ERROR(txn->Put(UserKeyPrefix(account, new_name) + akid, row.value));
    moved.push_back(std::move(akid));
  }
  RETURN_IF_ERROR(Save(*txn, EntityKey(account, Kind::kUser, new_name), user));
  RETURN_IF_ERROR(Commit(ctx, *txn));
  for (const std::string& akid : moved) ctx.env->credentials->Forget(akid);
  return Json::object();
}

Result<Json> DeleteUser(RequestContext& ctx, const Json& input) {
  const std::string& account = ctx.caller.account_id;
  const std::string name = input.at("UserName").get<std::string>();
  ASSIGN_OR_RETURN(auto txn, BeginWrite(ctx));
  ASSIGN_OR_RETURN(Json user, LoadEntity(*txn, account, Kind::kUser, name));
  // AWS refuses while anything still belongs to the user, in this order.
  if (user.contains("LoginProfile")) {
    return DeleteConflict("Cannot delete entity, must delete login profile first.");
  }
  ASSIGN_OR_RETURN(std::vector<storage::KeyValue> keys, txn->Scan(UserKeyPrefix(account, name)));
  if (!keys.empty()) return DeleteConflict("Cannot delete entity, must delete access keys first.");
  if (!user["InlinePolicies"].empty()) {
    return DeleteConflict("Cannot delete entity, must delete policies first.");
  }
  if (!user["AttachedPolicies"].empty()) {
    return DeleteConflict("Cannot delete entity, must detach all policies first.");
  }
  if (!user["Groups"].empty()) {
    return DeleteConflict("Cannot delete entity, must remove users from group first.");
  }
  if (!user.value("MFADevices", Json::array()).empty()) {
    return DeleteConflict("Cannot delete entity, must delete MFA device first.");
  }
  if (user.contains("PermissionsBoundary")) {
    RETURN_IF_ERROR(AdjustBoundaryUsage(*txn, account, user["PermissionsBoundary"], -1));
  }
  RETURN_IF_ERROR(txn->Delete(EntityKey(account, Kind::kUser, name)));
  RETURN_IF_ERROR(Commit(ctx, *txn));
  return Json::object();
}

Result<Json> TagUser(RequestContext& ctx, const Json& input) {
  const std::string& account = ctx.caller.account_id;
  const std::string name = input.at("UserName").get<std::string>();
  ASSIGN_OR_RETURN(auto txn, BeginWrite(ctx));
  ASSIGN_OR_RETURN(Json user, LoadEntity(*txn, account, Kind::kUser, name));
  ASSIGN_OR_RETURN(user["Tags"], MergeTags(user["Tags"], input.at("Tags")));
  RETURN_IF_ERROR(Save(*txn, EntityKey(account, Kind::kUser, name), user));
  RETURN_IF_ERROR(Commit(ctx, *txn));
  return Json::object();
}

Result<Json> UntagUser(RequestContext& ctx, const Json& input) {
  const std::string& account = ctx.caller.account_id;
  const std::string name = input.at("UserName").get<std::string>();
  ASSIGN_OR_RETURN(auto txn, BeginWrite(ctx));
  ASSIGN_OR_RETURN(Json user, LoadEntity(*txn, account, Kind::kUser, name));
  user["Tags"] = RemoveTags(user["Tags"], input.at("TagKeys"));
  RETURN_IF_ERROR(Save(*txn, EntityKey(account, Kind::kUser, name), user));
  RETURN_IF_ERROR(Commit(ctx, *txn));
  return Json::object();
}

Result<Json> ListUserTags(RequestContext& ctx, const Json& input) {
  ASSIGN_OR_RETURN(auto txn, BeginRead(ctx));
  ASSIGN_OR_RETURN(Json user, LoadEntity(*txn, ctx.caller.account_id, Kind::kUser,
                                         input.at("UserName").get<std::string>()));
  ASSIGN_OR_RETURN(Page page, PageOf(user["Tags"], input));
  return PageOutput(std::move(page), "Tags");
}

}  // namespace bulwark::iam
