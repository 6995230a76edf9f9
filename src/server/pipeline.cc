#include "server/pipeline.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <optional>

#include "auth/credential_store.h"
#include "auth/ids.h"
#include "auth/sigv4.h"
#include "core/error_catalog.h"
#include "policy/context.h"
#include "policy/evaluator.h"
#include "policy/parser.h"
#include "policy/values.h"
#include "protocol/protocol.h"
#include "server/access_log.h"
#include "server/audit.h"
#include "server/metrics.h"
#include "services/acmpca/acmpca.h"
#include "services/authorization_message.h"
#include "services/iam/authority.h"

namespace bulwark::server {
namespace {

using protocol::Protocol;
using protocol::ServiceModel;

// Where a request goes, decided before authentication so that errors come back in
// the right protocol's shape.
struct Route {
  const ServiceModel* model = nullptr;
  Protocol protocol = Protocol::kJson;
};

bool LooksLikeQuery(const http::Request& req) {
  std::string_view ct = req.Header("Content-Type");
  if (ct.find("application/x-www-form-urlencoded") != std::string_view::npos) return true;
  std::string_view q = req.RawQuery();
  return q.starts_with("Action=") || q.find("&Action=") != std::string_view::npos;
}

// No SigV4 signature, neither in the Authorization header nor in the query string.
bool IsUnsigned(const http::Request& req) {
  if (!req.Header("Authorization").empty()) return false;
  std::string_view q = req.RawQuery();
  return q.find("X-Amz-Signature") == std::string_view::npos &&
         q.find("X-Amz-Credential") == std::string_view::npos;
}

std::string_view ErrorCodeOf(const Status& st, Protocol protocol) {
  if (st.ok()) return {};
  if (st.kind() == ErrorKind::kService) return st.code();
  const ErrorRow& row = LookupError(st.kind());
  return protocol == Protocol::kQuery ? row.query_code : row.json_code;
}

// A row's resource pattern with {account}, {region} and {InputMember} filled in.
std::string ExpandPattern(std::string_view pattern, const RequestContext& ctx, const Json& input) {
  std::string out;
  out.reserve(pattern.size() + 32);
  size_t i = 0;
  while (i < pattern.size()) {
    size_t open = pattern.find('{', i);
    if (open == std::string_view::npos) break;
    size_t close = pattern.find('}', open);
    if (close == std::string_view::npos) break;
    out.append(pattern.substr(i, open - i));
    std::string_view name = pattern.substr(open + 1, close - open - 1);
    if (name == "account") {
      out.append(ctx.caller.account_id);
    } else if (name == "region") {
      out.append(ctx.region);
    } else if (auto it = input.find(name); it != input.end() && it->is_string()) {
      out.append(it->get_ref<const std::string&>());
    }
    i = close + 1;
  }
  out.append(pattern.substr(i));
  return out;
}

// The root user's identity policy: everything (its account's resource policies still
// apply where they bind it).
Result<std::shared_ptr<const iam::PrincipalPolicies>> RootPolicies() {
  static const std::shared_ptr<const iam::PrincipalPolicies> root = [] {
    auto p = std::make_shared<iam::PrincipalPolicies>();
    p->exists = true;
    p->identity.push_back(
        policy::ParsePolicy(
            R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]})",
            policy::ParseOptions())
            .value());
    return p;
  }();
  return root;
}

std::string_view PrincipalTypeKey(Principal::Type type) {
  switch (type) {
    case Principal::Type::kRoot:
      return "Account";
    case Principal::Type::kIAMUser:
      return "User";
    case Principal::Type::kAssumedRole:
      return "AssumedRole";
    case Principal::Type::kFederatedUser:
      return "FederatedUser";
  }
  return "User";
}

const policy::Policy* PolicyOf(const policy::PolicySet& set, const policy::MatchedStatement& m) {
  switch (m.source) {
    case policy::PolicySource::kIdentity:
      return set.identity[m.policy_index];
    case policy::PolicySource::kResource:
      return set.resource;
    case policy::PolicySource::kPermissionsBoundary:
      return set.permissions_boundaries[m.policy_index];
    case policy::PolicySource::kSession:
      return set.session[m.policy_index];
    default:
      return nullptr;
  }
}

