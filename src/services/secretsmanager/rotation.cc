// Secrets Manager: rotation — RotateSecret, CancelRotateSecret, the four-step contract
// (createSecret, setSecret, testSecret, finishSecret) run against a rotation function,
// and the rotations the maintenance sweep starts when a schedule comes due.
//
// Functions are named by RotationLambdaARN, arn:aws:lambda:REGION:ACCOUNT:function:NAME:
// the built-in bulwark-rotate-random-password, bulwark-rotate-postgresql-single-user and
// bulwark-rotate-postgresql-multi-user (postgres.cc), or one the operator registered with
// `bulwark serve --rotation-function NAME=PATH`: an executable run once per step with
// the event JSON ({"SecretId", "ClientRequestToken", "Step"}) as its argument and
// AWS_ENDPOINT_URL set to this server, or an http(s):// URL the event is POSTed to; it
// acts with its own credentials, as a Lambda function acts with its role. Built-in
// functions act as Secrets Manager itself.
#include <curl/curl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>

#include "auth/ids.h"
#include "services/cloudtrail/service_event.h"
#include "services/iam/common.h"
#include "services/secretsmanager/common.h"
#include "services/secretsmanager/handlers.h"
#include "services/secretsmanager/schedule.h"
#include "services/service_util.h"

extern char** environ;

