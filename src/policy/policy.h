// The IAM policy language AST: what parser.h produces and evaluator.h consumes.
//
// Everything the evaluator needs on its hot path is computed once here, at parse
// time: action patterns are lowercased, condition keys are lowercased, condition
// values are pre-converted to the operator's type (numbers, dates, CIDRs), and
// every pattern records whether it holds wildcards or policy variables.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bulwark::policy {

enum class PolicyVersion { k2008_10_17, k2012_10_17 };

enum class Effect { kAllow, kDeny };

// A string pattern from Action, Resource or a condition value. `text` is the
// pattern as written (actions are lowercased, since they match case-insensitively).
// Policy variables are only recognised in 2012-10-17 documents.
struct Pattern {
  std::string text;
  bool has_wildcard = false;  // contains '*' or '?' outside variables
  bool has_variable = false;  // contains a "${...}" policy variable
  // For ARN patterns without variables: the offsets of the first five ':'
  // (arn_split is false when the text is not a six-segment "arn:" pattern).
  bool arn_split = false;
  std::array<uint32_t, 5> arn_cuts{};
};

// The principal types of the Principal / NotPrincipal element.
enum class PrincipalType { kAws, kService, kFederated, kCanonicalUser };

struct PrincipalEntry {
  PrincipalType type = PrincipalType::kAws;
  std::string value;  // as written ("*" only for {"AWS":"*"} and the like)
};

struct PrincipalBlock {
  bool wildcard = false;  // "Principal": "*"
  std::vector<PrincipalEntry> entries;
};

// Condition operators: the base comparison, without IfExists or set qualifiers.
enum class ConditionOperator : uint8_t {
  kStringEquals,
  kStringNotEquals,
  kStringEqualsIgnoreCase,
  kStringNotEqualsIgnoreCase,
  kStringLike,
  kStringNotLike,
  kNumericEquals,
  kNumericNotEquals,
  kNumericLessThan,
  kNumericLessThanEquals,
  kNumericGreaterThan,
  kNumericGreaterThanEquals,
  kDateEquals,
  kDateNotEquals,
  kDateLessThan,
  kDateLessThanEquals,
  kDateGreaterThan,
  kDateGreaterThanEquals,
  kBool,
  kBinaryEquals,
  kIpAddress,
  kNotIpAddress,
  kArnEquals,
  kArnLike,
  kArnNotEquals,
  kArnNotLike,
  kNull,
};

enum class SetQualifier : uint8_t { kNone, kForAllValues, kForAnyValue };

// An IPv4 or IPv6 network; IPv4 is stored as an IPv4-mapped IPv6 address.
struct Cidr {
  std::array<uint8_t, 16> address{};
  int prefix_bits = 128;  // of the 128-bit form
};

// One policy value of a condition, pre-converted for its operator.
struct ConditionValue {
  Pattern pattern;                  // the raw value (lowercased for *IgnoreCase)
  std::optional<double> number;     // Numeric*
  std::optional<int64_t> epoch_ms;  // Date*
  std::optional<Cidr> cidr;         // IpAddress / NotIpAddress
  std::optional<bool> boolean;      // Bool, Null
};

struct Condition {
  ConditionOperator op = ConditionOperator::kStringEquals;
  SetQualifier qualifier = SetQualifier::kNone;
  bool if_exists = false;
  std::string operator_name;  // as written, e.g. "ForAnyValue:StringLikeIfExists"
  std::string key;            // as written
  std::string key_lower;      // lookup key into the request context
  std::vector<ConditionValue> values;
};

struct Statement {
  std::string sid;
  Effect effect = Effect::kAllow;
  std::optional<PrincipalBlock> principal;  // Principal or NotPrincipal, if present
  bool not_principal = false;
  std::vector<Pattern> actions;  // Action or NotAction; lowercased
  bool not_action = false;
  bool has_action = false;
  // Pre-filter for the evaluator: a 64-bit Bloom filter of the service prefixes
  // ("s3", "kms"…) the action patterns name, by ServiceBit(). When an action pattern
  // has a wildcard in its service part ("*", "s*:Get"), every bit is set.
  uint64_t action_services = ~uint64_t{0};
  std::vector<Pattern> resources;  // Resource or NotResource
  bool not_resource = false;
  bool has_resource = false;
  std::vector<Condition> conditions;
};

// The Bloom bit of a service prefix (case-insensitive): FNV-1a modulo 64.
constexpr uint64_t ServiceBit(std::string_view service) {
  uint64_t h = 14695981039346656037ull;
  for (char c : service) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  }
  return uint64_t{1} << (h % 64);
}

struct Policy {
  PolicyVersion version = PolicyVersion::k2008_10_17;
  std::string id;
  std::vector<Statement> statements;
};

}  // namespace bulwark::policy
