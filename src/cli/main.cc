// The `bulwark` command.
#include <pthread.h>
#include <signal.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>

#include "http/server.h"
#include "policy/values.h"
#include "server/access_log.h"
#include "server/bootstrap.h"
#include "server/maintenance.h"
#include "server/metrics.h"
#include "server/pipeline.h"
#include "server/registry.h"
#include "services/cloudtrail/common.h"
#include "services/cloudtrail/delivery.h"
#include "services/cloudtrail/event_log.h"
#include "storage/kv.h"

namespace {

struct ServeFlags {
  std::string listen = "127.0.0.1:4566";
  std::string data_dir = "./data";
  std::string root_key_file;
  std::string access_log;                       // default: <data-dir>/access.log
  std::string oidc_jwks_dir;                    // JWKS files of OpenID Connect providers
  std::vector<std::string> rotation_functions;  // NAME=PATH
  int io_threads = 0;
  size_t max_body_bytes = 10 * 1024 * 1024;
  size_t max_header_bytes = 16 * 1024;
  size_t max_connections = 4096;
  int header_timeout = 30;
  int body_timeout = 60;
  int maintenance_interval = 10;      // seconds between maintenance passes
  std::string trail_bucket_dir;       // default: <data-dir>/cloudtrail/buckets
  std::string pca_crl_dir;            // default: <data-dir>/acm-pca/crl
  int trail_delivery_interval = 300;  // seconds between log file deliveries
  int trail_digest_interval = 3600;   // seconds between digest files
  std::string audit = "on";           // "off": no audit records (event history stays empty)
};

bool SplitHostPort(const std::string& s, std::string* host, uint16_t* port) {
  size_t colon = s.rfind(':');
  if (colon == std::string::npos) return false;
  *host = s.substr(0, colon);
  if (host->size() >= 2 && host->front() == '[' && host->back() == ']') {
    *host = host->substr(1, host->size() - 2);
  }
  try {
    size_t used = 0;
    unsigned long p = std::stoul(s.substr(colon + 1), &used);
    if (used != s.size() - colon - 1 || p > 65535) return false;
    *port = static_cast<uint16_t>(p);
  } catch (...) {
    return false;
  }
  return !host->empty();
}

int Serve(const ServeFlags& flags) {
  using namespace bulwark;
  const auto start = std::chrono::steady_clock::now();
  http::ServerOptions options;
  if (!SplitHostPort(flags.listen, &options.host, &options.port)) {
    std::fprintf(stderr, "bulwark: --listen wants HOST:PORT, got '%s'\n", flags.listen.c_str());
    return 2;
  }
  options.io_threads = flags.io_threads;
  options.max_body_bytes = flags.max_body_bytes;
  options.max_header_bytes = flags.max_header_bytes;
  options.max_connections = flags.max_connections;
  options.header_timeout = std::chrono::seconds(flags.header_timeout);
  options.body_timeout = std::chrono::seconds(flags.body_timeout);

  // Signals are taken by one thread with sigwait; every other thread blocks them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  server::DataDirOptions dir_options;
  // Absolute, so that the paths printed for the user work from any directory.
  std::error_code ec;
  auto absolute = std::filesystem::absolute(flags.data_dir, ec).lexically_normal();
  if (!absolute.has_filename()) absolute = absolute.parent_path();  // a trailing '/'
  dir_options.path = ec ? flags.data_dir : absolute.string();
  dir_options.root_key_file = flags.root_key_file;
  auto dir = server::OpenDataDir(dir_options);
  if (!dir.ok()) {
    std::fprintf(stderr, "bulwark: cannot open data directory %s: %s\n", flags.data_dir.c_str(),
                 dir.status().message().c_str());
    return 1;
  }
  std::string log_dest = flags.access_log.empty() ? dir->path + "/access.log" : flags.access_log;
  auto access_log = server::AccessLog::Open(log_dest);
  if (!access_log.ok()) {
    std::fprintf(stderr, "bulwark: %s\n", access_log.status().message().c_str());
    return 1;
  }

  const server::Registry& registry = server::Registry::Default();
  server::Metrics metrics(registry);
  ServiceEnvironment env;
  env.store = dir->store.get();
  env.sealer = dir->sealer.get();
  env.credentials = dir->credentials.get();
  env.oidc_jwks_dir = flags.oidc_jwks_dir;
  for (const std::string& f : flags.rotation_functions) {
    const size_t eq = f.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == f.size()) {
      std::fprintf(stderr, "bulwark: --rotation-function takes NAME=PATH, not %s\n", f.c_str());
      return 1;
    }
    env.rotation_functions.emplace_back(f.substr(0, eq), f.substr(eq + 1));
  }
  std::unique_ptr<cloudtrail::EventLog> audit_log;
  if (flags.audit != "off") {
    cloudtrail::EventLog::Options audit_options;
    audit_options.dir = dir->path + "/cloudtrail/events";
    auto opened = cloudtrail::EventLog::Open(audit_options);
    if (!opened.ok()) {
      std::fprintf(stderr, "bulwark: cannot open the audit journal: %s\n",
                   opened.status().message().c_str());
      return 1;
    }
    audit_log = std::move(opened).value();
    env.audit_log = audit_log.get();
  }
  env.trail_bucket_dir =
      flags.trail_bucket_dir.empty() ? dir->path + "/cloudtrail/buckets" : flags.trail_bucket_dir;
  env.pca_crl_dir = flags.pca_crl_dir.empty() ? dir->path + "/acm-pca/crl" : flags.pca_crl_dir;
  env.trail_delivery_interval = flags.trail_delivery_interval;
  env.trail_digest_interval = flags.trail_digest_interval;
  env.now_unix = [] {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  server::Pipeline pipeline(registry, &env, dir->credentials.get(), &metrics, access_log->get());
  // A mutating call's response waits for its record on the journal's thread, not on an
  // I/O thread: the journal's group commit then covers every mutation in flight.
  pipeline.SetAsyncDurability(true);
  // Work that comes due as time passes (KMS key deletions and rotations...).
  server::Maintenance maintenance(registry, &env, std::chrono::seconds(flags.maintenance_interval));
  auto srv = http::Server::Create(options, &pipeline);
  if (!srv.ok()) {
    std::fprintf(stderr, "bulwark: %s\n", srv.status().message().c_str());
    return 1;
  }
  http::Server* server = srv->get();

  if (!dir->new_root_secret.empty()) {
    std::printf(
        "Created account %s with root credentials (shown once; also in %s):\n"
        "  aws_access_key_id     = %s\n"
        "  aws_secret_access_key = %.*s\n",
        dir->account_id.c_str(), dir->credentials_file.c_str(), dir->root_access_key_id.c_str(),
        static_cast<int>(dir->new_root_secret.size()),
        reinterpret_cast<const char*>(dir->new_root_secret.data()));
    dir->new_root_secret = SecretBytes();
  }
  const std::string host_for_url =
      options.host.find(':') != std::string::npos ? "[" + options.host + "]" : options.host;
  auto startup_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  std::printf(
      "Bulwark listening on http://%s:%u (account %s, data dir %s, ready in %.1f ms)\n"
      "Try: AWS_SHARED_CREDENTIALS_FILE=%s aws --endpoint-url http://%s:%u "
      "sts get-caller-identity\n",
      host_for_url.c_str(), server->port(), dir->account_id.c_str(), dir->path.c_str(), startup_ms,
      dir->credentials_file.c_str(), host_for_url.c_str(), server->port());
  std::fflush(stdout);
  env.endpoint_url = "http://" + host_for_url + ":" + std::to_string(server->port());
  pipeline.SetReady(true);
  maintenance.Start();

  std::thread signal_thread([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    if (sig == SIGTERM || sig == SIGINT) {
      std::fprintf(stderr, "bulwark: shutting down (signal %d)\n", sig);
    }
    pipeline.SetReady(false);
    server->Shutdown();
  });
  server->Run();
  maintenance.Stop();
  // Run() returns only after Shutdown(); wake the signal thread if it is still waiting.
  pthread_kill(signal_thread.native_handle(), SIGTERM);
  signal_thread.join();
  // Every response still waiting for its record hears of it before the listener goes.
  if (audit_log) (void)audit_log->Flush();
  srv->reset();
  dir->store.reset();  // closes the database cleanly (WAL checkpoint)
  std::fprintf(stderr, "bulwark: stopped\n");
  return 0;
}

// Opens an existing data directory for the admin commands, which never create one.
std::optional<bulwark::server::DataDir> OpenExisting(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(std::filesystem::path(path) / "bulwark.db", ec)) {
    std::fprintf(stderr, "bulwark: no data directory at %s (run bulwark serve first)\n",
                 path.c_str());
    return std::nullopt;
  }
  bulwark::server::DataDirOptions options;
  options.path = path;
  auto dir = bulwark::server::OpenDataDir(options);
  if (!dir.ok()) {
    std::fprintf(stderr, "bulwark: cannot open data directory %s: %s\n", path.c_str(),
                 dir.status().message().c_str());
    return std::nullopt;
  }
  return std::move(dir).value();
}

