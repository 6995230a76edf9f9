// IAM's policy simulator: SimulatePrincipalPolicy and SimulateCustomPolicy evaluate
// policies with the same engine that authorizes every request (src/policy/), and
// GetContextKeysFor*Policy list the context keys the policies use.
//
// The simulation sees only what the request gives it. Context keys come from
// ContextEntries alone (AWS's simulator does not fill in aws:SourceIp, aws:username or
// the time either); a key a relevant statement uses but the request does not give is
// reported in MissingContextValues.
//
// Statement positions: the parser builds an AST without source positions, so they are
// found by scanning the document text again. Each statement is located by its object
// in "Statement": StartPosition is the line and column just after its opening '{', and
// EndPosition just after its closing '}', lines and columns counted from 1 — which
// reproduces AWS's published example ({"Version":...,"Statement":{...}} on one line
// gives Column 38 to 167). When a document cannot be scanned (it always can once it
// parsed), the positions are left out rather than guessed.
#include <algorithm>
#include <array>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "policy/context.h"
#include "policy/evaluator.h"
#include "policy/parser.h"
#include "policy/values.h"
#include "services/iam/common.h"
#include "services/iam/handlers.h"

namespace bulwark::iam {
namespace {

constexpr std::string_view kAwsPolicyArnPrefix = "arn:aws:iam::aws:policy/";
// Action × resource pairs one request may ask for. The results are paged, but every
// pair must be enumerated to page them; this bounds the work of one request.
constexpr size_t kMaxPairs = 100000;

// --- Statement positions ---------------------------------------------------------------

struct TextPosition {
  int64_t line = 1;
  int64_t column = 1;
};

struct StatementSpan {
  TextPosition start;  // just after '{'
  TextPosition end;    // just after '}'
};

// A forward scanner over JSON text that knows the line and column of the next
// character. Columns count characters (UTF-8 continuation bytes do not start one).
class JsonCursor {
 public:
  explicit JsonCursor(std::string_view text) : text_(text) {}

  bool AtEnd() const { return i_ >= text_.size(); }
  char Peek() const { return AtEnd() ? '\0' : text_[i_]; }
  const TextPosition& position() const { return pos_; }

  void Advance() {
    if (AtEnd()) return;
    const unsigned char c = static_cast<unsigned char>(text_[i_++]);
    if (c == '\n' || (c == '\r' && Peek() != '\n')) {
      ++pos_.line;
      pos_.column = 1;
    } else if (c != '\r' && (c & 0xC0) != 0x80) {
      ++pos_.column;
    }
  }

  void SkipSpace() {
    while (!AtEnd()) {
      char c = Peek();
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
      Advance();
    }
  }

  bool Consume(char c) {
    SkipSpace();
    if (Peek() != c) return false;
    Advance();
    return true;
  }

  // A string token; its raw text between the quotes (escapes left as written).
  bool String(std::string* raw) {
    SkipSpace();
    if (Peek() != '"') return false;
    Advance();
    const size_t begin = i_;
    while (!AtEnd() && Peek() != '"') {
      if (Peek() == '\\') Advance();
      Advance();
    }
    if (AtEnd()) return false;
    if (raw != nullptr) raw->assign(text_.substr(begin, i_ - begin));
    Advance();
    return true;
  }

  // Skips one value of any kind.
  bool SkipValue() {
    SkipSpace();
    const char c = Peek();
    if (c == '"') return String(nullptr);
    if (c == '{' || c == '[') {
      Advance();
      return SkipNested();
    }
    bool any = false;
    while (!AtEnd()) {
      const char d = Peek();
      if (d == ',' || d == '}' || d == ']' || d == ' ' || d == '\t' || d == '\n' || d == '\r') {
        break;
      }
      Advance();
      any = true;
    }
    return any;
  }

  // Skips the rest of an object or array whose opening bracket was just consumed, up
  // to and including its closing bracket.
  bool SkipNested() {
    int depth = 1;
    while (!AtEnd()) {
      const char d = Peek();
      if (d == '"') {
        if (!String(nullptr)) return false;
        continue;
      }
      Advance();
      if (d == '{' || d == '[') ++depth;
      if ((d == '}' || d == ']') && --depth == 0) return true;
    }
    return false;
  }

