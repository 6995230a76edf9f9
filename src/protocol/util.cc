// Shared codec helpers: UTF-8, percent-encoding, timestamps, numbers, patterns and the
// JSON value codec used by both the json and rest-json protocols.
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <regex>

#include "crypto/crypto.h"
#include "protocol/internal.h"

namespace bulwark::protocol {

using nlohmann::json;

// ---------------------------------------------------------------------------------------
// UTF-8

std::optional<std::u32string> DecodeUtf8(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    char32_t cp;
    size_t n;
    if (c < 0x80) {
      cp = c;
      n = 1;
    } else if ((c & 0xE0) == 0xC0) {
      cp = c & 0x1F;
      n = 2;
    } else if ((c & 0xF0) == 0xE0) {
      cp = c & 0x0F;
      n = 3;
    } else if ((c & 0xF8) == 0xF0) {
      cp = c & 0x07;
      n = 4;
    } else {
      return std::nullopt;
    }
    if (i + n > s.size()) return std::nullopt;
    for (size_t k = 1; k < n; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return std::nullopt;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and out-of-range code points are ill-formed.
    if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return std::nullopt;
    }
    out.push_back(cp);
    i += n;
  }
  return out;
}

bool IsValidUtf8(std::string_view s) { return DecodeUtf8(s).has_value(); }

size_t Utf16Length(std::string_view utf8) {
  size_t n = 0;
  for (size_t i = 0; i < utf8.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(utf8[i]);
    if ((c & 0xC0) == 0x80) continue;  // continuation byte
    n += (c >= 0xF0) ? 2 : 1;          // 4-byte sequences are surrogate pairs in UTF-16
  }
  return n;
}

// ---------------------------------------------------------------------------------------
// Percent-encoding and forms

