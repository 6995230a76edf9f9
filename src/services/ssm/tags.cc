// Parameter Store: AddTagsToResource, RemoveTagsFromResource, ListTagsForResource (of
// parameters: the other resource types are of SSM features Bulwark does not have).
#include <algorithm>

#include "services/iam/common.h"
#include "services/service_util.h"
#include "services/ssm/common.h"
#include "services/ssm/handlers.h"

namespace bulwark::ssm {
namespace {

Result<std::string> ParameterResource(const RequestContext& ctx, const Json& input) {
  if (input.value("ResourceType", "") != "Parameter") {
    return Error("InvalidResourceType",
                 "The resource type is not supported by Bulwark's Systems Manager: only "
                 "Parameter.");
  }
  Result<std::string> canonical = CanonicalName(ctx, input.value("ResourceId", ""));
  if (!canonical.ok()) return Error("InvalidResourceId", "The resource ID is not valid.");
  return canonical;
}

Result<Json> Update(RequestContext& ctx, const Json& input,
                    const std::function<Result<Json>(const Json&)>& change) {
  ASSIGN_OR_RETURN(std::string canonical, ParameterResource(ctx, input));
  ASSIGN_OR_RETURN(auto txn, iam::BeginWrite(ctx));
  ASSIGN_OR_RETURN(std::optional<Json> parameter, LoadParameter(*txn, ctx, canonical));
  if (!parameter) return Error("InvalidResourceId", "The resource ID is not valid.");
  ASSIGN_OR_RETURN((*parameter)["Tags"], change(parameter->value("Tags", Json::array())));
  RETURN_IF_ERROR(iam::Save(*txn, ParamKey(ctx, canonical), *parameter));
  RETURN_IF_ERROR(txn->Commit());
  return Json::object();
}

}  // namespace

Result<Json> MergeTags(const Json& existing, const Json& tags) {
  for (const Json& tag : tags) {
    if (tag.value("Key", "").starts_with("aws:")) {
      return Validation("Tag keys can't begin with aws: (reserved for AWS use).");
    }
  }
  Json out = UpsertTags(existing, tags);
  if (out.size() > kMaxTags) {
    return Error("TooManyTagsError",
                 "The Targets parameter includes too many tags. Remove one or more tags and try "
                 "the request again.");
  }
  return out;
}

Result<Json> AddTagsToResource(RequestContext& ctx, const Json& input) {
  return Update(ctx, input, [&](const Json& tags) {
    return MergeTags(tags, input.value("Tags", Json::array()));
  });
}

Result<Json> RemoveTagsFromResource(RequestContext& ctx, const Json& input) {
  return Update(ctx, input, [&](const Json& tags) -> Result<Json> {
    const Json keys = input.value("TagKeys", Json::array());
    Json kept = Json::array();
    for (const Json& tag : tags) {
      if (std::find(keys.begin(), keys.end(), tag["Key"]) == keys.end()) kept.push_back(tag);
    }
    return kept;
  });
}

Result<Json> ListTagsForResource(RequestContext& ctx, const Json& input) {
  ASSIGN_OR_RETURN(std::string canonical, ParameterResource(ctx, input));
  ASSIGN_OR_RETURN(auto txn, iam::BeginRead(ctx));
  ASSIGN_OR_RETURN(std::optional<Json> parameter, LoadParameter(*txn, ctx, canonical));
  if (!parameter) return Error("InvalidResourceId", "The resource ID is not valid.");
  return Json{{"TagList", parameter->value("Tags", Json::array())}};
}

}  // namespace bulwark::ssm
