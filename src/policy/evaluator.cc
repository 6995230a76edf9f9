#include "policy/evaluator.h"

#include <array>

#include "policy/match.h"
#include "policy/values.h"

namespace bulwark::policy {
namespace {

inline char Fold(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsFolded(std::string_view lower, std::string_view s) {
  if (lower.size() != s.size()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (lower[i] != Fold(s[i])) return false;
  }
  return true;
}

// Scratch buffer for variable expansion, reused across calls on a thread.
std::vector<PatternChar>& Scratch() {
  thread_local std::vector<PatternChar> scratch;
  return scratch;
}

bool IsNegated(ConditionOperator op) {
  switch (op) {
    case ConditionOperator::kStringNotEquals:
    case ConditionOperator::kStringNotEqualsIgnoreCase:
    case ConditionOperator::kStringNotLike:
    case ConditionOperator::kNumericNotEquals:
    case ConditionOperator::kDateNotEquals:
    case ConditionOperator::kNotIpAddress:
    case ConditionOperator::kArnNotEquals:
    case ConditionOperator::kArnNotLike:
      return true;
    default:
      return false;
  }
}

// The positive form of a (possibly negated) operator.
ConditionOperator Positive(ConditionOperator op) {
  switch (op) {
    case ConditionOperator::kStringNotEquals:
      return ConditionOperator::kStringEquals;
    case ConditionOperator::kStringNotEqualsIgnoreCase:
      return ConditionOperator::kStringEqualsIgnoreCase;
    case ConditionOperator::kStringNotLike:
      return ConditionOperator::kStringLike;
    case ConditionOperator::kNumericNotEquals:
      return ConditionOperator::kNumericEquals;
    case ConditionOperator::kDateNotEquals:
      return ConditionOperator::kDateEquals;
    case ConditionOperator::kNotIpAddress:
      return ConditionOperator::kIpAddress;
    case ConditionOperator::kArnNotEquals:
      return ConditionOperator::kArnEquals;
    case ConditionOperator::kArnNotLike:
      return ConditionOperator::kArnLike;
    default:
      return op;
  }
}

// Whether one request value matches one policy value under a positive operator.
bool ValueMatches(ConditionOperator op, const ConditionValue& pv, std::string_view rv,
                  const RequestContext& request) {
  switch (op) {
    case ConditionOperator::kStringEquals:
    case ConditionOperator::kStringEqualsIgnoreCase:
    case ConditionOperator::kStringLike:
    case ConditionOperator::kArnEquals:
    case ConditionOperator::kArnLike: {
      const bool ignore_case = op == ConditionOperator::kStringEqualsIgnoreCase;
      const bool like = op == ConditionOperator::kStringLike;
      const bool arn = op == ConditionOperator::kArnEquals || op == ConditionOperator::kArnLike;
      if (!pv.pattern.has_variable) {
        if (arn) return ArnMatch(pv.pattern.text, rv);
        if (like) return WildcardMatch(pv.pattern.text, rv, CaseMode::kSensitive);
        return ignore_case ? EqualsFolded(pv.pattern.text, rv) : pv.pattern.text == rv;
      }
      std::vector<PatternChar>& p = Scratch();
      if (!ExpandVariables(pv.pattern.text, request, &p)) return false;
      if (arn) return ArnMatch(p, rv);
      if (like) return WildcardMatch(p, rv, CaseMode::kSensitive);
      if (p.size() != rv.size()) return false;
      for (size_t i = 0; i < p.size(); ++i) {
        if (ignore_case ? Fold(p[i].c) != Fold(rv[i]) : p[i].c != rv[i]) return false;
      }
      return true;
    }
    case ConditionOperator::kNumericEquals:
    case ConditionOperator::kNumericLessThan:
    case ConditionOperator::kNumericLessThanEquals:
    case ConditionOperator::kNumericGreaterThan:
    case ConditionOperator::kNumericGreaterThanEquals: {
      if (!pv.number) return false;
      std::optional<double> r = ParseNumber(rv);
      if (!r) return false;
      double a = *r, b = *pv.number;
      switch (op) {
        case ConditionOperator::kNumericEquals:
          return a == b;
        case ConditionOperator::kNumericLessThan:
          return a < b;
        case ConditionOperator::kNumericLessThanEquals:
          return a <= b;
        case ConditionOperator::kNumericGreaterThan:
          return a > b;
        default:
          return a >= b;
      }
    }
    case ConditionOperator::kDateEquals:
    case ConditionOperator::kDateLessThan:
    case ConditionOperator::kDateLessThanEquals:
    case ConditionOperator::kDateGreaterThan:
    case ConditionOperator::kDateGreaterThanEquals: {
      if (!pv.epoch_ms) return false;
      std::optional<int64_t> r = ParseDateMs(rv);
      if (!r) return false;
      int64_t a = *r, b = *pv.epoch_ms;
      switch (op) {
        case ConditionOperator::kDateEquals:
          return a == b;
        case ConditionOperator::kDateLessThan:
          return a < b;
        case ConditionOperator::kDateLessThanEquals:
          return a <= b;
        case ConditionOperator::kDateGreaterThan:
          return a > b;
        default:
          return a >= b;
      }
    }
    case ConditionOperator::kBool: {
      if (!pv.boolean) return false;
      std::optional<bool> r = ParseBool(rv);
      return r && *r == *pv.boolean;
    }
    case ConditionOperator::kBinaryEquals:
      return pv.pattern.text == rv;
    case ConditionOperator::kIpAddress: {
      if (!pv.cidr) return false;
      std::optional<Cidr> r = ParseCidr(rv);
      return r && CidrContains(*pv.cidr, *r);
    }
    default:
      return false;
  }
}

// Whether one request value satisfies the condition's base operator against its
// policy values: positive operators need one matching policy value, negated ones
// need none.
bool RequestValueSatisfies(const Condition& c, std::string_view rv, const RequestContext& request) {
  ConditionOperator positive = Positive(c.op);
  bool any = false;
  for (const ConditionValue& pv : c.values) {
    if (ValueMatches(positive, pv, rv, request)) {
      any = true;
      break;
    }
  }
  return IsNegated(c.op) ? !any : any;
}

enum class PrincipalMatch { kNone, kAccount, kRole, kWildcard, kDirect };

std::string_view ArnField(std::string_view arn, int n) {
  for (int i = 0; i < n; ++i) {
    size_t colon = arn.find(':');
    if (colon == std::string_view::npos) return {};
    arn.remove_prefix(colon + 1);
  }
  if (n < 5) arn = arn.substr(0, arn.find(':'));
  return arn;
}

bool IsAccountId(std::string_view s) {
  if (s.size() != 12) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// The role an assumed-role session ARN belongs to, compared with a role ARN
// (whose path the session ARN does not carry).
bool SessionOfRole(std::string_view role_arn, const RequestContext& request) {
  if (request.principal_kind != PrincipalKind::kAssumedRole) return false;
  if (ArnField(role_arn, 2) != "iam" || ArnField(role_arn, 4) != request.principal_account) {
    return false;
  }
  if (ArnField(role_arn, 1) != ArnField(request.principal, 1)) return false;
  std::string_view role = ArnField(role_arn, 5);
  if (!role.starts_with("role/")) return false;
  role = role.substr(role.rfind('/') + 1);
  std::string_view session = ArnField(request.principal, 5);  // assumed-role/Name/Session
  session.remove_prefix(sizeof("assumed-role/") - 1);
  return session.substr(0, session.find('/')) == role;
}

PrincipalMatch MatchEntry(const PrincipalEntry& e, const RequestContext& request) {
  const PrincipalKind kind = request.principal_kind;
  switch (e.type) {
    case PrincipalType::kAws: {
      if (e.value == "*") return PrincipalMatch::kWildcard;
      if (kind == PrincipalKind::kAnonymous || kind == PrincipalKind::kService) {
        return PrincipalMatch::kNone;
      }
      std::string_view account;
      if (IsAccountId(e.value)) {
        account = e.value;
      } else if (ArnField(e.value, 2) == "iam" && ArnField(e.value, 5) == "root") {
        account = ArnField(e.value, 4);
      }
      if (!account.empty()) {
        if (kind == PrincipalKind::kAccountRoot && e.value == request.principal) {
          return PrincipalMatch::kDirect;
        }
        return account == request.principal_account ? PrincipalMatch::kAccount
                                                    : PrincipalMatch::kNone;
      }
      if (e.value == request.principal) {
        return kind == PrincipalKind::kIamRole ? PrincipalMatch::kRole : PrincipalMatch::kDirect;
      }
      if (SessionOfRole(e.value, request)) return PrincipalMatch::kRole;
      return PrincipalMatch::kNone;
    }
    case PrincipalType::kService:
      return kind == PrincipalKind::kService && EqualsFolded(e.value, request.principal)
                 ? PrincipalMatch::kDirect
                 : PrincipalMatch::kNone;
    case PrincipalType::kFederated:
    case PrincipalType::kCanonicalUser:
      return kind != PrincipalKind::kAnonymous && e.value == request.principal
                 ? PrincipalMatch::kDirect
                 : PrincipalMatch::kNone;
  }
  return PrincipalMatch::kNone;
}

PrincipalMatch MatchPrincipalBlock(const PrincipalBlock& block, const RequestContext& request) {
  if (block.wildcard) return PrincipalMatch::kWildcard;
  PrincipalMatch best = PrincipalMatch::kNone;
  for (const PrincipalEntry& e : block.entries) {
    PrincipalMatch m = MatchEntry(e, request);
    if (m > best) best = m;
  }
  return best;
}

// NotPrincipal: the statement applies unless the caller is listed. A session is
// exempt only when its own ARN is listed (AWS: list the session ARN, not just the
// role, for a Deny/NotPrincipal to spare it).
//
// A Deny with NotPrincipal always applies to a caller that has a permissions
// boundary, whatever NotPrincipal lists (AWS NotPrincipal documentation).
PrincipalMatch MatchNotPrincipal(const PrincipalBlock& block, const RequestContext& request,
                                 bool deny_with_boundary) {
  if (deny_with_boundary) return PrincipalMatch::kWildcard;
  if (block.wildcard) return PrincipalMatch::kNone;
  for (const PrincipalEntry& e : block.entries) {
    PrincipalMatch m = MatchEntry(e, request);
    if (m == PrincipalMatch::kDirect || m == PrincipalMatch::kWildcard)
      return PrincipalMatch::kNone;
    if (m == PrincipalMatch::kRole && request.principal_kind == PrincipalKind::kIamRole) {
      return PrincipalMatch::kNone;
    }
  }
  return PrincipalMatch::kWildcard;
}

struct GroupResult {
  bool allow = false;
  bool deny = false;
  PrincipalMatch allow_principal = PrincipalMatch::kNone;  // best match among allows
};

// kIgnore: identity-side policies (no Principal element). kRequire: resource-side
// policies, whose statements apply only to the principals they name. kIfPresent:
// endpoint policies, where a statement without Principal applies to everyone.
enum class PrincipalCheck { kIgnore, kRequire, kIfPresent };

struct Evaluation {
  const RequestContext& request;
  bool has_boundary;
  std::vector<MatchedStatement>* matched;
  uint64_t service_bit;  // ServiceBit of the request action's service
  bool resource_split;   // request.resource is an ARN, split at resource_cuts
  std::array<uint32_t, 5> resource_cuts;
};

bool StatementMatches(const Statement& st, PolicyVersion version, const Evaluation& ev);

uint64_t RequestServiceBit(const RequestContext& request) {
  std::string_view action = request.action;
  return ServiceBit(action.substr(0, action.find(':')));
}

void EvaluatePolicy(const Policy& policy, PolicySource source, uint32_t level, uint32_t index,
                    PrincipalCheck check, const Evaluation& ev, GroupResult* out) {
  const RequestContext& request = ev.request;
  std::vector<MatchedStatement>* matched = ev.matched;
  uint32_t si = 0;
  for (const Statement& st : policy.statements) {
    const uint32_t statement_index = si++;
    if (matched == nullptr && out->deny) return;
    if (matched == nullptr && st.effect == Effect::kAllow && out->allow &&
        (check == PrincipalCheck::kIgnore || out->allow_principal == PrincipalMatch::kDirect)) {
      continue;  // nothing this statement could change
    }
    // Cheap reject: none of the statement's Action patterns names this service.
    if (!st.not_action && (st.action_services & ev.service_bit) == 0) continue;
    PrincipalMatch pm = PrincipalMatch::kDirect;
    if (check != PrincipalCheck::kIgnore && st.principal) {
      pm = st.not_principal ? MatchNotPrincipal(*st.principal, request,
                                                st.effect == Effect::kDeny && ev.has_boundary)
                            : MatchPrincipalBlock(*st.principal, request);
      if (pm == PrincipalMatch::kNone) continue;
    } else if (check == PrincipalCheck::kRequire) {
      // A resource policy statement without a principal names nobody.
      continue;
    }
    if (!StatementMatches(st, policy.version, ev)) continue;
    if (st.effect == Effect::kDeny) {
      out->deny = true;
    } else {
      out->allow = true;
      if (pm > out->allow_principal) out->allow_principal = pm;
    }
    if (matched != nullptr) {
      matched->push_back({source, level, index, statement_index, st.effect});
    }
  }
}

GroupResult EvaluateGroup(const std::vector<const Policy*>& policies, PolicySource source,
                          uint32_t level, PrincipalCheck check, const Evaluation& ev) {
  GroupResult r;
  uint32_t i = 0;
  for (const Policy* p : policies) {
    if (p != nullptr) EvaluatePolicy(*p, source, level, i, check, ev, &r);
    ++i;
  }
  return r;
}

// All levels must allow; a deny at any level is reported through `deny`.
void EvaluateOrg(const std::vector<OrgPolicyLevel>& levels, PolicySource source,
                 PrincipalCheck check, const Evaluation& ev, bool* deny, bool* all_allow) {
  *all_allow = true;
  uint32_t l = 0;
  for (const OrgPolicyLevel& level : levels) {
    GroupResult r = EvaluateGroup(level.policies, source, l++, check, ev);
    *deny = *deny || r.deny;
    *all_allow = *all_allow && r.allow;
  }
}

bool ActionMatches(const Statement& st, std::string_view action) {
  bool any = false;
  for (const Pattern& p : st.actions) {
    if (p.has_wildcard ? WildcardMatch(p.text, action, CaseMode::kInsensitive)
                       : EqualsFolded(p.text, action)) {
      any = true;
      break;
    }
  }
  return any != st.not_action;
}

bool ResourceMatches(const Statement& st, PolicyVersion version, const RequestContext& request,
                     bool resource_split, const std::array<uint32_t, 5>& resource_cuts) {
  if (!st.has_resource) return true;
  bool any = false;
  for (const Pattern& p : st.resources) {
    bool m;
    if (p.has_variable && version == PolicyVersion::k2012_10_17) {
      std::vector<PatternChar>& scratch = Scratch();
      m = ExpandVariables(p.text, request, &scratch) && ArnMatch(scratch, request.resource);
    } else if (p.has_wildcard) {
      m = p.arn_split && resource_split
              ? ArnMatchSplit(p.text, p.arn_cuts, request.resource, resource_cuts)
              : ArnMatch(p.text, request.resource);
    } else {
      m = p.text == request.resource;
    }
    if (m) {
      any = true;
      break;
    }
  }
  return any != st.not_resource;
}

}  // namespace

std::string_view DecisionName(Decision d) {
  switch (d) {
    case Decision::kAllow:
      return "Allowed";
    case Decision::kImplicitDeny:
      return "ImplicitlyDenied";
    case Decision::kExplicitDeny:
      return "ExplicitlyDenied";
  }
  return "ImplicitlyDenied";
}

bool ConditionHolds(const Condition& c, const RequestContext& request) {
  const ContextValue* v = request.Find(c.key_lower);
  const bool present = v != nullptr && !v->values.empty();
  if (c.op == ConditionOperator::kNull) {
    for (const ConditionValue& pv : c.values) {
      if (pv.boolean && *pv.boolean == !present) return true;
    }
    return false;
  }
  switch (c.qualifier) {
    case SetQualifier::kForAllValues:
      if (!present) return true;
      for (const std::string& rv : v->values) {
        if (!RequestValueSatisfies(c, rv, request)) return false;
      }
      return true;
    case SetQualifier::kForAnyValue:
      if (!present) return c.if_exists;
      for (const std::string& rv : v->values) {
        if (RequestValueSatisfies(c, rv, request)) return true;
      }
      return false;
    case SetQualifier::kNone:
      break;
  }
  if (!present) return c.if_exists || IsNegated(c.op);
  // A single-valued operator on several values: positive operators need one
  // matching value, negated operators need every value to satisfy.
  if (IsNegated(c.op)) {
    for (const std::string& rv : v->values) {
      if (!RequestValueSatisfies(c, rv, request)) return false;
    }
    return true;
  }
  for (const std::string& rv : v->values) {
    if (RequestValueSatisfies(c, rv, request)) return true;
  }
  return false;
}

namespace {

bool StatementMatches(const Statement& st, PolicyVersion version, const Evaluation& ev) {
  if (!ActionMatches(st, ev.request.action)) return false;
  if (!ResourceMatches(st, version, ev.request, ev.resource_split, ev.resource_cuts)) return false;
  for (const Condition& c : st.conditions) {
    if (!ConditionHolds(c, ev.request)) return false;
  }
  return true;
}

Evaluation MakeEvaluation(const RequestContext& request, bool has_boundary,
                          std::vector<MatchedStatement>* matched) {
  Evaluation ev{request, has_boundary, matched, RequestServiceBit(request), false, {}};
  ev.resource_split = SplitArn(request.resource, &ev.resource_cuts);
  return ev;
}

}  // namespace

bool StatementMatchesRequest(const Statement& st, PolicyVersion version,
                             const RequestContext& request) {
  std::array<uint32_t, 5> cuts{};
  bool split = SplitArn(request.resource, &cuts);
  if (!ActionMatches(st, request.action)) return false;
  if (!ResourceMatches(st, version, request, split, cuts)) return false;
  for (const Condition& c : st.conditions) {
    if (!ConditionHolds(c, request)) return false;
  }
  return true;
}

Decision Evaluate(const PolicySet& policies, const RequestContext& request,
                  std::vector<MatchedStatement>* matched) {
  const PrincipalKind kind = request.principal_kind;
  const bool is_service = kind == PrincipalKind::kService;
  const bool is_anonymous = kind == PrincipalKind::kAnonymous;
  const bool has_identity = !is_service && !is_anonymous;
  const Evaluation ev =
      MakeEvaluation(request, has_identity && !policies.permissions_boundaries.empty(), matched);
  bool deny = false;

  // SCPs govern the principals of member accounts: every level must allow. RCPs
  // govern the resources, whoever calls; they cannot grant (an RCP level without
  // policies carries the implicit RCPFullAWSAccess), so only their denies count.
  // Neither applies to service principals.
  bool scp_allow = true;
  bool rcp_allow = true;  // unused: RCPs cannot grant, only deny
  if (has_identity && !policies.service_control.empty()) {
    EvaluateOrg(policies.service_control, PolicySource::kServiceControl, PrincipalCheck::kIgnore,
                ev, &deny, &scp_allow);
    if (deny && matched == nullptr) return Decision::kExplicitDeny;
  }
  if (!is_service && !policies.resource_control.empty()) {
    EvaluateOrg(policies.resource_control, PolicySource::kResourceControl, PrincipalCheck::kRequire,
                ev, &deny, &rcp_allow);
    if (deny && matched == nullptr) return Decision::kExplicitDeny;
  }

  bool endpoint_allow = true;
  if (!policies.vpc_endpoint.empty()) {
    GroupResult endpoint = EvaluateGroup(policies.vpc_endpoint, PolicySource::kVpcEndpoint, 0,
                                         PrincipalCheck::kIfPresent, ev);
    deny = deny || endpoint.deny;
    endpoint_allow = endpoint.allow;
    if (deny && matched == nullptr) return Decision::kExplicitDeny;
  }

  GroupResult resource;
  if (policies.resource != nullptr) {
    EvaluatePolicy(*policies.resource, PolicySource::kResource, 0, 0, PrincipalCheck::kRequire, ev,
                   &resource);
    deny = deny || resource.deny;
    if (deny && matched == nullptr) return Decision::kExplicitDeny;
  }

  GroupResult identity, boundary, session;
  if (has_identity) {
    identity =
        EvaluateGroup(policies.identity, PolicySource::kIdentity, 0, PrincipalCheck::kIgnore, ev);
    deny = deny || identity.deny;
    if (deny && matched == nullptr) return Decision::kExplicitDeny;
    if (!policies.permissions_boundaries.empty()) {
      boundary = EvaluateGroup(policies.permissions_boundaries, PolicySource::kPermissionsBoundary,
                               0, PrincipalCheck::kIgnore, ev);
      deny = deny || boundary.deny;
      if (deny && matched == nullptr) return Decision::kExplicitDeny;
    }
    if (!policies.session.empty()) {
      session =
          EvaluateGroup(policies.session, PolicySource::kSession, 0, PrincipalCheck::kIgnore, ev);
      deny = deny || session.deny;
    }
  }
  if (deny) return Decision::kExplicitDeny;
  if (!scp_allow || !endpoint_allow) return Decision::kImplicitDeny;
  if (request.resource_policy_mode == ResourcePolicyMode::kRequired && !resource.allow) {
    return Decision::kImplicitDeny;
  }
  if (!has_identity) return resource.allow ? Decision::kAllow : Decision::kImplicitDeny;

  const bool boundary_ok = policies.permissions_boundaries.empty() || boundary.allow;
  const bool session_ok = policies.session.empty() || session.allow;
  const bool same_account =
      request.resource_account.empty() || request.resource_account == request.principal_account;
  if (same_account) {
    if (resource.allow) {
      // Granted to the user or session itself (or to everyone): sufficient alone.
      if (resource.allow_principal == PrincipalMatch::kDirect ||
          resource.allow_principal == PrincipalMatch::kWildcard) {
        return Decision::kAllow;
      }
      // Granted to the role: still limited by the boundary and session policy.
      if (resource.allow_principal == PrincipalMatch::kRole && boundary_ok && session_ok) {
        return Decision::kAllow;
      }
      // Granted to the account: delegated to the identity policies, below.
    }
    return identity.allow && boundary_ok && session_ok ? Decision::kAllow : Decision::kImplicitDeny;
  }
  return resource.allow && identity.allow && boundary_ok && session_ok ? Decision::kAllow
                                                                       : Decision::kImplicitDeny;
}

}  // namespace bulwark::policy