namespace {
int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

std::optional<std::string> PercentDecode(std::string_view s, bool plus_as_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      int hi = HexValue(s[i + 1]);
      int lo = HexValue(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_as_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string PercentEncode(std::string_view s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if ((u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') || u == '-' ||
        u == '_' || u == '.' || u == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    }
  }
  return out;
}

Result<std::vector<std::pair<std::string, std::string>>> ParseFormEncoded(std::string_view s) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t pos = 0;
  while (pos <= s.size()) {
    size_t amp = s.find('&', pos);
    if (amp == std::string_view::npos) amp = s.size();
    std::string_view pair = s.substr(pos, amp - pos);
    pos = amp + 1;
    if (pair.empty()) {
      if (amp == s.size()) break;
      continue;
    }
    size_t eq = pair.find('=');
    std::string_view raw_key = pair.substr(0, eq);
    std::string_view raw_value =
        eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    auto key = PercentDecode(raw_key, true);
    auto value = PercentDecode(raw_value, true);
    if (!key || !value) {
      return Status(ErrorKind::kSerialization, "Malformed percent-encoding in the request.");
    }
    if (!IsValidUtf8(*key) || !IsValidUtf8(*value)) {
      return Status(ErrorKind::kSerialization, "The request contains invalid UTF-8.");
    }
    out.emplace_back(std::move(*key), std::move(*value));
    if (amp == s.size()) break;
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Timestamps

namespace {

// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void CivilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2);
}

bool ReadDigits(std::string_view s, size_t* pos, size_t n, int* out) {
  if (*pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = s[*pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *pos += n;
  *out = v;
  return true;
}

bool ValidDate(int y, int mo, int d, int h, int mi, int se) {
  static const int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (mo < 1 || mo > 12 || d < 1 || d > kDays[mo - 1]) return false;
  if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return false;
  return h <= 23 && mi <= 59 && se <= 60;
}

constexpr double kMaxEpoch = 253402300799.0;  // 9999-12-31T23:59:59Z

}  // namespace

std::optional<double> ParseIso8601(std::string_view s) {
  size_t p = 0;
  int y, mo, d, h = 0, mi = 0, se = 0;
  if (!ReadDigits(s, &p, 4, &y) || p >= s.size() || s[p++] != '-' || !ReadDigits(s, &p, 2, &mo) ||
      p >= s.size() || s[p++] != '-' || !ReadDigits(s, &p, 2, &d)) {
    return std::nullopt;
  }
  double frac = 0;
  int offset_seconds = 0;
  if (p < s.size()) {
    if (s[p] != 'T' && s[p] != 't' && s[p] != ' ') return std::nullopt;
    ++p;
    if (!ReadDigits(s, &p, 2, &h) || p >= s.size() || s[p++] != ':' || !ReadDigits(s, &p, 2, &mi)) {
      return std::nullopt;
    }
    if (p < s.size() && s[p] == ':') {
      ++p;
      if (!ReadDigits(s, &p, 2, &se)) return std::nullopt;
      if (p < s.size() && (s[p] == '.' || s[p] == ',')) {
        ++p;
        double scale = 0.1;
        size_t digits = 0;
        while (p < s.size() && s[p] >= '0' && s[p] <= '9') {
          if (digits < 9) frac += (s[p] - '0') * scale;
          scale /= 10;
          ++p;
          ++digits;
        }
        if (digits == 0) return std::nullopt;
      }
    }
    if (p < s.size()) {
      if (s[p] == 'Z' || s[p] == 'z') {
        ++p;
      } else if (s[p] == '+' || s[p] == '-') {
        int sign = s[p] == '-' ? -1 : 1;
        ++p;
        int oh, om = 0;
        if (!ReadDigits(s, &p, 2, &oh)) return std::nullopt;
        if (p < s.size() && s[p] == ':') ++p;
        if (p < s.size() && !ReadDigits(s, &p, 2, &om)) return std::nullopt;
        if (oh > 23 || om > 59) return std::nullopt;
        offset_seconds = sign * (oh * 3600 + om * 60);
      }
    }
    if (p != s.size()) return std::nullopt;
  }
  if (!ValidDate(y, mo, d, h, mi, se)) return std::nullopt;
  int64_t days = DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  return static_cast<double>(days * 86400 + h * 3600 + mi * 60 + se - offset_seconds) + frac;
}

std::optional<double> ParseRfc822(std::string_view s) {
  // "Sun, 06 Nov 1994 08:49:37 GMT"
  static const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  size_t comma = s.find(", ");
  if (comma == std::string_view::npos) return std::nullopt;
  size_t p = comma + 2;
  int d, y, h, mi, se;
  if (!ReadDigits(s, &p, 2, &d) || p >= s.size() || s[p++] != ' ') return std::nullopt;
  if (p + 4 > s.size()) return std::nullopt;
  int mo = 0;
  for (int i = 0; i < 12; ++i) {
    if (s.substr(p, 3) == kMonths[i]) mo = i + 1;
  }
  if (mo == 0 || s[p + 3] != ' ') return std::nullopt;
  p += 4;
  if (!ReadDigits(s, &p, 4, &y) || p >= s.size() || s[p++] != ' ' || !ReadDigits(s, &p, 2, &h) ||
      p >= s.size() || s[p++] != ':' || !ReadDigits(s, &p, 2, &mi) || p >= s.size() ||
      s[p++] != ':' || !ReadDigits(s, &p, 2, &se)) {
    return std::nullopt;
  }
  if (s.substr(p) != " GMT" && s.substr(p) != " UTC" && s.substr(p) != " Z") return std::nullopt;
  if (!ValidDate(y, mo, d, h, mi, se)) return std::nullopt;
  int64_t days = DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  return static_cast<double>(days * 86400 + h * 3600 + mi * 60 + se);
}

std::optional<double> ParseTimestampString(std::string_view s) {
  if (auto v = ParseIso8601(s)) return v;
  if (auto v = ParseRfc822(s)) return v;
  if (auto v = ParseDouble(s); v && std::fabs(*v) <= kMaxEpoch) return v;
  return std::nullopt;
}

namespace {

// An epoch time broken into its UTC calendar parts (clamped to the supported range).
struct CivilTime {
  int64_t year;
  unsigned month, day;
  int hour, minute, second, millis, weekday;  // weekday: 0 = Thursday (1970-01-01)
};

CivilTime ToCivil(double epoch) {
  if (!std::isfinite(epoch)) epoch = 0;
  epoch = std::clamp(epoch, -kMaxEpoch, kMaxEpoch);
  double fl = std::floor(epoch);
  int64_t secs = static_cast<int64_t>(fl);
  int millis = static_cast<int>(std::llround((epoch - fl) * 1000));
  if (millis >= 1000) {
    secs += 1;
    millis -= 1000;
  }
  int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
  int64_t rem = secs - days * 86400;
  CivilTime t{};
  CivilFromDays(days, &t.year, &t.month, &t.day);
  t.hour = static_cast<int>(rem / 3600);
  t.minute = static_cast<int>(rem / 60 % 60);
  t.second = static_cast<int>(rem % 60);
  t.millis = millis;
  t.weekday = static_cast<int>(((days % 7) + 7) % 7);
  return t;
}

}  // namespace

std::string FormatIso8601(double epoch_seconds) {
  const CivilTime t = ToCivil(epoch_seconds);
  char buf[64];
  if (t.millis != 0) {
    std::snprintf(buf, sizeof(buf), "%04lld-%02u-%02uT%02d:%02d:%02d.%03dZ",
                  static_cast<long long>(t.year), t.month, t.day, t.hour, t.minute, t.second,
                  t.millis);
  } else {
    std::snprintf(buf, sizeof(buf), "%04lld-%02u-%02uT%02d:%02d:%02dZ",
                  static_cast<long long>(t.year), t.month, t.day, t.hour, t.minute, t.second);
  }
  return buf;
}

std::string FormatRfc822(double epoch_seconds) {
  static const char* kDays[] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};
  static const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const CivilTime t = ToCivil(epoch_seconds);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%s, %02u %s %04lld %02d:%02d:%02d GMT", kDays[t.weekday], t.day,
                kMonths[t.month - 1], static_cast<long long>(t.year), t.hour, t.minute, t.second);
  return buf;
}

json EpochJson(double epoch_seconds) {
  if (!std::isfinite(epoch_seconds)) return 0;
  double r = std::round(epoch_seconds * 1000) / 1000;
  if (r == std::floor(r) && std::fabs(r) <= kMaxEpoch) return static_cast<int64_t>(r);
  return r;
}

std::optional<double> OutputTimestamp(const json& v) {
  if (v.is_number()) return v.get<double>();
  if (v.is_string()) return ParseTimestampString(v.get_ref<const std::string&>());
  return std::nullopt;
}

std::optional<std::string_view> OutputBlob(const json& v) {
  if (v.is_binary()) {
    const auto& b = v.get_binary();
    return std::string_view(reinterpret_cast<const char*>(b.data()), b.size());
  }
  if (v.is_string()) return std::string_view(v.get_ref<const std::string&>());
  return std::nullopt;
}

void WipeJson(json& value) {
  if (value.is_string()) {
    std::string& s = value.get_ref<std::string&>();
    SecureWipe(s.data(), s.size());
  } else if (value.is_binary()) {
    auto& b = value.get_binary();
    SecureWipe(b.data(), b.size());
  } else if (value.is_structured()) {
    for (json& item : value) WipeJson(item);
  }
}

JsonWiper::~JsonWiper() { WipeJson(value_); }

// ---------------------------------------------------------------------------------------
// Numbers

std::string FormatDouble(double d) {
  if (!std::isfinite(d)) return std::isnan(d) ? "NaN" : (d > 0 ? "Infinity" : "-Infinity");
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), d);
  return std::string(buf, res.ptr);
}

std::optional<int64_t> ParseInteger(std::string_view s, ShapeType type) {
  if (s.empty() || s.size() > 24) return std::nullopt;
  if (s[0] == '+') s.remove_prefix(1);
  int64_t v = 0;
  auto res = std::from_chars(s.data(), s.data() + s.size(), v);
  if (res.ec != std::errc() || res.ptr != s.data() + s.size()) return std::nullopt;
  if (type == ShapeType::kInteger &&
      (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max())) {
    return std::nullopt;
  }
  return v;
}

std::optional<double> ParseDouble(std::string_view s) {
  if (s.empty() || s.size() > 64) return std::nullopt;
  if (s[0] == '+') s.remove_prefix(1);
  double v = 0;
  auto res = std::from_chars(s.data(), s.data() + s.size(), v);
  if (res.ec != std::errc() || res.ptr != s.data() + s.size() || !std::isfinite(v)) {
    return std::nullopt;
  }
  return v;
}

int JsonNestingDepth(std::string_view text, int limit) {
  int depth = 0, max_depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > max_depth) {
        max_depth = depth;
        if (max_depth > limit) return max_depth;
      }
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return max_depth;
}

