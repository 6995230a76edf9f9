// Fuzzes the policy parser, then evaluates whatever parses against a fixed request
// (and against a request whose context values come from the input, to reach the
// typed value parsers). Must never crash, hang or leak.
//
// Seeds: the policies of /work/shared/corpus/iam/derived/iam-doc-example-policies.json.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "policy/evaluator.h"
#include "policy/parser.h"

namespace {

using bulwark::Result;
using namespace bulwark::policy;  // NOLINT(build/namespaces)

RequestContext FixedRequest() {
  RequestContext rc;
  rc.SetPrincipal("arn:aws:sts::111122223333:assumed-role/app/session");
  rc.action = "s3:GetObject";
  rc.resource = "arn:aws:s3:::bucket/home/alice/key";
  rc.resource_account = "111122223333";
  rc.SetKey("aws:username", "alice");
  rc.SetKey("aws:SourceIp", "192.0.2.10");
  rc.SetKey("aws:CurrentTime", "2024-05-01T12:00:00Z");
  rc.SetKey("aws:SecureTransport", "true");
  rc.SetKey("aws:MultiFactorAuthAge", "300");
  rc.SetKey("aws:PrincipalTag/team", "blue");
  rc.SetMultiValuedKey("aws:TagKeys", {"team", "env"});
  return rc;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static const PolicyKind kKinds[] = {PolicyKind::kIdentity, PolicyKind::kResource,
                                      PolicyKind::kTrust, PolicyKind::kServiceControl,
                                      PolicyKind::kAny};
  const PolicyKind kind = kKinds[data[0] % 5];
  std::string_view doc(reinterpret_cast<const char*>(data) + 1, size - 1);
  Result<Policy> policy =
      ParsePolicy(doc, {.kind = kind, .max_policy_chars = 0, .max_document_bytes = 64 * 1024});
  if (!policy.ok()) {
    // Errors are always the catalogued AWS ones.
    if (policy.status().code() != "MalformedPolicyDocument" &&
        policy.status().code() != "LimitExceeded") {
      __builtin_trap();
    }
    return 0;
  }
  static const RequestContext fixed = FixedRequest();
  PolicySet as_identity;
  as_identity.identity.push_back(&*policy);
  as_identity.permissions_boundaries.push_back(&*policy);
  PolicySet as_resource;
  as_resource.resource = &*policy;
  as_resource.service_control.push_back(OrgPolicyLevel{{&*policy}});
  as_resource.resource_control.push_back(OrgPolicyLevel{{&*policy}});

  std::vector<MatchedStatement> matched;
  for (const PolicySet* set : {&as_identity, &as_resource}) {
    Decision fast = Evaluate(*set, fixed);
    Decision full = Evaluate(*set, fixed, &matched);
    if (fast != full) __builtin_trap();
  }

  // The same request with every context value replaced by a slice of the input.
  RequestContext hostile = fixed;
  std::string value(doc.substr(0, 128));
  for (auto& [key, v] : hostile.keys) {
    for (std::string& s : v.values) s = value;
  }
  hostile.resource = value;
  hostile.action = value;
  (void)Evaluate(as_identity, hostile);
  (void)Evaluate(as_resource, hostile, &matched);
  return 0;
}