// The details of a denial in the shape of AWS's decoded authorization messages: the
// decision, the statements that explicitly denied, and the request's context.
Json DecodedAuthorizationMessage(const RequestContext& ctx, const policy::RequestContext& request,
                                 const policy::PolicySet& policies, policy::Decision decision,
                                 const std::vector<policy::MatchedStatement>& matched) {
  Json statements = Json::array();
  for (const policy::MatchedStatement& m : matched) {
    if (m.effect != policy::Effect::kDeny) continue;
    const policy::Policy* p = PolicyOf(policies, m);
    if (!p || m.statement_index >= p->statements.size()) continue;
    statements.push_back(
        {{"statementId", p->statements[m.statement_index].sid}, {"effect", "DENY"}});
  }
  Json conditions = Json::array();
  for (const auto& [key, value] : request.keys) {
    Json values = Json::array();
    for (const std::string& v : value.values) values.push_back({{"value", v}});
    conditions.push_back({{"key", key}, {"values", {{"items", std::move(values)}}}});
  }
  Json principal = {{"id", ctx.caller.user_id}, {"arn", ctx.caller.arn}};
  if (ctx.caller.type == Principal::Type::kIAMUser) {
    principal["name"] = ctx.caller.arn.substr(ctx.caller.arn.rfind('/') + 1);
  }
  return {{"allowed", false},
          {"explicitDeny", decision == policy::Decision::kExplicitDeny},
          {"matchedStatements", {{"items", std::move(statements)}}},
          {"failures", {{"items", Json::array()}}},
          {"context",
           {{"principal", std::move(principal)},
            {"action", request.action},
            {"resource", request.resource},
            {"conditions", {{"items", std::move(conditions)}}}}}};
}

// AWS's AccessDenied message, naming the kind of policy that decided. The details go
// into the request's encoded authorization message.
Status Denied(RequestContext& ctx, const policy::RequestContext& request,
              const policy::PolicySet& policies) {
  std::vector<policy::MatchedStatement> matched;
  policy::Decision d = policy::Evaluate(policies, request, &matched);
  if (ctx.env && ctx.env->sealer) {
    Result<std::string> encoded = authorization_message::Encode(
        *ctx.env->sealer, ctx.caller.account_id,
        DecodedAuthorizationMessage(ctx, request, policies, d, matched), ctx.env->now_unix());
    if (encoded.ok()) ctx.encoded_authorization_message = std::move(encoded).value();
  }
  std::string why;
  if (d == policy::Decision::kExplicitDeny) {
    std::string kind = "an identity-based policy";
    for (const auto& m : matched) {
      if (m.effect != policy::Effect::kDeny) continue;
      if (m.source == policy::PolicySource::kPermissionsBoundary) kind = "a permissions boundary";
      if (m.source == policy::PolicySource::kSession) kind = "a session policy";
      if (m.source == policy::PolicySource::kResource) kind = "a resource-based policy";
    }
    why = "with an explicit deny in " + kind;
  } else {
    // Which policy type withheld the permission: the first that does not allow, in
    // the order identity policy, permissions boundary, session policy.
    auto allows_with = [&](bool boundary, bool session) {
      policy::PolicySet partial = policies;
      partial.resource = nullptr;
      if (!boundary) partial.permissions_boundaries.clear();
      if (!session) partial.session.clear();
      return policy::Evaluate(partial, request) == policy::Decision::kAllow;
    };
    std::string kind = "identity-based policy";
    if (policies.resource &&
        request.resource_policy_mode == policy::ResourcePolicyMode::kRequired) {
      kind = "resource-based policy";
    } else if (allows_with(false, false)) {
      kind = !allows_with(true, false) ? "permissions boundary" : "session policy";
    }
    why = "because no " + kind + " allows the " + request.action + " action";
  }
  return Status(ErrorKind::kAccessDenied, "User: " + ctx.caller.arn +
                                              " is not authorized to perform: " + request.action +
                                              " on resource: " + request.resource + " " + why);
}

// The policies allow the request, or a KMS grant does and no policy explicitly denies
// it. A grant to the caller's account needs the identity policies to allow as well.
bool Allowed(const policy::PolicySet& set, const policy::RequestContext& request,
             AuthorizationRequest::Grant grant) {
  const policy::Decision decision = policy::Evaluate(set, request);
  if (decision == policy::Decision::kAllow) return true;
  if (decision == policy::Decision::kExplicitDeny) return false;
  switch (grant) {
    case AuthorizationRequest::Grant::kNone:
      return false;
    case AuthorizationRequest::Grant::kPrincipal:
      return true;
    case AuthorizationRequest::Grant::kAccount: {
      policy::PolicySet identity = set;
      identity.resource = nullptr;
      policy::RequestContext own = request;
      own.resource_policy_mode = policy::ResourcePolicyMode::kOptional;
      own.resource_account = request.principal_account;
      return policy::Evaluate(identity, own) == policy::Decision::kAllow;
    }
  }
  return false;
}

