// String matching for policies: '*' / '?' wildcards, ARN matching per segment, and
// policy variable substitution (${aws:username}, ${x, 'default'}, ${*}, ${?}, ${$}).
#pragma once

#include <string_view>
#include <vector>

#include "policy/context.h"
#include "policy/policy.h"

namespace bulwark::policy {

enum class CaseMode { kSensitive, kInsensitive };

// One character of a pattern after variable substitution: characters that came
// from a variable (or from ${*} and friends) are always literal.
struct PatternChar {
  char c;
  bool wildcard;  // c is '*' or '?' acting as a wildcard
};

// Glob match: '*' matches any run (including empty), '?' exactly one character.
// With kInsensitive the pattern must already be lowercase; the text is folded.
bool WildcardMatch(std::string_view pattern, std::string_view text, CaseMode mode);
bool WildcardMatch(const std::vector<PatternChar>& pattern, std::string_view text, CaseMode mode);

// ARN match as ArnLike and the Resource element define it: the first five ':'
// split both into six segments; each segment matches separately, so wildcards never
// cross a ':' in the first five segments. A pattern that is not a six-segment ARN
// ("*", "arn:aws:*") falls back to a whole-string glob. Case-sensitive.
bool ArnMatch(std::string_view pattern, std::string_view arn);
bool ArnMatch(const std::vector<PatternChar>& pattern, std::string_view arn);

// The offsets of the first five ':' of an ARN; false if it has fewer or does not
// start with "arn:".
bool SplitArn(std::string_view arn, std::array<uint32_t, 5>* cuts);

// ArnMatch with both sides pre-split by SplitArn.
bool ArnMatchSplit(std::string_view pattern, const std::array<uint32_t, 5>& pattern_cuts,
                   std::string_view arn, const std::array<uint32_t, 5>& arn_cuts);

// Substitutes the policy variables of `pattern` from the request's context keys.
// Returns false when a variable has no value and no default: the pattern then
// matches nothing. The output is cleared first.
bool ExpandVariables(std::string_view pattern, const RequestContext& request,
                     std::vector<PatternChar>* out);

// Whether `s` contains a syntactically complete "${...}".
bool ContainsVariable(std::string_view s);

}  // namespace bulwark::policy