namespace bulwark::secretsmanager {
namespace {

constexpr std::string_view kSteps[] = {"createSecret", "setSecret", "testSecret", "finishSecret"};
constexpr std::string_view kRandomPassword = "bulwark-rotate-random-password";
constexpr std::string_view kPostgresSingle = "bulwark-rotate-postgresql-single-user";
constexpr std::string_view kPostgresMulti = "bulwark-rotate-postgresql-multi-user";
constexpr int kStepTimeoutSeconds = 120;

// What built-in functions are allowed: everything, as Secrets Manager is (the caller of
// RotateSecret was authorized for the rotation).
class ServiceAuthorizer final : public RequestAuthorizer {
 public:
  Status AuthorizeOperation(RequestContext&, const OperationSpec&, const Json&) override {
    return Status::Ok();
  }
  Status AuthorizeUse(RequestContext&, AuthorizationRequest::OtherResource) override {
    return Status::Ok();
  }
};

ServiceAuthorizer& TheService() {
  static ServiceAuthorizer* const service = new ServiceAuthorizer();
  return *service;
}

struct Function {
  std::string name;
  std::string path;  // "" for a built-in function
};

// The function a RotationLambdaARN names, in the caller's account and Region.
Result<Function> FindFunction(const RequestContext& ctx, std::string_view arn) {
  const std::string prefix =
      "arn:aws:lambda:" + ctx.region + ":" + ctx.caller.account_id + ":function:";
  if (!arn.starts_with(prefix)) {
    return InvalidParameter("The RotationLambdaARN " + std::string(arn) +
                            " is not a Lambda function ARN of this account and Region.");
  }
  Function f{std::string(arn.substr(prefix.size())), ""};
  if (f.name == kRandomPassword || f.name == kPostgresSingle || f.name == kPostgresMulti) return f;
  for (const auto& [name, path] : ctx.env->rotation_functions) {
    if (name == f.name) {
      f.path = path;
      return f;
    }
  }
  return InvalidParameter("The rotation function " + f.name +
                          " doesn't exist: Bulwark has bulwark-rotate-random-password and the "
                          "functions registered with --rotation-function.");
}

// bulwark-rotate-random-password: a new password in place of the old one (the
// "password" member of a JSON secret, else the whole value).
Status RandomPasswordStep(RequestContext& svc, const std::string& arn, const std::string& token,
                          std::string_view step) {
  if (step == "createSecret") {
    // Done already when the pending version exists (a retried rotation).
    if (GetSecretValue(svc, {{"SecretId", arn}, {"VersionId", token}, {"VersionStage", kPending}})
            .ok()) {
      return Status::Ok();
    }
    ASSIGN_OR_RETURN(Json current, GetSecretValue(svc, {{"SecretId", arn}}));
    ASSIGN_OR_RETURN(Json password, GetRandomPassword(svc, {{"ExcludeCharacters", "\"@/\\'"}}));
    Json put = {{"SecretId", arn},
                {"ClientRequestToken", token},
                {"VersionStages", Json::array({kPending})}};
    Json value = Json::parse(current.value("SecretString", ""), nullptr, false);
    if (value.is_object() && value.contains("password")) {
      value["password"] = password["RandomPassword"];
      put["SecretString"] = value.dump();
    } else {
      put["SecretString"] = password["RandomPassword"];
    }
    return PutSecretValue(svc, put).status();
  }
  return Status::Ok();  // setSecret and testSecret: nothing outside the secret to change
}

// An operator's executable, once per step; a zero exit status is success.
Status ExecutableStep(const RequestContext& ctx, const Function& f, const Json& event) {
  const std::string argument = event.dump();
  const std::string endpoint = "AWS_ENDPOINT_URL=" + ctx.env->endpoint_url;
  std::vector<char*> env;
  for (char** e = environ; *e; ++e) {
    if (std::string_view(*e).starts_with("AWS_ENDPOINT_URL=")) continue;
    env.push_back(*e);
  }
  env.push_back(const_cast<char*>(endpoint.c_str()));
  env.push_back(nullptr);
  char* argv[] = {const_cast<char*>(f.path.c_str()), const_cast<char*>(argument.c_str()), nullptr};
  pid_t pid = 0;
  if (int rc = posix_spawn(&pid, f.path.c_str(), nullptr, nullptr, argv, env.data()); rc != 0) {
    return Status(ErrorKind::kInternalFailure,
                  "rotation function " + f.name + " could not be started: " + std::strerror(rc));
  }
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(kStepTimeoutSeconds);
  int status = 0;
  while (true) {
    pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return Status(ErrorKind::kInternalFailure, "rotation function " + f.name + " timed out");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return Status(ErrorKind::kInternalFailure,
                  "rotation function " + f.name + " failed at step " + event.value("Step", "") +
                      " (exit status " +
                      std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) + ")");
  }
  return Status::Ok();
}

// An operator's HTTP endpoint, once per step: the event JSON POSTed to it; a 2xx answer
// is success.
Status HttpStep(const Function& f, const Json& event) {
  using Handle = std::unique_ptr<CURL, decltype(&curl_easy_cleanup)>;
  Handle curl(curl_easy_init(), &curl_easy_cleanup);
  if (!curl) return Status(ErrorKind::kInternalFailure, "curl_easy_init failed");
  CURL* c = curl.get();
  const std::string body = event.dump();
  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> own(headers, &curl_slist_free_all);
  curl_easy_setopt(c, CURLOPT_URL, f.path.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, static_cast<long>(kStepTimeoutSeconds));
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  // The answer's body is not read: only its status counts.
  curl_easy_setopt(
      c, CURLOPT_WRITEFUNCTION,
      +[](char*, size_t size, size_t n, void*) -> size_t { return size * n; });
  const CURLcode rc = curl_easy_perform(c);
  long code = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  if (rc != CURLE_OK || code < 200 || code > 299) {
    return Status(ErrorKind::kInternalFailure,
                  "rotation function " + f.name + " failed at step " + event.value("Step", "") +
                      " (" +
                      (rc != CURLE_OK ? std::string(curl_easy_strerror(rc))
                                      : "HTTP " + std::to_string(code)) +
                      ")");
  }
  return Status::Ok();
}

// finishSecret as every AWS rotation function does it, for the built-in functions:
// AWSCURRENT to the new version (the old one keeps AWSPREVIOUS).
Status FinishSecret(RequestContext& svc, const std::string& arn, const std::string& token) {
  ASSIGN_OR_RETURN(Json described, DescribeSecret(svc, {{"SecretId", arn}}));
  std::string current;
  const Json stages_of = described.value("VersionIdsToStages", Json::object());
  for (const auto& [id, stages] : stages_of.items()) {
    for (const Json& s : stages) {
      if (s == kCurrent) current = id;
    }
  }
  if (current == token) return Status::Ok();
  Json move = {{"SecretId", arn}, {"VersionStage", kCurrent}, {"MoveToVersionId", token}};
  if (!current.empty()) move["RemoveFromVersionId"] = current;
  return UpdateSecretVersionStage(svc, move).status();
}

// Takes a secret's next scheduled rotation off the schedule.
Status Unschedule(storage::Transaction& txn, Json& secret) {
  if (!secret.contains("NextRotationDate")) return Status::Ok();
  RETURN_IF_ERROR(txn.Delete(RotationDueKey(secret["NextRotationDate"].get<int64_t>(), secret)));
  secret.erase("NextRotationDate");
  return Status::Ok();
}

// The dates a rotation attempt leaves (and whether it rotated): LastRotatedDate when it rotated,
// and the next rotation of the schedule (a failed one is tried again then, as AWS tries again).
Result<bool> AfterRotation(RequestContext& ctx, const std::string& arn, const std::string& token,
                           bool rotated) {
  const int64_t now = iam::Now(ctx);
  ASSIGN_OR_RETURN(auto txn, iam::BeginWrite(ctx));
  ASSIGN_OR_RETURN(Json secret, LoadSecret(*txn, ctx, arn));
  secret.erase("RotationToken");
  if (rotated) {
    // The function's finishSecret made the new version current; Secrets Manager then
    // takes AWSPENDING off it. A rotation that did not move AWSCURRENT did not happen.
    if (VersionWithStage(secret, kCurrent) != token) {
      rotated = false;
      std::fprintf(stderr,
                   "bulwark: rotation of %s: finishSecret did not make version %s "
                   "current\n",
                   arn.c_str(), token.c_str());
    } else {
      RemoveStage(secret, kPending, token);
      secret["LastRotatedDate"] = now;
    }
  }
  RETURN_IF_ERROR(Unschedule(*txn, secret));
  if (secret.value("RotationEnabled", false) && secret.contains("RotationRules")) {
    Result<Schedule> schedule = ParseRotationRules(secret["RotationRules"]);
    std::optional<int64_t> next = schedule.ok() ? NextRotation(*schedule, now, now) : std::nullopt;
    if (next) {
      secret["NextRotationDate"] = *next;
      RETURN_IF_ERROR(txn->Put(RotationDueKey(*next, secret), ""));
    }
  }
  RETURN_IF_ERROR(SaveSecret(*txn, secret));
  RETURN_IF_ERROR(txn->Commit());
  return rotated;
}

// One rotation of the secret `arn` to the version `token`: the four steps, then the
// rotation dates. A failed step stops it; AWSCURRENT stays where it was.
// A rotation's progress in the audit trail, as AWS's Secrets Manager records it.
void RecordRotation(const RequestContext& ctx, const std::string& arn, const char* name,
                    Json details = nullptr) {
  cloudtrail::ServiceEvent e;
  e.account = ctx.caller.account_id;
  e.region = ctx.region;
  e.event_source = "secretsmanager.amazonaws.com";
  e.event_name = name;
  e.resources = {{"AWS::SecretsManager::Secret", arn}};
  e.additional_event_data = {{"SecretId", arn}};
  e.service_event_details = std::move(details);
  Status st = cloudtrail::RecordServiceEvent(ctx.env->audit_log, e);
  if (!st.ok()) {
    std::fprintf(stderr, "bulwark: audit event %s of %s not written: %s\n", name, arn.c_str(),
                 st.message().c_str());
  }
}

Status Rotate(RequestContext& ctx, const std::string& arn, const std::string& token,
              const Function& f) {
  RequestContext svc = ctx;
  svc.authorizer = &TheService();
  RecordRotation(ctx, arn, "RotationStarted");
  for (std::string_view step : kSteps) {
    const Json event = {{"SecretId", arn}, {"ClientRequestToken", token}, {"Step", step}};
    Status st;
    if (f.path.starts_with("http://") || f.path.starts_with("https://")) {
      st = HttpStep(f, event);
    } else if (!f.path.empty()) {
      st = ExecutableStep(ctx, f, event);
    } else if (step == "finishSecret") {
      st = FinishSecret(svc, arn, token);
    } else if (f.name == kRandomPassword) {
      st = RandomPasswordStep(svc, arn, token, step);
    } else {
      st = PostgresStep(svc, arn, token, step, /*multi_user=*/f.name == kPostgresMulti);
    }
    if (!st.ok()) {
      std::fprintf(stderr, "bulwark: rotation of %s to version %s failed at %.*s: %s\n",
                   arn.c_str(), token.c_str(), static_cast<int>(step.size()), step.data(),
                   st.message().c_str());
      RecordRotation(ctx, arn, "RotationFailed",
                     {{"step", step}, {"versionId", token}, {"failureReason", st.message()}});
      RETURN_IF_ERROR(AfterRotation(ctx, arn, token, /*rotated=*/false).status());
      return st;
    }
  }
  Result<bool> rotated = AfterRotation(ctx, arn, token, /*rotated=*/true);
  if (!rotated.ok()) return rotated.status();
  if (*rotated) {
    RecordRotation(ctx, arn, "RotationSucceeded", {{"versionId", token}});
  } else {
    RecordRotation(ctx, arn, "RotationFailed",
                   {{"step", "finishSecret"},
                    {"versionId", token},
                    {"failureReason", "finishSecret did not make the new version AWSCURRENT"}});
  }
  return Status::Ok();
}

}  // namespace

