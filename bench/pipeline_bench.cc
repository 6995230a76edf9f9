// In-process costs of the request path, without a network: SigV4 verification alone,
// the whole pipeline (authenticate, decode, handle, encode, log) for STS
// GetCallerIdentity, IAM GetUser called by the root user (no policy evaluation) and by
// an IAM user whose 10 attached policies of 10 statements each must allow it (the
// difference is the cost of enforcement), and KMS Encrypt, Decrypt, GenerateDataKey and
// Sign (RSA_2048, ECC_NIST_P256), authorized by their key policies.
// Run: build-bench/pipeline_bench (cmake -DBULWARK_BENCH=ON).
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "auth/sigv4.h"
#include "server/access_log.h"
#include "server/audit.h"
#include "server/bootstrap.h"
#include "server/metrics.h"
#include "server/pipeline.h"
#include "services/cloudtrail/event_log.h"

namespace bulwark {
namespace {

int64_t Now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A signed POST of `body` to `service`, with the given extra headers.
http::Request SignedPost(std::string_view service, std::string body,
                         std::vector<std::pair<std::string, std::string>> headers,
                         const std::string& key_id, const std::string& secret) {
  http::Request req;
  req.method = "POST";
  req.target = "/";
  req.body = std::move(body);
  req.remote_addr = "127.0.0.1";
  req.headers = {{"Host", "127.0.0.1:4566"},
                 {"User-Agent", "Boto3/1.26.27 md/Botocore#1.29.27 Python/3.11.2 Linux"}};
  for (auto& h : headers) req.headers.push_back(std::move(h));
  sigv4::SignRequest(&req, key_id, secret, "us-east-1", service, Now());
  return req;
}

http::Request QueryRequest(std::string_view service, std::string body, const std::string& key_id,
                           const std::string& secret) {
  return SignedPost(service, std::move(body),
                    {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}}, key_id,
                    secret);
}

// An awsJson 1.1 request of KMS.
http::Request KmsRequest(std::string_view operation, std::string body, const std::string& key_id,
                         const std::string& secret) {
  return SignedPost("kms", std::move(body),
                    {{"Content-Type", "application/x-amz-json-1.1"},
                     {"X-Amz-Target", "TrentService." + std::string(operation)}},
                    key_id, secret);
}

// The value of a top-level string member of a JSON body (enough for KMS's answers).
std::string JsonField(const std::string& json, const std::string& member) {
  const std::string quoted = "\"" + member + "\":\"";
  size_t b = json.find(quoted);
  if (b == std::string::npos) return "";
  b += quoted.size();
  return json.substr(b, json.find('"', b) - b);
}

http::Request StsRequest(const std::string& key_id, const std::string& secret) {
  return QueryRequest("sts", "Action=GetCallerIdentity&Version=2011-06-15", key_id, secret);
}

std::string FormEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += {'%', kHex[c >> 4], kHex[c & 15]};
    }
  }
  return out;
}

std::string XmlField(const std::string& xml, const std::string& tag) {
  size_t b = xml.find("<" + tag + ">");
  size_t e = xml.find("</" + tag + ">");
  if (b == std::string::npos || e == std::string::npos) return "";
  b += tag.size() + 2;
  return xml.substr(b, e - b);
}

// Ten statements with wildcards and conditions, the last of policy 9 allowing GetUser.
std::string BenchPolicy(int p) {
  std::string doc = R"({"Version":"2012-10-17","Statement":[)";
  for (int s = 0; s < 10; ++s) {
    if (s) doc += ",";
    std::string action =
        (p == 9 && s == 9) ? "iam:Get*" : "kms:Describe" + std::to_string(p * 10 + s) + "*";
    doc += R"({"Effect":"Allow","Action":[")" + action + R"(","secretsmanager:List*"],)" +
           R"("Resource":"arn:aws:*:*:*:*",)" +
           R"("Condition":{"IpAddress":{"aws:SourceIp":["127.0.0.0/8","10.0.0.0/8"]},)" +
           R"("StringLike":{"aws:UserAgent":"*Boto*"}}})";
  }
  return doc + "]}";
}

