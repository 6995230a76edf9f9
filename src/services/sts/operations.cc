// STS: the operation table. One row per operation Bulwark implements; operations of
// the model not listed here answer with the protocol's unsupported-operation error.
#include "services/sts/sts.h"

namespace bulwark::sts {

Result<Json> HandleGetCallerIdentity(RequestContext& ctx, const Json& input);

namespace {

constexpr OperationSpec kOperations[] = {
    // name, IAM action, resource, condition keys, mutates, handler
    {"GetCallerIdentity",
     "sts:GetCallerIdentity",
     "*",
     {},
     Mutates::kNo,
     &HandleGetCallerIdentity,
     Access::kAnyCaller},
};

constexpr ServiceSpec kService{"sts", kOperations};

}  // namespace

const ServiceSpec& Service() { return kService; }

}  // namespace bulwark::sts
