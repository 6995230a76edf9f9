// Fuzzes what Parameter Store parses from a request: parameter names (with the property
// that a canonical name comes back unchanged from its ARN and from its path form),
// parameter policies, and ParameterFilters checked and matched against a parameter.
// Must never crash, hang or read out of bounds, nor break the property (which traps).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "services/ssm/common.h"
#include "services/ssm/handlers.h"

namespace {

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0 || size > 16 * 1024) return 0;
  using bulwark::Json;
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  bulwark::RequestContext ctx;
  ctx.region = "us-east-1";
  ctx.caller.account_id = "123456789012";
  switch (data[0] % 3) {
    case 0: {
      bulwark::Result<std::string> canonical = bulwark::ssm::CanonicalName(ctx, in);
      if (canonical.ok()) {
        auto again = bulwark::ssm::CanonicalName(ctx, bulwark::ssm::ParameterArn(ctx, *canonical));
        Check(again.ok() && *again == *canonical);
        auto path = bulwark::ssm::CanonicalName(ctx, bulwark::ssm::PathName(*canonical));
        Check(path.ok() && *path == *canonical);
      }
      break;
    }
    case 1: {
      bulwark::Result<int64_t> expiration = bulwark::ssm::CheckParameterPolicies(in, 1704164645);
      Check(!expiration.ok() || *expiration == 0 || *expiration > 1704164645);
      break;
    }
    default: {
      Json filters = Json::parse(in, nullptr, /*allow_exceptions=*/false);
      if (!filters.is_array()) break;
      for (bool by_path : {false, true}) {
        if (!bulwark::ssm::CheckParameterFilters(filters, by_path).ok()) continue;
        static const Json parameter =
            Json::parse(R"({"Name":"/a/b","Type":"String","Tier":"Standard","Labels":{"live":1},)"
                        R"("Tags":[{"Key":"k","Value":"v"}]})");
        (void)bulwark::ssm::MatchesParameterFilters(parameter, filters);
      }
    }
  }
  return 0;
}
