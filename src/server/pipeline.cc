#include "server/pipeline.h"

#include <atomic>
#include <chrono>
#include <cstdio>

#include "auth/credential_store.h"
#include "auth/ids.h"
#include "auth/sigv4.h"
#include "core/error_catalog.h"
#include "protocol/protocol.h"
#include "server/access_log.h"
#include "server/metrics.h"

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

std::string_view ErrorCodeOf(const Status& st, Protocol protocol) {
  if (st.ok()) return {};
  if (st.kind() == ErrorKind::kService) return st.code();
  const ErrorRow& row = LookupError(st.kind());
  return protocol == Protocol::kQuery ? row.query_code : row.json_code;
}

}  // namespace

struct Pipeline::Impl {
  const Registry& registry;
  ServiceEnvironment* env;
  auth::CredentialStore* credentials;
  Metrics* metrics;
  AccessLog* access_log;
  std::atomic<bool> ready{false};

  // Steps 2-8 for an API request. On error, returns the Status to encode.
  Status Process(http::Request& req, RequestContext& ctx, Route& route,
                 const OperationSpec** op_out, http::Response* resp);
  // The operation's authorization. Until the IAM policy engine lands, the account's
  // root user is the only principal that exists, and it may call everything.
  Status Authorize(const RequestContext& ctx, const OperationSpec& op);
};

Status Pipeline::Impl::Authorize(const RequestContext& ctx, const OperationSpec& op) {
  if (ctx.caller.type == Principal::Type::kRoot) return Status::Ok();
  return Status(
      ErrorKind::kAccessDenied,
      "User: " + ctx.caller.arn + " is not authorized to perform: " + std::string(op.action) +
          " because no identity-based policy allows the " + std::string(op.action) + " action");
}

Status Pipeline::Impl::Process(http::Request& req, RequestContext& ctx, Route& route,
                               const OperationSpec** op_out, http::Response* resp) {
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

  // 3. Authentication (the credential scope also names the service for Query and
  // REST-JSON requests).
  ASSIGN_OR_RETURN(sigv4::ParsedAuth auth, sigv4::Parse(req));
  if (!route.model) {
    route.model = models.FindBySigningName(auth.service);
    if (route.model) route.protocol = route.model->protocol();
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
  if (!auth.session_token.empty()) {
    // Session credentials are issued by STS; until then every token is unknown.
    return Status(ErrorKind::kInvalidToken,
                  std::string(LookupError(ErrorKind::kInvalidToken).default_message));
  }
  RETURN_IF_ERROR(sigv4::Verify(req, auth, *signing_key));
  ctx.caller = std::move(principal);
  ctx.region = auth.region;
  ctx.service = std::string(route.model->name());

  // 4. Decode, now that the caller is known, and find the operation's row.
  ASSIGN_OR_RETURN(protocol::DecodedRequest decoded, protocol::DecodeRequest(*route.model, req));
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

  // 5. Validation against the model.
  RETURN_IF_ERROR(protocol::ValidateInput(*route.model, *decoded.operation, decoded.input));

  // 6. Authorization.
  RETURN_IF_ERROR(Authorize(ctx, *op));

  // 7. The handler.
  ASSIGN_OR_RETURN(Json output, op->handler(ctx, decoded.input));

  // 8. Encode.
  protocol::EncodeResult(*route.model, *decoded.operation, output, ctx.request_id, resp);
  return Status::Ok();
}

Pipeline::Pipeline(const Registry& registry, ServiceEnvironment* env,
                   auth::CredentialStore* credentials, Metrics* metrics, AccessLog* access_log)
    : impl_(new Impl{registry, env, credentials, metrics, access_log}) {}

Pipeline::~Pipeline() = default;

void Pipeline::SetReady(bool ready) { impl_->ready = ready; }

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
  Status st = impl_->Process(req, ctx, route, &op, &resp);
  if (!st.ok()) {
    if (st.kind() == ErrorKind::kInternalFailure) {
      // Details go to the operator's log, never to the client.
      std::fprintf(stderr, "bulwark: internal error in request %s: %s\n", ctx.request_id.c_str(),
                   st.message().c_str());
    }
    resp = http::Response();
    protocol::EncodeError(route.model, route.protocol, st, ctx.request_id, &resp);
  }

  auto latency = std::chrono::steady_clock::now() - start;
  impl_->metrics->Record(ctx.service, op, resp.status, latency);
  AccessRecord rec;
  rec.request_id = ctx.request_id;
  rec.remote_addr = req.remote_addr;
  rec.method = req.method;
  rec.path = path;
  rec.service = ctx.service;
  rec.operation = ctx.operation;
  rec.status = resp.status;
  rec.error_code = ErrorCodeOf(st, route.protocol);
  rec.access_key_id = ctx.caller.access_key_id;
  rec.account_id = ctx.caller.account_id;
  rec.user_agent = ctx.user_agent;
  rec.latency_ms = std::chrono::duration<double, std::milli>(latency).count();
  impl_->access_log->Write(rec);
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