  // An object value, recording where it starts and ends.
  bool Object(StatementSpan* span) {
    SkipSpace();
    if (Peek() != '{') return false;
    Advance();
    span->start = pos_;
    if (!SkipNested()) return false;
    span->end = pos_;
    return true;
  }

 private:
  std::string_view text_;
  size_t i_ = 0;
  TextPosition pos_;
};

// The span of every statement of a policy document, in document order; empty if the
// text does not have the expected structure.
std::vector<StatementSpan> LocateStatements(std::string_view document) {
  std::vector<StatementSpan> spans;
  JsonCursor cur(document);
  if (!cur.Consume('{')) return {};
  cur.SkipSpace();
  if (cur.Peek() == '}') return {};
  while (true) {
    std::string key;
    if (!cur.String(&key) || !cur.Consume(':')) return {};
    if (key == "Statement") {
      cur.SkipSpace();
      if (cur.Peek() == '{') {
        StatementSpan span;
        if (!cur.Object(&span)) return {};
        spans.push_back(span);
      } else if (cur.Consume('[')) {
        cur.SkipSpace();
        if (cur.Peek() == ']') {
          cur.Advance();
        } else {
          while (true) {
            StatementSpan span;
            if (!cur.Object(&span)) return {};
            spans.push_back(span);
            if (cur.Consume(',')) continue;
            if (cur.Consume(']')) break;
            return {};
          }
        }
      } else {
        return {};
      }
    } else if (!cur.SkipValue()) {
      return {};
    }
    if (cur.Consume(',')) continue;
    if (cur.Consume('}')) break;
    return {};
  }
  return spans;
}

// --- Policies under simulation ------------------------------------------------------------

// The context keys one statement refers to: its condition keys and the policy variables
// of its Resource and condition values, as written.
struct StatementKeys {
  std::vector<std::string> keys;
  bool variable_resource = false;  // a Resource pattern holds a policy variable
};

// Adds the names of the ${...} variables of `pattern` (not ${*}, ${?}, ${$}).
void AddVariableKeys(std::string_view pattern, std::vector<std::string>* out) {
  size_t i = 0;
  while ((i = pattern.find("${", i)) != std::string_view::npos) {
    const size_t close = pattern.find('}', i + 2);
    if (close == std::string_view::npos) return;
    std::string_view body = pattern.substr(i + 2, close - i - 2);
    body = body.substr(0, body.find(','));
    while (!body.empty() && body.front() == ' ') body.remove_prefix(1);
    while (!body.empty() && body.back() == ' ') body.remove_suffix(1);
    if (!body.empty() && body != "*" && body != "?" && body != "$") out->emplace_back(body);
    i = close + 1;
  }
}

StatementKeys KeysOf(const policy::Statement& st, policy::PolicyVersion version) {
  StatementKeys out;
  for (const policy::Condition& c : st.conditions) {
    out.keys.push_back(c.key);
    if (version != policy::PolicyVersion::k2012_10_17) continue;
    for (const policy::ConditionValue& v : c.values) {
      if (v.pattern.has_variable) AddVariableKeys(v.pattern.text, &out.keys);
    }
  }
  if (version == policy::PolicyVersion::k2012_10_17) {
    for (const policy::Pattern& p : st.resources) {
      if (!p.has_variable) continue;
      out.variable_resource = true;
      AddVariableKeys(p.text, &out.keys);
    }
  }
  return out;
}

// Appends `key` unless a key of the same name (compared without case, as condition keys
// are) is there already.
void AddUnique(std::string key, std::vector<std::string>* out) {
  const std::string lower = Lower(key);
  for (const std::string& k : *out) {
    if (Lower(k) == lower) return;
  }
  out->push_back(std::move(key));
}

// One policy of the simulation, with what its results need: where it came from, its
// statements' positions and context keys, and two stripped copies of it for finding the
// statements a request is about — without conditions, and without conditions or
// Resource (for statements whose Resource needs a variable the request lacks).
struct SimPolicy {
  std::string id;    // SourcePolicyId
  std::string type;  // SourcePolicyType
  policy::Policy parsed;
  policy::Policy bare;
  policy::Policy bare_any_resource;
  std::vector<StatementSpan> spans;
  std::vector<StatementKeys> keys;
};

Result<SimPolicy> MakePolicy(std::string id, std::string type, std::string_view document,
                             policy::PolicyKind kind, bool stored) {
  policy::ParseOptions options;
  options.kind = kind;
  Result<policy::Policy> parsed = policy::ParsePolicy(document, options);
  if (!parsed.ok()) {
    if (stored) {
      return Status(ErrorKind::kInternalFailure,
                    "stored policy does not parse: " + parsed.status().message());
    }
    // The simulator's errors are InvalidInput; the parser's message says what is wrong.
    return InvalidInput(parsed.status().message());
  }
  SimPolicy p;
  p.id = std::move(id);
  p.type = std::move(type);
  p.parsed = std::move(parsed).value();
  p.bare = p.parsed;
  for (policy::Statement& st : p.bare.statements) st.conditions.clear();
  p.bare_any_resource = p.bare;
  for (policy::Statement& st : p.bare_any_resource.statements) {
    st.has_resource = false;
    st.resources.clear();
  }
  p.spans = LocateStatements(document);
  if (p.spans.size() != p.parsed.statements.size()) p.spans.clear();
  for (const policy::Statement& st : p.parsed.statements) {
    p.keys.push_back(KeysOf(st, p.parsed.version));
  }
  return p;
}

// PolicyInputList.N / PermissionsBoundaryPolicyInputList.N, numbered from 1 as AWS names
// them in SourcePolicyId.
Status AddInputPolicies(const Json& input, std::string_view member, std::vector<SimPolicy>* out) {
  auto it = input.find(member);
  if (it == input.end() || !it->is_array()) return Status::Ok();
  size_t n = 0;
  for (const Json& doc : *it) {
    ++n;
    if (!doc.is_string()) continue;
    ASSIGN_OR_RETURN(SimPolicy p,
                     MakePolicy(std::string(member) + "." + std::to_string(n), "none",
                                doc.get<std::string>(), policy::PolicyKind::kAny, false));
    out->push_back(std::move(p));
  }
  return Status::Ok();
}

std::string PolicyNameOfArn(std::string_view arn) {
  size_t slash = arn.rfind('/');
  return std::string(slash == std::string_view::npos ? arn : arn.substr(slash + 1));
}

// A managed policy of the account or of AWS, by ARN, as a simulation policy. A policy
// that no longer exists is skipped, as authorization skips it.
Result<std::optional<SimPolicy>> ManagedSimPolicy(storage::Transaction& txn,
                                                  std::string_view account, std::string_view arn) {
  ASSIGN_OR_RETURN(std::optional<std::string> doc, ManagedPolicyDocument(txn, account, arn));
  if (!doc) return std::optional<SimPolicy>();
  const bool aws = arn.starts_with(kAwsPolicyArnPrefix);
  ASSIGN_OR_RETURN(SimPolicy p,
                   MakePolicy(PolicyNameOfArn(arn), aws ? "aws-managed" : "user-managed", *doc,
                              policy::PolicyKind::kIdentity, true));
  return std::optional<SimPolicy>(std::move(p));
}

// The inline and attached policies of a user, group or role record.
Status AddEntityPolicies(storage::Transaction& txn, std::string_view account, const Json& entity,
                         std::string_view inline_type, std::vector<SimPolicy>* out) {
  if (auto it = entity.find("InlinePolicies"); it != entity.end() && it->is_object()) {
    for (auto& [name, doc] : it->items()) {
      if (!doc.is_string()) continue;
      ASSIGN_OR_RETURN(SimPolicy p,
                       MakePolicy(name, std::string(inline_type), doc.get<std::string>(),
                                  policy::PolicyKind::kIdentity, true));
      out->push_back(std::move(p));
    }
  }
  for (const Json& arn : entity.value("AttachedPolicies", Json::array())) {
    if (!arn.is_string()) continue;
    ASSIGN_OR_RETURN(std::optional<SimPolicy> p,
                     ManagedSimPolicy(txn, account, arn.get<std::string>()));
    if (p) out->push_back(std::move(*p));
  }
  return Status::Ok();
}

// The user, group or role PolicySourceArn names, which must exist in the account with
// exactly this ARN (path included).
struct SourceEntity {
  Kind kind = Kind::kUser;
  Json record;
};

Result<SourceEntity> LoadSource(storage::Transaction& txn, std::string_view account,
                                std::string_view arn) {
  const std::string prefix = "arn:aws:iam::" + std::string(account) + ":";
  std::optional<Kind> kind;
  if (arn.starts_with(prefix)) {
    std::string_view resource = arn.substr(prefix.size());
    if (resource.starts_with("user/")) kind = Kind::kUser;
    if (resource.starts_with("group/")) kind = Kind::kGroup;
    if (resource.starts_with("role/")) kind = Kind::kRole;
  }
  const std::string name = PolicyNameOfArn(arn);
  if (!kind || name.empty()) {
    return InvalidInput("PolicySourceArn " + std::string(arn) +
                        " is not the ARN of a user, group or role of this account.");
  }
  ASSIGN_OR_RETURN(Json record, LoadEntity(txn, account, *kind, name));
  if (record.value("Arn", "") != arn) {
    return NoSuchEntity("The " + std::string(KindName(*kind)) + " with name " + name +
                        " cannot be found.");
  }
  return SourceEntity{*kind, std::move(record)};
}

// Everything one simulation evaluates.
struct Simulation {
  std::vector<SimPolicy> identity;
  std::vector<SimPolicy> boundary;  // none or one
  std::vector<SimPolicy> resource;  // none or one
  std::string principal;
  std::string principal_account;
  std::string resource_owner;  // ResourceOwner's account, or empty
  std::map<std::string, policy::ContextValue, std::less<>> keys;
};

// The principal's policies for SimulatePrincipalPolicy: the entity's own, its groups'
// (users), and its permissions boundary.
Status LoadPrincipalPolicies(storage::Transaction& txn, std::string_view account,
                             const SourceEntity& source, Simulation* sim) {
  const Json& entity = source.record;
  RETURN_IF_ERROR(AddEntityPolicies(txn, account, entity, KindName(source.kind), &sim->identity));
  if (source.kind == Kind::kUser) {
    for (const Json& group_name : entity.value("Groups", Json::array())) {
      if (!group_name.is_string()) continue;
      ASSIGN_OR_RETURN(std::optional<Json> group,
                       Load(txn, EntityKey(account, Kind::kGroup, group_name.get<std::string>())));
      if (group) RETURN_IF_ERROR(AddEntityPolicies(txn, account, *group, "group", &sim->identity));
    }
  }
  if (auto it = entity.find("PermissionsBoundary"); it != entity.end() && it->is_string()) {
    ASSIGN_OR_RETURN(std::optional<SimPolicy> p,
                     ManagedSimPolicy(txn, account, it->get<std::string>()));
    if (p) {
      sim->boundary.push_back(std::move(*p));
    } else {
      // A boundary whose policy is gone allows nothing, as in authorization.
      ASSIGN_OR_RETURN(
          SimPolicy none,
          MakePolicy(PolicyNameOfArn(it->get<std::string>()), "user-managed",
                     R"({"Version":"2012-10-17","Statement":[]})", policy::PolicyKind::kAny, true));
      sim->boundary.push_back(std::move(none));
    }
  }
  return Status::Ok();
}

// The 12-digit account of an ARN ("arn:aws:iam::123456789012:root"), or of a bare
// account id; empty if neither.
std::string AccountOf(std::string_view arn_or_account) {
  if (arn_or_account.size() == 12 && std::all_of(arn_or_account.begin(), arn_or_account.end(),
                                                 [](char c) { return c >= '0' && c <= '9'; })) {
    return std::string(arn_or_account);
  }
  if (!arn_or_account.starts_with("arn:")) return {};
  std::string_view rest = arn_or_account;
  for (int i = 0; i < 4; ++i) {
    size_t colon = rest.find(':');
    if (colon == std::string_view::npos) return {};
    rest.remove_prefix(colon + 1);
  }
  return std::string(rest.substr(0, rest.find(':')));
}

// The ContextEntries as condition keys. List types are multi-valued keys; values are
// checked against their declared type so that a typo is reported rather than silently
// never matching.
Status LoadContext(const Json& input, Simulation* sim) {
  auto it = input.find("ContextEntries");
  if (it == input.end() || !it->is_array()) return Status::Ok();
  for (const Json& entry : *it) {
    const std::string name = entry.value("ContextKeyName", "");
    if (name.empty()) continue;
    std::string type = entry.value("ContextKeyType", "string");
    const bool list = type.ends_with("List");
    if (list) type.resize(type.size() - 4);
    policy::ContextValue value;
    value.multi_valued = list;
    for (const Json& v : entry.value("ContextKeyValues", Json::array())) {
      if (!v.is_string()) continue;
      const std::string& s = v.get_ref<const std::string&>();
      const bool valid = type == "numeric"   ? policy::ParseNumber(s).has_value()
                         : type == "boolean" ? policy::ParseBool(s).has_value()
                         : type == "date"    ? policy::ParseDateMs(s).has_value()
                         : type == "ip"      ? policy::ParseCidr(s).has_value()
                                             : true;
      if (!valid) {
        return InvalidInput("Invalid value " + s + " for context key " + name + " of type " +
                            entry.value("ContextKeyType", "string") + ".");
      }
      value.values.push_back(s);
    }
    sim->keys[Lower(name)] = std::move(value);
  }
  return Status::Ok();
}

std::string_view DecisionText(policy::Decision d) {
  switch (d) {
    case policy::Decision::kAllow:
      return "allowed";
    case policy::Decision::kExplicitDeny:
      return "explicitDeny";
    case policy::Decision::kImplicitDeny:
      return "implicitDeny";
  }
  return "implicitDeny";
}

Json PositionJson(const TextPosition& p) { return Json{{"Line", p.line}, {"Column", p.column}}; }

Json StatementJson(const SimPolicy& p, uint32_t statement_index) {
  Json out = {{"SourcePolicyId", p.id}, {"SourcePolicyType", p.type}};
  if (statement_index < p.spans.size()) {
    out["StartPosition"] = PositionJson(p.spans[statement_index].start);
    out["EndPosition"] = PositionJson(p.spans[statement_index].end);
  }
  return out;
}

const SimPolicy* PolicyOf(const Simulation& sim, const policy::MatchedStatement& m) {
  const std::vector<SimPolicy>* group = nullptr;
  switch (m.source) {
    case policy::PolicySource::kIdentity:
      group = &sim.identity;
      break;
    case policy::PolicySource::kPermissionsBoundary:
      group = &sim.boundary;
      break;
    case policy::PolicySource::kResource:
      group = &sim.resource;
      break;
    default:
      return nullptr;
  }
  return m.policy_index < group->size() ? &(*group)[m.policy_index] : nullptr;
}

// The context keys of the statements a request is about (their action and resource
// match, conditions aside) that the request does not give.
Json MissingContextValues(const Simulation& sim, const policy::RequestContext& rc) {
  std::vector<std::string> missing;
  for (const auto* group : {&sim.identity, &sim.boundary, &sim.resource}) {
    for (const SimPolicy& p : *group) {
      for (size_t i = 0; i < p.parsed.statements.size(); ++i) {
        const StatementKeys& k = p.keys[i];
        if (k.keys.empty()) continue;
        const bool relevant =
            policy::StatementMatchesRequest(p.bare.statements[i], p.parsed.version, rc) ||
            (k.variable_resource && policy::StatementMatchesRequest(
                                        p.bare_any_resource.statements[i], p.parsed.version, rc));
        if (!relevant) continue;
        for (const std::string& key : k.keys) {
          if (rc.Find(Lower(key)) == nullptr) AddUnique(key, &missing);
        }
      }
    }
  }
  return missing;
}

// The result of one (action, resource) pair: the EvaluationResult members, and the
// same again as a ResourceSpecificResult.
struct PairResult {
  std::string decision;
  Json matched = Json::array();
  Json missing = Json::array();
  std::optional<bool> allowed_by_boundary;
  std::optional<Json> decision_details;
};

PairResult EvaluatePair(const Simulation& sim, const std::string& action,
                        const std::string& resource) {
  policy::RequestContext rc;
  rc.SetPrincipal(sim.principal);
  rc.action = action;
  rc.resource = resource;
  // The owner: ResourceOwner, else the account the resource ARN names, else the
  // caller's ("defaults to the account of the identity provided in CallerArn").
  std::string owner = sim.resource_owner;
  if (owner.empty() && resource != "*") owner = AccountOf(resource);
  if (owner.empty()) owner = sim.principal_account;
  rc.resource_account = owner;
  rc.keys = sim.keys;

  policy::PolicySet set;
  for (const SimPolicy& p : sim.identity) set.identity.push_back(&p.parsed);
  for (const SimPolicy& p : sim.boundary) set.permissions_boundaries.push_back(&p.parsed);
  if (!sim.resource.empty()) set.resource = &sim.resource.front().parsed;
  std::vector<policy::MatchedStatement> matched;
  const policy::Decision decision = policy::Evaluate(set, rc, &matched);

  PairResult r;
  r.decision = std::string(DecisionText(decision));
  // "Even if multiple statements allow the operation on the resource, if only one
  // statement denies that operation, then the explicit deny overrides any allow. In
  // addition, the deny statement is the only entry included in the result." An
  // implicit deny has no statement that determines it.
  bool boundary_allow = false, boundary_deny = false;
  bool resource_allow = false, resource_deny = false;
  for (const policy::MatchedStatement& m : matched) {
    const bool allow = m.effect == policy::Effect::kAllow;
    if (m.source == policy::PolicySource::kPermissionsBoundary) {
      (allow ? boundary_allow : boundary_deny) = true;
    } else if (m.source == policy::PolicySource::kResource) {
      (allow ? resource_allow : resource_deny) = true;
    }
    const bool include = decision == policy::Decision::kExplicitDeny ? !allow
                         : decision == policy::Decision::kAllow      ? allow
                                                                     : false;
    if (!include) continue;
    if (const SimPolicy* p = PolicyOf(sim, m))
      r.matched.push_back(StatementJson(*p, m.statement_index));
  }
  r.missing = MissingContextValues(sim, rc);
  if (!sim.boundary.empty()) r.allowed_by_boundary = boundary_allow && !boundary_deny;

  // "If the simulation evaluates policies within the same account and includes a
  // resource ARN, then the parameter is present but the response is empty. If [...]
  // all resources (*), then the parameter is not returned." Across accounts it says
  // how each side decided.
  if (resource != "*") {
    if (owner == AccountOf(sim.principal) || AccountOf(sim.principal).empty()) {
      r.decision_details = Json::object();
    } else {
      policy::RequestContext own = rc;
      own.resource_account = AccountOf(sim.principal);
      policy::PolicySet identity_side = set;
      identity_side.resource = nullptr;
      const policy::Decision identity_decision = policy::Evaluate(identity_side, own);
      const std::string_view resource_decision = resource_deny    ? "explicitDeny"
                                                 : resource_allow ? "allowed"
                                                                  : "implicitDeny";
      r.decision_details = Json{{"IAM Policy", DecisionText(identity_decision)},
                                {"Resource Policy", resource_decision}};
    }
  }
  return r;
}

// Runs every (action, resource) pair of one page and shapes the response.
Result<Json> RunSimulation(const Simulation& sim, const Json& input) {
  const Json actions = input.value("ActionNames", Json::array());
  Json resources = input.value("ResourceArns", Json::array());
  const bool resources_given = !resources.empty();
  if (!resources_given) resources = Json::array({"*"});
  const size_t pairs = actions.size() * resources.size();
  if (pairs > kMaxPairs) {
    return InvalidInput("The simulation asks for " + std::to_string(pairs) +
                        " action and resource combinations; at most " + std::to_string(kMaxPairs) +
                        " are allowed in one request.");
  }
  // Page over pair numbers, then evaluate only the page's pairs.
  Json numbers = Json::array();
  for (size_t i = 0; i < pairs; ++i) numbers.push_back(i);
  ASSIGN_OR_RETURN(Page page, PageOf(numbers, input));
  Json results = Json::array();
  for (const Json& number : page.items) {
    const size_t n = number.get<size_t>();
    const std::string action = actions[n / resources.size()].get<std::string>();
    const std::string resource = resources[n % resources.size()].get<std::string>();
    PairResult r = EvaluatePair(sim, action, resource);
    Json result = {{"EvalActionName", action},
                   {"EvalResourceName", resource},
                   {"EvalDecision", r.decision},
                   {"MatchedStatements", r.matched}};
    // Missing keys are reported at the top for "*", and per resource otherwise.
    const bool specific = resources_given && resource != "*";
    result["MissingContextValues"] = specific ? Json::array() : r.missing;
    if (r.allowed_by_boundary) {
      result["PermissionsBoundaryDecisionDetail"] = {
          {"AllowedByPermissionsBoundary", *r.allowed_by_boundary}};
    }
    if (r.decision_details) result["EvalDecisionDetails"] = *r.decision_details;
    if (specific) {
      Json one = {{"EvalResourceName", resource},
                  {"EvalResourceDecision", r.decision},
                  {"MatchedStatements", r.matched},
                  {"MissingContextValues", r.missing}};
      if (r.decision_details) one["EvalDecisionDetails"] = *r.decision_details;
      if (r.allowed_by_boundary) {
        one["PermissionsBoundaryDecisionDetail"] = {
            {"AllowedByPermissionsBoundary", *r.allowed_by_boundary}};
      }
      result["ResourceSpecificResults"] = Json::array({std::move(one)});
    }
    results.push_back(std::move(result));
  }
  page.items = std::move(results);
  return PageOutput(std::move(page), "EvaluationResults");
}

// What both Simulate operations share once the identity policies are known: the
// boundary given in the request, the resource policy, the caller and the context.
// `default_principal` is the caller when CallerArn is absent (empty: there is none a
// resource policy could name).
Status CompleteSimulation(RequestContext& ctx, const Json& input,
                          const std::string& default_principal, Simulation* sim) {
  // "If a permissions boundary is attached to an entity and you pass in a different
  // permissions boundary policy using this parameter, then the new permissions
  // boundary policy is used for the simulation."
  std::vector<SimPolicy> boundary;
  RETURN_IF_ERROR(AddInputPolicies(input, "PermissionsBoundaryPolicyInputList", &boundary));
  if (boundary.size() > 1) {
    return InvalidInput("You can input only one permissions boundary policy.");
  }
  if (!boundary.empty()) sim->boundary = std::move(boundary);

  if (auto it = input.find("ResourcePolicy"); it != input.end() && it->is_string()) {
    ASSIGN_OR_RETURN(SimPolicy p, MakePolicy("ResourcePolicy", "resource", it->get<std::string>(),
                                             policy::PolicyKind::kAny, false));
    sim->resource.push_back(std::move(p));
  }

  std::string caller = input.value("CallerArn", "");
  if (!caller.empty() && policy::ClassifyPrincipal(caller) != policy::PrincipalKind::kIamUser) {
    return InvalidInput("CallerArn " + caller +
                        " is not the ARN of an IAM user: only IAM users can be simulated "
                        "callers.");
  }
  if (caller.empty() && !sim->resource.empty() && default_principal.empty()) {
    return InvalidInput(
        "CallerArn is required when the simulation includes a ResourcePolicy and the "
        "policy source is not an IAM user.");
  }
  if (caller.empty()) caller = default_principal;
  // No caller at all (no resource policy names one): the account itself, so that the
  // identity policies decide.
  if (caller.empty()) caller = "arn:aws:iam::" + ctx.caller.account_id + ":root";
  sim->principal = caller;
  sim->principal_account = AccountOf(caller);

  if (auto it = input.find("ResourceOwner"); it != input.end() && it->is_string()) {
    sim->resource_owner = AccountOf(it->get<std::string>());
    if (sim->resource_owner.empty()) {
      return InvalidInput("ResourceOwner " + it->get<std::string>() +
                          " is not an account ARN (arn:aws:iam::ACCOUNT-ID:root).");
    }
  }
  return LoadContext(input, sim);
}

Json ContextKeysOutput(const std::vector<const std::vector<SimPolicy>*>& groups) {
  std::vector<std::string> names;
  for (const auto* group : groups) {
    for (const SimPolicy& p : *group) {
      for (const StatementKeys& k : p.keys) {
        for (const std::string& key : k.keys) AddUnique(key, &names);
      }
    }
  }
  return Json{{"ContextKeyNames", names}};
}

}  // namespace

Result<Json> SimulatePrincipalPolicy(RequestContext& ctx, const Json& input) {
  const std::string& account = ctx.caller.account_id;
  const std::string source_arn = input.at("PolicySourceArn").get<std::string>();
  Simulation sim;
  SourceEntity source;
  {
    ASSIGN_OR_RETURN(auto txn, BeginRead(ctx));
    ASSIGN_OR_RETURN(source, LoadSource(*txn, account, source_arn));
    RETURN_IF_ERROR(LoadPrincipalPolicies(*txn, account, source, &sim));
  }
  RETURN_IF_ERROR(AddInputPolicies(input, "PolicyInputList", &sim.identity));
  // "If you do not specify a CallerArn, it defaults to the ARN of the user that you
  // specify in PolicySourceArn, if you specified a user."
  std::string default_principal;
  if (source.kind == Kind::kUser) default_principal = source_arn;
  RETURN_IF_ERROR(CompleteSimulation(ctx, input, default_principal, &sim));
  // A role's policies are simulated for the role itself when no resource policy needs
  // a named caller.
  if (source.kind == Kind::kRole && !input.contains("CallerArn")) {
    sim.principal = source_arn;
    sim.principal_account = account;
  }
  return RunSimulation(sim, input);
}

Result<Json> SimulateCustomPolicy(RequestContext& ctx, const Json& input) {
  Simulation sim;
  RETURN_IF_ERROR(AddInputPolicies(input, "PolicyInputList", &sim.identity));
  RETURN_IF_ERROR(CompleteSimulation(ctx, input, "", &sim));
  return RunSimulation(sim, input);
}

Result<Json> GetContextKeysForPrincipalPolicy(RequestContext& ctx, const Json& input) {
  const std::string& account = ctx.caller.account_id;
  Simulation sim;
  {
    ASSIGN_OR_RETURN(auto txn, BeginRead(ctx));
    ASSIGN_OR_RETURN(SourceEntity source,
                     LoadSource(*txn, account, input.at("PolicySourceArn").get<std::string>()));
    RETURN_IF_ERROR(LoadPrincipalPolicies(*txn, account, source, &sim));
  }
  RETURN_IF_ERROR(AddInputPolicies(input, "PolicyInputList", &sim.identity));
  return ContextKeysOutput({&sim.identity, &sim.boundary});
}

Result<Json> GetContextKeysForCustomPolicy(RequestContext& /*ctx*/, const Json& input) {
  std::vector<SimPolicy> policies;
  RETURN_IF_ERROR(AddInputPolicies(input, "PolicyInputList", &policies));
  return ContextKeysOutput({&policies});
}

}  // namespace bulwark::iam
