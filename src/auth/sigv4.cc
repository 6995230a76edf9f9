// AWS Signature Version 4 (header and presigned-query forms). AWS's documented
// behaviour and its published test suite are the specification; error messages follow
// the text AWS services return.
#include "auth/sigv4.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <optional>
#include <utility>

#include "crypto/crypto.h"

namespace bulwark::sigv4 {
namespace {

constexpr size_t kMaxAuthorizationSize = 8 * 1024;
constexpr size_t kMaxSignedHeaders = 64;
constexpr size_t kMaxHeaderNameSize = 256;
constexpr size_t kMaxAuthParamSize = 8 * 1024;      // any presign parameter but the token
constexpr size_t kMaxSessionTokenSize = 16 * 1024;  // STS tokens are a few KiB at most
constexpr size_t kMaxAccessKeyIdSize = 128;
constexpr size_t kMaxScopeElementSize = 64;
constexpr size_t kMaxDateHeaderSize = 64;
constexpr std::string_view kTerminator = "aws4_request";
constexpr std::string_view kSignatureMismatch =
    "The request signature we calculated does not match the signature you provided. Check "
    "your AWS Secret Access Key and signing method. Consult the service documentation for "
    "details.";

Status Incomplete(std::string message) {
  return Status(ErrorKind::kIncompleteSignature, std::move(message));
}

bool IsWhitespace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsWhitespace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsWhitespace(s.back())) s.remove_suffix(1);
  return s;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsLowerHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f'); }
bool IsUnreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || IsDigit(c) || c == '-' || c == '_' ||
         c == '.' || c == '~';
}

bool IsLowerHexDigest(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), IsLowerHex);
}

// RFC 7230 token characters, lowercase only (SignedHeaders lists lowercase names).
bool IsLowerTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || IsDigit(c)) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes %XX escapes; a '%' not followed by two hex digits stays literal. '+' stays
// '+' (SigV4 canonicalization is RFC 3986, not form encoding).
std::string PercentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int hi = HexValue(s[i + 1]);
      int lo = HexValue(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>((hi << 4) | lo));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

// AWS URI encoding: unreserved characters kept, everything else %XX (uppercase hex).
void UriEncodeTo(std::string_view s, bool keep_slash, std::string& out) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (char c : s) {
    if (IsUnreserved(c) || (keep_slash && c == '/')) {
      out.push_back(c);
    } else {
      auto b = static_cast<unsigned char>(c);
      out.push_back('%');
      out.push_back(kHex[b >> 4]);
      out.push_back(kHex[b & 0x0f]);
    }
  }
}

std::string UriEncode(std::string_view s, bool keep_slash) {
  std::string out;
  out.reserve(s.size() * 3 / 2 + 4);
  UriEncodeTo(s, keep_slash, out);
  return out;
}

// RFC 3986 remove_dot_segments plus removal of empty segments, as AWS SDKs normalize
// (a trailing slash survives only when something is left).
std::string NormalizePath(std::string_view path) {
  if (path.empty()) return "/";
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    std::string_view seg = path.substr(start, slash - start);
    if (seg == "..") {
      if (!out.empty()) out.pop_back();
    } else if (!seg.empty() && seg != ".") {
      out.push_back(seg);
    }
    start = slash + 1;
  }
  std::string result;
  if (path.front() == '/') result.push_back('/');
  for (size_t i = 0; i < out.size(); ++i) {
    if (i > 0) result.push_back('/');
    result.append(out[i]);
  }
  if (path.back() == '/' && !out.empty()) result.push_back('/');
  if (result.empty()) result = "/";
  return result;
}

std::string CanonicalUri(std::string_view raw_path, bool normalize_path) {
  if (raw_path.empty()) return "/";
  if (normalize_path) {
    // Every service but S3: normalize, then encode the path as received, so an
    // already-encoded path is encoded a second time ('%' -> '%25'), as AWS does.
    return UriEncode(NormalizePath(raw_path), /*keep_slash=*/true);
  }
  // S3: no normalization, single encoding of the decoded path.
  return UriEncode(PercentDecode(raw_path), /*keep_slash=*/true);
}

