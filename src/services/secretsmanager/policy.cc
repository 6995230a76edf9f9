// Secrets Manager: resource policies — PutResourcePolicy (with BlockPublicPolicy),
// GetResourcePolicy, DeleteResourcePolicy, ValidateResourcePolicy. The policy is a
// resource policy of the IAM engine: the authorization hook gives it to every request on
// the secret.
#include "policy/policy.h"

#include <mutex>
#include <unordered_map>

#include "policy/parser.h"
#include "services/iam/common.h"
#include "services/secretsmanager/common.h"
#include "services/secretsmanager/handlers.h"

namespace bulwark::secretsmanager {
namespace {

constexpr size_t kMaxPolicyBytes = 20480;

Result<policy::Policy> Parse(std::string_view document) {
  policy::ParseOptions options;
  options.kind = policy::PolicyKind::kResource;
  options.max_document_bytes = kMaxPolicyBytes;
  Result<policy::Policy> parsed = policy::ParsePolicy(document, options);
  if (!parsed.ok()) return MalformedPolicy(parsed.status().message());
  return parsed;
}

// Condition keys that tie a statement to known principals or networks: with a
// positive operator and no wildcard-only value, they keep a "*" principal from being
// everyone.
bool Restricts(const policy::Condition& c) {
  static constexpr std::string_view kKeys[] = {
      "aws:sourceaccount",     "aws:sourcearn",        "aws:sourceowner",  "aws:sourcevpc",
      "aws:sourcevpce",        "aws:principalaccount", "aws:principalarn", "aws:principalorgid",
      "aws:principalorgpaths", "aws:userid",           "aws:sourceip",     "kms:calleraccount"};
  bool known = false;
  for (std::string_view k : kKeys) known = known || c.key_lower == k;
  if (!known || c.if_exists || c.qualifier == policy::SetQualifier::kForAllValues) return false;
  using Op = policy::ConditionOperator;
  switch (c.op) {
    case Op::kStringEquals:
    case Op::kStringEqualsIgnoreCase:
    case Op::kStringLike:
    case Op::kArnEquals:
    case Op::kArnLike:
    case Op::kIpAddress:
      break;
    default:
      return false;
  }
  for (const policy::ConditionValue& v : c.values) {
    if (v.pattern.text == "*" || v.pattern.text.empty()) return false;
    if (v.cidr && v.cidr->prefix_bits < 8 + 96) return false;  // wider than a /8
  }
  return !c.values.empty();
}

bool PrincipalIsEveryone(const policy::Statement& s) {
  if (!s.principal) return false;
  if (s.not_principal || s.principal->wildcard) return true;
  for (const policy::PrincipalEntry& e : s.principal->entries) {
    if (e.type == policy::PrincipalType::kAws && e.value.find('*') != std::string::npos) {
      return true;
    }
  }
  return false;
}

// Whether the policy allows everyone (a "*" principal without a condition that narrows it).
bool IsPublic(const policy::Policy& p) {
  for (const policy::Statement& s : p.statements) {
    if (s.effect != policy::Effect::kAllow || !PrincipalIsEveryone(s)) continue;
    bool narrowed = false;
    for (const policy::Condition& c : s.conditions) narrowed = narrowed || Restricts(c);
    if (!narrowed) return true;
  }
  return false;
}

}  // namespace

std::shared_ptr<const policy::Policy> ResourcePolicyOf(const Json& secret) {
  auto it = secret.find("ResourcePolicy");
  if (it == secret.end() || !it->is_string()) return nullptr;
  // Parsed once per document: every request on the secret reads it.
  static std::mutex mu;
  static auto* cache = new std::unordered_map<std::string, std::shared_ptr<const policy::Policy>>();
  const std::string& document = it->get_ref<const std::string&>();
  std::lock_guard<std::mutex> lock(mu);
  auto found = cache->find(document);
  if (found != cache->end()) return found->second;
  Result<policy::Policy> parsed = Parse(document);
  // A stored policy was valid when it was put; one that no longer parses allows nothing.
  auto p = parsed.ok() ? std::make_shared<const policy::Policy>(std::move(*parsed))
                       : std::make_shared<const policy::Policy>();
  if (cache->size() > 4096) cache->clear();
  cache->emplace(document, p);
  return p;
}

Result<Json> PutResourcePolicy(RequestContext& ctx, const Json& input) {
  const std::string document = input.value("ResourcePolicy", "");
  ASSIGN_OR_RETURN(policy::Policy parsed, Parse(document));
  if (Flag(input, "BlockPublicPolicy") && IsPublic(parsed)) return PublicPolicy();
  ASSIGN_OR_RETURN(auto txn, iam::BeginWrite(ctx));
  ASSIGN_OR_RETURN(Json secret, LoadLiveSecret(*txn, ctx, input.value("SecretId", "")));
  secret["ResourcePolicy"] = document;
  secret["LastChangedDate"] = iam::Now(ctx);
  RETURN_IF_ERROR(SaveSecret(*txn, secret));
  RETURN_IF_ERROR(txn->Commit());
  return Brief(secret);
}

Result<Json> GetResourcePolicy(RequestContext& ctx, const Json& input) {
  ASSIGN_OR_RETURN(auto txn, iam::BeginRead(ctx));
  ASSIGN_OR_RETURN(Json secret, LoadLiveSecret(*txn, ctx, input.value("SecretId", "")));
  Json out = Brief(secret);
  if (secret.contains("ResourcePolicy")) out["ResourcePolicy"] = secret["ResourcePolicy"];
  return out;
}

Result<Json> DeleteResourcePolicy(RequestContext& ctx, const Json& input) {
  ASSIGN_OR_RETURN(auto txn, iam::BeginWrite(ctx));
  ASSIGN_OR_RETURN(Json secret, LoadLiveSecret(*txn, ctx, input.value("SecretId", "")));
  if (secret.contains("ResourcePolicy")) {
    secret.erase("ResourcePolicy");
    secret["LastChangedDate"] = iam::Now(ctx);
    RETURN_IF_ERROR(SaveSecret(*txn, secret));
    RETURN_IF_ERROR(txn->Commit());
  }
  return Brief(secret);
}

Result<Json> ValidateResourcePolicy(RequestContext& ctx, const Json& input) {
  if (input.contains("SecretId")) {
    ASSIGN_OR_RETURN(auto txn, iam::BeginRead(ctx));
    ASSIGN_OR_RETURN(Json secret, LoadLiveSecret(*txn, ctx, input.value("SecretId", "")));
  }
  ASSIGN_OR_RETURN(policy::Policy parsed, Parse(input.value("ResourcePolicy", "")));
  Json errors = Json::array();
  if (IsPublic(parsed)) {
    errors.push_back({{"CheckName", "BLOCK_PUBLIC_POLICY"},
                      {"ErrorMessage",
                       "The resource policy grants broad access to the secret: a statement "
                       "allows every principal without a condition that narrows it."}});
  }
  return Json{{"PolicyValidationPassed", errors.empty()}, {"ValidationErrors", std::move(errors)}};
}

}  // namespace bulwark::secretsmanager