// The further resources of a request (AuthorizationRequest::other_resources), each with
// its own action, policy and keys, in the request's context.
Status AuthorizeOthers(RequestContext& ctx, policy::PolicySet& set, AuthorizationRequest& authz) {
  policy::RequestContext& request = authz.context;
  for (AuthorizationRequest::OtherResource& other : authz.other_resources) {
    request.action = std::move(other.action);
    request.resource = std::move(other.resource);
    request.resource_account = std::move(other.resource_account);
    request.resource_policy_mode = other.resource_policy ? policy::ResourcePolicyMode::kRequired
                                                         : policy::ResourcePolicyMode::kOptional;
    for (auto& [key, value] : other.keys) request.SetKey(key, std::move(value));
    for (auto& [key, values] : other.multi_valued_keys) {
      request.SetMultiValuedKey(key, std::move(values));
    }
    set.resource = other.resource_policy.get();
    if (!Allowed(set, request, other.grant)) return Denied(ctx, request, set);
  }
  return Status::Ok();
}

// The operation a request refused before decoding (its signature did not verify) names,
// for its audit record: X-Amz-Target's or the Action parameter's, when the model has it.
std::string UndecodedOperation(const http::Request& req, const ServiceModel& model) {
  std::string_view name = req.Header("X-Amz-Target");
  if (size_t dot = name.rfind('.'); dot != std::string_view::npos) {
    name.remove_prefix(dot + 1);
  } else {
    name = {};
    for (std::string_view text : {std::string_view(req.body), req.RawQuery()}) {
      size_t at = text.starts_with("Action=") ? 0 : text.find("&Action=");
      if (at == std::string_view::npos) continue;
      text.remove_prefix(text.find('=', at) + 1);
      name = text.substr(0, text.find('&'));
      break;
    }
  }
  if (name.empty() || name.size() > 128 || !model.FindOperation(name)) return {};
  return std::string(name);
}

// Keeps an authorized resource's ARN for the request's audit record. An input member
// that already held an ARN, filled into a row's pattern, is taken as it is.
void NoteResource(RequestContext& ctx, std::string_view arn) {
  if (!arn.starts_with("arn:")) return;
  if (size_t inner = arn.rfind("arn:"); inner != 0) arn.remove_prefix(inner);
  if (arn.ends_with('/') || arn.ends_with(':')) return;  // a member the input lacked
  // A name with a leading '/' in a pattern's ".../{Name}" (SSM: one slash, as AWS's).
  std::string clean(arn);
  for (size_t at = clean.find("//"); at != std::string::npos; at = clean.find("//", at)) {
    clean.erase(at, 1);
  }
  for (const std::string& known : ctx.resource_arns) {
    if (known == clean) return;
  }
  ctx.resource_arns.push_back(std::move(clean));
}

// What a mutating call made, as its answer names it ("Arn" or "ARN" members at the top
// or one level down: CreateKey's KeyMetadata.Arn, CreateSecret's ARN, CreateUser's
// User.Arn), for its audit record's resources.
void NoteCreatedResources(RequestContext& ctx, const Json& output) {
  auto note = [&](const Json& object) {
    for (const char* name : {"Arn", "ARN"}) {
      auto it = object.find(name);
      if (it != object.end() && it->is_string())
        NoteResource(ctx, it->get_ref<const std::string&>());
    }
  };
  if (!output.is_object()) return;
  note(output);
  for (const auto& [name, member] : output.items()) {
    if (member.is_object()) note(member);
  }
}

// The status a call answers when its audit record could not be written.
Status AuditFailure(std::string_view request_id, const Status& why) {
  std::fprintf(stderr, "bulwark: audit record of request %.*s not written: %s\n",
               static_cast<int>(request_id.size()), request_id.data(), why.message().c_str());
  return Status(ErrorKind::kInternalFailure, why.message());
}

}  // namespace

// A request's metrics and access log line, written once its response is decided.
struct Pipeline::Finished {
  Impl* impl = nullptr;
  std::chrono::steady_clock::time_point start;
  const OperationSpec* op = nullptr;
  AccessRecord rec;
  std::vector<std::string> owned;  // what rec's views point into, once Own() ran

  // Makes rec independent of the request, for a response decided later.
  void Own() {
    std::string_view* views[] = {
        &rec.request_id, &rec.remote_addr, &rec.method,        &rec.path,       &rec.service,
        &rec.operation,  &rec.error_code,  &rec.access_key_id, &rec.account_id, &rec.user_agent};
    owned.reserve(std::size(views));
    for (std::string_view* v : views) {
      owned.emplace_back(*v);
      *v = owned.back();
    }
  }
  void Log(int status);
};

// A mutating call's response waiting for its audit record to reach the disk: whichever
// comes second, the write's end or the listener's SendCallback, sends it.
struct Pipeline::DurableWait {
  std::mutex mu;
  std::optional<Status> written;
  http::SendCallback send;
  const ServiceModel* model = nullptr;
  Protocol protocol = Protocol::kJson;
  int status = 200;
  std::unique_ptr<Finished> done;