struct QueryParam {
  std::string name;   // decoded
  std::string value;  // decoded
};

std::vector<QueryParam> ParseQuery(std::string_view query) {
  std::vector<QueryParam> params;
  size_t start = 0;
  while (start <= query.size()) {
    size_t amp = query.find('&', start);
    if (amp == std::string_view::npos) amp = query.size();
    std::string_view piece = query.substr(start, amp - start);
    if (!piece.empty()) {
      size_t eq = piece.find('=');
      QueryParam p;
      p.name = PercentDecode(piece.substr(0, eq));
      if (eq != std::string_view::npos) p.value = PercentDecode(piece.substr(eq + 1));
      params.push_back(std::move(p));
    }
    start = amp + 1;
  }
  return params;
}

std::string CanonicalQuery(std::string_view raw_query, bool presigned, bool token_signed) {
  std::vector<std::pair<std::string, std::string>> encoded;
  for (QueryParam& p : ParseQuery(raw_query)) {
    if (presigned && p.name == "X-Amz-Signature") continue;
    if (presigned && !token_signed && p.name == "X-Amz-Security-Token") continue;
    encoded.emplace_back(UriEncode(p.name, false), UriEncode(p.value, false));
  }
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (size_t i = 0; i < encoded.size(); ++i) {
    if (i > 0) out.push_back('&');
    out.append(encoded[i].first);
    out.push_back('=');
    out.append(encoded[i].second);
  }
  return out;
}

// Trims the value and collapses each run of whitespace (including folded line breaks)
// to a single space.
void AppendCanonicalHeaderValue(std::string_view value, std::string& out) {
  value = Trim(value);
  bool in_space = false;
  for (char c : value) {
    if (IsWhitespace(c)) {
      in_space = true;
      continue;
    }
    if (in_space) out.push_back(' ');
    in_space = false;
    out.push_back(c);
  }
}

size_t CountHeaders(const http::Request& request, std::string_view name) {
  size_t n = 0;
  for (const auto& [k, v] : request.headers) {
    if (http::HeaderNameEquals(k, name)) ++n;
  }
  return n;
}

// ---- Dates ------------------------------------------------------------------------

bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int64_t y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void CivilFromDays(int64_t z, int64_t& y, int& m, int& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  y = yoe + era * 400 + (m <= 2);
}

bool ParseDigits(std::string_view s, int& out) {
  if (s.empty()) return false;
  int v = 0;
  for (char c : s) {
    if (!IsDigit(c)) return false;
    v = v * 10 + (c - '0');
  }
  out = v;
  return true;
}

// Unix seconds of a validated civil date-time; -1 if any field is out of range.
int64_t ToUnix(int year, int month, int day, int hour, int minute, int second) {
  if (year < 1970 || year > 9999 || month < 1 || month > 12 || day < 1 ||
      day > DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) {
    return -1;
  }
  return DaysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
}

bool IsValidScopeDate(std::string_view date) {
  int y = 0, m = 0, d = 0;
  if (date.size() != 8 || !ParseDigits(date.substr(0, 4), y) ||
      !ParseDigits(date.substr(4, 2), m) || !ParseDigits(date.substr(6, 2), d)) {
    return false;
  }
  return ToUnix(y, m, d, 0, 0, 0) >= 0;
}

