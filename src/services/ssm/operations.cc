// Parameter Store: the operation table and the authorization hook. The other operations
// of the SSM model (documents, Run Command, patching...) answer as unsupported. Actions
// and condition keys from the Service Authorization Reference.
#include "services/iam/common.h"
#include "services/ssm/common.h"
#include "services/ssm/handlers.h"
#include "services/ssm/ssm.h"

namespace bulwark::ssm {
namespace {

// The hook sets the parameter's ARN (a name may or may not begin with "/").
constexpr std::string_view kParameter = "arn:aws:ssm:{region}:{account}:parameter/{Name}";

constexpr std::string_view kResourceTagKeys[] = {"aws:ResourceTag/${TagKey}"};
constexpr std::string_view kPutKeys[] = {"ssm:Overwrite", "ssm:Policies",
                                         "aws:RequestTag/${TagKey}", "aws:TagKeys",
                                         "aws:ResourceTag/${TagKey}"};
constexpr std::string_view kByPathKeys[] = {"ssm:Recursive", "aws:ResourceTag/${TagKey}"};
constexpr std::string_view kAddTagsKeys[] = {"aws:RequestTag/${TagKey}", "aws:TagKeys",
                                             "aws:ResourceTag/${TagKey}"};
constexpr std::string_view kRemoveTagsKeys[] = {"aws:TagKeys", "aws:ResourceTag/${TagKey}"};

constexpr OperationSpec kOperations[] = {
    // name, IAM action, resource, condition keys, mutates, handler
    // parameters.cc: SecureStrings also need kms:Encrypt / kms:Decrypt on their key for
    // the caller, authorized by the envelope (services/kms/envelope.h).
    {"PutParameter", "ssm:PutParameter", kParameter, kPutKeys, Mutates::kYes, &PutParameter},
    {"GetParameter", "ssm:GetParameter", kParameter, kResourceTagKeys, Mutates::kNo, &GetParameter},
    // GetParameters and DeleteParameters: the action on each parameter named (the hook).
    {"GetParameters", "ssm:GetParameters", kParameter, kResourceTagKeys, Mutates::kNo,
     &GetParameters},
    {"GetParametersByPath", "ssm:GetParametersByPath", kParameter, kByPathKeys, Mutates::kNo,
     &GetParametersByPath},
    {"DeleteParameter", "ssm:DeleteParameter", kParameter, kResourceTagKeys, Mutates::kYes,
     &DeleteParameter},
    {"DeleteParameters", "ssm:DeleteParameters", kParameter, kResourceTagKeys, Mutates::kYes,
     &DeleteParameters},
    {"GetParameterHistory", "ssm:GetParameterHistory", kParameter, kResourceTagKeys, Mutates::kNo,
     &GetParameterHistory},
    {"LabelParameterVersion", "ssm:LabelParameterVersion", kParameter, kResourceTagKeys,
     Mutates::kYes, &LabelParameterVersion},
    {"UnlabelParameterVersion", "ssm:UnlabelParameterVersion", kParameter, kResourceTagKeys,
     Mutates::kYes, &UnlabelParameterVersion},
    // describe.cc
    {"DescribeParameters", "ssm:DescribeParameters", "*", {}, Mutates::kNo, &DescribeParameters},
    // tags.cc: the resource is the parameter ResourceId names.
    {"AddTagsToResource", "ssm:AddTagsToResource", kParameter, kAddTagsKeys, Mutates::kYes,
     &AddTagsToResource},
    {"RemoveTagsFromResource", "ssm:RemoveTagsFromResource", kParameter, kRemoveTagsKeys,
     Mutates::kYes, &RemoveTagsFromResource},
    {"ListTagsForResource", "ssm:ListTagsForResource", kParameter, kResourceTagKeys, Mutates::kNo,
     &ListTagsForResource},
};

// The ARN of a name and, when the parameter exists, its tags as aws:ResourceTag/*.
struct Named {
  std::string arn;
  std::vector<std::pair<std::string, std::string>> keys;
};

Result<Named> NameOf(storage::Transaction& txn, const RequestContext& ctx, std::string_view name) {
  // A selector (":3", ":label") is not part of the resource.
  std::string_view base = name;
  size_t from = name.starts_with("arn:") ? name.find(":parameter") : 0;
  if (from == std::string_view::npos) from = 0;
  if (size_t colon = name.find(':', name.starts_with("arn:") ? from + 1 : 0);
      colon != std::string_view::npos) {
    base = name.substr(0, colon);
  }
  Named out;
  Result<std::string> canonical = CanonicalName(ctx, base);
  if (!canonical.ok()) {
    out.arn = "arn:aws:ssm:" + ctx.region + ":" + ctx.caller.account_id + ":parameter/" +
              std::string(base);
    return out;
  }
  out.arn = ParameterArn(ctx, *canonical);
  ASSIGN_OR_RETURN(std::optional<Json> parameter, LoadParameter(txn, ctx, *canonical));
  if (parameter) {
    for (const Json& tag : parameter->value("Tags", Json::array())) {
      out.keys.emplace_back("aws:ResourceTag/" + tag.value("Key", ""), tag.value("Value", ""));
    }
  }
  return out;
}

Status CompleteAuthorization(RequestContext& ctx, const OperationSpec& op, const Json& input,
                             AuthorizationRequest* authz) {
  policy::RequestContext& request = authz->context;
  if (op.name == "PutParameter") {
    request.SetKey("ssm:Overwrite", Flag(input, "Overwrite") ? "true" : "false");
    if (input.contains("Policies")) request.SetKey("ssm:Policies", input.value("Policies", ""));
    if (!input.value("Tags", Json::array()).empty()) {
      authz->additional_actions.push_back("ssm:AddTagsToResource");
    }
  }
  if (op.name == "GetParametersByPath") {
    request.SetKey("ssm:Recursive", Flag(input, "Recursive") ? "true" : "false");
  }
  if (op.resource_pattern == "*") return Status::Ok();
  ASSIGN_OR_RETURN(auto txn, iam::BeginRead(ctx));
  std::vector<std::string> names;
  if (input.contains("Names")) {
    for (const Json& n : input["Names"]) names.push_back(n.is_string() ? n.get<std::string>() : "");
  } else if (op.name == "GetParametersByPath") {
    std::string path = input.value("Path", "/");
    request.resource = "arn:aws:ssm:" + ctx.region + ":" + ctx.caller.account_id + ":parameter" +
                       (path.starts_with("/") ? path : "/" + path);
    return Status::Ok();
  } else {
    names.push_back(input.value(input.contains("ResourceId") ? "ResourceId" : "Name", ""));
  }
  for (size_t i = 0; i < names.size(); ++i) {
    ASSIGN_OR_RETURN(Named named, NameOf(*txn, ctx, names[i]));
    if (i == 0) {
      request.resource = named.arn;
      for (auto& [k, v] : named.keys) request.SetKey(k, v);
      continue;
    }
    // Every further parameter of GetParameters/DeleteParameters needs the action too.
    AuthorizationRequest::OtherResource other;
    other.action = std::string(op.action);
    other.resource = named.arn;
    other.resource_account = ctx.caller.account_id;
    other.keys = std::move(named.keys);
    authz->other_resources.push_back(std::move(other));
  }
  return Status::Ok();
}

constexpr ServiceSpec kSpec{"ssm", kOperations, &CompleteAuthorization,
                            /*resource_policy_binds_root=*/false, &Maintain};

}  // namespace

const ServiceSpec& Service() { return kSpec; }

}  // namespace bulwark::ssm
