// Matching of botocore "pattern" constraints (Java regular expressions, whole-string match).
//
// Most botocore patterns are sequences of character classes and literals with simple
// quantifiers ("[a-zA-Z0-9:/_-]+", "^arn:aws:[a-z0-9-]+:.*$"). Those are compiled into a
// small NFA that runs in linear time with no recursion, whatever the input length. Other
// patterns (groups, alternation) fall back to std::wregex, which libstdc++ implements
// recursively, so it is only run on values up to kMaxRegexInput code points.
#include <regex>

#include "protocol/internal.h"

namespace bulwark::protocol {
namespace {

constexpr size_t kMaxRegexInput = 1024;
constexpr int kMaxExpandedRepeat = 64;

// A set of code points: ranges, plus a few Unicode categories approximated as "any
// non-ASCII code point" (\p{L}, \p{N}, \p{Z}...), optionally negated.
struct CharSet {
  std::vector<std::pair<char32_t, char32_t>> ranges;
  bool non_ascii = false;  // matches every code point >= 0x80
  bool negated = false;

  bool Contains(char32_t c) const {
    bool in = non_ascii && c >= 0x80;
    for (const auto& [lo, hi] : ranges) {
      if (c >= lo && c <= hi) {
        in = true;
        break;
      }
    }
    return in != negated;
  }
  void Add(char32_t lo, char32_t hi) { ranges.emplace_back(lo, hi); }
  void AddSet(const CharSet& other) {
    // Only non-negated sets can be merged.
    for (const auto& r : other.ranges) ranges.push_back(r);
    non_ascii = non_ascii || other.non_ascii;
  }
};

enum class Quant { kOne, kOptional, kStar };

struct Atom {
  CharSet set;
  Quant quant = Quant::kOne;
};

class Parser {
 public:
  explicit Parser(const std::u32string& p) : p_(p) {}

  // Parses the whole pattern into atoms; false if it uses anything unsupported.
  bool Parse(std::vector<Atom>* atoms) {
    if (i_ < p_.size() && p_[i_] == U'^') ++i_;
    while (i_ < p_.size()) {
      if (p_[i_] == U'$' && i_ + 1 == p_.size()) {
        ++i_;
        break;
      }
      CharSet set;
      if (!ParseAtom(&set)) return false;
      int min = 1, max = 1;
      if (!ParseQuantifier(&min, &max)) return false;
      // Expand {min,max} into min required copies and (max-min) optional ones, or a star.
      for (int k = 0; k < min; ++k) atoms->push_back({set, Quant::kOne});
      if (max < 0) {
        atoms->push_back({set, Quant::kStar});
      } else {
        for (int k = min; k < max; ++k) atoms->push_back({set, Quant::kOptional});
      }
      if (atoms->size() > 4096) return false;
    }
    return true;
  }

 private:
  bool ParseAtom(CharSet* set) {
    char32_t c = p_[i_];
    if (c == U'[') return ParseClass(set);
    if (c == U'(' || c == U')' || c == U'|' || c == U'*' || c == U'+' || c == U'?' || c == U'{' ||
        c == U'^' || c == U'$') {
      return false;
    }
    if (c == U'.') {
      ++i_;
      set->negated = true;  // any character except line terminators
      set->Add(U'\n', U'\n');
      set->Add(U'\r', U'\r');
      return true;
    }
    if (c == U'\\') {
      ++i_;
      return ParseEscape(set);
    }
    ++i_;
    set->Add(c, c);
    return true;
  }

