#include "services/iam/authority.h"

#include "policy/context.h"
#include "policy/parser.h"
#include "services/iam/common.h"
#include "services/iam/handlers.h"
#include "services/iam/iam.h"

namespace bulwark::iam {
namespace {

// Allows nothing: what a boundary or session policy that no longer exists becomes (an
// empty list would mean "no such limit").
constexpr std::string_view kAllowsNothing = R"({"Version":"2012-10-17","Statement":[]})";

// Stored documents were validated when they were written; parsing them again cannot
// fail unless the data directory was tampered with.
Status AddPolicy(std::string_view document, std::vector<policy::Policy>* out,
                 policy::PolicyKind kind = policy::PolicyKind::kIdentity) {
  policy::ParseOptions options;
  options.kind = kind;
  Result<policy::Policy> parsed = policy::ParsePolicy(document, options);
  if (!parsed.ok()) {
    return Status(ErrorKind::kInternalFailure,
                  "stored policy does not parse: " + parsed.status().message());
  }
  out->push_back(std::move(parsed).value());
  return Status::Ok();
}

// Inline and attached policies of a user or group record.
Status AddEntityPolicies(storage::Transaction& txn, std::string_view account, const Json& entity,
                         std::vector<policy::Policy>* out) {
  if (auto it = entity.find("InlinePolicies"); it != entity.end() && it->is_object()) {
    for (const Json& doc : *it) RETURN_IF_ERROR(AddPolicy(doc.get<std::string>(), out));
  }
  for (const Json& arn : entity.value("AttachedPolicies", Json::array())) {
    ASSIGN_OR_RETURN(std::optional<std::string> doc,
                     ManagedPolicyDocument(txn, account, arn.get<std::string>()));
    if (doc) RETURN_IF_ERROR(AddPolicy(*doc, out));
  }
  return Status::Ok();
}

// A session's policies: the inline one and the managed ones together limit it.
Status AddSessionPolicies(storage::Transaction& txn, std::string_view account,
                          const SessionInfo& session, PrincipalPolicies* out) {
  if (!session.policy.empty()) {
    RETURN_IF_ERROR(AddPolicy(session.policy, &out->session, policy::PolicyKind::kSession));
  }
  for (const std::string& arn : session.policy_arns) {
    ASSIGN_OR_RETURN(std::optional<std::string> doc, ManagedPolicyDocument(txn, account, arn));
    RETURN_IF_ERROR(
        AddPolicy(doc ? *doc : kAllowsNothing, &out->session, policy::PolicyKind::kSession));
  }
  return Status::Ok();
}

}  // namespace

std::string Authority::CacheKey(const Principal& principal) {
  // Sessions of one role share its ARN but not their session policies.
  return principal.temporary() ? principal.access_key_id : principal.arn;
}

uint64_t Authority::Refresh() {
  const uint64_t generation = env_->iam_generation.load(std::memory_order_acquire);
  if (generation_ != generation) {
    cache_.clear();
    entities_.clear();
    generation_ = generation;
  }
  return generation;
}

Result<std::shared_ptr<const PrincipalPolicies>> Authority::PoliciesOf(const Principal& principal) {
  uint64_t generation;
  {
    std::lock_guard lock(mu_);
    generation = Refresh();
    auto it = cache_.find(CacheKey(principal));
    if (it != cache_.end()) return it->second;
  }
  ASSIGN_OR_RETURN(std::shared_ptr<const PrincipalPolicies> built, Build(principal));
  std::lock_guard lock(mu_);
  // Only what was read under the current generation may be cached: a change committed
  // while this was being built must not be hidden by it.
  if (Refresh() == generation) cache_.emplace(CacheKey(principal), built);
  return built;
}

Result<std::shared_ptr<const EntitySummary>> Authority::EntityAt(const std::string& key) {
  uint64_t generation;
  {
    std::lock_guard lock(mu_);
    generation = Refresh();
    auto it = entities_.find(key);
    if (it != entities_.end()) return it->second;
  }
  ASSIGN_OR_RETURN(auto txn, env_->store->BeginReadOnly());
  ASSIGN_OR_RETURN(std::optional<Json> record, Load(*txn, key));
  std::shared_ptr<const EntitySummary> summary;
  if (record) {
    auto s = std::make_shared<EntitySummary>();
    s->arn = record->value("Arn", "");
    s->permissions_boundary = record->value("PermissionsBoundary", "");
    for (const Json& tag : record->value("Tags", Json::array())) {
      s->tags.emplace_back(tag.value("Key", ""), tag.value("Value", ""));
    }
    summary = std::move(s);
  }
  std::lock_guard lock(mu_);
  if (Refresh() == generation) entities_.emplace(key, summary);
  return summary;
}

Result<std::shared_ptr<const PrincipalPolicies>> Authority::Build(const Principal& principal) {
  using Out = std::shared_ptr<const PrincipalPolicies>;
  auto result = std::make_shared<PrincipalPolicies>();
  if (principal.type == Principal::Type::kRoot) return Out(result);
  ASSIGN_OR_RETURN(auto txn, env_->store->BeginReadOnly());
  const std::string& account = principal.account_id;
  const SessionInfo& session = principal.session;
  const bool role = principal.type == Principal::Type::kAssumedRole;
  const bool federated = principal.type == Principal::Type::kFederatedUser;
  // A federated user has the permissions of the user (or root) that made it, narrowed by
  // its session policies; without any, it has none (AWS's rule for GetFederationToken).
  if (federated) {
    if (session.policy.empty() && session.policy_arns.empty()) return Out(result);
    if (session.federated_by == "arn:aws:iam::" + account + ":root") {
      RETURN_IF_ERROR(AddPolicy(
          R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]})",
          &result->identity));
      result->exists = true;
      RETURN_IF_ERROR(AddSessionPolicies(*txn, account, session, result.get()));
      for (const auto& tag : session.tags) result->tags.push_back(tag);
      return Out(std::move(result));
    }
  }
  const std::string& entity_arn =
      role ? session.role_arn : (federated ? session.federated_by : principal.arn);
  const std::string name = UserNameOfArn(entity_arn);
  ASSIGN_OR_RETURN(std::optional<Json> entity,
                   Load(*txn, EntityKey(account, role ? Kind::kRole : Kind::kUser, name)));
  if (!entity) return Out(result);
  if (federated) {
    if ((*entity)["Arn"] != entity_arn) return Out(result);
  } else if (role) {
    // A role deleted and created again under the same name is another role: its
    // sessions' user id starts with the old role's id.
    const std::string& user_id = principal.user_id;
    if ((*entity)["Arn"] != principal.session.role_arn ||
        user_id.substr(0, user_id.find(':')) != entity->value("RoleId", "")) {
      return Out(result);
    }
  } else {
    if ((*entity)["Arn"] != principal.arn) return Out(result);
    result->name = name;
  }
  result->exists = true;
  RETURN_IF_ERROR(AddEntityPolicies(*txn, account, *entity, &result->identity));
  for (const Json& group_name : entity->value("Groups", Json::array())) {
    ASSIGN_OR_RETURN(std::optional<Json> group,
                     Load(*txn, EntityKey(account, Kind::kGroup, group_name.get<std::string>())));
    if (group) RETURN_IF_ERROR(AddEntityPolicies(*txn, account, *group, &result->identity));
  }
  if (auto it = entity->find("PermissionsBoundary"); it != entity->end() && it->is_string()) {
    ASSIGN_OR_RETURN(std::optional<std::string> doc,
                     ManagedPolicyDocument(*txn, account, it->get<std::string>()));
    // A boundary whose policy is gone allows nothing: an empty boundary list would
    // mean "no boundary", so keep a policy that matches nothing.
    RETURN_IF_ERROR(AddPolicy(doc ? *doc : kAllowsNothing, &result->boundary));
  }
  RETURN_IF_ERROR(AddSessionPolicies(*txn, account, session, result.get()));
  for (const Json& tag : entity->value("Tags", Json::array())) {
    result->tags.emplace_back(tag.value("Key", ""), tag.value("Value", ""));
  }
  for (const auto& tag : session.tags) {
    // Session tags override the role's tags of the same key (case-insensitively).
    const std::string key = Lower(tag.first);
    std::erase_if(result->tags, [&](const auto& t) { return Lower(t.first) == key; });
    result->tags.push_back(tag);
  }
  return Out(std::move(result));
}

