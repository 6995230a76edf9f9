// KMS's maintenance hook: what happens as time passes, in one write per round.
#include "services/iam/common.h"
#include "services/kms/handlers.h"

namespace bulwark::kms {

Status Maintain(ServiceEnvironment& env) {
  RequestContext ctx;
  ctx.env = &env;
  // Each step takes a few due entries per round, in a short write; rounds go on while
  // there was something to do (up to a bound, so a backlog never holds the thread).
  constexpr int kMaxRounds = 64;
  for (int round = 0; round < kMaxRounds; ++round) {
    const int64_t now = iam::Now(ctx);
    size_t done = 0;
    ASSIGN_OR_RETURN(auto txn, iam::BeginWrite(ctx));
    RETURN_IF_ERROR(SweepDeletedKeys(*txn, now, &done));
    RETURN_IF_ERROR(RotateDueKeys(ctx, *txn, now, &done));
    RETURN_IF_ERROR(ExpireImportedMaterial(*txn, now, &done));
    if (round == 0) RETURN_IF_ERROR(FlushUsage(*txn));
    RETURN_IF_ERROR(txn->Commit());
    if (done == 0) break;
  }
  return Status::Ok();
}

}  // namespace bulwark::kms
