#include "auth/totp.h"

#include <algorithm>
#include <array>
#include <vector>

#include "crypto/crypto.h"

namespace bulwark::totp {
namespace {

constexpr char kBase32Alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
// Bounds the work one verification may do whatever window a caller passes.
constexpr int kMaxWindow = 100;

int Base32Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a';
  if (c >= '2' && c <= '7') return c - '2' + 26;
  return -1;
}

bool IsDecimalCode(std::string_view code, int digits) {
  if (code.size() != static_cast<size_t>(digits)) return false;
  return std::all_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// t + offset, or nullopt when it would leave int64_t or fall before step 0.
std::optional<int64_t> OffsetStep(int64_t t, int64_t offset) {
  int64_t out = 0;
  if (__builtin_add_overflow(t, offset, &out) || out < 0) return std::nullopt;
  return out;
}

// Offsets 0, -1, +1, -2, +2, ... so the step nearest to now wins when (improbably) a
// code matches at two steps.
std::vector<int> SearchOrder(int window) {
  window = std::clamp(window, 0, kMaxWindow);
  std::vector<int> order{0};
  for (int i = 1; i <= window; ++i) {
    order.push_back(-i);
    order.push_back(i);
  }
  return order;
}

bool IsUnreservedOrAt(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~' || c == '@';
}

// Percent-encodes all but RFC 3986 unreserved characters and '@'. '@' is legal in both
// a path segment and a query and is what AWS's device@account labels contain; '+' is
// encoded because form decoders read it as a space.
std::string UriEscape(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (IsUnreservedOrAt(c)) {
      out.push_back(c);
    } else {
      auto b = static_cast<unsigned char>(c);
      out.push_back('%');
      out.push_back(kHex[b >> 4]);
      out.push_back(kHex[b & 0x0f]);
    }
  }
  return out;
}

}  // namespace

std::string Base32Encode(std::string_view data) {
  std::string out;
  out.reserve((data.size() + 4) / 5 * 8);
  uint32_t bits = 0;  // pending input bits, right-aligned
  int nbits = 0;
  for (char ch : data) {
    bits = (bits << 8) | static_cast<unsigned char>(ch);
    nbits += 8;
    while (nbits >= 5) {
      nbits -= 5;
      out.push_back(kBase32Alphabet[(bits >> nbits) & 31]);
    }
    bits &= (1u << nbits) - 1;
  }
  if (nbits > 0) out.push_back(kBase32Alphabet[(bits << (5 - nbits)) & 31]);
  while (out.size() % 8 != 0) out.push_back('=');
  return out;
}

std::optional<SecretBytes> Base32Decode(std::string_view text) {
  size_t pad = 0;
  while (pad < text.size() && text[text.size() - 1 - pad] == '=') ++pad;
  const size_t data_len = text.size() - pad;
  const size_t rem = data_len % 8;
  // A last group of 1, 3 or 6 characters cannot come from whole bytes.
  if (rem == 1 || rem == 3 || rem == 6) return std::nullopt;
  if (pad > 0 && (rem == 0 || pad != 8 - rem)) return std::nullopt;

  SecretBytes out(data_len * 5 / 8);
  size_t pos = 0;
  uint32_t bits = 0;
  int nbits = 0;
  for (size_t i = 0; i < data_len; ++i) {
    int v = Base32Value(text[i]);
    if (v < 0) return std::nullopt;
    bits = (bits << 5) | static_cast<uint32_t>(v);
    nbits += 5;
    if (nbits >= 8) {
      nbits -= 8;
      out.data()[pos++] = static_cast<uint8_t>(bits >> nbits);
      bits &= (1u << nbits) - 1;
    }
  }
  // The bits left over are padding of the last character; a canonical encoder writes 0s.
  if (bits != 0) return std::nullopt;
  return out;
}