// `bulwark admin create-account`: another account with its own root credentials, in a
// data directory a server may be running on. Prints the account as JSON.
int CreateAccount(const std::string& data_dir_path, const std::string& profile) {
  auto dir = OpenExisting(data_dir_path);
  if (!dir) return 1;
  auto account = bulwark::server::CreateAccount(*dir, profile);
  if (!account.ok()) {
    std::fprintf(stderr, "bulwark: %s\n", account.status().message().c_str());
    return 1;
  }
  std::printf(
      "{\n  \"AccountId\": \"%s\",\n  \"AccessKeyId\": \"%s\",\n  \"SecretAccessKey\": "
      "\"%.*s\",\n  \"Profile\": \"%s\",\n  \"CredentialsFile\": \"%s\"\n}\n",
      account->account_id.c_str(), account->root_access_key_id.c_str(),
      static_cast<int>(account->root_secret.size()),
      reinterpret_cast<const char*>(account->root_secret.data()), account->profile.c_str(),
      dir->credentials_file.c_str());
  return 0;
}

int ListAccounts(const std::string& data_dir_path) {
  auto dir = OpenExisting(data_dir_path);
  if (!dir) return 1;
  auto accounts = bulwark::server::ListAccounts(*dir);
  if (!accounts.ok()) {
    std::fprintf(stderr, "bulwark: %s\n", accounts.status().message().c_str());
    return 1;
  }
  for (const std::string& id : *accounts) std::printf("%s\n", id.c_str());
  return 0;
}

