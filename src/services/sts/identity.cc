// STS identity operations.
#include "services/sts/sts.h"

namespace bulwark::sts {

// Returns who signed the request. AWS requires no permission for this call: an
// explicit deny on sts:GetCallerIdentity does not stop it.
Result<Json> HandleGetCallerIdentity(RequestContext& ctx, const Json& /*input*/) {
  return Json{
      {"UserId", ctx.caller.user_id},
      {"Account", ctx.caller.account_id},
      {"Arn", ctx.caller.arn},
  };
}

}  // namespace bulwark::sts
