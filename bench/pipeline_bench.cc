// In-process costs of the request path, without a network: SigV4 verification alone,
// and the whole pipeline (authenticate, decode, handle, encode, log) for STS
// GetCallerIdentity. Run: build-bench/pipeline_bench (cmake -DBULWARK_BENCH=ON).
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>

#include "auth/sigv4.h"
#include "server/access_log.h"
#include "server/bootstrap.h"
#include "server/metrics.h"
#include "server/pipeline.h"

namespace bulwark {
namespace {

int64_t Now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

http::Request StsRequest(const std::string& key_id, const std::string& secret) {
  http::Request req;
  req.method = "POST";
  req.target = "/";
  req.body = "Action=GetCallerIdentity&Version=2011-06-15";
  req.remote_addr = "127.0.0.1";
  req.headers = {{"Host", "127.0.0.1:4566"},
                 {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"},
                 {"User-Agent", "Boto3/1.26.27 md/Botocore#1.29.27 Python/3.11.2 Linux"}};
  sigv4::SignRequest(&req, key_id, secret, "us-east-1", "sts", Now());
  return req;
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
    env.now_unix = Now;
    log = std::move(server::AccessLog::Open((dir / "access.log").string())).value();
    metrics = std::make_unique<server::Metrics>(server::Registry::Default());
    pipeline = std::make_unique<server::Pipeline>(server::Registry::Default(), &env,
                                                  data.credentials.get(), metrics.get(), log.get());
    request = StsRequest(data.root_access_key_id, std::string(data.new_root_secret.view()));
  }
  ~Fixture() {
    pipeline.reset();
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
  http::Request request;
};

void BM_PipelineGetCallerIdentity(benchmark::State& state) {
  static Fixture fixture;
  if (!fixture.error.empty()) {
    state.SkipWithError(fixture.error.c_str());
    return;
  }
  for (auto _ : state) {
    http::Request copy = fixture.request;
    http::Response resp = fixture.pipeline->Handle(copy);
    if (resp.status != 200) state.SkipWithError(resp.body.c_str());
    benchmark::DoNotOptimize(resp);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PipelineGetCallerIdentity)->Threads(1)->Threads(2)->UseRealTime();

}  // namespace
}  // namespace bulwark

BENCHMARK_MAIN();
