// Secrets Manager: secret values and their versions — GetSecretValue, PutSecretValue,
// BatchGetSecretValue, ListSecretVersionIds and UpdateSecretVersionStage.
#include <algorithm>

#include "auth/ids.h"
#include "core/error_catalog.h"
#include "services/iam/common.h"
#include "services/secretsmanager/common.h"
#include "services/secretsmanager/handlers.h"
#include "services/service_util.h"

namespace bulwark::secretsmanager {
namespace {

constexpr int64_t kDay = 86400;

// The version a read names: VersionId, VersionStage (AWSCURRENT when neither), or both,
// which must agree.
Result<std::string> VersionToRead(const Json& secret, const Json& input) {
  const std::string id = input.value("VersionId", "");
  const std::string stage = input.value("VersionStage", "");
  const Json& versions = VersionsOf(secret);
  if (!id.empty()) {
    if (!versions.contains(id)) {
      return NotFound("Secrets Manager can't find the specified secret value for VersionId: " + id);
    }
    if (!stage.empty()) {
      const Json& stages = versions[id]["Stages"];
      if (std::find(stages.begin(), stages.end(), Json(stage)) == stages.end()) {
        return InvalidRequest(
            "You provided a VersionStage that is not associated to the provided VersionId.");
      }
    }
    return id;
  }
  const std::string wanted = stage.empty() ? std::string(kCurrent) : stage;
  std::string found = VersionWithStage(secret, wanted);
  if (found.empty()) {
    return NotFound("Secrets Manager can't find the specified secret value for staging label: " +
                    wanted);
  }
  return found;
}

std::string ErrorCodeOf(const Status& st) {
  return st.kind() == ErrorKind::kService ? st.code()
                                          : std::string(LookupError(st.kind()).json_code);
}

// Records the day of an access (AWS keeps LastAccessedDate to the day), on the secret
// and the version, when the day changed: at most one write a day.
Status RecordAccess(RequestContext& ctx, const Json& secret, std::string_view version_id) {
  const int64_t today = iam::Now(ctx) / kDay * kDay;
  const Json& version = secret["Versions"][std::string(version_id)];
  if (secret.value("LastAccessedDate", int64_t{0}) == today &&
      version.value("LastAccessedDate", int64_t{0}) == today) {
    return Status::Ok();
  }
  ASSIGN_OR_RETURN(auto txn, iam::BeginWrite(ctx));
  ASSIGN_OR_RETURN(std::optional<Json> current, FindSecret(*txn, ctx, secret.value("ARN", "")));
  if (!current || !(*current)["Versions"].contains(version_id)) return Status::Ok();
  (*current)["LastAccessedDate"] = today;
  (*current)["Versions"][std::string(version_id)]["LastAccessedDate"] = today;
  RETURN_IF_ERROR(SaveSecret(*txn, *current));
  return txn->Commit();
}

// The value GetSecretValue answers with.
Result<Json> ReadValue(RequestContext& ctx, const Json& input) {
  Json secret;
  std::string version_id;
  std::optional<std::string> stored;
  {
    ASSIGN_OR_RETURN(auto txn, iam::BeginRead(ctx));
    ASSIGN_OR_RETURN(secret, LoadLiveSecret(*txn, ctx, input.value("SecretId", "")));
    ASSIGN_OR_RETURN(version_id, VersionToRead(secret, input));
    ASSIGN_OR_RETURN(stored, txn->Get(ValueKey(secret, version_id)));
  }
  if (!stored) {
    return NotFound("Secrets Manager can't find the specified secret value for VersionId: " +
                    version_id);
  }
  ASSIGN_OR_RETURN(SecretValue value, OpenValue(ctx, secret, version_id, *stored));
  RETURN_IF_ERROR(RecordAccess(ctx, secret, version_id));
  const Json& version = secret["Versions"][version_id];
  Json out = {{"ARN", secret.value("ARN", "")},
              {"Name", secret.value("Name", "")},
              {"VersionId", version_id},
              {"VersionStages", version["Stages"]},
              {"CreatedDate", version.value("Created", int64_t{0})}};
  PutValueInto(value, out);
  return out;
}

}  // namespace

Result<Json> GetSecretValue(RequestContext& ctx, const Json& input) {
  return ReadValue(ctx, input);
}

Result<Json> PutSecretValue(RequestContext& ctx, const Json& input) {
  ASSIGN_OR_RETURN(std::optional<SecretValue> value, ValueOf(input));
  if (!value) return InvalidRequest("You must provide either SecretString or SecretBinary.");
  const std::string version_id = VersionIdOf(input);
  const Json stages = input.contains("VersionStages") ? input["VersionStages"] : Json();
  const int64_t now = iam::Now(ctx);
  Json secret;
  {
    ASSIGN_OR_RETURN(auto txn, iam::BeginRead(ctx));
    ASSIGN_OR_RETURN(secret, LoadLiveSecret(*txn, ctx, input.value("SecretId", "")));
    ASSIGN_OR_RETURN(bool repeat, IsRepeatedWrite(ctx, *txn, secret, version_id, *value));
    if (repeat) {
      return Json{{"ARN", secret.value("ARN", "")},
                  {"Name", secret.value("Name", "")},
                  {"VersionId", version_id},
                  {"VersionStages", secret["Versions"][version_id]["Stages"]}};
    }
  }
  const std::string arn = secret.value("ARN", "");
  ASSIGN_OR_RETURN(std::string sealed, SealValue(ctx, secret, version_id, *value, nullptr));
  ASSIGN_OR_RETURN(auto txn, iam::BeginWrite(ctx));
  ASSIGN_OR_RETURN(Json current, LoadLiveSecret(*txn, ctx, arn));
  if (current.value("KmsKeyId", "") != secret.value("KmsKeyId", "")) {
    return InvalidRequest("The secret's KMS key changed while the value was written; retry.");
  }
  if (current["Versions"].contains(version_id)) {
    return TokenInUse(version_id, arn);
  }
  AddVersion(current, version_id, stages, now);
  RETURN_IF_ERROR(PruneVersions(*txn, current, now));
  current["LastChangedDate"] = now;
  RETURN_IF_ERROR(txn->Put(ValueKey(current, version_id), sealed));
  RETURN_IF_ERROR(SaveSecret(*txn, current));
  RETURN_IF_ERROR(txn->Commit());
  return Json{{"ARN", arn},
              {"Name", current.value("Name", "")},
              {"VersionId", version_id},
              {"VersionStages", current["Versions"][version_id]["Stages"]}};
}

Result<Json> BatchGetSecretValue(RequestContext& ctx, const Json& input) {
  const bool has_ids = input.contains("SecretIdList");
  const bool has_filters = input.contains("Filters");
  if (has_ids == has_filters) {
    return InvalidParameter("Either 'SecretIdList' or 'Filters' must be provided, but not both.");
  }
  if (input.contains("MaxResults") && !has_filters) {
    return InvalidParameter(
        "'Filters' not specified. 'Filters' must also be specified when 'MaxResults' is "
        "provided.");
  }
  if (!ctx.authorizer) return Status(ErrorKind::kInternalFailure, "no authorizer");
  Json ids = Json::array();
  Json out = Json::object();
  if (has_ids) {
    ids = input["SecretIdList"];
  } else {
    // The listing, as ListSecrets gives it to this caller.
    Json list_input = {{"Filters", input["Filters"]},
                       {"MaxResults", input.value("MaxResults", 20)}};
    if (input.contains("NextToken")) list_input["NextToken"] = input["NextToken"];
    RETURN_IF_ERROR(ctx.authorizer->AuthorizeOperation(ctx, Row("ListSecrets"), list_input));
    ASSIGN_OR_RETURN(Json listed, ListSecrets(ctx, list_input));
    for (const Json& s : listed["SecretList"]) ids.push_back(s["ARN"]);
    if (listed.contains("NextToken")) out["NextToken"] = listed["NextToken"];
  }
  Json values = Json::array();
  Json errors = Json::array();
  for (const Json& id : ids) {
    const Json one = {{"SecretId", id}};
    Status allowed = ctx.authorizer->AuthorizeOperation(ctx, Row("GetSecretValue"), one);
    Result<Json> value = allowed.ok() ? ReadValue(ctx, one) : Result<Json>(allowed);
    if (value.ok()) {
      values.push_back(std::move(*value));
    } else {
      errors.push_back({{"SecretId", id},
                        {"ErrorCode", ErrorCodeOf(value.status())},
                        {"Message", value.status().message()}});
    }
  }
  out["SecretValues"] = std::move(values);
  out["Errors"] = std::move(errors);
  return out;
}

Result<Json> ListSecretVersionIds(RequestContext& ctx, const Json& input) {
  ASSIGN_OR_RETURN(auto txn, iam::BeginRead(ctx));
  ASSIGN_OR_RETURN(Json secret, LoadSecret(*txn, ctx, input.value("SecretId", "")));
  const bool deprecated = Flag(input, "IncludeDeprecated");
  std::vector<std::pair<int64_t, Json>> versions;
  for (const auto& [id, version] : VersionsOf(secret).items()) {
    if (version["Stages"].empty() && !deprecated) continue;
    Json entry = {{"VersionId", id},
                  {"VersionStages", version["Stages"]},
                  {"CreatedDate", version.value("Created", int64_t{0})}};
    if (version.contains("LastAccessedDate"))
      entry["LastAccessedDate"] = version["LastAccessedDate"];
    versions.emplace_back(version.value("Seq", int64_t{0}), std::move(entry));
  }
  // Newest first.
  std::sort(versions.begin(), versions.end(),
            [](const auto& a, const auto& b) { return a.first > b.first; });
  ASSIGN_OR_RETURN(size_t start, StartOf(input, versions.size()));
  const size_t max = input.value("MaxResults", 100);
  Json list = Json::array();
  size_t i = start;
  for (; i < versions.size() && list.size() < max; ++i) list.push_back(versions[i].second);
  Json out = {{"Versions", std::move(list)},
              {"ARN", secret.value("ARN", "")},
              {"Name", secret.value("Name", "")}};
  if (i < versions.size()) out["NextToken"] = OffsetToken(i);
  return out;
}

Result<Json> UpdateSecretVersionStage(RequestContext& ctx, const Json& input) {
  const std::string stage = input.value("VersionStage", "");
  const std::string remove_from = input.value("RemoveFromVersionId", "");
  const std::string move_to = input.value("MoveToVersionId", "");
  ASSIGN_OR_RETURN(auto txn, iam::BeginWrite(ctx));
  ASSIGN_OR_RETURN(Json secret, LoadLiveSecret(*txn, ctx, input.value("SecretId", "")));
  const Json& versions = secret["Versions"];
  for (const std::string* id : {&remove_from, &move_to}) {
    if (!id->empty() && !versions.contains(*id)) {
      return NotFound("Secrets Manager can't find the specified secret value for VersionId: " +
                      *id);
    }
  }
  const std::string holder = VersionWithStage(secret, stage);
  if (!remove_from.empty() && holder != remove_from) {
    return InvalidParameter("The staging label " + stage + " is not attached to version " +
                            remove_from + ".");
  }
  if (!move_to.empty()) {
    if (!holder.empty() && holder != move_to && remove_from.empty()) {
      return InvalidParameter("The parameter RemoveFromVersionId can't be empty. Staging label " +
                              stage + " is currently attached to version " + holder +
                              ", so you must explicitly reference that version in "
                              "RemoveFromVersionId.");
    }
    if (holder != move_to && versions[move_to]["Stages"].size() >= kMaxStagesPerVersion) {
      return LimitExceeded("A version can have at most 20 staging labels.");
    }
    MoveStage(secret, stage, move_to);
  } else if (!remove_from.empty()) {
    if (stage == kCurrent) {
      return InvalidParameter(
          "You can only move the staging label AWSCURRENT to a different secret version. It "
          "can't be completely removed.");
    }
    RemoveStage(secret, stage, remove_from);
  }
  secret["LastChangedDate"] = iam::Now(ctx);
  RETURN_IF_ERROR(SaveSecret(*txn, secret));
  RETURN_IF_ERROR(txn->Commit());
  return Json{{"ARN", secret.value("ARN", "")}, {"Name", secret.value("Name", "")}};
}

}  // namespace bulwark::secretsmanager