std::string Hotp(const SecretBytes& seed, uint64_t counter, int digits) {
  if (digits < 1 || digits > 10) return "";
  char msg[8];
  for (int i = 7; i >= 0; --i) {
    msg[i] = static_cast<char>(counter & 0xff);
    counter >>= 8;
  }
  crypto::Sha1Digest mac = crypto::HmacSha1(seed.view(), std::string_view(msg, sizeof(msg)));
  // RFC 4226 section 5.3, dynamic truncation.
  const int offset = mac[19] & 0x0f;
  uint64_t value = (uint64_t{mac[offset] & 0x7fu} << 24) | (uint64_t{mac[offset + 1]} << 16) |
                   (uint64_t{mac[offset + 2]} << 8) | uint64_t{mac[offset + 3]};
  SecureWipe(mac.data(), mac.size());
  uint64_t modulus = 1;
  for (int i = 0; i < digits; ++i) modulus *= 10;
  value %= modulus;
  std::string out(static_cast<size_t>(digits), '0');
  for (int i = digits - 1; i >= 0 && value > 0; --i) {
    out[static_cast<size_t>(i)] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  return out;
}

int64_t TimeStep(int64_t unix_time, int step) {
  if (step <= 0) return 0;
  int64_t q = unix_time / step;
  if (unix_time % step != 0 && unix_time < 0) --q;  // floor, not truncation
  return q;
}

std::string Code(const SecretBytes& seed, int64_t unix_time, int digits, int step) {
  if (step <= 0) return "";
  return CodeAtStep(seed, TimeStep(unix_time, step), digits);
}

std::string CodeAtStep(const SecretBytes& seed, int64_t t, int digits) {
  if (t < 0) return "";
  return Hotp(seed, static_cast<uint64_t>(t), digits);
}

SecretBytes NewSeed() {
  SecretBytes seed(kSeedBytes);
  crypto::RandomBytes(seed.data(), seed.size());
  return seed;
}

std::optional<int64_t> VerifyConsecutive(const SecretBytes& seed, std::string_view code1,
                                         std::string_view code2, int64_t now, int window,
                                         int64_t last_used_step) {
  if (!IsDecimalCode(code1, kDefaultDigits) || !IsDecimalCode(code2, kDefaultDigits)) {
    return std::nullopt;
  }
  const int64_t current = TimeStep(now);
  for (int offset : SearchOrder(window)) {
    std::optional<int64_t> t = OffsetStep(current, offset);
    if (!t) continue;
    std::optional<int64_t> next = OffsetStep(*t, 1);
    if (!next || *t <= last_used_step) continue;
    // Both comparisons always run, so timing does not tell which code was wrong.
    const bool first = crypto::ConstantTimeEquals(CodeAtStep(seed, *t), code1);
    const bool second = crypto::ConstantTimeEquals(CodeAtStep(seed, *next), code2);
    if (first && second) return next;
  }
  return std::nullopt;
}

std::optional<int64_t> VerifyCode(const SecretBytes& seed, std::string_view code, int64_t now,
                                  int window, int64_t last_used_step) {
  if (!IsDecimalCode(code, kDefaultDigits)) return std::nullopt;
  const int64_t current = TimeStep(now);
  for (int offset : SearchOrder(window)) {
    std::optional<int64_t> t = OffsetStep(current, offset);
    if (!t || *t <= last_used_step) continue;
    if (crypto::ConstantTimeEquals(CodeAtStep(seed, *t), code)) return t;
  }
  return std::nullopt;
}

std::string ProvisioningUri(std::string_view account_name, std::string_view issuer,
                            std::string_view base32_seed) {
  while (!base32_seed.empty() && base32_seed.back() == '=') base32_seed.remove_suffix(1);
  std::string uri = "otpauth://totp/";
  if (!issuer.empty()) {
    uri += UriEscape(issuer);
    uri += ':';
  }
  uri += UriEscape(account_name);
  uri += "?secret=";
  uri += UriEscape(base32_seed);
  if (!issuer.empty()) {
    uri += "&issuer=";
    uri += UriEscape(issuer);
  }
  return uri;
}

}  // namespace bulwark::totp