// RFC 1123 (IMF-fixdate), e.g. "Sun, 30 Aug 2015 12:36:00 GMT". -1 if malformed.
int64_t ParseHttpDate(std::string_view s) {
  static constexpr std::array<std::string_view, 7> kDays = {"Mon", "Tue", "Wed", "Thu",
                                                            "Fri", "Sat", "Sun"};
  static constexpr std::array<std::string_view, 12> kMonths = {
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  s = Trim(s);
  if (s.size() != 29 || s[3] != ',' || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' ||
      s[19] != ':' || s[22] != ':' || s[25] != ' ' || s.substr(26) != "GMT") {
    return -1;
  }
  if (std::find(kDays.begin(), kDays.end(), s.substr(0, 3)) == kDays.end()) return -1;
  auto month_it = std::find(kMonths.begin(), kMonths.end(), s.substr(8, 3));
  if (month_it == kMonths.end()) return -1;
  int day = 0, year = 0, hour = 0, minute = 0, second = 0;
  if (!ParseDigits(s.substr(5, 2), day) || !ParseDigits(s.substr(12, 4), year) ||
      !ParseDigits(s.substr(17, 2), hour) || !ParseDigits(s.substr(20, 2), minute) ||
      !ParseDigits(s.substr(23, 2), second)) {
    return -1;
  }
  return ToUnix(year, static_cast<int>(month_it - kMonths.begin()) + 1, day, hour, minute, second);
}

std::string BadIsoDateMessage(std::string_view value) {
  return "Date must be in ISO-8601 'basic format'. Got '" + std::string(value) +
         "'. See http://en.wikipedia.org/wiki/ISO_8601";
}

// ---- Shared pieces of both forms ----------------------------------------------------

Status ParseCredential(std::string_view credential, ParsedAuth& auth) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (parts.size() <= 5) {
    size_t slash = credential.find('/', start);
    if (slash == std::string_view::npos) {
      parts.push_back(credential.substr(start));
      break;
    }
    parts.push_back(credential.substr(start, slash - start));
    start = slash + 1;
  }
  if (parts.size() != 5 || parts[0].empty()) {
    return Incomplete(
        "Credential must have exactly 5 slash-delimited elements, e.g. "
        "keyid/date/region/service/term, got '" +
        std::string(credential) + "'");
  }
  std::string problems;
  if (parts[0].size() > kMaxAccessKeyIdSize ||
      !std::all_of(parts[0].begin(), parts[0].end(), [](char c) { return IsUnreserved(c); })) {
    problems += "Credential access key ID is malformed. ";
  }
  if (!IsValidScopeDate(parts[1])) {
    problems += BadIsoDateMessage(parts[1]) + ". ";
  }
  auto valid_name = [](std::string_view s) {
    return !s.empty() && s.size() <= kMaxScopeElementSize &&
           std::all_of(s.begin(), s.end(),
                       [](char c) { return (c >= 'a' && c <= 'z') || IsDigit(c) || c == '-'; });
  };
  if (!valid_name(parts[2])) {
    problems +=
        "Credential should be scoped to a valid region, not '" + std::string(parts[2]) + "'. ";
  }
  if (!valid_name(parts[3])) {
    problems += "Credential should be scoped to correct service: '" + std::string(parts[3]) + "'. ";
  }
  if (parts[4] != kTerminator) {
    problems += "Credential should be scoped with a valid terminator: 'aws4_request', not '" +
                std::string(parts[4]) + "'. ";
  }
  if (!problems.empty()) {
    problems.pop_back();  // trailing space
    return Incomplete(std::move(problems));
  }
  auth.access_key_id = std::string(parts[0]);
  auth.date = std::string(parts[1]);
  auth.region = std::string(parts[2]);
  auth.service = std::string(parts[3]);
  return Status::Ok();
}