struct VerifyFlags {
  std::string data_dir = "./data";
  std::string trail;
  std::string start_time;
  std::string bucket_dir;  // default: DATA_DIR/cloudtrail/buckets
};

// `bulwark trail verify`: AWS's log file validation over a trail's delivered files.
// Prints a line per file and a summary; exits 1 on any missing, added or modified file.
int TrailVerify(const VerifyFlags& flags) {
  using bulwark::Json;
  auto dir = OpenExisting(flags.data_dir);
  if (!dir) return 2;
  int64_t start = 0;
  if (!flags.start_time.empty()) {
    // "2026-12-03", "2026-12-03T18:00:00Z" or Unix seconds.
    std::optional<int64_t> ms = bulwark::policy::ParseDateMs(flags.start_time);
    start = ms && *ms >= 0 ? *ms / 1000 : -1;
  }
  if (start < 0) {
    std::fprintf(stderr, "bulwark: --start-time wants YYYY-MM-DD[THH:MM:SSZ] or Unix seconds\n");
    return 2;
  }
  auto rows = dir->store->Scan(bulwark::cloudtrail::kTrailPrefix);
  if (!rows.ok()) {
    std::fprintf(stderr, "bulwark: %s\n", rows.status().message().c_str());
    return 2;
  }
  std::vector<Json> matches;
  for (const auto& row : *rows) {
    Json trail = Json::parse(row.value, nullptr, false);
    if (trail.is_object() &&
        (trail.value("Name", "") == flags.trail || trail.value("TrailARN", "") == flags.trail)) {
      matches.push_back(std::move(trail));
    }
  }
  if (matches.size() != 1) {
    std::fprintf(stderr,
                 matches.empty() ? "bulwark: no trail %s in %s\n"
                                 : "bulwark: several trails are named %s in %s: give its ARN\n",
                 flags.trail.c_str(), flags.data_dir.c_str());
    return 2;
  }
  if (!matches[0].value("LogFileValidationEnabled", false)) {
    std::fprintf(stderr, "bulwark: trail %s does not have log file validation enabled\n",
                 flags.trail.c_str());
    return 2;
  }
  auto keys = bulwark::cloudtrail::DigestPublicKeys(*dir->store);
  if (!keys.ok()) {
    std::fprintf(stderr, "bulwark: %s\n", keys.status().message().c_str());
    return 2;
  }
  const std::string buckets =
      flags.bucket_dir.empty() ? dir->path + "/cloudtrail/buckets" : flags.bucket_dir;
  auto result = bulwark::cloudtrail::VerifyTrail(matches[0], *keys, buckets, start);
  for (const std::string& line : result.lines) std::printf("%s\n", line.c_str());
  return result.problems == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Bulwark: a self-hosted, AWS-compatible security and compliance plane"};
  app.require_subcommand(1);
  ServeFlags flags;
  auto* serve = app.add_subcommand("serve", "Run the API server");
  serve->set_config("--config", "", "Read options from a TOML/INI file (keys as the long flags)");
  serve->add_option("--listen", flags.listen, "HOST:PORT to listen on (port 0: any free port)")
      ->envname("BULWARK_LISTEN")
      ->capture_default_str();
  serve->add_option("--data-dir", flags.data_dir, "Data directory (created mode 0700)")
      ->envname("BULWARK_DATA_DIR")
      ->capture_default_str();
  serve
      ->add_option("--root-key-file", flags.root_key_file,
                   "Root key file (default: DATA_DIR/root.key)")
      ->envname("BULWARK_ROOT_KEY_FILE");
  serve
      ->add_option("--access-log", flags.access_log,
                   "Access log: a file, '-' for standard error, 'off' (default: "
                   "DATA_DIR/access.log)")
      ->envname("BULWARK_ACCESS_LOG");
  serve
      ->add_option("--oidc-jwks-dir", flags.oidc_jwks_dir,
                   "Directory of OpenID Connect providers' JWKS files (HOST_PATH.json)")
      ->envname("BULWARK_OIDC_JWKS_DIR");
  serve
      ->add_option("--rotation-function", flags.rotation_functions,
                   "A Secrets Manager rotation function: NAME=PATH of an executable run for "
                   "each rotation step (repeatable)")
      ->envname("BULWARK_ROTATION_FUNCTIONS")
      ->delimiter(',');
  serve->add_option("--io-threads", flags.io_threads, "I/O threads (0: one per core)")
      ->envname("BULWARK_IO_THREADS")
      ->check(CLI::Range(0, 256));
  serve->add_option("--max-body-bytes", flags.max_body_bytes, "Largest request body accepted")
      ->envname("BULWARK_MAX_BODY_BYTES")
      ->capture_default_str();
  serve->add_option("--max-header-bytes", flags.max_header_bytes, "Largest request head accepted")
      ->envname("BULWARK_MAX_HEADER_BYTES")
      ->capture_default_str();
  serve->add_option("--max-connections", flags.max_connections, "Open connections at most")
      ->envname("BULWARK_MAX_CONNECTIONS")
      ->capture_default_str();
  serve
      ->add_option("--header-timeout", flags.header_timeout,
                   "Seconds to receive a request head (also the keep-alive idle limit)")
      ->envname("BULWARK_HEADER_TIMEOUT")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  serve
      ->add_option("--body-timeout", flags.body_timeout,
                   "Seconds to receive a request body or send a response")
      ->envname("BULWARK_BODY_TIMEOUT")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  serve
      ->add_option("--maintenance-interval", flags.maintenance_interval,
                   "Seconds between passes over work that comes due (key deletions, rotations)")
      ->envname("BULWARK_MAINTENANCE_INTERVAL")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  serve
      ->add_option("--audit", flags.audit,
                   "on: every request's CloudTrail record is written to "
                   "DATA_DIR/cloudtrail/events (event history, trails); off: none")
      ->envname("BULWARK_AUDIT")
      ->check(CLI::IsMember({"on", "off"}))
      ->capture_default_str();
  serve
      ->add_option("--trail-bucket-dir", flags.trail_bucket_dir,
                   "Where trails deliver: one directory per S3 bucket (default: "
                   "DATA_DIR/cloudtrail/buckets)")
      ->envname("BULWARK_TRAIL_BUCKET_DIR");
  serve
      ->add_option("--pca-crl-dir", flags.pca_crl_dir,
                   "Where Private CAs publish their CRLs: one directory per S3 bucket "
                   "(default: DATA_DIR/acm-pca/crl), served at /_bulwark/pca-crl/BUCKET/KEY")
      ->envname("BULWARK_PCA_CRL_DIR");
  serve
      ->add_option("--trail-delivery-interval", flags.trail_delivery_interval,
                   "Seconds between a trail's log file deliveries")
      ->envname("BULWARK_TRAIL_DELIVERY_INTERVAL")
      ->check(CLI::Range(1, 86400))
      ->capture_default_str();
  serve
      ->add_option("--trail-digest-interval", flags.trail_digest_interval,
                   "Seconds between a trail's digest files (log file validation)")
      ->envname("BULWARK_TRAIL_DIGEST_INTERVAL")
      ->check(CLI::Range(1, 86400))
      ->capture_default_str();
  auto* admin = app.add_subcommand("admin", "Operator tasks on a data directory");
  admin->require_subcommand(1);
  std::string admin_data_dir = "./data";
  std::string profile;
  auto* create_account =
      admin->add_subcommand("create-account", "Create an account with its own root credentials");
  create_account->add_option("--data-dir", admin_data_dir, "Data directory")
      ->envname("BULWARK_DATA_DIR")
      ->capture_default_str();
  create_account->add_option("--profile", profile,
                             "Profile name in DATA_DIR/credentials (default: account-ID)");
  auto* list_accounts = admin->add_subcommand("list-accounts", "List the accounts");
  list_accounts->add_option("--data-dir", admin_data_dir, "Data directory")
      ->envname("BULWARK_DATA_DIR")
      ->capture_default_str();
  auto* trail = app.add_subcommand("trail", "Offline tools for CloudTrail trails");
  trail->require_subcommand(1);
  VerifyFlags verify_flags;
  auto* verify = trail->add_subcommand(
      "verify", "Validate a trail's log and digest files (exit 1 on any problem)");
  verify->add_option("--data-dir", verify_flags.data_dir, "Data directory")
      ->envname("BULWARK_DATA_DIR")
      ->capture_default_str();
  verify->add_option("--trail", verify_flags.trail, "The trail's name or ARN")->required();
  verify->add_option("--start-time", verify_flags.start_time,
                     "Check from this time on (YYYY-MM-DD[THH:MM:SSZ] or Unix seconds)");
  verify
      ->add_option("--bucket-dir", verify_flags.bucket_dir,
                   "The server's --trail-bucket-dir (default: DATA_DIR/cloudtrail/buckets)")
      ->envname("BULWARK_TRAIL_BUCKET_DIR");
  auto* version = app.add_subcommand("version", "Print the version");
  CLI11_PARSE(app, argc, argv);
  if (verify->parsed()) return TrailVerify(verify_flags);
  if (create_account->parsed()) return CreateAccount(admin_data_dir, profile);
  if (list_accounts->parsed()) return ListAccounts(admin_data_dir);
  if (version->parsed()) {
    std::printf("bulwark 0.1.0\n");
    return 0;
  }
  return Serve(flags);
}