void BM_Sigv4ParseAndVerify(benchmark::State& state) {
  const std::string secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
  http::Request req = StsRequest("AKIDEXAMPLE", secret);
  auto parsed = sigv4::Parse(req);
  SecretBytes key = sigv4::DeriveSigningKey(secret, parsed->date, "us-east-1", "sts");
  for (auto _ : state) {
    auto auth = sigv4::Parse(req);
    benchmark::DoNotOptimize(sigv4::Verify(req, *auth, key).ok());
  }
}
BENCHMARK(BM_Sigv4ParseAndVerify);

// One server state for every benchmark thread, as in the server.
struct Fixture {
  Fixture() {
    dir = std::filesystem::temp_directory_path() / ("bulwark-bench-" + std::to_string(::getpid()));
    server::DataDirOptions options;
    options.path = dir.string();
    auto opened = server::OpenDataDir(options);
    if (!opened.ok()) {
      error = opened.status().message();
      return;
    }
    data = std::move(opened).value();
    env.store = data.store.get();
    env.sealer = data.sealer.get();
    env.credentials = data.credentials.get();
    env.now_unix = Now;
    log = std::move(server::AccessLog::Open((dir / "access.log").string())).value();
    metrics = std::make_unique<server::Metrics>(server::Registry::Default());
    pipeline = std::make_unique<server::Pipeline>(server::Registry::Default(), &env,
                                                  data.credentials.get(), metrics.get(), log.get());
    // The same server state behind a second pipeline that audits every request.
    audited_env.store = data.store.get();
    audited_env.sealer = data.sealer.get();
    audited_env.credentials = data.credentials.get();
    audited_env.now_unix = Now;
    journal = std::move(cloudtrail::EventLog::Open({(dir / "events").string()})).value();
    audited_env.audit_log = journal.get();
    audited = std::make_unique<server::Pipeline>(server::Registry::Default(), &audited_env,
                                                 data.credentials.get(), metrics.get(), log.get());
    root_secret = std::string(data.new_root_secret.view());
    request = StsRequest(data.root_access_key_id, root_secret);
    // An IAM user with 10 managed policies, through the API as a user would set it up.
    const std::string account = data.account_id;
    std::vector<std::string> setup = {"Action=CreateUser&Version=2010-05-08&UserName=bench"};
    for (int p = 0; p < 10; ++p) {
      setup.push_back("Action=CreatePolicy&Version=2010-05-08&PolicyName=p" + std::to_string(p) +
                      "&PolicyDocument=" + FormEncode(BenchPolicy(p)));
      setup.push_back("Action=AttachUserPolicy&Version=2010-05-08&UserName=bench&PolicyArn=" +
                      FormEncode("arn:aws:iam::" + account + ":policy/p" + std::to_string(p)));
    }
    setup.push_back("Action=CreateAccessKey&Version=2010-05-08&UserName=bench");
    std::string last;
    for (std::string& body : setup) {
      http::Request req = QueryRequest("iam", body, data.root_access_key_id, root_secret);
      http::Response resp = pipeline->Handle(req);
      if (resp.status != 200) {
        error = resp.body;
        return;
      }
      last = resp.body;
    }
    user_key = XmlField(last, "AccessKeyId");
    user_secret = XmlField(last, "SecretAccessKey");
    // KMS keys: symmetric, and RSA_2048 and ECC_NIST_P256 for signing.
    auto kms = [&](std::string_view operation, std::string body) {
      http::Request req =
          KmsRequest(operation, std::move(body), data.root_access_key_id, root_secret);
      http::Response resp = pipeline->Handle(req);
      if (resp.status != 200) error = resp.body;
      return resp.body;
    };
    symmetric_key = JsonField(kms("CreateKey", "{}"), "KeyId");
    rsa_key =
        JsonField(kms("CreateKey", R"({"KeySpec":"RSA_2048","KeyUsage":"SIGN_VERIFY"})"), "KeyId");
    ecc_key = JsonField(kms("CreateKey", R"({"KeySpec":"ECC_NIST_P256","KeyUsage":"SIGN_VERIFY"})"),
                        "KeyId");
    // "hello, world", as a 4 KB plaintext is not what most callers send.
    ciphertext = JsonField(
        kms("Encrypt", R"({"KeyId":")" + symmetric_key + R"(","Plaintext":"aGVsbG8sIHdvcmxk"})"),
        "CiphertextBlob");
  }
  ~Fixture() {
    pipeline.reset();
    audited.reset();
    journal.reset();
    log.reset();
    data.store.reset();
    std::filesystem::remove_all(dir);
  }
  std::filesystem::path dir;
  std::string error;
  server::DataDir data;
  ServiceEnvironment env;
  std::unique_ptr<server::AccessLog> log;
  std::unique_ptr<server::Metrics> metrics;
  std::unique_ptr<server::Pipeline> pipeline;
  ServiceEnvironment audited_env;
  std::unique_ptr<cloudtrail::EventLog> journal;
  std::unique_ptr<server::Pipeline> audited;  // with the audit journal
  http::Request request;
  std::string root_secret;
  std::string user_key;
  std::string user_secret;
  std::string symmetric_key;
  std::string rsa_key;
  std::string ecc_key;
  std::string ciphertext;  // base64, of symmetric_key
};