Status ParseSignedHeaders(std::string_view list, ParsedAuth& auth) {
  std::vector<std::string> names;
  size_t start = 0;
  while (true) {
    size_t semi = list.find(';', start);
    std::string_view name =
        list.substr(start, semi == std::string_view::npos ? std::string_view::npos : semi - start);
    if (name.empty() || name.size() > kMaxHeaderNameSize ||
        !std::all_of(name.begin(), name.end(), IsLowerTokenChar)) {
      return Incomplete(
          "SignedHeaders must be a semicolon-separated list of lowercase header names, got '" +
          std::string(list.substr(0, 256)) + "'");
    }
    if (names.size() == kMaxSignedHeaders) {
      return Incomplete("SignedHeaders lists more than 64 headers");
    }
    if (std::find(names.begin(), names.end(), name) != names.end()) {
      return Incomplete("SignedHeaders lists header '" + std::string(name) + "' more than once");
    }
    names.emplace_back(name);
    if (semi == std::string_view::npos) break;
    start = semi + 1;
  }
  if (std::find(names.begin(), names.end(), "host") == names.end()) {
    return Incomplete("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
  }
  auth.signed_headers = std::move(names);
  return Status::Ok();
}

Status ParseSignatureValue(std::string_view signature, ParsedAuth& auth) {
  if (!IsLowerHexDigest(signature)) {
    return Incomplete("Signature must be 64 lowercase hexadecimal characters");
  }
  auth.signature = std::string(signature);
  return Status::Ok();
}

Status UnsupportedAlgorithm(std::string_view algorithm) {
  return Incomplete("Unsupported AWS 'algorithm': '" + std::string(algorithm.substr(0, 128)) + "'");
}

// The scope date must be the date of the request time.
Status CheckScopeDate(const ParsedAuth& auth) {
  std::string_view day = std::string_view(auth.amz_date).substr(0, 8);
  if (auth.date != day) {
    return Status(ErrorKind::kSignatureDoesNotMatch,
                  "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of "
                  "date from HTTP: '" +
                      auth.date + "' != '" + std::string(day) + "', from '" + auth.amz_date + "'.");
  }
  return Status::Ok();
}

Status ParsePayloadHash(const http::Request& request, ParsedAuth& auth) {
  const size_t count = CountHeaders(request, "x-amz-content-sha256");
  if (count > 1) return Incomplete("Only one 'x-amz-content-sha256' header is allowed");
  if (count == 1) {
    std::string_view v = Trim(request.Header("x-amz-content-sha256"));
    if (v != kUnsignedPayload && !IsLowerHexDigest(v)) {
      return Incomplete(
          "x-amz-content-sha256 must be UNSIGNED-PAYLOAD or a lowercase hexadecimal SHA-256 "
          "digest");
    }
    auth.payload_hash = std::string(v);
  } else {
    auth.payload_hash = crypto::Sha256Hex(request.body);
  }
  return Status::Ok();
}

// ---- Authorization header form --------------------------------------------------------

Result<ParsedAuth> ParseHeaderForm(const http::Request& request) {
  std::string_view value = request.Header("Authorization");
  if (value.size() > kMaxAuthorizationSize) {
    return Incomplete("Authorization header exceeds 8192 bytes");
  }
  std::string_view rest = Trim(value);
  size_t sp = 0;
  while (sp < rest.size() && !IsWhitespace(rest[sp]) && rest[sp] != ',') ++sp;
  std::string_view algorithm = rest.substr(0, sp);
  rest.remove_prefix(sp);
  if (algorithm != kAlgorithm) {
    if (algorithm.empty() || algorithm.find('=') != std::string_view::npos) {
      return Incomplete(
          "Authorization header requires 'Credential' parameter. Authorization "
          "header requires 'Signature' parameter. Authorization header requires "
          "'SignedHeaders' parameter. Authorization=" +
          std::string(value));
    }
    return UnsupportedAlgorithm(algorithm);
  }

  std::optional<std::string_view> credential, signed_headers, signature;
  size_t i = 0;
  while (i < rest.size()) {
    while (i < rest.size() && (IsWhitespace(rest[i]) || rest[i] == ',')) ++i;
    size_t start = i;
    while (i < rest.size() && !IsWhitespace(rest[i]) && rest[i] != ',') ++i;
    std::string_view component = rest.substr(start, i - start);
    if (component.empty()) continue;
    size_t eq = component.find('=');
    if (eq == std::string_view::npos) {
      return Incomplete("'" + std::string(component) +
                        "' not a valid key=value pair (missing equal-sign) in Authorization "
                        "header: '" +
                        std::string(value) + "'.");
    }
    std::string_view key = component.substr(0, eq);
    std::string_view val = component.substr(eq + 1);
    std::optional<std::string_view>* slot = nullptr;
    if (key == "Credential") slot = &credential;
    if (key == "SignedHeaders") slot = &signed_headers;
    if (key == "Signature") slot = &signature;
    if (slot == nullptr) continue;  // unknown components are ignored, as AWS does
    if (slot->has_value()) {
      return Incomplete("Authorization header has duplicate '" + std::string(key) +
                        "' parameter. Authorization=" + std::string(value));
    }
    if (!val.empty()) *slot = val;
  }

  const size_t amz_date_count = CountHeaders(request, "x-amz-date");
  const size_t date_count = CountHeaders(request, "date");
  std::string missing;
  if (!credential) missing += "Authorization header requires 'Credential' parameter. ";
  if (!signature) missing += "Authorization header requires 'Signature' parameter. ";
  if (!signed_headers) missing += "Authorization header requires 'SignedHeaders' parameter. ";
  if (amz_date_count == 0 && date_count == 0) {
    missing +=
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' "
        "header. ";
  }
  if (!missing.empty()) return Incomplete(missing + "Authorization=" + std::string(value));

  ParsedAuth auth;
  RETURN_IF_ERROR(ParseCredential(*credential, auth));
  RETURN_IF_ERROR(ParseSignedHeaders(*signed_headers, auth));
  RETURN_IF_ERROR(ParseSignatureValue(*signature, auth));

  if (amz_date_count > 1 || (amz_date_count == 0 && date_count > 1)) {
    return Incomplete("Only one 'X-Amz-Date' or 'Date' header is allowed");
  }
  if (amz_date_count == 1) {
    std::string_view v = Trim(request.Header("x-amz-date"));
    auth.request_time = v.size() > kMaxDateHeaderSize ? -1 : ParseAmzDate(v);
    if (auth.request_time < 0) return Incomplete(BadIsoDateMessage(v.substr(0, 64)));
    auth.amz_date = std::string(v);
  } else {
    std::string_view v = request.Header("date");
    auth.request_time = v.size() > kMaxDateHeaderSize ? -1 : ParseHttpDate(v);
    if (auth.request_time < 0) {
      return Incomplete(
          "Date must be in RFC 1123 format, e.g. 'Sun, 30 Aug 2015 12:36:00 GMT'. "
          "Got '" +
          std::string(v.substr(0, 64)) + "'");
    }
    auth.amz_date = FormatAmzDate(auth.request_time);
  }
  RETURN_IF_ERROR(CheckScopeDate(auth));

  const size_t token_count = CountHeaders(request, "x-amz-security-token");
  if (token_count > 1) return Incomplete("Only one 'X-Amz-Security-Token' header is allowed");
  if (token_count == 1) {
    std::string_view token = Trim(request.Header("x-amz-security-token"));
    if (token.size() > kMaxSessionTokenSize) {
      return Incomplete("X-Amz-Security-Token exceeds 16384 bytes");
    }
    auth.session_token = std::string(token);
  }
  RETURN_IF_ERROR(ParsePayloadHash(request, auth));
  return auth;
}

// ---- Presigned query form -------------------------------------------------------------

Result<ParsedAuth> ParseQueryForm(const std::vector<QueryParam>& params,
                                  const http::Request& request) {
  static constexpr std::array<std::string_view, 7> kNames = {
      "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature",     "X-Amz-SignedHeaders",
      "X-Amz-Date",      "X-Amz-Expires",    "X-Amz-Security-Token"};
  std::array<const std::string*, kNames.size()> found{};
  for (const QueryParam& p : params) {
    for (size_t i = 0; i < kNames.size(); ++i) {
      if (p.name != kNames[i]) continue;
      if (found[i] != nullptr) {
        return Incomplete("Duplicate query-string parameter '" + std::string(kNames[i]) + "'.");
      }
      const size_t limit = i == 6 ? kMaxSessionTokenSize : kMaxAuthParamSize;
      if (p.value.size() > limit) {
        return Incomplete("Query-string parameter '" + std::string(kNames[i]) + "' is too long.");
      }
      found[i] = &p.value;
    }
  }
  std::string missing;
  for (size_t i = 0; i < 6; ++i) {
    if (found[i] == nullptr || found[i]->empty()) {
      missing += "AWS query-string parameters must include '" + std::string(kNames[i]) + "'. ";
    }
  }
  if (!missing.empty()) return Incomplete(missing + "Re-examine the query-string parameters.");
  if (*found[0] != kAlgorithm) return UnsupportedAlgorithm(*found[0]);

  ParsedAuth auth;
  auth.presigned = true;
  RETURN_IF_ERROR(ParseCredential(*found[1], auth));
  RETURN_IF_ERROR(ParseSignatureValue(*found[2], auth));
  RETURN_IF_ERROR(ParseSignedHeaders(*found[3], auth));
  auth.request_time = ParseAmzDate(*found[4]);
  if (auth.request_time < 0) return Incomplete(BadIsoDateMessage(found[4]->substr(0, 64)));
  auth.amz_date = *found[4];
  const std::string& expires = *found[5];
  if (expires.size() > 10 || !std::all_of(expires.begin(), expires.end(), IsDigit)) {
    return Incomplete("X-Amz-Expires should be a number");
  }
  auth.expires = std::stoll(expires);
  RETURN_IF_ERROR(CheckScopeDate(auth));
  if (found[6] != nullptr) auth.session_token = *found[6];
  RETURN_IF_ERROR(ParsePayloadHash(request, auth));
  return auth;
}

bool NormalizePathFor(std::string_view service) { return service != "s3"; }

}  // namespace

