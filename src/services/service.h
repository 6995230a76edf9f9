// What every service sees: the request context and the operation table types.
// Services depend on this header, storage, auth and core; never on protocol/ or http/.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/principal.h"
#include "core/status.h"
#include "policy/context.h"
#include "policy/values.h"

namespace bulwark {

namespace storage {
class KvStore;
class Sealer;
}  // namespace storage
namespace auth {
class CredentialStore;
}  // namespace auth
namespace policy {
struct Policy;
}  // namespace policy
namespace iam {
class Authority;
}  // namespace iam
namespace cloudtrail {
class EventLog;
}  // namespace cloudtrail

// Process-wide services a handler may use. Owned by the server.
struct ServiceEnvironment {
  storage::KvStore* store = nullptr;
  const storage::Sealer* sealer = nullptr;
  std::function<int64_t()> now_unix;  // injected clock
  auth::CredentialStore* credentials = nullptr;
  // Bumped after every committed change to identities, credentials or policies: caches
  // of authorization data compare it to know they are stale, so that a change takes
  // effect on the next request.
  std::atomic<uint64_t> iam_generation{0};
  // IAM's cache of what authorization reads (services/iam/authority.h); set by the
  // server's request pipeline.
  iam::Authority* iam_authority = nullptr;
  // Where the signing keys (JWKS) of OpenID Connect providers may be given as files
  // named after the provider URL (host + path, '/' replaced by '_', ".json"); empty:
  // none. Without a file the keys are fetched from the provider's discovery document.
  std::string oidc_jwks_dir;
  // Secrets Manager's rotation functions the operator registered: name → executable.
  std::vector<std::pair<std::string, std::string>> rotation_functions;
  // This server's URL (http://HOST:PORT), for the functions it runs.
  std::string endpoint_url;
  // Asks for a maintenance pass now (set by the server's maintenance thread; may be
  // empty): a request that made work due at once, such as a rotation, calls it.
  std::function<void()> wake_maintenance;
  // The journal of audit events (null: auditing off): written by the request pipeline,
  // read by CloudTrail.
  cloudtrail::EventLog* audit_log = nullptr;
  // CloudTrail trails: the directory standing for S3, one subdirectory per bucket, and how
  // often log files and digest files are delivered (seconds).
  std::string trail_bucket_dir;
  int64_t trail_delivery_interval = 300;
  int64_t trail_digest_interval = 3600;
  // Private CA's CRLs: the directory standing for S3, one subdirectory per bucket, served
  // at ENDPOINT/_bulwark/pca-crl/BUCKET/KEY.
  std::string pca_crl_dir;
};

using Json = nlohmann::json;
struct OperationSpec;
struct RequestContext;

// What one request is authorized against.
struct AuthorizationRequest {
  policy::RequestContext context;
  // The resource's own policy when it has one (a role's trust policy, a key policy);
  // with context.resource_policy_mode kRequired it must allow the request.
  std::shared_ptr<const policy::Policy> resource_policy;
  // Further actions the same request must also be allowed (AssumeRole with session tags
  // needs sts:TagSession as well, with SourceIdentity sts:SetSourceIdentity).
  std::vector<std::string> additional_actions;
  // A KMS grant on the resource that allows the request, whatever the policies say but
  // an explicit deny: kPrincipal, a grant to the caller (or its role); kAccount, a grant
  // to the caller's account, which its identity policies must allow as well.
  enum class Grant { kNone, kPrincipal, kAccount };
  Grant grant = Grant::kNone;
  // Further resources the same request acts on, each of which must allow its own action
  // too (KMS ReEncrypt: kms:ReEncryptFrom on the source key, kms:ReEncryptTo on the
  // destination key). Evaluated with the request's context and these changes.
  struct OtherResource {
    std::string action;
    std::string resource;
    std::string resource_account;
    std::shared_ptr<const policy::Policy> resource_policy;  // must allow when set
    std::vector<std::pair<std::string, std::string>> keys;  // condition keys to set
    std::vector<std::pair<std::string, std::vector<std::string>>> multi_valued_keys;
    Grant grant = Grant::kNone;
  };
  std::vector<OtherResource> other_resources;
};

// What a handler does besides its operation, authorized for the request's caller as the
// pipeline authorized the operation itself. Implemented by the server's request pipeline.
class RequestAuthorizer {
 public:
  // Another operation of the same service, with its own input, as if it were requested
  // (the service's hook included): Secrets Manager's BatchGetSecretValue authorizes a
  // GetSecretValue per secret and answers each denial apart.
  virtual Status AuthorizeOperation(RequestContext& ctx, const OperationSpec& op,
                                    const Json& input) = 0;
  // A further resource the request acts on, decided only when the handler knows it:
  // the KMS key that encrypts a secret version, with that version's encryption context.
  virtual Status AuthorizeUse(RequestContext& ctx, AuthorizationRequest::OtherResource use) = 0;

