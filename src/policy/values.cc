#include "policy/values.h"

#include <charconv>
#include <cmath>
#include <ctime>

namespace bulwark::policy {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Parses exactly `n` digits at s[*pos].
bool Digits(std::string_view s, size_t* pos, int n, int* out) {
  if (*pos + n > s.size()) return false;
  int v = 0;
  for (int i = 0; i < n; ++i) {
    char c = s[*pos + i];
    if (!IsDigit(c)) return false;
    v = v * 10 + (c - '0');
  }
  *pos += n;
  *out = v;
  return true;
}

// Days since 1970-01-01 of a proleptic Gregorian civil date (Howard Hinnant's algorithm).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

std::optional<int64_t> ParseIso8601(std::string_view s) {
  size_t pos = 0;
  int year = 0, month = 0, day = 0;
  if (!Digits(s, &pos, 4, &year)) return std::nullopt;
  if (pos >= s.size() || s[pos++] != '-') return std::nullopt;
  if (!Digits(s, &pos, 2, &month) || month < 1 || month > 12) return std::nullopt;
  if (pos >= s.size() || s[pos++] != '-') return std::nullopt;
  if (!Digits(s, &pos, 2, &day) || day < 1 || day > DaysInMonth(year, month)) return std::nullopt;
  int64_t ms = DaysFromCivil(year, month, day) * 86400000LL;
  if (pos == s.size()) return ms;
  if (s[pos] != 'T' && s[pos] != 't' && s[pos] != ' ') return std::nullopt;
  ++pos;
  int hour = 0, minute = 0, second = 0;
  if (!Digits(s, &pos, 2, &hour) || hour > 23) return std::nullopt;
  if (pos >= s.size() || s[pos++] != ':') return std::nullopt;
  if (!Digits(s, &pos, 2, &minute) || minute > 59) return std::nullopt;
  if (pos < s.size() && s[pos] == ':') {
    ++pos;
    if (!Digits(s, &pos, 2, &second) || second > 60) return std::nullopt;
    if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
      ++pos;
      int frac_ms = 0, scale = 100;
      size_t start = pos;
      while (pos < s.size() && IsDigit(s[pos])) {
        frac_ms += (s[pos] - '0') * scale;
        scale /= 10;
        ++pos;
        if (pos - start > 9) return std::nullopt;
      }
      if (pos == start) return std::nullopt;
      ms += frac_ms;
    }
  }
  ms += (hour * 3600LL + minute * 60LL + second) * 1000LL;
  if (pos == s.size()) return ms;  // no zone: UTC, as AWS assumes
  char z = s[pos++];
  if ((z == 'Z' || z == 'z') && pos == s.size()) return ms;
  if (z != '+' && z != '-') return std::nullopt;
  int off_h = 0, off_m = 0;
  if (!Digits(s, &pos, 2, &off_h) || off_h > 23) return std::nullopt;
  if (pos < s.size() && s[pos] == ':') ++pos;
  if (pos < s.size() && !Digits(s, &pos, 2, &off_m)) return std::nullopt;
  if (pos != s.size() || off_m > 59) return std::nullopt;
  int64_t off = (off_h * 3600LL + off_m * 60LL) * 1000LL;
  return z == '+' ? ms - off : ms + off;
}

std::optional<int> ParseV4(std::string_view s, uint8_t* out) {
  int parts = 0;
  size_t pos = 0;
  while (parts < 4) {
    size_t start = pos;
    int v = 0;
    while (pos < s.size() && IsDigit(s[pos]) && pos - start < 3) v = v * 10 + (s[pos++] - '0');
    if (pos == start || v > 255) return std::nullopt;
    if (pos - start > 1 && s[start] == '0') return std::nullopt;  // no octal-looking parts
    out[parts++] = static_cast<uint8_t>(v);
    if (parts < 4) {
      if (pos >= s.size() || s[pos] != '.') return std::nullopt;
      ++pos;
    }
  }
  if (pos != s.size()) return std::nullopt;
  return 4;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool ParseV6(std::string_view s, std::array<uint8_t, 16>* out) {
  uint16_t groups[8] = {};
  int n = 0, gap = -1;
  size_t pos = 0;
  if (s.size() >= 2 && s[0] == ':' && s[1] == ':') {
    gap = 0;
    pos = 2;
  } else if (!s.empty() && s[0] == ':') {
    return false;
  }
  while (pos < s.size()) {
    if (n >= 8) return false;
    // An embedded IPv4 tail ("::ffff:1.2.3.4").
    size_t next_colon = s.find(':', pos);
    std::string_view part =
        s.substr(pos, next_colon == std::string_view::npos ? s.size() - pos : next_colon - pos);
    if (part.find('.') != std::string_view::npos) {
      uint8_t v4[4];
      if (next_colon != std::string_view::npos || n > 6 || !ParseV4(part, v4)) return false;
      groups[n++] = static_cast<uint16_t>(v4[0] << 8 | v4[1]);
      groups[n++] = static_cast<uint16_t>(v4[2] << 8 | v4[3]);
      pos = s.size();
      break;
    }
    if (part.empty() || part.size() > 4) return false;
    uint16_t v = 0;
    for (char c : part) {
      int h = HexValue(c);
      if (h < 0) return false;
      v = static_cast<uint16_t>(v << 4 | h);
    }
    groups[n++] = v;
    pos += part.size();
    if (pos == s.size()) break;
    ++pos;  // ':'
    if (pos < s.size() && s[pos] == ':') {
      if (gap >= 0) return false;
      gap = n;
      ++pos;
    } else if (pos == s.size()) {
      return false;  // trailing single ':'
    }
  }
  if (gap < 0 && n != 8) return false;
  if (gap >= 0 && n > 7) return false;
  uint16_t full[8] = {};
  if (gap < 0) {
    std::copy(groups, groups + 8, full);
  } else {
    for (int i = 0; i < gap; ++i) full[i] = groups[i];
    int tail = n - gap;
    for (int i = 0; i < tail; ++i) full[8 - tail + i] = groups[gap + i];
  }
  for (int i = 0; i < 8; ++i) {
    (*out)[2 * i] = static_cast<uint8_t>(full[i] >> 8);
    (*out)[2 * i + 1] = static_cast<uint8_t>(full[i] & 0xff);
  }
  return true;
}

}  // namespace