// ---------------------------------------------------------------------------------------
// Scalars from strings (query, headers, URI labels)

Result<json> ScalarFromString(const Shape& shape, std::string_view text, std::string_view where) {
  auto bad = [&](std::string_view what) {
    return Status(ErrorKind::kSerialization,
                  "Value '" + std::string(text.substr(0, 256)) + "' at '" + std::string(where) +
                      "' could not be parsed as " + std::string(what) + ".");
  };
  switch (shape.type) {
    case ShapeType::kString:
      return json(std::string(text));
    case ShapeType::kBoolean:
      if (text == "true") return json(true);
      if (text == "false") return json(false);
      return bad("a boolean");
    case ShapeType::kInteger:
    case ShapeType::kLong: {
      auto v = ParseInteger(text, shape.type);
      if (!v) return bad(shape.type == ShapeType::kInteger ? "an integer" : "a long");
      return json(*v);
    }
    case ShapeType::kFloat:
    case ShapeType::kDouble: {
      auto v = ParseDouble(text);
      if (!v) return bad("a number");
      return json(*v);
    }
    case ShapeType::kTimestamp: {
      auto v = ParseTimestampString(text);
      if (!v) return bad("a timestamp");
      return EpochJson(*v);
    }
    case ShapeType::kBlob: {
      auto raw = crypto::Base64Decode(text);
      if (!raw) return bad("base64-encoded binary data");
      json out = json::binary(json::binary_t::container_type(raw->begin(), raw->end()));
      SecureWipe(raw->data(), raw->size());
      return out;
    }
    default:
      return bad("a scalar");
  }
}