std::string ParsedAuth::CredentialScope() const {
  std::string scope;
  scope.reserve(date.size() + region.size() + service.size() + 16);
  scope.append(date).append("/").append(region).append("/").append(service).append("/");
  scope.append(kTerminator);
  return scope;
}

Result<ParsedAuth> Parse(const http::Request& request) {
  const size_t auth_headers = CountHeaders(request, "Authorization");
  std::vector<QueryParam> params = ParseQuery(request.RawQuery());
  bool query_auth = false;
  for (const QueryParam& p : params) {
    if (p.name == "X-Amz-Algorithm" || p.name == "X-Amz-Credential" ||
        p.name == "X-Amz-Signature") {
      query_auth = true;
    }
  }
  if (auth_headers == 0 && !query_auth) {
    return Status(ErrorKind::kMissingAuthenticationToken,
                  "Request is missing Authentication Token");
  }
  if (auth_headers > 0 && query_auth) {
    return Incomplete(
        "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature "
        "query string parameter or the Authorization header should be specified");
  }
  if (auth_headers > 1) return Incomplete("Only one Authorization header is allowed");
  if (auth_headers == 1) return ParseHeaderForm(request);
  return ParseQueryForm(params, request);
}

Status CheckScope(const ParsedAuth& auth, std::string_view expected_service) {
  if (auth.service != expected_service) {
    // AWS answers this with its signature-mismatch code (InvalidSignatureException on
    // JSON services), not IncompleteSignature.
    return Status(ErrorKind::kSignatureDoesNotMatch,
                  "Credential should be scoped to correct service: '" +
                      std::string(expected_service) + "'. ");
  }
  return Status::Ok();
}

