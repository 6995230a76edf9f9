#include "auth/ids.h"

#include <cstdint>
#include <cstring>

#include "auth/totp.h"
#include "crypto/crypto.h"

namespace bulwark::ids {

std::string NewAccountId() {
  std::string id = crypto::RandomString("123456789", 1);
  id += crypto::RandomString("0123456789", 11);
  return id;
}

std::string NewUniqueId(std::string_view prefix) {
  return std::string(prefix) + crypto::RandomString("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16);
}

namespace {
constexpr uint64_t kAccountMask = 0x7fffffffff80;  // bits 46..7 of the first 48
constexpr int kAccountShift = 7;
}  // namespace

std::string NewAccessKeyId(std::string_view prefix, std::string_view account) {
  uint8_t bytes[10];
  crypto::RandomBytes(bytes, sizeof(bytes));
  const uint64_t id = std::stoull(std::string(account));
  uint64_t head = 0;
  for (int i = 0; i < 6; ++i) head = (head << 8) | bytes[i];
  head = (head & ~kAccountMask & 0x7fffffffffff) | ((id << kAccountShift) & kAccountMask);
  for (int i = 5; i >= 0; --i, head >>= 8) bytes[i] = static_cast<uint8_t>(head & 0xff);
  std::string out(prefix);
  out += totp::Base32Encode(std::string_view(reinterpret_cast<const char*>(bytes), sizeof(bytes)));
  return out;
}

std::optional<std::string> AccountOfAccessKeyId(std::string_view access_key_id) {
  if (access_key_id.size() != 20) return std::nullopt;
  std::optional<SecretBytes> bytes = totp::Base32Decode(access_key_id.substr(4));
  if (!bytes || bytes->size() != 10) return std::nullopt;
  uint64_t head = 0;
  for (int i = 0; i < 6; ++i) head = (head << 8) | static_cast<uint8_t>(bytes->view()[i]);
  const uint64_t id = (head & kAccountMask) >> kAccountShift;
  if (id > 999999999999ULL) return std::nullopt;
  std::string out = std::to_string(id);
  return std::string(12 - out.size(), '0') + out;
}

SecretBytes NewSecretAccessKey() {
  std::string s =
      crypto::RandomString("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", 40);
  SecretBytes secret = SecretBytes::FromView(s);
  SecureWipe(s.data(), s.size());
  return secret;
}

std::string NewUuid() {
  uint8_t b[16];
  crypto::PooledRandomBytes(b, sizeof(b));
  b[6] = static_cast<uint8_t>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<uint8_t>((b[8] & 0x3f) | 0x80);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[b[i] >> 4]);
    out.push_back(kHex[b[i] & 15]);
  }
  return out;
}

bool IsAccountId(std::string_view s) {
  if (s.size() != 12) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

bool IsAccessKeyId(std::string_view s) {
  if (s.size() < 16 || s.size() > 128) return false;
  for (char c : s) {
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return false;
  }
  return true;
}

}  // namespace bulwark::ids
