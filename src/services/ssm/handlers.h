// Parameter Store's operation handlers, by file.
#pragma once

#include "services/service.h"

namespace bulwark::ssm {

// parameters.cc
Result<Json> PutParameter(RequestContext& ctx, const Json& input);
Result<Json> GetParameter(RequestContext& ctx, const Json& input);
Result<Json> GetParameters(RequestContext& ctx, const Json& input);
Result<Json> GetParametersByPath(RequestContext& ctx, const Json& input);
Result<Json> DeleteParameter(RequestContext& ctx, const Json& input);
Result<Json> DeleteParameters(RequestContext& ctx, const Json& input);
Result<Json> GetParameterHistory(RequestContext& ctx, const Json& input);
Result<Json> LabelParameterVersion(RequestContext& ctx, const Json& input);
Result<Json> UnlabelParameterVersion(RequestContext& ctx, const Json& input);
// parameters.cc: parameter policies (a JSON array of at most one Expiration, one
// ExpirationNotification and one NoChangeNotification, version 1.0), checked as AWS
// checks them; the Expiration time (0 when none).
Result<int64_t> CheckParameterPolicies(std::string_view text, int64_t now);
// parameters.cc: deletes the parameters whose Expiration policy has come.
Status Maintain(ServiceEnvironment& env);

// describe.cc
Result<Json> DescribeParameters(RequestContext& ctx, const Json& input);
// describe.cc: ParameterFilters as GetParametersByPath (by_path) or DescribeParameters
// take them: InvalidFilterKey, InvalidFilterOption, InvalidFilterValue.
Status CheckParameterFilters(const Json& filters, bool by_path);
// describe.cc: whether a parameter's record passes every filter.
bool MatchesParameterFilters(const Json& parameter, const Json& filters);

// tags.cc
Result<Json> AddTagsToResource(RequestContext& ctx, const Json& input);
Result<Json> RemoveTagsFromResource(RequestContext& ctx, const Json& input);
Result<Json> ListTagsForResource(RequestContext& ctx, const Json& input);
// tags.cc: tags of a request merged into `existing` (TooManyTagsError beyond 50).
Result<Json> MergeTags(const Json& existing, const Json& tags);

}  // namespace bulwark::ssm