  void Written(const Status& st) {
    std::unique_lock lock(mu);
    if (!send) {
      written = st;
      return;
    }
    lock.unlock();
    Finish(st);
  }
  void Send(http::SendCallback callback) {
    std::unique_lock lock(mu);
    send = std::move(callback);
    if (!written) return;
    lock.unlock();
    Finish(*written);
  }
  void Finish(const Status& st) {
    if (st.ok()) {
      done->Log(status);
      return send(std::nullopt);
    }
    Status failure = AuditFailure(done->rec.request_id, st);
    http::Response resp;
    protocol::EncodeError(model, protocol, failure, done->rec.request_id, &resp);
    done->rec.error_code = ErrorCodeOf(failure, protocol);
    done->Log(resp.status);
    send(std::move(resp));
  }
};

struct Pipeline::Impl final : RequestAuthorizer {
  Impl(const Registry& registry, ServiceEnvironment* env, auth::CredentialStore* credentials,
       Metrics* metrics, AccessLog* access_log)
      : registry(registry),
        env(env),
        credentials(credentials),
        metrics(metrics),
        access_log(access_log),
        auditor(env->audit_log) {}

  const Registry& registry;
  ServiceEnvironment* env;
  auth::CredentialStore* credentials;
  Metrics* metrics;
  AccessLog* access_log;
  Auditor auditor;
  std::atomic<bool> ready{false};
  bool async_durability = false;
  iam::Authority authority{env};

  // Steps 2-8 for an API request. On error, returns the Status to encode.
  Status Process(http::Request& req, RequestContext& ctx, Route& route,
                 const OperationSpec** op_out, http::Response* resp, AuditFacts* facts);
  // The request's input and output as its audit record holds them.
  void NoteInput(const protocol::OperationModel& op, const Json& input, AuditFacts* facts) const {
    if (auditor.enabled()) AppendAuditValue(op.input(), input, &facts->request_parameters);
  }
  void NoteOutput(const protocol::OperationModel& op, const Json& output, AuditFacts* facts) const {
    if (auditor.enabled() && facts->mutates) {
      AppendAuditValue(op.output(), output, &facts->response_elements);
    }
  }
  // The operation's authorization by the IAM policy engine: the root user may do
  // everything in its account; everyone else needs a policy that allows the request.
  // With `use_only`, only that further resource is evaluated, with the request's
  // context and without the service's hook (RequestAuthorizer::AuthorizeUse).
  Status Authorize(RequestContext& ctx, const ServiceSpec& service, const OperationSpec& op,
                   const Json& input, AuthorizationRequest::OtherResource* use_only = nullptr);

  Status AuthorizeOperation(RequestContext& ctx, const OperationSpec& op,
                            const Json& input) override {
    const ServiceSpec* service = registry.FindService(ctx.service);
    if (!service) return Status(ErrorKind::kInternalFailure, "no service for the request");
    return Authorize(ctx, *service, op, input);
  }
  Status AuthorizeUse(RequestContext& ctx, AuthorizationRequest::OtherResource use) override {
    static constexpr OperationSpec kUse{"", "", "*", {}, Mutates::kNo, nullptr};
    const ServiceSpec* service = registry.FindService(ctx.service);
    if (!service) return Status(ErrorKind::kInternalFailure, "no service for the request");
    return Authorize(ctx, *service, kUse, Json::object(), &use);
  }
};

