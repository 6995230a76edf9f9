#include "policy/match.h"

#include <string>

namespace bulwark::policy {
namespace {

inline char Fold(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// Pattern adapters: character and wildcard-ness at an index.
struct PlainPattern {
  std::string_view p;
  size_t size() const { return p.size(); }
  char Char(size_t i) const { return p[i]; }
  bool Star(size_t i) const { return p[i] == '*'; }
  bool Any(size_t i) const { return p[i] == '?'; }
  bool Colon(size_t i) const { return p[i] == ':'; }
};

struct ExpandedPattern {
  const std::vector<PatternChar>& p;
  size_t size() const { return p.size(); }
  char Char(size_t i) const { return p[i].c; }
  bool Star(size_t i) const { return p[i].wildcard && p[i].c == '*'; }
  bool Any(size_t i) const { return p[i].wildcard && p[i].c == '?'; }
  bool Colon(size_t i) const { return p[i].c == ':'; }
};

// Iterative glob with single-star backtracking: O(n*m) worst case, no recursion.
template <typename P>
bool Glob(const P& pat, size_t pb, size_t pe, std::string_view t, CaseMode mode) {
  size_t pi = pb, ti = 0;
  size_t star = std::string_view::npos, star_t = 0;
  const bool fold = mode == CaseMode::kInsensitive;
  while (ti < t.size()) {
    if (pi < pe && pat.Star(pi)) {
      star = pi++;
      star_t = ti;
    } else if (pi < pe && (pat.Any(pi) || pat.Char(pi) == (fold ? Fold(t[ti]) : t[ti]))) {
      ++pi;
      ++ti;
    } else if (star != std::string_view::npos) {
      pi = star + 1;
      ti = ++star_t;
    } else {
      return false;
    }
  }
  while (pi < pe && pat.Star(pi)) ++pi;
  return pi == pe;
}

template <typename P>
bool Arn(const P& pat, std::string_view arn) {
  // Split the pattern at its first five colons.
  size_t pcuts[6];
  int pn = 0;
  for (size_t i = 0; i < pat.size() && pn < 5; ++i) {
    if (pat.Colon(i)) pcuts[pn++] = i;
  }
  bool pattern_is_arn = pn == 5 && pat.size() >= 4 && pat.Char(0) == 'a' && pat.Char(1) == 'r' &&
                        pat.Char(2) == 'n' && pat.Colon(3);
  if (!pattern_is_arn) return Glob(pat, 0, pat.size(), arn, CaseMode::kSensitive);
  size_t tcuts[6];
  int tn = 0;
  for (size_t i = 0; i < arn.size() && tn < 5; ++i) {
    if (arn[i] == ':') tcuts[tn++] = i;
  }
  if (tn != 5) return false;
  size_t pstart = 0, tstart = 0;
  for (int seg = 0; seg < 6; ++seg) {
    size_t pend = seg < 5 ? pcuts[seg] : pat.size();
    size_t tend = seg < 5 ? tcuts[seg] : arn.size();
    if (!Glob(pat, pstart, pend, arn.substr(tstart, tend - tstart), CaseMode::kSensitive)) {
      return false;
    }
    pstart = pend + 1;
    tstart = tend + 1;
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

bool WildcardMatch(std::string_view pattern, std::string_view text, CaseMode mode) {
  return Glob(PlainPattern{pattern}, 0, pattern.size(), text, mode);
}

bool WildcardMatch(const std::vector<PatternChar>& pattern, std::string_view text, CaseMode mode) {
  return Glob(ExpandedPattern{pattern}, 0, pattern.size(), text, mode);
}

bool ArnMatch(std::string_view pattern, std::string_view arn) {
  return Arn(PlainPattern{pattern}, arn);
}

bool ArnMatch(const std::vector<PatternChar>& pattern, std::string_view arn) {
  return Arn(ExpandedPattern{pattern}, arn);
}

bool SplitArn(std::string_view arn, std::array<uint32_t, 5>* cuts) {
  if (!arn.starts_with("arn:") || arn.size() > UINT32_MAX) return false;
  int n = 0;
  for (size_t i = 0; i < arn.size() && n < 5; ++i) {
    if (arn[i] == ':') (*cuts)[n++] = static_cast<uint32_t>(i);
  }
  return n == 5;
}

bool ArnMatchSplit(std::string_view pattern, const std::array<uint32_t, 5>& pcuts,
                   std::string_view arn, const std::array<uint32_t, 5>& tcuts) {
  // The resource segment discriminates most; try it first.
  if (!Glob(PlainPattern{pattern}, pcuts[4] + 1, pattern.size(), arn.substr(tcuts[4] + 1),
            CaseMode::kSensitive)) {
    return false;
  }
  size_t pstart = 0, tstart = 0;
  for (int seg = 0; seg < 5; ++seg) {
    if (!Glob(PlainPattern{pattern}, pstart, pcuts[seg], arn.substr(tstart, tcuts[seg] - tstart),
              CaseMode::kSensitive)) {
      return false;
    }
    pstart = pcuts[seg] + 1;
    tstart = tcuts[seg] + 1;
  }
  return true;
}

bool ContainsVariable(std::string_view s) {
  size_t open = s.find("${");
  return open != std::string_view::npos && s.find('}', open + 2) != std::string_view::npos;
}

bool ExpandVariables(std::string_view pattern, const RequestContext& request,
                     std::vector<PatternChar>* out) {
  out->clear();
  std::string key;
  size_t i = 0;
  while (i < pattern.size()) {
    char c = pattern[i];
    if (c == '$' && i + 1 < pattern.size() && pattern[i + 1] == '{') {
      size_t close = pattern.find('}', i + 2);
      if (close != std::string_view::npos) {
        std::string_view body = Trim(pattern.substr(i + 2, close - i - 2));
        i = close + 1;
        if (body == "*" || body == "?" || body == "$") {
          out->push_back({body[0], false});
          continue;
        }
        std::string_view name = body;
        std::string_view fallback;
        bool has_default = false;
        size_t comma = body.find(',');
        if (comma != std::string_view::npos) {
          name = Trim(body.substr(0, comma));
          std::string_view def = Trim(body.substr(comma + 1));
          if (def.size() >= 2 && def.front() == '\'' && def.back() == '\'') {
            fallback = def.substr(1, def.size() - 2);
            has_default = true;
          } else {
            return false;  // malformed default: the variable cannot resolve
          }
        }
        key.assign(name);
        for (char& k : key) k = Fold(k);
        const ContextValue* v = request.Find(key);
        std::string_view value;
        if (v != nullptr && v->values.size() == 1) {
          value = v->values[0];
        } else if (has_default) {
          value = fallback;
        } else {
          return false;
        }
        for (char vc : value) out->push_back({vc, false});
        continue;
      }
    }
    out->push_back({c, c == '*' || c == '?'});
    ++i;
  }
  return true;
}

}  // namespace bulwark::policy