Status CheckTime(const ParsedAuth& auth, int64_t now) {
  if (auth.request_time < 0 || ParseAmzDate(auth.amz_date) != auth.request_time) {
    return Incomplete(BadIsoDateMessage(auth.amz_date.substr(0, 64)));
  }
  if (auth.presigned) {
    if (auth.expires < 1) {
      return Incomplete("X-Amz-Expires must be non-negative and greater than zero");
    }
    if (auth.expires > kMaxPresignExpirySeconds) {
      return Incomplete("X-Amz-Expires must be less than a week (in seconds) that is 604800");
    }
    if (auth.request_time > now + kMaxClockSkewSeconds) {
      return Status(ErrorKind::kRequestExpired, "Request is not yet valid: " + auth.amz_date +
                                                    " is still later than " +
                                                    FormatAmzDate(now + kMaxClockSkewSeconds) +
                                                    " (" + FormatAmzDate(now) + " + 15 min.)");
    }
    if (now > auth.request_time + auth.expires) {
      return Status(ErrorKind::kRequestExpired,
                    "Request has expired: expired at " +
                        FormatAmzDate(auth.request_time + auth.expires) + ", now " +
                        FormatAmzDate(now));
    }
    return Status::Ok();
  }
  if (auth.request_time < now - kMaxClockSkewSeconds) {
    return Status(ErrorKind::kRequestExpired, "Signature expired: " + auth.amz_date +
                                                  " is now earlier than " +
                                                  FormatAmzDate(now - kMaxClockSkewSeconds) + " (" +
                                                  FormatAmzDate(now) + " - 15 min.)");
  }
  if (auth.request_time > now + kMaxClockSkewSeconds) {
    return Status(ErrorKind::kRequestExpired, "Signature not yet current: " + auth.amz_date +
                                                  " is still later than " +
                                                  FormatAmzDate(now + kMaxClockSkewSeconds) + " (" +
                                                  FormatAmzDate(now) + " + 15 min.)");
  }
  return Status::Ok();
}