 protected:
  ~RequestAuthorizer() = default;
};

struct RequestContext {
  std::string request_id;
  std::string region;     // from the SigV4 credential scope
  std::string service;    // model name, e.g. "sts"
  std::string operation;  // e.g. "GetCallerIdentity"
  std::string source_ip;
  std::string user_agent;
  Principal caller;
  ServiceEnvironment* env = nullptr;
  // An MFA code sent with the request (STS SerialNumber/TokenCode) was verified while
  // authorizing it.
  bool mfa_code_verified = false;
  // Set when the pipeline denies the request: its details, sealed for
  // sts:DecodeAuthorizationMessage (services/authorization_message.h).
  std::string encoded_authorization_message;
  // Set by the pipeline once the operation is authorized (RequestAuthorizer).
  RequestAuthorizer* authorizer = nullptr;
  // The ARNs of the resources the request was authorized on, for its audit record.
  std::vector<std::string> resource_arns;
};

using OperationHandler = Result<Json> (*)(RequestContext& ctx, const Json& input);

enum class Mutates { kNo, kYes };

// Who may call an operation: those the IAM policies allow (the rule), or any
// authenticated caller (sts:GetCallerIdentity, which AWS answers even under an explicit
// deny), or a caller without credentials at all (sts:AssumeRoleWithWebIdentity, whose
// token is the authentication; the handler authorizes with the role's trust policy).
enum class Access { kPolicy, kAnyCaller, kUnsigned };

// One row of a service's operation table. Routing, authorization, audit and metrics
// all read it; adding an operation is adding a row.
struct OperationSpec {
  std::string_view name;              // the model's operation name, e.g. "CreateKey"
  std::string_view action;            // IAM action, e.g. "kms:CreateKey"
  std::string_view resource_pattern;  // ARN pattern, "*" when the action has no resource
  std::span<const std::string_view> condition_keys;  // service-specific keys the action supports
  Mutates mutates;
  OperationHandler handler;
  Access access = Access::kPolicy;

  bool HasConditionKey(std::string_view key) const {
    for (std::string_view k : condition_keys) {
      if (k == key) return true;
    }
    return false;
  }
};

// The condition keys every request carries, whoever makes it and whatever the policy
// that decides it: aws:SourceIp, aws:UserAgent, aws:CurrentTime, aws:EpochTime and
// aws:SecureTransport (false: the listener speaks plain HTTP).
inline void SetRequestKeys(const RequestContext& ctx, int64_t now,
                           policy::RequestContext* request) {
  request->SetKey("aws:SourceIp", ctx.source_ip);
  request->SetKey("aws:UserAgent", ctx.user_agent);
  request->SetKey("aws:CurrentTime", policy::FormatDate(now));
  request->SetKey("aws:EpochTime", std::to_string(now));
  request->SetKey("aws:SecureTransport", "false");
}

// Completes the authorization request of one operation before it is evaluated: the
// resource ARN as the service stores it (IAM ARNs carry the entity's path, for
// example), the resource's policy and the service's own condition keys. The server has
// already set the principal, the action, the resource from the row's pattern and the
// global keys.
using AuthorizationHook = Status (*)(RequestContext& ctx, const OperationSpec& op,
                                     const Json& input, AuthorizationRequest* request);

// Work a service does on its own as time passes (KMS: destroying keys whose deletion
// window ended, automatic rotations, expiring imported key material), called by the
// server every few seconds and never at the same time as itself.
using MaintenanceHook = Status (*)(ServiceEnvironment& env);

struct ServiceSpec {
  std::string_view model_name;  // models/<name>.json
  std::span<const OperationSpec> operations;
  AuthorizationHook complete_authorization = nullptr;
  // The root user is bound by the resource policy of the resource it acts on (KMS key
  // policies), not allowed everything in its account.
  bool resource_policy_binds_root = false;
  MaintenanceHook maintain = nullptr;
};

}  // namespace bulwark