  // After a backslash. Adds the escaped character or class to *set.
  bool ParseEscape(CharSet* set) {
    if (i_ >= p_.size()) return false;
    char32_t c = p_[i_++];
    switch (c) {
      case U'w':
        set->Add(U'a', U'z');
        set->Add(U'A', U'Z');
        set->Add(U'0', U'9');
        set->Add(U'_', U'_');
        return true;
      case U'd':
        set->Add(U'0', U'9');
        return true;
      case U's':
        set->Add(U' ', U' ');
        set->Add(U'\t', U'\r');
        return true;
      case U't':
        set->Add(U'\t', U'\t');
        return true;
      case U'n':
        set->Add(U'\n', U'\n');
        return true;
      case U'r':
        set->Add(U'\r', U'\r');
        return true;
      case U'f':
        set->Add(U'\f', U'\f');
        return true;
      case U'v':
        set->Add(U'\v', U'\v');
        return true;
      case U'u':
      case U'x': {
        size_t n = c == U'u' ? 4 : 2;
        if (i_ + n > p_.size()) return false;
        char32_t v = 0;
        for (size_t k = 0; k < n; ++k) {
          char32_t h = p_[i_ + k];
          int d = (h >= U'0' && h <= U'9')   ? static_cast<int>(h - U'0')
                  : (h >= U'a' && h <= U'f') ? static_cast<int>(h - U'a' + 10)
                  : (h >= U'A' && h <= U'F') ? static_cast<int>(h - U'A' + 10)
                                             : -1;
          if (d < 0) return false;
          v = v * 16 + static_cast<char32_t>(d);
        }
        i_ += n;
        last_literal_ = v;
        set->Add(v, v);
        return true;
      }
      case U'p': {
        // \p{L}, \p{N}, \p{Z}, \p{IsAlphabetic}...: ASCII part exact, non-ASCII accepted.
        if (i_ >= p_.size() || p_[i_] != U'{') return false;
        size_t end = p_.find(U'}', i_);
        if (end == std::u32string::npos) return false;
        std::u32string name = p_.substr(i_ + 1, end - i_ - 1);
        i_ = end + 1;
        if (name == U"L" || name == U"Alpha" || name == U"IsAlphabetic" || name == U"IsLetter") {
          set->Add(U'a', U'z');
          set->Add(U'A', U'Z');
        } else if (name == U"N" || name == U"Nd" || name == U"Digit") {
          set->Add(U'0', U'9');
        } else if (name == U"Z" || name == U"Zs") {
          set->Add(U' ', U' ');
        } else if (name == U"Punct" || name == U"P") {
          set->Add(U'!', U'/');
          set->Add(U':', U'@');
          set->Add(U'[', U'`');
          set->Add(U'{', U'~');
        } else if (name == U"Alnum") {
          set->Add(U'a', U'z');
          set->Add(U'A', U'Z');
          set->Add(U'0', U'9');
          return true;
        } else {
          return false;
        }
        set->non_ascii = true;
        return true;
      }
      default:
        // Escaped metacharacter or punctuation; letters and digits would be classes or
        // backreferences we do not support.
        if ((c >= U'a' && c <= U'z') || (c >= U'A' && c <= U'Z') || (c >= U'0' && c <= U'9')) {
          return false;
        }
        last_literal_ = c;
        set->Add(c, c);
        return true;
    }
  }

  bool ParseClass(CharSet* set) {
    ++i_;  // '['
    if (i_ < p_.size() && p_[i_] == U'^') {
      set->negated = true;
      ++i_;
    }
    bool first = true;
    while (i_ < p_.size()) {
      char32_t c = p_[i_];
      if (c == U']' && !first) {
        ++i_;
        return true;
      }
      first = false;
      if (c == U'[') return false;  // nested classes / intersections
      if (c == U'&' && i_ + 1 < p_.size() && p_[i_ + 1] == U'&') return false;
      std::optional<char32_t> lo;
      if (c == U'\\') {
        ++i_;
        CharSet esc;
        last_literal_.reset();
        if (!ParseEscape(&esc)) return false;
        if (last_literal_) {
          lo = *last_literal_;
        } else {
          set->AddSet(esc);
          continue;
        }
      } else {
        lo = c;
        ++i_;
      }
      // A range "lo-hi" unless '-' is last in the class.
      if (i_ + 1 < p_.size() && p_[i_] == U'-' && p_[i_ + 1] != U']') {
        ++i_;
        char32_t hc = p_[i_];
        char32_t hi;
        if (hc == U'\\') {
          ++i_;
          CharSet esc;
          last_literal_.reset();
          if (!ParseEscape(&esc) || !last_literal_) return false;
          hi = *last_literal_;
        } else if (hc == U'[') {
          return false;
        } else {
          hi = hc;
          ++i_;
        }
        if (hi < *lo) return false;
        set->Add(*lo, hi);
      } else {
        set->Add(*lo, *lo);
      }
    }
    return false;  // unterminated
  }