Status Pipeline::Impl::Authorize(RequestContext& ctx, const ServiceSpec& service,
                                 const OperationSpec& op, const Json& input,
                                 AuthorizationRequest::OtherResource* use_only) {
  if (op.access == Access::kAnyCaller) return Status::Ok();
  // Operations that need no signature authorize in their handler (a signed call to one
  // is not authorized by the signer's policies either).
  if (op.access == Access::kUnsigned) return Status::Ok();
  // The root user may do everything in its account, but where a resource policy binds it.
  // A KMS key's policy binds the root user whichever service uses the key (use_only).
  const bool root = ctx.caller.type == Principal::Type::kRoot;
  if (root && !service.resource_policy_binds_root && !use_only) {
    if (op.resource_pattern != "*" && auditor.enabled()) {
      NoteResource(ctx, ExpandPattern(op.resource_pattern, ctx, input));
    }
    return Status::Ok();
  }

  ASSIGN_OR_RETURN(std::shared_ptr<const iam::PrincipalPolicies> policies,
                   root ? RootPolicies() : authority.PoliciesOf(ctx.caller));
  AuthorizationRequest authz;
  policy::RequestContext& request = authz.context;
  request.SetPrincipal(ctx.caller.arn);
  request.action = std::string(op.action);
  request.resource = ExpandPattern(op.resource_pattern, ctx, input);
  request.resource_account = ctx.caller.account_id;
  // A federated user's session may call no IAM operation, and no STS operation but
  // GetCallerIdentity (which needs no permission), whatever its policies say.
  if (ctx.caller.type == Principal::Type::kFederatedUser &&
      (service.model_name == "iam" || service.model_name == "sts")) {
    return Status(ErrorKind::kAccessDenied,
                  "User: " + ctx.caller.arn + " is not authorized to perform: " + request.action +
                      " on resource: " + request.resource +
                      " because federated users cannot "
                      "call " +
                      std::string(service.model_name == "iam" ? "IAM" : "STS") + " operations");
  }
  const int64_t now = env->now_unix();
  SetRequestKeys(ctx, now, &request);
  request.SetKey("aws:PrincipalArn", ctx.caller.type == Principal::Type::kAssumedRole
                                         ? ctx.caller.session.role_arn
                                         : ctx.caller.arn);
  request.SetKey("aws:PrincipalAccount", ctx.caller.account_id);
  request.SetKey("aws:PrincipalType", std::string(PrincipalTypeKey(ctx.caller.type)));
  request.SetKey("aws:userid", ctx.caller.user_id);
  if (ctx.caller.type == Principal::Type::kIAMUser) request.SetKey("aws:username", policies->name);
  request.SetKey("aws:RequestedRegion", ctx.region);
  const SessionInfo& session = ctx.caller.session;
  if (ctx.caller.temporary()) {
    // AWS sets these only for temporary credentials.
    request.SetKey("aws:TokenIssueTime", policy::FormatDate(session.issued));
    request.SetKey("aws:MultiFactorAuthPresent", session.mfa_authenticated ? "true" : "false");
    if (session.mfa_authenticated) {
      request.SetKey("aws:MultiFactorAuthAge", std::to_string(now - session.issued));
    }
    if (!session.source_identity.empty()) {
      request.SetKey("aws:SourceIdentity", session.source_identity);
    }
  }
  for (const auto& [key, value] : policies->tags) {
    request.SetKey("aws:PrincipalTag/" + key, value);
  }
  policy::PolicySet set;
  for (const policy::Policy& p : policies->identity) set.identity.push_back(&p);
  for (const policy::Policy& p : policies->boundary) set.permissions_boundaries.push_back(&p);
  for (const policy::Policy& p : policies->session) set.session.push_back(&p);
  if (use_only) {
    authz.other_resources.push_back(std::move(*use_only));
    return AuthorizeOthers(ctx, set, authz);
  }
  // Tags in the request, for the operations that take them.
  if (op.HasConditionKey("aws:TagKeys")) {
    std::vector<std::string> keys;
    if (auto it = input.find("Tags"); it != input.end() && it->is_array()) {
      for (const Json& tag : *it) {
        std::string key = tag.value("Key", "");
        request.SetKey("aws:RequestTag/" + key, tag.value("Value", ""));
        keys.push_back(std::move(key));
      }
    }
    if (auto it = input.find("TagKeys"); it != input.end() && it->is_array()) {
      for (const Json& key : *it) {
        if (key.is_string()) keys.push_back(key.get<std::string>());
      }
    }
    if (!keys.empty()) request.SetMultiValuedKey("aws:TagKeys", std::move(keys));
  }
  if (service.complete_authorization) {
    RETURN_IF_ERROR(service.complete_authorization(ctx, op, input, &authz));
  }

  if (auditor.enabled()) {
    if (request.resource != "*") NoteResource(ctx, request.resource);
    for (const AuthorizationRequest::OtherResource& other : authz.other_resources) {
      NoteResource(ctx, other.resource);
    }
  }
  set.resource = authz.resource_policy.get();
  if (!Allowed(set, request, authz.grant)) return Denied(ctx, request, set);
  for (std::string& action : authz.additional_actions) {
    request.action = std::move(action);
    if (policy::Evaluate(set, request) != policy::Decision::kAllow) {
      return Denied(ctx, request, set);
    }
  }
  return AuthorizeOthers(ctx, set, authz);
}