std::optional<double> ParseNumber(std::string_view s) {
  if (s.empty() || s.size() > 64) return std::nullopt;
  size_t i = 0;
  if (s[i] == '+' || s[i] == '-') ++i;
  size_t digits = 0;
  while (i < s.size() && IsDigit(s[i])) ++i, ++digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && IsDigit(s[i])) ++i, ++digits;
  }
  if (digits == 0) return std::nullopt;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    size_t exp_digits = 0;
    while (i < s.size() && IsDigit(s[i])) ++i, ++exp_digits;
    if (exp_digits == 0) return std::nullopt;
  }
  if (i != s.size()) return std::nullopt;
  std::string_view body = s[0] == '+' ? s.substr(1) : s;
  double v = 0;
  auto [ptr, ec] = std::from_chars(body.data(), body.data() + body.size(), v);
  if (ec != std::errc() || ptr != body.data() + body.size() || !std::isfinite(v)) {
    return std::nullopt;
  }
  return v;
}

std::string FormatDate(int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::optional<int64_t> ParseDateMs(std::string_view s) {
  if (s.empty() || s.size() > 64) return std::nullopt;
  bool all_digits = true;
  for (char c : s) all_digits = all_digits && IsDigit(c);
  if (all_digits) {
    if (s.size() > 12) return std::nullopt;  // beyond year 33658: not a date
    int64_t v = 0;
    for (char c : s) v = v * 10 + (c - '0');
    return v * 1000;
  }
  return ParseIso8601(s);
}

std::optional<bool> ParseBool(std::string_view s) {
  auto eq = [&](std::string_view w) {
    if (s.size() != w.size()) return false;
    for (size_t i = 0; i < s.size(); ++i) {
      char c = s[i];
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      if (c != w[i]) return false;
    }
    return true;
  };
  if (eq("true")) return true;
  if (eq("false")) return false;
  return std::nullopt;
}

std::optional<Cidr> ParseCidr(std::string_view s) {
  if (s.empty() || s.size() > 64) return std::nullopt;
  std::string_view addr = s;
  int prefix = -1;
  size_t slash = s.find('/');
  if (slash != std::string_view::npos) {
    addr = s.substr(0, slash);
    std::string_view p = s.substr(slash + 1);
    if (p.empty() || p.size() > 3) return std::nullopt;
    prefix = 0;
    for (char c : p) {
      if (!IsDigit(c)) return std::nullopt;
      prefix = prefix * 10 + (c - '0');
    }
  }
  Cidr out;
  if (addr.find(':') == std::string_view::npos) {
    uint8_t v4[4];
    if (!ParseV4(addr, v4)) return std::nullopt;
    if (prefix > 32) return std::nullopt;
    out.address = {};
    out.address[10] = 0xff;
    out.address[11] = 0xff;
    for (int i = 0; i < 4; ++i) out.address[12 + i] = v4[i];
    out.prefix_bits = 96 + (prefix < 0 ? 32 : prefix);
  } else {
    if (!ParseV6(addr, &out.address)) return std::nullopt;
    if (prefix > 128) return std::nullopt;
    out.prefix_bits = prefix < 0 ? 128 : prefix;
  }
  return out;
}

bool CidrContains(const Cidr& network, const Cidr& address) {
  int bits = network.prefix_bits;
  for (int i = 0; i < 16 && bits > 0; ++i, bits -= 8) {
    uint8_t mask = bits >= 8 ? 0xff : static_cast<uint8_t>(0xff << (8 - bits));
    if ((network.address[i] & mask) != (address.address[i] & mask)) return false;
  }
  return true;
}

}  // namespace bulwark::policy