Fixture& SharedFixture() {
  static Fixture fixture;
  return fixture;
}

void RunPipeline(benchmark::State& state, const http::Request& request, bool audited = false) {
  Fixture& fixture = SharedFixture();
  server::Pipeline& pipeline = audited ? *fixture.audited : *fixture.pipeline;
  for (auto _ : state) {
    http::Request copy = request;
    http::Response resp = pipeline.Handle(copy);
    if (resp.status != 200) state.SkipWithError(resp.body.c_str());
    benchmark::DoNotOptimize(resp);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_PipelineGetCallerIdentity(benchmark::State& state) {
  Fixture& fixture = SharedFixture();
  if (!fixture.error.empty()) {
    state.SkipWithError(fixture.error.c_str());
    return;
  }
  RunPipeline(state, fixture.request);
}
BENCHMARK(BM_PipelineGetCallerIdentity)->Threads(1)->Threads(2)->UseRealTime();

// The same with its CloudTrail record written to the audit journal (the cost of auditing
// on the request's thread; the journal's writer thread works beside it).
void BM_PipelineGetCallerIdentityAudited(benchmark::State& state) {
  Fixture& fixture = SharedFixture();
  if (!fixture.error.empty()) {
    state.SkipWithError(fixture.error.c_str());
    return;
  }
  RunPipeline(state, fixture.request, /*audited=*/true);
}
BENCHMARK(BM_PipelineGetCallerIdentityAudited)->Threads(1)->UseRealTime();

// The audit record alone: a KMS Encrypt by an IAM user on one key, written to the journal.
void BM_AuditRecord(benchmark::State& state) {
  Fixture& fixture = SharedFixture();
  server::Auditor auditor(fixture.journal.get());
  RequestContext ctx;
  ctx.request_id = "5c1e0c7d-8a2b-4f3e-9d6a-1b2c3d4e5f60";
  ctx.region = "us-east-1";
  ctx.service = "kms";
  ctx.operation = "Encrypt";
  ctx.source_ip = "127.0.0.1";
  ctx.user_agent = "aws-cli/2.9.19 Python/3.11.2 Linux/6.1.0 source/x86_64.debian.12";
  ctx.caller.type = Principal::Type::kIAMUser;
  ctx.caller.account_id = fixture.data.account_id;
  ctx.caller.arn = "arn:aws:iam::" + fixture.data.account_id + ":user/bench";
  ctx.caller.user_id = "AIDAEXAMPLEEXAMPLE12";
  ctx.caller.access_key_id = "AKIAEXAMPLEEXAMPLE12";
  ctx.resource_arns = {"arn:aws:kms:us-east-1:" + fixture.data.account_id + ":key/" +
                       fixture.symmetric_key};
  server::AuditFacts facts;
  facts.event_source = "kms.amazonaws.com";
  facts.authenticated = true;
  facts.known_operation = true;
  facts.request_parameters = R"({"keyId":")" + fixture.symmetric_key + R"("})";
  const int64_t now_ms = Now() * 1000;
  for (auto _ : state) {
    Status st = auditor.Record(ctx, facts, now_ms);
    if (!st.ok()) state.SkipWithError(st.message().c_str());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AuditRecord)->Threads(1)->UseRealTime();

void BM_PipelineIamGetUserAsRoot(benchmark::State& state) {
  Fixture& fixture = SharedFixture();
  if (!fixture.error.empty()) {
    state.SkipWithError(fixture.error.c_str());
    return;
  }
  RunPipeline(state, QueryRequest("iam", "Action=GetUser&Version=2010-05-08&UserName=bench",
                                  fixture.data.root_access_key_id, fixture.root_secret));
}
BENCHMARK(BM_PipelineIamGetUserAsRoot)->Threads(1)->UseRealTime();

void BM_PipelineIamGetUserAsUserWith10Policies(benchmark::State& state) {
  Fixture& fixture = SharedFixture();
  if (!fixture.error.empty()) {
    state.SkipWithError(fixture.error.c_str());
    return;
  }
  RunPipeline(state, QueryRequest("iam", "Action=GetUser&Version=2010-05-08&UserName=bench",
                                  fixture.user_key, fixture.user_secret));
}
BENCHMARK(BM_PipelineIamGetUserAsUserWith10Policies)->Threads(1)->UseRealTime();

// A KMS request of the root user (bound by the key policy, which the pipeline
// evaluates), body built from the fixture's keys.
void RunKms(benchmark::State& state, std::string_view operation,
            std::string (*body)(const Fixture&), bool audited = false) {
  Fixture& fixture = SharedFixture();
  if (!fixture.error.empty()) {
    state.SkipWithError(fixture.error.c_str());
    return;
  }
  RunPipeline(
      state,
      KmsRequest(operation, body(fixture), fixture.data.root_access_key_id, fixture.root_secret),
      audited);
}

void BM_PipelineKmsEncrypt(benchmark::State& state) {
  RunKms(state, "Encrypt", [](const Fixture& f) {
    return R"({"KeyId":")" + f.symmetric_key + R"(","Plaintext":"aGVsbG8sIHdvcmxk"})";
  });
}
BENCHMARK(BM_PipelineKmsEncrypt)->Threads(1)->Threads(2)->UseRealTime();

void BM_PipelineKmsEncryptAudited(benchmark::State& state) {
  RunKms(
      state, "Encrypt",
      [](const Fixture& f) {
        return R"({"KeyId":")" + f.symmetric_key + R"(","Plaintext":"aGVsbG8sIHdvcmxk"})";
      },
      /*audited=*/true);
}
BENCHMARK(BM_PipelineKmsEncryptAudited)->Threads(1)->UseRealTime();

void BM_PipelineKmsDecrypt(benchmark::State& state) {
  RunKms(state, "Decrypt",
         [](const Fixture& f) { return R"({"CiphertextBlob":")" + f.ciphertext + R"("})"; });
}
BENCHMARK(BM_PipelineKmsDecrypt)->Threads(1)->UseRealTime();

void BM_PipelineKmsGenerateDataKey(benchmark::State& state) {
  RunKms(state, "GenerateDataKey", [](const Fixture& f) {
    return R"({"KeyId":")" + f.symmetric_key + R"(","KeySpec":"AES_256"})";
  });
}
BENCHMARK(BM_PipelineKmsGenerateDataKey)->Threads(1)->UseRealTime();

void BM_PipelineKmsSignRsa2048(benchmark::State& state) {
  RunKms(state, "Sign", [](const Fixture& f) {
    return R"({"KeyId":")" + f.rsa_key +
           R"(","Message":"aGVsbG8sIHdvcmxk","SigningAlgorithm":"RSASSA_PSS_SHA_256"})";
  });
}
BENCHMARK(BM_PipelineKmsSignRsa2048)->Threads(1)->UseRealTime();

void BM_PipelineKmsSignEccP256(benchmark::State& state) {
  RunKms(state, "Sign", [](const Fixture& f) {
    return R"({"KeyId":")" + f.ecc_key +
           R"(","Message":"aGVsbG8sIHdvcmxk","SigningAlgorithm":"ECDSA_SHA_256"})";
  });
}
BENCHMARK(BM_PipelineKmsSignEccP256)->Threads(1)->UseRealTime();

}  // namespace
}  // namespace bulwark

BENCHMARK_MAIN();