Status Pipeline::Impl::Process(http::Request& req, RequestContext& ctx, Route& route,
                               const OperationSpec** op_out, http::Response* resp,
                               AuditFacts* facts) {
  const auto& models = protocol::ModelRegistry::Instance();

  // 2. Route by X-Amz-Target (JSON protocol) before anything else.
  std::string_view target = req.Header("X-Amz-Target");
  if (!target.empty()) {
    route.protocol = Protocol::kJson;
    size_t dot = target.rfind('.');
    if (dot != std::string_view::npos) {
      route.model = models.FindByTargetPrefix(target.substr(0, dot));
    }
  } else if (LooksLikeQuery(req)) {
    route.protocol = Protocol::kQuery;
  }

  // 2b. Unsigned requests. A few operations take no signature (STS's
  // AssumeRoleWithWebIdentity and AssumeRoleWithSAML: the token or assertion
  // authenticates). Without a credential scope to name the service, a Query request
  // whose Action is one of them goes to STS; anything else unsigned falls through to
  // authentication, which refuses it.
  if (route.protocol == Protocol::kQuery && !route.model && IsUnsigned(req) &&
      (req.body.find("Action=AssumeRoleWith") != std::string::npos ||
       req.RawQuery().find("Action=AssumeRoleWith") != std::string_view::npos)) {
    if (const ServiceModel* sts = models.Find("sts")) {
      Result<protocol::DecodedRequest> decoded = protocol::DecodeRequest(*sts, req);
      if (decoded.ok()) {
        protocol::JsonWiper wipe_input(decoded->input);
        const std::string name(protocol::OperationName(*decoded->operation));
        const OperationSpec* op = registry.FindOperation(sts->name(), name);
        if ((name == "AssumeRoleWithWebIdentity" || name == "AssumeRoleWithSAML") && op &&
            op->access == Access::kUnsigned) {
          route.model = sts;
          ctx.service = std::string(sts->name());
          ctx.operation = name;
          ctx.region = "us-east-1";  // the STS global endpoint's region
          *op_out = op;
          facts->event_source = "sts.amazonaws.com";
          facts->known_operation = true;
          facts->mutates = op->mutates == Mutates::kYes;
          NoteInput(*decoded->operation, decoded->input, facts);
          if (auto role = decoded->input.find("RoleArn");
              role != decoded->input.end() && role->is_string()) {
            NoteResource(ctx, role->get_ref<const std::string&>());
            std::string_view account = AccountOfArn(role->get_ref<const std::string&>());
            if (ids::IsAccountId(account)) facts->account = std::string(account);
          }
          RETURN_IF_ERROR(protocol::ValidateInput(*sts, *decoded->operation, decoded->input));
          ASSIGN_OR_RETURN(Json output, op->handler(ctx, decoded->input));
          protocol::JsonWiper wipe_output(output);
          facts->unsigned_identity = UnsignedCallerIdentity(name, output);
          NoteOutput(*decoded->operation, output, facts);
          protocol::EncodeResult(*sts, *decoded->operation, output, ctx.request_id, resp);
          return Status::Ok();
        }
      }
    }
  }

  // 3. Authentication (the credential scope also names the service for Query and
  // REST-JSON requests).
  ASSIGN_OR_RETURN(sigv4::ParsedAuth auth, sigv4::Parse(req));
  facts->access_key_id = auth.access_key_id;
  if (!route.model) {
    route.model = models.FindBySigningName(auth.service);
    if (route.model) route.protocol = route.model->protocol();
  }
  if (route.model && auditor.enabled()) {
    facts->event_source = std::string(route.model->endpoint_prefix()) + ".amazonaws.com";
  }
  if (!route.model) {
    return Status(
        ErrorKind::kNotFoundRoute,
        "No service is available for the credential scope service '" + auth.service + "'.");
  }
  RETURN_IF_ERROR(sigv4::CheckScope(auth, route.model->signing_name()));
  RETURN_IF_ERROR(sigv4::CheckTime(auth, env->now_unix()));
  Principal principal;
  ASSIGN_OR_RETURN(std::optional<SecretBytes> signing_key,
                   credentials->SigningKey(auth.access_key_id, auth.date, auth.region, auth.service,
                                           &principal));
  if (!signing_key) {
    return Status(ErrorKind::kInvalidClientTokenId,
                  std::string(LookupError(ErrorKind::kInvalidClientTokenId).default_message));
  }
  // The key's owner is known from here: a request that fails to prove it is recorded
  // in the owner's account, with the identity it claimed.
  ctx.caller = principal;
  ctx.region = auth.region;
  RETURN_IF_ERROR(sigv4::Verify(req, auth, *signing_key));
  if (principal.temporary()) {
    RETURN_IF_ERROR(
        credentials->CheckSessionToken(auth.access_key_id, auth.session_token, env->now_unix()));
  } else if (!auth.session_token.empty()) {
    // A long-term key never comes with a session token.
    return Status(ErrorKind::kInvalidToken,
                  std::string(LookupError(ErrorKind::kInvalidToken).default_message));
  }
  credentials->NoteUse(auth.access_key_id, env->now_unix(), route.model->signing_name(),
                       auth.region);
  ctx.caller = std::move(principal);
  facts->authenticated = true;
  ctx.service = std::string(route.model->name());

  // 4. Decode, now that the caller is known, and find the operation's row.
  ASSIGN_OR_RETURN(protocol::DecodedRequest decoded, protocol::DecodeRequest(*route.model, req));
  // What the request and the handler's answer held is wiped before it is freed: the
  // plaintexts, data keys and secret values that pass through.
  protocol::JsonWiper wipe_input(decoded.input);
  ctx.operation = std::string(protocol::OperationName(*decoded.operation));
  const OperationSpec* op = registry.FindOperation(route.model->name(), ctx.operation);
  if (!op) {
    if (route.protocol == Protocol::kQuery) {
      return Status(ErrorKind::kUnsupportedOperation, "Could not find operation " + ctx.operation +
                                                          " for version " +
                                                          std::string(route.model->api_version()) +
                                                          " (not supported by Bulwark yet)");
    }
    return Status(ErrorKind::kUnsupportedOperation,
                  "Operation " + ctx.operation + " is not supported by Bulwark yet.");
  }
  *op_out = op;
  facts->known_operation = true;
  facts->mutates = op->mutates == Mutates::kYes;
  NoteInput(*decoded.operation, decoded.input, facts);

  // 5. Validation against the model.
  RETURN_IF_ERROR(protocol::ValidateInput(*route.model, *decoded.operation, decoded.input));

  // 6. Authorization.
  const ServiceSpec& service = *registry.FindService(route.model->name());
  RETURN_IF_ERROR(Authorize(ctx, service, *op, decoded.input));
  ctx.authorizer = this;

  // 7. The handler.
  ASSIGN_OR_RETURN(Json output, op->handler(ctx, decoded.input));
  protocol::JsonWiper wipe_output(output);
  NoteOutput(*decoded.operation, output, facts);
  if (facts->mutates && auditor.enabled()) NoteCreatedResources(ctx, output);

  // 8. Encode.
  protocol::EncodeResult(*route.model, *decoded.operation, output, ctx.request_id, resp);
  return Status::Ok();
}