Result<Json> RotateSecret(RequestContext& ctx, const Json& input) {
  const int64_t now = iam::Now(ctx);
  ASSIGN_OR_RETURN(auto txn, iam::BeginWrite(ctx));
  ASSIGN_OR_RETURN(Json secret, LoadLiveSecret(*txn, ctx, input.value("SecretId", "")));
  const std::string lambda =
      input.value("RotationLambdaARN", secret.value("RotationLambdaARN", ""));
  if (lambda.empty()) {
    return InvalidRequest("No Lambda rotation function ARN is associated with this secret.");
  }
  ASSIGN_OR_RETURN(Function f, FindFunction(ctx, lambda));
  const Json rules = input.contains("RotationRules") ? input["RotationRules"]
                                                     : secret.value("RotationRules", Json());
  std::optional<Schedule> schedule;
  if (!rules.is_null()) {
    ASSIGN_OR_RETURN(schedule, ParseRotationRules(rules));
  }
  // A rotation may start only when AWSPENDING is nowhere or on the current version.
  const std::string pending = VersionWithStage(secret, kPending);
  const std::string token = input.value("ClientRequestToken", "");
  if (!pending.empty() && pending != VersionWithStage(secret, kCurrent) && pending != token) {
    return InvalidRequest("A previous rotation isn't complete. That rotation will be reattempted.");
  }
  if (VersionWithStage(secret, kCurrent).empty() && input.value("RotateImmediately", true)) {
    return InvalidRequest("The secret has no current version to rotate.");
  }
  secret["RotationEnabled"] = true;
  secret["RotationLambdaARN"] = lambda;
  if (!rules.is_null()) secret["RotationRules"] = rules;
  RETURN_IF_ERROR(Unschedule(*txn, secret));
  const bool immediately = input.value("RotateImmediately", true);
  std::string version;
  if (immediately) {
    // The rotation runs on the maintenance thread, at once, as AWS's runs in Lambda: the
    // answer says it started; a failed step shows in the versions (AWSCURRENT
    // unchanged, AWSPENDING left) and in the server log.
    version = !token.empty()                                                     ? token
              : pending.empty() || pending == VersionWithStage(secret, kCurrent) ? ids::NewUuid()
                                                                                 : pending;
    secret["RotationToken"] = version;
    RETURN_IF_ERROR(txn->Put(RotationDueKey(now, secret), ""));
  } else if (schedule) {
    if (std::optional<int64_t> next = NextRotation(*schedule, now, now)) {
      secret["NextRotationDate"] = *next;
      RETURN_IF_ERROR(txn->Put(RotationDueKey(*next, secret), ""));
    }
  }
  secret["LastChangedDate"] = now;
  RETURN_IF_ERROR(SaveSecret(*txn, secret));
  RETURN_IF_ERROR(txn->Commit());
  if (immediately && ctx.env->wake_maintenance) ctx.env->wake_maintenance();
  Json out = Brief(secret);
  if (immediately) out["VersionId"] = version;
  return out;
}