std::string CanonicalRequest(const http::Request& request, const ParsedAuth& auth,
                             bool normalize_path) {
  std::string out;
  out.reserve(256 + request.target.size() * 2);
  out.append(request.method).push_back('\n');
  out.append(CanonicalUri(request.Path(), normalize_path)).push_back('\n');
  out.append(CanonicalQuery(request.RawQuery(), auth.presigned, auth.token_signed)).push_back('\n');
  for (const std::string& name : auth.signed_headers) {
    out.append(name).push_back(':');
    bool first = true;
    for (const auto& [k, v] : request.headers) {
      if (!http::HeaderNameEquals(k, name)) continue;
      if (!first) out.push_back(',');
      first = false;
      AppendCanonicalHeaderValue(v, out);
    }
    out.push_back('\n');
  }
  out.push_back('\n');
  for (size_t i = 0; i < auth.signed_headers.size(); ++i) {
    if (i > 0) out.push_back(';');
    out.append(auth.signed_headers[i]);
  }
  out.push_back('\n');
  out.append(auth.payload_hash);
  return out;
}

std::string StringToSign(const ParsedAuth& auth, std::string_view canonical_request) {
  std::string out;
  out.append(kAlgorithm).push_back('\n');
  out.append(auth.amz_date).push_back('\n');
  out.append(auth.CredentialScope()).push_back('\n');
  out.append(crypto::Sha256Hex(canonical_request));
  return out;
}

SecretBytes DeriveSigningKey(std::string_view secret_access_key, std::string_view date,
                             std::string_view region, std::string_view service) {
  SecretBytes k_secret(4 + secret_access_key.size());
  std::memcpy(k_secret.data(), "AWS4", 4);
  if (!secret_access_key.empty()) {
    std::memcpy(k_secret.data() + 4, secret_access_key.data(), secret_access_key.size());
  }
  crypto::Sha256Digest k = crypto::HmacSha256(k_secret.view(), date);
  auto as_view = [](const crypto::Sha256Digest& d) {
    return std::string_view(reinterpret_cast<const char*>(d.data()), d.size());
  };
  k = crypto::HmacSha256(as_view(k), region);
  k = crypto::HmacSha256(as_view(k), service);
  k = crypto::HmacSha256(as_view(k), kTerminator);
  SecretBytes key(k.data(), k.size());
  SecureWipe(k.data(), k.size());
  return key;
}

std::string Signature(const SecretBytes& signing_key, std::string_view string_to_sign) {
  crypto::Sha256Digest mac = crypto::HmacSha256(signing_key.view(), string_to_sign);
  return crypto::HexEncode(mac.data(), mac.size());
}

Status Verify(const http::Request& request, const ParsedAuth& auth, const SecretBytes& signing_key,
              bool normalize_path) {
  if (auth.payload_hash != kUnsignedPayload) {
    const std::string body_hash = crypto::Sha256Hex(request.body);
    if (!crypto::ConstantTimeEquals(body_hash, auth.payload_hash)) {
      if (request.HasHeader("x-amz-content-sha256")) {
        return Status(ErrorKind::kSignatureDoesNotMatch,
                      "The provided 'x-amz-content-sha256' header does not match what was "
                      "computed.");
      }
      return Status(ErrorKind::kSignatureDoesNotMatch, std::string(kSignatureMismatch));
    }
  }
  auto matches = [&](const ParsedAuth& a) {
    const std::string canonical = CanonicalRequest(request, a, normalize_path);
    return crypto::ConstantTimeEquals(Signature(signing_key, StringToSign(a, canonical)),
                                      a.signature);
  };
  if (matches(auth)) return Status::Ok();
  if (auth.presigned && auth.token_signed && !auth.session_token.empty()) {
    // The token may have been appended to the query after signing.
    ParsedAuth without_token = auth;
    without_token.token_signed = false;
    if (matches(without_token)) return Status::Ok();
  }
  return Status(ErrorKind::kSignatureDoesNotMatch, std::string(kSignatureMismatch));
}

