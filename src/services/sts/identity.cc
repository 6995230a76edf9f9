// STS identity operations.
#include "auth/credential_store.h"
#include "auth/ids.h"
#include "services/authorization_message.h"
#include "services/iam/common.h"
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

// The account an access key id belongs to, whatever the key's state (active, inactive,
// deleted, expired) and whoever asks, as AWS answers it. Keys made by Bulwark carry
// their account in the id as AWS's do; a key stored under an id of the older random
// layout is found by its record instead.
Result<Json> HandleGetAccessKeyInfo(RequestContext& ctx, const Json& input) {
  const std::string akid = input.value("AccessKeyId", "");
  ASSIGN_OR_RETURN(auto txn, iam::BeginRead(ctx));
  ASSIGN_OR_RETURN(std::optional<Json> record,
                   iam::Load(*txn, auth::CredentialStore::StorageKey(akid)));
  if (record && record->value("account_id", "").size() == 12) {
    return Json{{"Account", record->value("account_id", "")}};
  }
  std::optional<std::string> account = ids::AccountOfAccessKeyId(akid);
  if (!account) {
    return Status(ErrorKind::kValidation, "The access key ID " + akid + " is not valid.");
  }
  return Json{{"Account", *account}};
}

// A message the pipeline encoded when it denied a request of this account.
Result<Json> HandleDecodeAuthorizationMessage(RequestContext& ctx, const Json& input) {
  ASSIGN_OR_RETURN(std::string decoded,
                   authorization_message::Decode(*ctx.env->sealer, ctx.caller.account_id,
                                                 input.value("EncodedMessage", ""), iam::Now(ctx)));
  return Json{{"DecodedMessage", std::move(decoded)}};
}

}  // namespace bulwark::sts
