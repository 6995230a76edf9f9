// AWS Identity and Access Management: users, groups, roles, policies and access keys,
// stored per account; and the authorization data the server evaluates every request
// against (authority.h).
#pragma once

#include "services/service.h"

namespace bulwark::iam {

const ServiceSpec& Service();

// IAM's authorization hook: resource ARNs with the entity's path, and the condition
// keys iam:PolicyARN and iam:PermissionsBoundary.
Status CompleteAuthorization(RequestContext& ctx, const OperationSpec& op, const Json& input,
                             AuthorizationRequest* authz);

}  // namespace bulwark::iam