  bool ParseQuantifier(int* min, int* max) {
    if (i_ >= p_.size()) return true;
    char32_t c = p_[i_];
    if (c == U'?') {
      *min = 0;
      *max = 1;
    } else if (c == U'*') {
      *min = 0;
      *max = -1;
    } else if (c == U'+') {
      *min = 1;
      *max = -1;
    } else if (c == U'{') {
      size_t end = p_.find(U'}', i_);
      if (end == std::u32string::npos) return false;
      std::u32string body = p_.substr(i_ + 1, end - i_ - 1);
      size_t comma = body.find(U',');
      auto num = [](const std::u32string& s, int* out) {
        if (s.empty() || s.size() > 6) return false;
        int v = 0;
        for (char32_t d : s) {
          if (d < U'0' || d > U'9') return false;
          v = v * 10 + static_cast<int>(d - U'0');
        }
        *out = v;
        return true;
      };
      if (comma == std::u32string::npos) {
        if (!num(body, min)) return false;
        *max = *min;
      } else {
        if (!num(body.substr(0, comma), min)) return false;
        std::u32string hi = body.substr(comma + 1);
        if (hi.empty()) {
          *max = -1;
        } else if (!num(hi, max) || *max < *min) {
          return false;
        }
      }
      if (*min > kMaxExpandedRepeat || *max > kMaxExpandedRepeat) return false;
      i_ = end;
    } else {
      return true;
    }
    ++i_;
    // Lazy or possessive suffixes do not change whole-string matching.
    if (i_ < p_.size() && (p_[i_] == U'?' || p_[i_] == U'+')) ++i_;
    return true;
  }

  const std::u32string& p_;
  size_t i_ = 0;
  std::optional<char32_t> last_literal_;
};

class NfaMatcher : public PatternMatcher {
 public:
  explicit NfaMatcher(std::vector<Atom> atoms) : atoms_(std::move(atoms)) {}

  std::optional<bool> Matches(const std::u32string& value) const override {
    const size_t n = atoms_.size();
    std::vector<char> cur(n + 1, 0), next(n + 1, 0);
    cur[0] = 1;
    Close(&cur);
    for (char32_t c : value) {
      std::fill(next.begin(), next.end(), 0);
      bool any = false;
      for (size_t i = 0; i < n; ++i) {
        if (!cur[i] || !atoms_[i].set.Contains(c)) continue;
        if (atoms_[i].quant == Quant::kStar) {
          next[i] = 1;
        } else {
          next[i + 1] = 1;
        }
        any = true;
      }
      if (!any) return false;
      Close(&next);
      cur.swap(next);
    }
    return cur[n] != 0;
  }

 private:
  void Close(std::vector<char>* states) const {
    for (size_t i = 0; i < atoms_.size(); ++i) {
      if ((*states)[i] && atoms_[i].quant != Quant::kOne) (*states)[i + 1] = 1;
    }
  }
  std::vector<Atom> atoms_;
};

class RegexMatcher : public PatternMatcher {
 public:
  explicit RegexMatcher(std::wregex re) : re_(std::move(re)) {}
  std::optional<bool> Matches(const std::u32string& value) const override {
    if (value.size() > kMaxRegexInput) return std::nullopt;
    std::wstring w(value.begin(), value.end());
    try {
      return std::regex_match(w, re_);
    } catch (const std::regex_error&) {
      return std::nullopt;  // complexity or stack limits
    }
  }

 private:
  std::wregex re_;
};

}  // namespace

std::shared_ptr<const PatternMatcher> PatternMatcher::Compile(const std::string& pattern) {
  auto decoded = DecodeUtf8(pattern);
  if (!decoded) return nullptr;
  {
    Parser parser(*decoded);
    std::vector<Atom> atoms;
    if (parser.Parse(&atoms)) return std::make_shared<NfaMatcher>(std::move(atoms));
  }
  // Java-only constructs std::regex would misread.
  if (pattern.find("\\p{") != std::string::npos || pattern.find("\\P{") != std::string::npos ||
      pattern.find("(?<") != std::string::npos || pattern.find("\\A") != std::string::npos ||
      pattern.find("\\z") != std::string::npos || pattern.find("\\Z") != std::string::npos ||
      pattern.find("&&") != std::string::npos) {
    return nullptr;
  }
  try {
    std::wstring w(decoded->begin(), decoded->end());
    return std::make_shared<RegexMatcher>(std::wregex(w, std::regex::ECMAScript));
  } catch (const std::regex_error&) {
    return nullptr;
  }
}

}  // namespace bulwark::protocol
