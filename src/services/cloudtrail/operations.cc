// CloudTrail's operation table and authorization hook. Actions from the Service
// Authorization Reference; the operations not listed (CloudTrail Lake, channels,
// dashboards, Insights, imports) answer as unsupported.
#include "services/cloudtrail/cloudtrail.h"
#include "services/cloudtrail/common.h"
#include "services/cloudtrail/delivery.h"
#include "services/cloudtrail/handlers.h"

namespace bulwark::cloudtrail {
namespace {

// The hook puts the trail's ARN, whether the request named it or its ARN.
constexpr std::string_view kTrail = "arn:aws:cloudtrail:{region}:{account}:trail/{Name}";
constexpr std::string_view kTrailByTrailName =
    "arn:aws:cloudtrail:{region}:{account}:trail/{TrailName}";
constexpr std::string_view kTrailById = "arn:aws:cloudtrail:{region}:{account}:trail/{ResourceId}";
constexpr std::string_view kTagKeys[] = {"aws:RequestTag/${TagKey}", "aws:TagKeys"};

constexpr OperationSpec kOperations[] = {
    // name, IAM action, resource, condition keys, mutates, handler
    {"LookupEvents", "cloudtrail:LookupEvents", "*", {}, Mutates::kNo, &LookupEvents},
    {"CreateTrail", "cloudtrail:CreateTrail", kTrail, kTagKeys, Mutates::kYes, &CreateTrail},
    {"UpdateTrail", "cloudtrail:UpdateTrail", kTrail, {}, Mutates::kYes, &UpdateTrail},
    {"DeleteTrail", "cloudtrail:DeleteTrail", kTrail, {}, Mutates::kYes, &DeleteTrail},
    {"GetTrail", "cloudtrail:GetTrail", kTrail, {}, Mutates::kNo, &GetTrail},
    {"DescribeTrails", "cloudtrail:DescribeTrails", "*", {}, Mutates::kNo, &DescribeTrails},
    {"ListTrails", "cloudtrail:ListTrails", "*", {}, Mutates::kNo, &ListTrails},
    {"StartLogging", "cloudtrail:StartLogging", kTrail, {}, Mutates::kYes, &StartLogging},
    {"StopLogging", "cloudtrail:StopLogging", kTrail, {}, Mutates::kYes, &StopLogging},
    {"GetTrailStatus", "cloudtrail:GetTrailStatus", kTrail, {}, Mutates::kNo, &GetTrailStatus},
    {"PutEventSelectors",
     "cloudtrail:PutEventSelectors",
     kTrailByTrailName,
     {},
     Mutates::kYes,
     &PutEventSelectors},
    {"GetEventSelectors",
     "cloudtrail:GetEventSelectors",
     kTrailByTrailName,
     {},
     Mutates::kNo,
     &GetEventSelectors},
    {"AddTags", "cloudtrail:AddTags", kTrailById, kTagKeys, Mutates::kYes, &AddTags},
    {"RemoveTags", "cloudtrail:RemoveTags", kTrailById, kTagKeys, Mutates::kYes, &RemoveTags},
    {"ListTags", "cloudtrail:ListTags", kTrail, {}, Mutates::kNo, &ListTags},
    {"ListPublicKeys", "cloudtrail:ListPublicKeys", "*", {}, Mutates::kNo, &ListPublicKeys},
};

// The trail's ARN from whichever member names it (Name, TrailName, ResourceId; the first
// of ListTags' ResourceIdList).
Status CompleteAuthorization(RequestContext& ctx, const OperationSpec& op, const Json& input,
                             AuthorizationRequest* request) {
  if (op.resource_pattern == "*") return Status::Ok();
  std::string named;
  for (const char* member : {"Name", "TrailName", "ResourceId"}) {
    if (auto it = input.find(member); it != input.end() && it->is_string()) {
      named = it->get<std::string>();
    }
  }
  if (auto it = input.find("ResourceIdList");
      it != input.end() && !it->empty() && (*it)[0].is_string()) {
    named = (*it)[0].get<std::string>();
  }
  if (named.starts_with("arn:")) {
    request->context.resource = named;
  } else if (!named.empty()) {
    request->context.resource = TrailArn(ctx.region, ctx.caller.account_id, named);
  }
  return Status::Ok();
}

Status Maintain(ServiceEnvironment& env) {
  RETURN_IF_ERROR(PruneHistory(env));
  return DeliverTrails(env);
}

}  // namespace

const ServiceSpec& Service() {
  static const ServiceSpec spec{"cloudtrail", kOperations, &CompleteAuthorization, false,
                                &Maintain};
  return spec;
}

}  // namespace bulwark::cloudtrail