Pipeline::Pipeline(const Registry& registry, ServiceEnvironment* env,
                   auth::CredentialStore* credentials, Metrics* metrics, AccessLog* access_log)
    : impl_(new Impl(registry, env, credentials, metrics, access_log)) {
  env->iam_authority = &impl_->authority;
}

Pipeline::~Pipeline() = default;

void Pipeline::SetReady(bool ready) { impl_->ready = ready; }

void Pipeline::SetAsyncDurability(bool on) { impl_->async_durability = on; }

void Pipeline::Finished::Log(int status) {
  const auto latency = std::chrono::steady_clock::now() - start;
  impl->metrics->Record(rec.service, op, status, latency);
  rec.status = status;
  rec.latency_ms = std::chrono::duration<double, std::milli>(latency).count();
  impl->access_log->Write(rec);
}

http::Response Pipeline::Handle(http::Request& req) {
  const auto start = std::chrono::steady_clock::now();
  http::Response resp;
  std::string_view path = req.Path();

  if (path == "/_bulwark/health" && (req.method == "GET" || req.method == "HEAD")) {
    bool ready = impl_->ready.load();
    resp.status = ready ? 200 : 503;
    resp.SetHeader("Content-Type", "application/json");
    resp.body = ready ? "{\"status\":\"ready\"}\n" : "{\"status\":\"starting\"}\n";
    return resp;
  }
  // Private CA's published CRLs, public as in an S3 bucket that serves them.
  constexpr std::string_view kCrlPath = "/_bulwark/pca-crl/";
  if (path.starts_with(kCrlPath) && (req.method == "GET" || req.method == "HEAD")) {
    std::optional<std::string> crl =
        acmpca::ReadPublishedCrl(*impl_->env, path.substr(kCrlPath.size()));
    resp.status = crl ? 200 : 404;
    resp.SetHeader("Content-Type", crl ? "application/pkix-crl" : "text/plain");
    resp.body = crl ? std::move(*crl) : "Not Found\n";
    if (req.method == "HEAD") resp.body.clear();
    return resp;
  }
  if (path == "/metrics" && req.method == "GET") {
    resp.SetHeader("Content-Type", "text/plain; version=0.0.4");
    resp.body = impl_->metrics->Render();
    return resp;
  }

  RequestContext ctx;
  ctx.request_id = ids::NewUuid();
  ctx.source_ip = req.remote_addr;
  ctx.user_agent = std::string(req.Header("User-Agent"));
  ctx.env = impl_->env;
  Route route;
  const OperationSpec* op = nullptr;
  Status st;
  AuditFacts facts;
  try {
    st = impl_->Process(req, ctx, route, &op, &resp, &facts);
  } catch (const std::exception& e) {
    // A handler's bug must cost one request, not the server.
    st = Status(ErrorKind::kInternalFailure, std::string("uncaught exception: ") + e.what());
  }
  if (!st.ok()) {
    if (st.kind() == ErrorKind::kInternalFailure) {
      // Details go to the operator's log, never to the client.
      std::fprintf(stderr, "bulwark: internal error in request %s: %s\n", ctx.request_id.c_str(),
                   st.message().c_str());
    }
    resp = http::Response();
    protocol::EncodeError(route.model, route.protocol, st, ctx.request_id, &resp);
    if (!ctx.encoded_authorization_message.empty()) {
      resp.SetHeader(kAuthorizationMessageHeader, ctx.encoded_authorization_message);
    }
  }

  // 10. The audit record, durable before the response of a mutating call is sent.
  std::shared_ptr<DurableWait> wait;
  if (impl_->auditor.enabled()) {
    if (ctx.operation.empty() && route.model) ctx.operation = UndecodedOperation(req, *route.model);
    facts.error_code = ErrorCodeOf(st, route.protocol);
    if (!st.ok()) {
      facts.error_message =
          st.kind() == ErrorKind::kInternalFailure
              ? std::string(LookupError(ErrorKind::kInternalFailure).default_message)
              : st.message();
    }
    const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    std::function<void(const Status&)> durable;
    if (impl_->async_durability && facts.mutates) {
      wait = std::make_shared<DurableWait>();
      durable = [wait](const Status& written) { wait->Written(written); };
    }
    Status audited = impl_->auditor.Record(ctx, facts, now_ms, std::move(durable));
    if (!audited.ok()) {
      wait.reset();
      st = AuditFailure(ctx.request_id, audited);
      resp = http::Response();
      protocol::EncodeError(route.model, route.protocol, st, ctx.request_id, &resp);
    }
  }

  Finished done;
  done.impl = impl_.get();
  done.start = start;
  done.op = op;
  done.rec.request_id = ctx.request_id;
  done.rec.remote_addr = req.remote_addr;
  done.rec.method = req.method;
  done.rec.path = path;
  done.rec.service = ctx.service;
  done.rec.operation = ctx.operation;
  done.rec.error_code = ErrorCodeOf(st, route.protocol);
  done.rec.access_key_id = ctx.caller.access_key_id;
  done.rec.account_id = ctx.caller.account_id;
  done.rec.user_agent = ctx.user_agent;
  if (!wait) {
    done.Log(resp.status);
    return resp;
  }
  // The response goes once the record is on disk; the listener serves other requests
  // meanwhile. Metrics and the access log then say what was really sent.
  wait->model = route.model;
  wait->protocol = route.protocol;
  wait->done = std::make_unique<Finished>(std::move(done));
  wait->done->Own();
  wait->status = resp.status;
  resp.defer = [wait](http::SendCallback send) { wait->Send(std::move(send)); };
  return resp;
}