Result<Json> CancelRotateSecret(RequestContext& ctx, const Json& input) {
  ASSIGN_OR_RETURN(auto txn, iam::BeginWrite(ctx));
  ASSIGN_OR_RETURN(Json secret, LoadLiveSecret(*txn, ctx, input.value("SecretId", "")));
  secret["RotationEnabled"] = false;
  secret.erase("RotationToken");
  RETURN_IF_ERROR(Unschedule(*txn, secret));
  secret["LastChangedDate"] = iam::Now(ctx);
  RETURN_IF_ERROR(SaveSecret(*txn, secret));
  RETURN_IF_ERROR(txn->Commit());
  Json out = Brief(secret);
  // The version a rotation in progress was making, if any.
  const std::string pending = VersionWithStage(secret, kPending);
  if (!pending.empty() && pending != VersionWithStage(secret, kCurrent)) out["VersionId"] = pending;
  return out;
}

Status RotateDueSecrets(ServiceEnvironment& env) {
  RequestContext base;
  base.env = &env;
  const int64_t now = iam::Now(base);
  std::vector<DueEntry> due;
  {
    ASSIGN_OR_RETURN(auto txn, iam::BeginWrite(base));
    ASSIGN_OR_RETURN(due, TakeDue(*txn, kRotationDuePrefix, now, 16));
    RETURN_IF_ERROR(txn->Commit());
  }
  for (const DueEntry& entry : due) {
    RequestContext ctx = base;
    ctx.caller.type = Principal::Type::kRoot;
    ctx.caller.account_id = entry.account;
    ctx.caller.arn = "arn:aws:iam::" + ctx.caller.account_id + ":root";
    ctx.region = entry.region;
    ctx.service = "secretsmanager";
    Json secret;
    {
      ASSIGN_OR_RETURN(auto txn, iam::BeginRead(ctx));
      ASSIGN_OR_RETURN(std::optional<Json> found,
                       iam::Load(*txn, SecretKey(entry.account, entry.region, entry.name)));
      if (!found || IsDeleted(*found) || !found->value("RotationEnabled", false)) continue;
      if (!found->contains("RotationToken") && found->value("NextRotationDate", now + 1) > now) {
        continue;  // a stale entry: the schedule moved
      }
      secret = std::move(*found);
    }
    Result<Function> f = FindFunction(ctx, secret.value("RotationLambdaARN", ""));
    if (!f.ok()) continue;
    // The version RotateSecret promised, or the one a failed rotation left pending.
    const std::string pending = VersionWithStage(secret, kPending);
    std::string token = secret.value("RotationToken", "");
    if (token.empty()) {
      token = pending.empty() || pending == VersionWithStage(secret, kCurrent) ? ids::NewUuid()
                                                                               : pending;
    }
    (void)Rotate(ctx, secret.value("ARN", ""), token, *f);
  }
  return Status::Ok();
}

}  // namespace bulwark::secretsmanager
