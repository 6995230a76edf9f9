#include "policy/parser.h"

#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <unordered_set>
#include <vector>

#include "policy/match.h"
#include "policy/values.h"

namespace bulwark::policy {
namespace {

using nlohmann::json;

constexpr std::string_view kSyntax = "Syntax errors in policy.";
constexpr std::string_view kVendor =
    "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.";

Status Malformed(std::string_view message) {
  return Status::Service("MalformedPolicyDocument", 400, std::string(message));
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool IsJsonSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Deepest [ / { nesting, ignoring brackets inside strings. Cheap pre-check so the
// JSON library never sees a pathologically deep document.
int MaxNesting(std::string_view s) {
  int depth = 0, max_depth = 0;
  bool in_string = false, escape = false;
  for (char c : s) {
    if (in_string) {
      if (escape) {
        escape = false;
      } else if (c == '\\') {
        escape = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      max_depth = std::max(max_depth, ++depth);
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return max_depth;
}

bool PrincipalProhibited(PolicyKind k) {
  return k == PolicyKind::kIdentity || k == PolicyKind::kPermissionsBoundary ||
         k == PolicyKind::kSession || k == PolicyKind::kServiceControl;
}
bool PrincipalRequired(PolicyKind k) {
  return k == PolicyKind::kResource || k == PolicyKind::kResourceControl || k == PolicyKind::kTrust;
}
bool ResourceRequired(PolicyKind k) {
  return k == PolicyKind::kIdentity || k == PolicyKind::kPermissionsBoundary ||
         k == PolicyKind::kSession || k == PolicyKind::kResource ||
         k == PolicyKind::kResourceControl;
}

// A scalar condition value or list item as a string (numbers and booleans as JSON
// writes them). Objects, arrays and null are not values.
bool ScalarToString(const json& v, std::string* out) {
  if (v.is_string()) {
    *out = v.get<std::string>();
  } else if (v.is_boolean()) {
    *out = v.get<bool>() ? "true" : "false";
  } else if (v.is_number()) {
    *out = v.dump();
  } else {
    return false;
  }
  return true;
}

Pattern MakePattern(std::string text, const Policy& policy) {
  Pattern p;
  p.has_variable = policy.version == PolicyVersion::k2012_10_17 && ContainsVariable(text);
  if (p.has_variable) {
    // Wildcards outside ${...}.
    size_t i = 0;
    while (i < text.size()) {
      if (text[i] == '$' && i + 1 < text.size() && text[i + 1] == '{') {
        size_t close = text.find('}', i + 2);
        if (close != std::string::npos) {
          i = close + 1;
          continue;
        }
      }
      if (text[i] == '*' || text[i] == '?') p.has_wildcard = true;
      ++i;
    }
  } else {
    p.has_wildcard = text.find_first_of("*?") != std::string::npos;
  }
  p.text = std::move(text);
  if (!p.has_variable) p.arn_split = SplitArn(p.text, &p.arn_cuts);
  return p;
}

struct OperatorSpec {
  std::string_view name;
  ConditionOperator op;
};

constexpr OperatorSpec kOperators[] = {
    {"stringequals", ConditionOperator::kStringEquals},
    {"stringnotequals", ConditionOperator::kStringNotEquals},
    {"stringequalsignorecase", ConditionOperator::kStringEqualsIgnoreCase},
    {"stringnotequalsignorecase", ConditionOperator::kStringNotEqualsIgnoreCase},
    {"stringlike", ConditionOperator::kStringLike},
    {"stringnotlike", ConditionOperator::kStringNotLike},
    {"numericequals", ConditionOperator::kNumericEquals},
    {"numericnotequals", ConditionOperator::kNumericNotEquals},
    {"numericlessthan", ConditionOperator::kNumericLessThan},
    {"numericlessthanequals", ConditionOperator::kNumericLessThanEquals},
    {"numericgreaterthan", ConditionOperator::kNumericGreaterThan},
    {"numericgreaterthanequals", ConditionOperator::kNumericGreaterThanEquals},
    {"dateequals", ConditionOperator::kDateEquals},
    {"datenotequals", ConditionOperator::kDateNotEquals},
    {"datelessthan", ConditionOperator::kDateLessThan},
    {"datelessthanequals", ConditionOperator::kDateLessThanEquals},
    {"dategreaterthan", ConditionOperator::kDateGreaterThan},
    {"dategreaterthanequals", ConditionOperator::kDateGreaterThanEquals},
    {"bool", ConditionOperator::kBool},
    {"binaryequals", ConditionOperator::kBinaryEquals},
    {"ipaddress", ConditionOperator::kIpAddress},
    {"notipaddress", ConditionOperator::kNotIpAddress},
    {"arnequals", ConditionOperator::kArnEquals},
    {"arnlike", ConditionOperator::kArnLike},
    {"arnnotequals", ConditionOperator::kArnNotEquals},
    {"arnnotlike", ConditionOperator::kArnNotLike},
    {"null", ConditionOperator::kNull},
};

// Splits "ForAnyValue:StringLikeIfExists" into its parts. Operator names match
// case-insensitively.
bool ParseOperatorName(std::string_view name, Condition* c) {
  std::string lower = Lower(name);
  std::string_view rest = lower;
  c->qualifier = SetQualifier::kNone;
  if (rest.starts_with("forallvalues:")) {
    c->qualifier = SetQualifier::kForAllValues;
    rest.remove_prefix(13);
  } else if (rest.starts_with("foranyvalue:")) {
    c->qualifier = SetQualifier::kForAnyValue;
    rest.remove_prefix(12);
  }
  c->if_exists = false;
  if (rest.ends_with("ifexists")) {
    c->if_exists = true;
    rest.remove_suffix(8);
  }
  for (const OperatorSpec& spec : kOperators) {
    if (spec.name == rest) {
      if (spec.op == ConditionOperator::kNull && c->if_exists) return false;
      c->op = spec.op;
      return true;
    }
  }
  return false;
}

bool IsStringOp(ConditionOperator op) { return op <= ConditionOperator::kStringNotLike; }

bool HasVendorPrefix(std::string_view s) {
  size_t colon = s.find(':');
  return colon != std::string_view::npos && colon > 0 && colon + 1 < s.size();
}

class Parser {
 public:
  Parser(const ParseOptions& options) : options_(options) {}

  Result<Policy> Parse(const json& doc) {
    if (!doc.is_object()) return Malformed(kSyntax);
    Policy policy;
    // Version first: it decides whether ${...} is a variable.
    if (auto it = doc.find("Version"); it != doc.end()) {
      if (!it->is_string()) return Malformed("The policy failed legacy parsing");
      const std::string& v = it->get_ref<const std::string&>();
      if (v == "2012-10-17") {
        policy.version = PolicyVersion::k2012_10_17;
      } else if (v == "2008-10-17") {
        policy.version = PolicyVersion::k2008_10_17;
      } else {
        return Malformed("The policy failed legacy parsing");
      }
    }
    const json* statements = nullptr;
    for (auto it = doc.begin(); it != doc.end(); ++it) {
      const std::string& key = it.key();
      if (key == "Version") continue;
      if (key == "Id") {
        if (!it->is_string()) return Malformed(kSyntax);
        policy.id = it->get<std::string>();
      } else if (key == "Statement") {
        statements = &*it;
      } else {
        return Malformed(kSyntax);
      }
    }
    if (statements == nullptr) return Malformed(kSyntax);
    if (statements->is_object()) {
      RETURN_IF_ERROR(ParseStatement(*statements, &policy));
    } else if (statements->is_array()) {
      if (statements->empty() && options_.kind != PolicyKind::kAny) return Malformed(kSyntax);
      if (statements->size() > options_.max_statements) return Malformed(kSyntax);
      for (const json& s : *statements) RETURN_IF_ERROR(ParseStatement(s, &policy));
    } else {
      return Malformed(kSyntax);
    }
    std::unordered_set<std::string> sids;
    for (const Statement& s : policy.statements) {
      if (!s.sid.empty() && !sids.insert(s.sid).second) {
        return Malformed("Statement IDs (SID) in a single policy must be unique.");
      }
    }
    return policy;
  }

 private:
  // A string or a non-empty array of strings.
  Status StringList(const json& v, std::vector<std::string>* out) {
    if (v.is_string()) {
      out->push_back(v.get<std::string>());
      return Status::Ok();
    }
    if (!v.is_array() || v.empty() || v.size() > options_.max_list_items) {
      return Malformed(kSyntax);
    }
    for (const json& item : v) {
      if (!item.is_string()) return Malformed(kSyntax);
      out->push_back(item.get<std::string>());
    }
    return Status::Ok();
  }

  Status ParsePrincipal(const json& v, PrincipalBlock* out) {
    if (v.is_string()) {
      const std::string& s = v.get_ref<const std::string&>();
      if (s == "*") {
        out->wildcard = true;
        return Status::Ok();
      }
      // IAM accepts only "*" as a bare string; simulation inputs also write a single
      // AWS principal ("Principal": "arn:aws:iam::…") that way.
      if (options_.kind != PolicyKind::kAny || !(s.starts_with("arn:") || IsAccountId(s))) {
        return Malformed(kSyntax);
      }
      out->entries.push_back({PrincipalType::kAws, s});
      return Status::Ok();
    }
    if (!v.is_object() || v.empty()) return Malformed(kSyntax);
    for (auto it = v.begin(); it != v.end(); ++it) {
      PrincipalType type;
      if (it.key() == "AWS") {
        type = PrincipalType::kAws;
      } else if (it.key() == "Service") {
        type = PrincipalType::kService;
      } else if (it.key() == "Federated") {
        type = PrincipalType::kFederated;
      } else if (it.key() == "CanonicalUser") {
        type = PrincipalType::kCanonicalUser;
      } else {
        return Malformed(kSyntax);
      }
      std::vector<std::string> values;
      RETURN_IF_ERROR(StringList(*it, &values));
      for (std::string& value : values) {
        // IAM tolerates surrounding spaces in principal values (one User Guide
        // example has " arn:aws:iam::…"); they are not part of the identifier.
        size_t b = value.find_first_not_of(" \t");
        size_t e = value.find_last_not_of(" \t");
        value = b == std::string::npos ? std::string() : value.substr(b, e - b + 1);
        if (value.empty() || (type == PrincipalType::kAws && value != "*" &&
                              !value.starts_with("arn:") && !IsAccountId(value))) {
          return Malformed("Invalid principal in policy: \"" + it.key() + "\":\"" + value + "\"");
        }
        out->entries.push_back({type, std::move(value)});
      }
    }
    return Status::Ok();
  }

  static bool IsAccountId(std::string_view s) {
    if (s.size() != 12) return false;
    for (char c : s) {
      if (c < '0' || c > '9') return false;
    }
    return true;
  }

  Status ParseConditionBlock(const json& v, const Policy& policy, Statement* st) {
    if (!v.is_object()) return Malformed(kSyntax);
    for (auto op_it = v.begin(); op_it != v.end(); ++op_it) {
      Condition proto;
      if (!ParseOperatorName(op_it.key(), &proto)) {
        return Malformed("Invalid Condition type : " + op_it.key());
      }
      proto.operator_name = op_it.key();
      if (!op_it->is_object()) return Malformed(kSyntax);
      for (auto key_it = op_it->begin(); key_it != op_it->end(); ++key_it) {
        Condition c = proto;
        c.key = key_it.key();
        if (!HasVendorPrefix(c.key)) return Malformed(kVendor);
        c.key_lower = Lower(c.key);
        std::vector<std::string> raw;
        std::string one;
        if (key_it->is_array()) {
          if (key_it->size() > options_.max_list_items) return Malformed(kSyntax);
          for (const json& item : *key_it) {
            if (!ScalarToString(item, &one)) return Malformed(kSyntax);
            raw.push_back(std::move(one));
          }
        } else {
          if (!ScalarToString(*key_it, &one)) return Malformed(kSyntax);
          raw.push_back(std::move(one));
        }
        for (std::string& r : raw) c.values.push_back(MakeValue(c.op, std::move(r), policy));
        st->conditions.push_back(std::move(c));
      }
    }
    return Status::Ok();
  }

  ConditionValue MakeValue(ConditionOperator op, std::string raw, const Policy& policy) {
    ConditionValue v;
    switch (op) {
      case ConditionOperator::kNumericEquals:
      case ConditionOperator::kNumericNotEquals:
      case ConditionOperator::kNumericLessThan:
      case ConditionOperator::kNumericLessThanEquals:
      case ConditionOperator::kNumericGreaterThan:
      case ConditionOperator::kNumericGreaterThanEquals:
        v.number = ParseNumber(raw);
        break;
      case ConditionOperator::kDateEquals:
      case ConditionOperator::kDateNotEquals:
      case ConditionOperator::kDateLessThan:
      case ConditionOperator::kDateLessThanEquals:
      case ConditionOperator::kDateGreaterThan:
      case ConditionOperator::kDateGreaterThanEquals:
        v.epoch_ms = ParseDateMs(raw);
        break;
      case ConditionOperator::kBool:
      case ConditionOperator::kNull:
        v.boolean = ParseBool(raw);
        break;
      case ConditionOperator::kIpAddress:
      case ConditionOperator::kNotIpAddress:
        v.cidr = ParseCidr(raw);
        break;
      case ConditionOperator::kStringEqualsIgnoreCase:
      case ConditionOperator::kStringNotEqualsIgnoreCase:
        raw = Lower(raw);
        break;
      default:
        break;
    }
    bool variables = IsStringOp(op) || op == ConditionOperator::kArnEquals ||
                     op == ConditionOperator::kArnLike || op == ConditionOperator::kArnNotEquals ||
                     op == ConditionOperator::kArnNotLike;
    v.pattern = MakePattern(std::move(raw), policy);
    if (!variables) v.pattern.has_variable = false;
    return v;
  }

  Status ParseStatement(const json& s, Policy* policy) {
    if (!s.is_object()) return Malformed(kSyntax);
    Statement st;
    bool has_effect = false;
    const json* principal = nullptr;
    for (auto it = s.begin(); it != s.end(); ++it) {
      const std::string& key = it.key();
      const json& v = *it;
      if (key == "Sid") {
        if (!v.is_string()) return Malformed(kSyntax);
        st.sid = v.get<std::string>();
      } else if (key == "Effect") {
        if (!v.is_string()) return Malformed(kSyntax);
        const std::string& e = v.get_ref<const std::string&>();
        if (e == "Allow") {
          st.effect = Effect::kAllow;
        } else if (e == "Deny") {
          st.effect = Effect::kDeny;
        } else {
          return Malformed(kSyntax);
        }
        has_effect = true;
      } else if (key == "Principal" || key == "NotPrincipal") {
        if (principal != nullptr) return Malformed(kSyntax);
        principal = &v;
        st.not_principal = key == "NotPrincipal";
      } else if (key == "Action" || key == "NotAction") {
        if (st.has_action) return Malformed(kSyntax);
        st.has_action = true;
        st.not_action = key == "NotAction";
        std::vector<std::string> actions;
        RETURN_IF_ERROR(StringList(v, &actions));
        st.action_services = 0;
        for (std::string& a : actions) {
          // Lenient parsing keeps "s3:" (it matches no action) instead of rejecting it.
          bool lenient_ok = options_.kind == PolicyKind::kAny && a.find(':') != 0 &&
                            a.find(':') != std::string::npos;
          if (a != "*" && !HasVendorPrefix(a) && !lenient_ok) return Malformed(kVendor);
          Pattern p;
          p.text = Lower(a);
          p.has_wildcard = p.text.find_first_of("*?") != std::string::npos;
          std::string_view service = std::string_view(p.text).substr(0, p.text.find(':'));
          st.action_services |= service.find_first_of("*?") != std::string_view::npos
                                    ? ~uint64_t{0}
                                    : ServiceBit(service);
          st.actions.push_back(std::move(p));
        }
      } else if (key == "Resource" || key == "NotResource") {
        if (st.has_resource) return Malformed(kSyntax);
        st.has_resource = true;
        st.not_resource = key == "NotResource";
        std::vector<std::string> resources;
        RETURN_IF_ERROR(StringList(v, &resources));
        for (std::string& r : resources) {
          if (r != "*" && r.find(':') == std::string::npos) {
            return Malformed("Resource " + r + " must be in ARN format or \"*\".");
          }
          st.resources.push_back(MakePattern(std::move(r), *policy));
        }
      } else if (key == "Condition") {
        RETURN_IF_ERROR(ParseConditionBlock(v, *policy, &st));
      } else {
        return Malformed(kSyntax);
      }
    }
    if (!has_effect) return Malformed("Missing required field Effect");
    if (principal != nullptr) {
      if (PrincipalProhibited(options_.kind)) {
        return Malformed("Policy document should not specify a principal.");
      }
      PrincipalBlock block;
      RETURN_IF_ERROR(ParsePrincipal(*principal, &block));
      st.principal = std::move(block);
    } else if (PrincipalRequired(options_.kind)) {
      return Malformed("Missing required field Principal");
    }
    if (!st.has_action) return Malformed("Policy statement must contain actions.");
    if (st.has_resource && options_.kind == PolicyKind::kTrust) {
      return Malformed("Has prohibited field Resource");
    }
    if (!st.has_resource && ResourceRequired(options_.kind)) {
      return Malformed("Policy statement must contain resources.");
    }
    policy->statements.push_back(std::move(st));
    return Status::Ok();
  }

  const ParseOptions& options_;
};

}  // namespace

size_t PolicySizeChars(std::string_view document) {
  size_t n = 0;
  for (char c : document) n += IsJsonSpace(c) ? 0 : 1;
  return n;
}

Result<Policy> ParsePolicy(std::string_view document, const ParseOptions& options) {
  if (document.size() > options.max_document_bytes) {
    return Status::Service(
        "LimitExceeded", 409,
        "Cannot exceed quota for PolicySize: " + std::to_string(options.max_policy_chars
                                                                    ? options.max_policy_chars
                                                                    : options.max_document_bytes));
  }
  if (options.max_policy_chars != 0 && PolicySizeChars(document) > options.max_policy_chars) {
    return Status::Service(
        "LimitExceeded", 409,
        "Cannot exceed quota for PolicySize: " + std::to_string(options.max_policy_chars));
  }
  if (MaxNesting(document) > options.max_depth) return Malformed(kSyntax);

  // Track the keys of every open object to reject duplicates.
  std::vector<std::set<std::string>> open_objects;
  bool duplicate = false;
  json::parser_callback_t callback = [&](int /*depth*/, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
        open_objects.emplace_back();
        break;
      case json::parse_event_t::object_end:
        if (!open_objects.empty()) open_objects.pop_back();
        break;
      case json::parse_event_t::key:
        if (!open_objects.empty() && parsed.is_string() &&
            !open_objects.back().insert(parsed.get<std::string>()).second) {
          duplicate = true;
        }
        break;
      default:
        break;
    }
    return true;
  };
  json doc;
  try {
    doc = json::parse(document.begin(), document.end(), callback, /*allow_exceptions=*/false);
  } catch (const std::exception&) {
    return Malformed(kSyntax);
  }
  if (doc.is_discarded() || duplicate) return Malformed(kSyntax);
  try {
    Parser parser(options);
    return parser.Parse(doc);
  } catch (const std::exception&) {
    return Malformed(kSyntax);
  }
}

}  // namespace bulwark::policy