http::Response Pipeline::Reject(const http::Request& req, const Status& why) {
  Route route;
  const auto& models = protocol::ModelRegistry::Instance();
  std::string_view target = req.Header("X-Amz-Target");
  if (!target.empty()) {
    size_t dot = target.rfind('.');
    if (dot != std::string_view::npos)
      route.model = models.FindByTargetPrefix(target.substr(0, dot));
  } else if (LooksLikeQuery(req)) {
    route.protocol = Protocol::kQuery;
  }
  http::Response resp;
  std::string request_id = ids::NewUuid();
  protocol::EncodeError(route.model, route.model ? route.model->protocol() : route.protocol, why,
                        request_id, &resp);
  impl_->metrics->Record("", nullptr, resp.status, std::chrono::nanoseconds(0));
  if (impl_->auditor.enabled()) {
    // Refused before it was read: nothing is known of the caller or the operation.
    RequestContext ctx;
    ctx.request_id = request_id;
    ctx.source_ip = req.remote_addr;
    ctx.user_agent = std::string(req.Header("User-Agent"));
    AuditFacts facts;
    if (route.model) {
      facts.event_source = std::string(route.model->endpoint_prefix()) + ".amazonaws.com";
    }
    facts.error_code = ErrorCodeOf(why, route.protocol);
    facts.error_message = why.message();
    (void)impl_->auditor.Record(ctx, facts,
                                std::chrono::duration_cast<std::chrono::milliseconds>(
                                    std::chrono::system_clock::now().time_since_epoch())
                                    .count());
  }
  AccessRecord rec;
  rec.request_id = request_id;
  rec.remote_addr = req.remote_addr;
  rec.method = req.method;
  rec.path = req.Path();
  rec.status = resp.status;
  rec.error_code = ErrorCodeOf(why, route.protocol);
  impl_->access_log->Write(rec);
  return resp;
}

}  // namespace bulwark::server