namespace {

// The entity an operation acts on, from the resource pattern's placeholder.
struct Target {
  std::optional<Kind> kind;  // nullopt: an instance profile
  std::string_view member;
  std::string_view arn_type;  // the ARN's resource type

  std::string Key(std::string_view account, std::string_view name) const {
    return kind ? EntityKey(account, *kind, name) : InstanceProfileKey(account, name);
  }
};

std::optional<Target> TargetOf(std::string_view pattern) {
  if (pattern.ends_with(":user/{UserName}")) return Target{Kind::kUser, "UserName", "user"};
  if (pattern.ends_with(":group/{GroupName}")) return Target{Kind::kGroup, "GroupName", "group"};
  if (pattern.ends_with(":role/{RoleName}")) return Target{Kind::kRole, "RoleName", "role"};
  if (pattern.ends_with(":instance-profile/{InstanceProfileName}")) {
    return Target{std::nullopt, "InstanceProfileName", "instance-profile"};
  }
  return std::nullopt;
}

}  // namespace

Status CompleteAuthorization(RequestContext& ctx, const OperationSpec& op, const Json& input,
                             AuthorizationRequest* authz) {
  const std::string& account = ctx.caller.account_id;
  std::shared_ptr<const EntitySummary> entity;
  if (std::optional<Target> target = TargetOf(op.resource_pattern)) {
    std::string name;
    if (auto it = input.find(target->member); it != input.end() && it->is_string()) {
      name = it->get<std::string>();
    } else if (target->kind == Kind::kUser && ctx.caller.type == Principal::Type::kIAMUser) {
      name = UserNameOfArn(ctx.caller.arn);  // self-service calls without UserName
    }
    if (!name.empty()) {
      ASSIGN_OR_RETURN(entity, ctx.env->iam_authority->EntityAt(target->Key(account, name)));
      // An entity that does not exist (yet) has the ARN it would get, with the
      // requested path.
      authz->context.resource = entity ? entity->arn
                                       : "arn:aws:iam::" + account + ":" +
                                             std::string(target->arn_type) +
                                             input.value("Path", "/") + name;
      // The tags of the user, role or instance profile acted on, under both names IAM
      // documents for them.
      if (entity) {
        for (const auto& [key, value] : entity->tags) {
          authz->context.SetKey("aws:ResourceTag/" + key, value);
          authz->context.SetKey("iam:ResourceTag/" + key, value);
        }
      }
    }
  } else if (op.resource_pattern.ends_with("/")) {
    // Listings (ListUsers, ListRoles…) act on the path they list, "user" + PathPrefix
    // ("user/division_abc/"), so that a policy can grant the listing of one path.
    if (auto it = input.find("PathPrefix"); it != input.end() && it->is_string()) {
      std::string& resource = authz->context.resource;
      resource.pop_back();
      resource += it->get<std::string>();
    }
  }
  // With the account's AllowUsersToChangePassword, every IAM user may change its own
  // password without a policy granting iam:ChangePassword; an explicit deny still wins.
  if (op.name == "ChangePassword" && ctx.caller.type == Principal::Type::kIAMUser) {
    ASSIGN_OR_RETURN(auto txn, ctx.env->store->BeginReadOnly());
    ASSIGN_OR_RETURN(std::optional<Json> password_policy, Load(*txn, PasswordPolicyKey(account)));
    if (password_policy && password_policy->value("AllowUsersToChangePassword", false)) {
      const Json grant = {{"Version", "2012-10-17"},
                          {"Statement",
                           {{{"Effect", "Allow"},
                             {"Principal", {{"AWS", ctx.caller.arn}}},
                             {"Action", "iam:ChangePassword"},
                             {"Resource", ctx.caller.arn}}}}};
      policy::ParseOptions options;
      options.kind = policy::PolicyKind::kResource;
      ASSIGN_OR_RETURN(policy::Policy parsed, policy::ParsePolicy(grant.dump(), options));
      authz->resource_policy = std::make_shared<policy::Policy>(std::move(parsed));
    }
  }
  if (op.HasConditionKey("iam:PolicyARN")) {
    if (auto it = input.find("PolicyArn"); it != input.end() && it->is_string()) {
      authz->context.SetKey("iam:PolicyARN", it->get<std::string>());
    }
  }
  if (op.HasConditionKey("iam:PermissionsBoundary")) {
    if (auto it = input.find("PermissionsBoundary"); it != input.end() && it->is_string()) {
      authz->context.SetKey("iam:PermissionsBoundary", it->get<std::string>());
    } else if (entity && !entity->permissions_boundary.empty()) {
      authz->context.SetKey("iam:PermissionsBoundary", entity->permissions_boundary);
    }
  }
  return Status::Ok();
}

}  // namespace bulwark::iam