// ---------------------------------------------------------------------------------------
// JSON values (json and rest-json bodies)

namespace {
std::string JsonTypeName(const json& v) {
  switch (v.type()) {
    case json::value_t::object:
      return "Start of structure or map";
    case json::value_t::array:
      return "Start of list";
    case json::value_t::string:
      return "STRING_VALUE";
    case json::value_t::boolean:
      return "BOOLEAN_VALUE";
    case json::value_t::number_float:
      return "DECIMAL_VALUE";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      return "INTEGER_VALUE";
    default:
      return "Value";
  }
}

Status TypeMismatch(const json& wire, std::string_view where, std::string_view expected) {
  std::string msg = JsonTypeName(wire);
  if (wire.is_object() || wire.is_array()) {
    msg += " found where not expected";
  } else {
    msg += " can not be converted to " + std::string(expected);
  }
  if (!where.empty()) msg += " (at '" + std::string(where) + "')";
  msg += ".";
  return Status(ErrorKind::kSerialization, std::move(msg));
}

std::string Join(std::string_view where, std::string_view name) {
  if (where.empty()) return std::string(name);
  return std::string(where) + "." + std::string(name);
}
}  // namespace

Result<json> DecodeJsonValue(const Shape& shape, const json& wire, std::string_view where,
                             int depth) {
  if (depth > kMaxNestingDepth) {
    return Status(ErrorKind::kSerialization, "The request is nested too deeply.");
  }
  if (shape.document) return wire;
  switch (shape.type) {
    case ShapeType::kStructure: {
      if (!wire.is_object()) return TypeMismatch(wire, where, "a structure");
      json out = json::object();
      for (const Member& m : shape.members) {
        if (m.location != Location::kBody) continue;
        auto it = wire.find(m.wire_name);
        if (it == wire.end() || it->is_null()) continue;
        ASSIGN_OR_RETURN(json v,
                         DecodeJsonValue(*m.shape, *it, Join(where, m.wire_name), depth + 1));
        out[m.name] = std::move(v);
      }
      return out;
    }
    case ShapeType::kList: {
      if (!wire.is_array()) return TypeMismatch(wire, where, "a list");
      json out = json::array();
      for (const json& item : wire) {
        if (item.is_null()) {
          out.push_back(nullptr);  // kept so that validation can report it
          continue;
        }
        ASSIGN_OR_RETURN(json v, DecodeJsonValue(*shape.member, item, where, depth + 1));
        out.push_back(std::move(v));
      }
      return out;
    }
    case ShapeType::kMap: {
      if (!wire.is_object()) return TypeMismatch(wire, where, "a map");
      json out = json::object();
      for (const auto& [k, item] : wire.items()) {
        if (item.is_null()) continue;
        ASSIGN_OR_RETURN(json v, DecodeJsonValue(*shape.value, item, Join(where, k), depth + 1));
        out[k] = std::move(v);
      }
      return out;
    }
    case ShapeType::kString:
      if (!wire.is_string()) return TypeMismatch(wire, where, "a String");
      return wire;
    case ShapeType::kBoolean:
      if (!wire.is_boolean()) return TypeMismatch(wire, where, "a Boolean");
      return wire;
    case ShapeType::kInteger:
    case ShapeType::kLong: {
      const char* type = shape.type == ShapeType::kInteger ? "an Integer" : "a Long";
      if (wire.is_number_unsigned()) {
        uint64_t u = wire.get<uint64_t>();
        uint64_t limit = shape.type == ShapeType::kInteger
                             ? static_cast<uint64_t>(std::numeric_limits<int32_t>::max())
                             : static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
        if (u > limit) return TypeMismatch(wire, where, type);
        return json(static_cast<int64_t>(u));
      }
      if (wire.is_number_integer()) {
        int64_t v = wire.get<int64_t>();
        if (shape.type == ShapeType::kInteger &&
            (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max())) {
          return TypeMismatch(wire, where, type);
        }
        return json(v);
      }
      return TypeMismatch(wire, where, type);
    }
    case ShapeType::kFloat:
    case ShapeType::kDouble:
      if (!wire.is_number()) return TypeMismatch(wire, where, "a Double");
      if (!std::isfinite(wire.get<double>())) return TypeMismatch(wire, where, "a Double");
      return json(wire.get<double>());
    case ShapeType::kTimestamp: {
      if (wire.is_number()) {
        double v = wire.get<double>();
        if (!std::isfinite(v) || std::fabs(v) > kMaxEpoch) {
          return TypeMismatch(wire, where, "a Timestamp");
        }
        return EpochJson(v);
      }
      if (wire.is_string()) {
        auto v = ParseTimestampString(wire.get_ref<const std::string&>());
        if (!v) return TypeMismatch(wire, where, "a Timestamp");
        return EpochJson(*v);
      }
      return TypeMismatch(wire, where, "a Timestamp");
    }
    case ShapeType::kBlob: {
      if (!wire.is_string()) return TypeMismatch(wire, where, "a Blob");
      auto raw = crypto::Base64Decode(wire.get_ref<const std::string&>());
      if (!raw) {
        std::string msg = "Base64 encoded value is not valid";
        if (!where.empty()) msg += " (at '" + std::string(where) + "')";
        return Status(ErrorKind::kSerialization, msg + ".");
      }
      json out = json::binary(json::binary_t::container_type(raw->begin(), raw->end()));
      SecureWipe(raw->data(), raw->size());
      return out;
    }
  }
  return TypeMismatch(wire, where, "a value");
}

