// Policy evaluation throughput: a principal with 10 identity policies of 10
// statements each, with wildcards and conditions, evaluated against pre-parsed
// policies. Goal: >= 1,000,000 decisions per second per core.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "policy/evaluator.h"
#include "policy/parser.h"

namespace {

using bulwark::Result;
using namespace bulwark::policy;  // NOLINT(build/namespaces)

// Statement j of policy i: a mix of wildcard actions, ARN patterns and conditions,
// none of which grants the benchmarked request until the last policy.
std::string MakePolicy(int i) {
  static const char* kServices[] = {"ec2", "sqs", "sns", "dynamodb", "lambda",
                                    "rds", "kms", "ssm", "logs",     "s3"};
  std::string doc = R"({"Version":"2012-10-17","Statement":[)";
  for (int j = 0; j < 10; ++j) {
    if (j) doc += ",";
    std::string svc = kServices[(i + j) % 10];
    std::string statement = R"({"Sid":"S)" + std::to_string(j) + R"(","Effect":"Allow",)";
    statement +=
        R"("Action":[")" + svc + R"(:Get*",")" + svc + R"(:List*",")" + svc + R"(:Describe?*"],)";
    statement += R"("Resource":["arn:aws:)" + svc + R"(:*:111122223333:thing/team-)" +
                 std::to_string(i) + R"(/*","arn:aws:)" + svc + R"(:us-east-1:*:other/*"],)";
    statement += R"("Condition":{"StringEquals":{"aws:PrincipalTag/team":"t)" + std::to_string(j) +
                 R"("},"Bool":{"aws:SecureTransport":"true"},)";
    statement += R"("IpAddress":{"aws:SourceIp":["10.0.0.0/8","2001:db8::/32"]}}})";
    doc += statement;
  }
  doc += "]}";
  return doc;
}

struct Fixture {
  std::vector<Policy> policies;
  PolicySet set;
  RequestContext request;

  Fixture() {
    for (int i = 0; i < 10; ++i) {
      Result<Policy> p = ParsePolicy(MakePolicy(i));
      if (!p.ok()) std::abort();
      policies.push_back(std::move(p).value());
    }
    for (const Policy& p : policies) set.identity.push_back(&p);
    request.SetPrincipal("arn:aws:iam::111122223333:user/alice");
    request.action = "s3:GetObject";
    request.resource = "arn:aws:s3:us-east-1:111122223333:thing/team-9/reports/2024.csv";
    request.resource_account = "111122223333";
    request.SetKey("aws:PrincipalTag/team", "t0");
    request.SetKey("aws:SecureTransport", "true");
    request.SetKey("aws:SourceIp", "10.1.2.3");
    request.SetKey("aws:username", "alice");
  }
};

void BM_EvaluateTenByTen(benchmark::State& state) {
  Fixture f;
  if (Evaluate(f.set, f.request) != Decision::kAllow) std::abort();  // policy 9, statement 0
  for (auto _ : state) {
    benchmark::DoNotOptimize(Evaluate(f.set, f.request));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EvaluateTenByTen);

void BM_EvaluateTenByTenImplicitDeny(benchmark::State& state) {
  Fixture f;
  f.request.action = "s3:PutObject";  // matches no statement: every statement is examined
  if (Evaluate(f.set, f.request) != Decision::kImplicitDeny) std::abort();
  for (auto _ : state) {
    benchmark::DoNotOptimize(Evaluate(f.set, f.request));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EvaluateTenByTenImplicitDeny);

void BM_EvaluateTenByTenConditionsChecked(benchmark::State& state) {
  Fixture f;
  // The action and resource match policy 9's statements for s3, so conditions run
  // for them; the tag matches none, so the decision is an implicit deny.
  f.request.SetKey("aws:PrincipalTag/team", "nobody");
  if (Evaluate(f.set, f.request) != Decision::kImplicitDeny) std::abort();
  for (auto _ : state) {
    benchmark::DoNotOptimize(Evaluate(f.set, f.request));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EvaluateTenByTenConditionsChecked);

void BM_ParsePolicy(benchmark::State& state) {
  std::string doc = MakePolicy(3);
  for (auto _ : state) {
    Result<Policy> p = ParsePolicy(doc);
    benchmark::DoNotOptimize(p.ok());
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(doc.size()));
}
BENCHMARK(BM_ParsePolicy);

}  // namespace

BENCHMARK_MAIN();