Status Verify(const http::Request& request, const ParsedAuth& auth,
              const SecretBytes& signing_key) {
  return Verify(request, auth, signing_key, NormalizePathFor(auth.service));
}

int64_t ParseAmzDate(std::string_view s) {
  if (s.size() != 16 || s[8] != 'T' || s[15] != 'Z') return -1;
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0;
  if (!ParseDigits(s.substr(0, 4), y) || !ParseDigits(s.substr(4, 2), mo) ||
      !ParseDigits(s.substr(6, 2), d) || !ParseDigits(s.substr(9, 2), h) ||
      !ParseDigits(s.substr(11, 2), mi) || !ParseDigits(s.substr(13, 2), se)) {
    return -1;
  }
  return ToUnix(y, mo, d, h, mi, se);
}

void SignRequest(http::Request* request, std::string_view access_key_id,
                 std::string_view secret_access_key, std::string_view region,
                 std::string_view service, int64_t now_unix_seconds,
                 std::string_view session_token) {
  auto set = [request](std::string_view name, std::string value) {
    auto& headers = request->headers;
    headers.erase(
        std::remove_if(headers.begin(), headers.end(),
                       [name](const auto& h) { return http::HeaderNameEquals(h.first, name); }),
        headers.end());
    headers.emplace_back(std::string(name), std::move(value));
  };
  ParsedAuth auth;
  auth.access_key_id = std::string(access_key_id);
  auth.amz_date = FormatAmzDate(now_unix_seconds);
  auth.request_time = now_unix_seconds;
  auth.date = auth.amz_date.substr(0, 8);
  auth.region = std::string(region);
  auth.service = std::string(service);
  set("X-Amz-Date", auth.amz_date);
  if (!session_token.empty()) set("X-Amz-Security-Token", std::string(session_token));
  set("Authorization", "");  // never signed: removed and appended below
  request->headers.pop_back();
  for (const auto& [name, value] : request->headers) {
    std::string lower(name);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    auth.signed_headers.push_back(std::move(lower));
  }
  std::sort(auth.signed_headers.begin(), auth.signed_headers.end());
  auth.signed_headers.erase(std::unique(auth.signed_headers.begin(), auth.signed_headers.end()),
                            auth.signed_headers.end());
  auth.payload_hash = crypto::Sha256Hex(request->body);
  const std::string canonical = CanonicalRequest(*request, auth);
  const SecretBytes key = DeriveSigningKey(secret_access_key, auth.date, region, service);
  std::string signed_list;
  for (const auto& h : auth.signed_headers) {
    if (!signed_list.empty()) signed_list.push_back(';');
    signed_list.append(h);
  }
  request->headers.emplace_back(
      "Authorization", std::string(kAlgorithm) + " Credential=" + auth.access_key_id + "/" +
                           auth.CredentialScope() + ", SignedHeaders=" + signed_list +
                           ", Signature=" + Signature(key, StringToSign(auth, canonical)));
}

std::string FormatAmzDate(int64_t unix_seconds) {
  int64_t days = unix_seconds / 86400;
  int64_t secs = unix_seconds % 86400;
  if (secs < 0) {
    secs += 86400;
    --days;
  }
  int64_t year = 0;
  int month = 0, day = 0;
  CivilFromDays(days, year, month, day);
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%04lld%02d%02dT%02d%02d%02dZ", static_cast<long long>(year),
                month, day, static_cast<int>(secs / 3600), static_cast<int>(secs / 60 % 60),
                static_cast<int>(secs % 60));
  return buf;
}

}  // namespace bulwark::sigv4