json EncodeJsonValue(const Shape& shape, const json& value, Protocol protocol) {
  if (shape.document) return value;
  switch (shape.type) {
    case ShapeType::kStructure: {
      json out = json::object();
      if (!value.is_object()) return out;
      for (const Member& m : shape.members) {
        if (protocol == Protocol::kRestJson && m.location != Location::kBody) continue;
        auto it = value.find(m.name);
        if (it == value.end() || it->is_null()) continue;
        out[m.wire_name] = EncodeJsonValue(*m.shape, *it, protocol);
      }
      return out;
    }
    case ShapeType::kList: {
      json out = json::array();
      if (!value.is_array()) return out;
      for (const json& item : value) out.push_back(EncodeJsonValue(*shape.member, item, protocol));
      return out;
    }
    case ShapeType::kMap: {
      json out = json::object();
      if (!value.is_object()) return out;
      for (const auto& [k, item] : value.items()) {
        out[k] = EncodeJsonValue(*shape.value, item, protocol);
      }
      return out;
    }
    case ShapeType::kTimestamp: {
      auto t = OutputTimestamp(value);
      if (!t) return nullptr;
      if (shape.timestamp_format == "iso8601") return FormatIso8601(*t);
      if (shape.timestamp_format == "rfc822") return FormatRfc822(*t);
      return EpochJson(*t);
    }
    case ShapeType::kBlob: {
      auto raw = OutputBlob(value);
      if (!raw) return nullptr;
      return crypto::Base64Encode(*raw);
    }
    default:
      return value;
  }
}

std::string DumpJson(const json& v) {
  try {
    return v.dump(-1, ' ', false, json::error_handler_t::replace);
  } catch (const std::exception&) {
    return "{}";
  }
}

std::string XmlEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      case '\r':
        out += "&#xD;";
        break;
      case '\n':
        out += "&#xA;";
        break;
      default:
        // Control characters are not allowed in XML 1.0; drop them.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t') break;
        out.push_back(c);
    }
  }
  return out;
}

}  // namespace bulwark::protocol
