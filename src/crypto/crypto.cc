// OpenSSL-backed implementations of crypto.h and of bulwark::SecureWipe.
#include "crypto/crypto.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "crypto/evp_util.h"
#include "crypto/symmetric.h"

namespace bulwark {

void SecureWipe(void* data, size_t size) {
  if (data != nullptr && size > 0) OPENSSL_cleanse(data, size);
}

namespace crypto {
namespace {

constexpr uint8_t kSealVersion = 0x01;
constexpr size_t kAesKeySize = 32;
constexpr size_t kGcmNonceSize = 12;
constexpr size_t kGcmTagSize = 16;
constexpr size_t kSealOverhead = 1 + kGcmNonceSize + kGcmTagSize;
// EVP lengths are int; refuse anything that does not fit.
constexpr size_t kMaxAeadInput = static_cast<size_t>(INT_MAX) - 64;

constexpr char kHexDigits[] = "0123456789abcdef";
constexpr char kB64Alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int B64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// OpenSSL 3 looks an algorithm up by name, under a lock, on every one-shot call
// (EVP_Digest, HMAC). The request path hashes and MACs several times per request, so the
// algorithms are fetched once and each thread keeps its own contexts.
const EVP_MD* FetchedSha256() {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  if (md == nullptr) Die("EVP_MD_fetch(SHA256)");
  return md;
}

struct ThreadContexts {
  EVP_MD_CTX* md = nullptr;
  EVP_MAC_CTX* mac = nullptr;
  ~ThreadContexts() {
    EVP_MD_CTX_free(md);
    EVP_MAC_CTX_free(mac);
  }
};

ThreadContexts& Contexts() {
  thread_local ThreadContexts contexts;
  if (contexts.md == nullptr) {
    contexts.md = EVP_MD_CTX_new();
    static EVP_MAC* const hmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    if (contexts.md == nullptr || hmac == nullptr) Die("EVP context setup");
    contexts.mac = EVP_MAC_CTX_new(hmac);
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", digest, 0),
                           OSSL_PARAM_construct_end()};
    if (contexts.mac == nullptr || EVP_MAC_CTX_set_params(contexts.mac, params) != 1) {
      Die("EVP_MAC_CTX setup (HMAC-SHA256)");
    }
  }
  return contexts;
}

}  // namespace

Sha256Digest Sha256(std::string_view data) {
  Sha256Digest out{};
  unsigned int len = 0;
  EVP_MD_CTX* ctx = Contexts().md;
  if (EVP_DigestInit_ex2(ctx, FetchedSha256(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx, data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(ctx, out.data(), &len) != 1 || len != out.size()) {
    Die("SHA-256");
  }
  return out;
}

std::string Sha256Hex(std::string_view data) {
  Sha256Digest d = Sha256(data);
  return HexEncode(d.data(), d.size());
}

Sha256Digest HmacSha256(std::string_view key, std::string_view data) {
  static const unsigned char kEmpty = 0;
  Sha256Digest out{};
  size_t len = 0;
  const auto* key_ptr = key.empty() ? &kEmpty : reinterpret_cast<const unsigned char*>(key.data());
  const auto* data_ptr =
      data.empty() ? &kEmpty : reinterpret_cast<const unsigned char*>(data.data());
  EVP_MAC_CTX* ctx = Contexts().mac;
  // The context keeps its digest; each init takes the new key (and wipes the old one).
  if (EVP_MAC_init(ctx, key_ptr, key.size(), nullptr) != 1 ||
      EVP_MAC_update(ctx, data_ptr, data.size()) != 1 ||
      EVP_MAC_final(ctx, out.data(), &len, out.size()) != 1 || len != out.size()) {
    Die("HMAC-SHA256");
  }
  return out;
}

Sha1Digest Sha1(std::string_view data) {
  Sha1Digest out{};
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha1(), nullptr) != 1 ||
      len != out.size()) {
    Die("SHA-1");
  }
  return out;
}

Sha1Digest HmacSha1(std::string_view key, std::string_view data) {
  static const unsigned char kEmpty = 0;
  Sha1Digest out{};
  size_t len = 0;
  const void* key_ptr = key.empty() ? &kEmpty : static_cast<const void*>(key.data());
  const auto* data_ptr =
      data.empty() ? &kEmpty : reinterpret_cast<const unsigned char*>(data.data());
  // One-shot EVP_Q_mac fetches HMAC and SHA-1 on each call; that is fine here because
  // one-time codes are checked a few dozen times per MFA request, not on every request.
  if (EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA1", nullptr, key_ptr, key.size(), data_ptr,
                data.size(), out.data(), out.size(), &len) == nullptr ||
      len != out.size()) {
    Die("HMAC-SHA1");
  }
  return out;
}

std::string HexEncode(const void* data, size_t size) {
  const auto* p = static_cast<const uint8_t*>(data);
  std::string out;
  out.resize(size * 2);
  for (size_t i = 0; i < size; ++i) {
    out[2 * i] = kHexDigits[p[i] >> 4];
    out[2 * i + 1] = kHexDigits[p[i] & 0x0f];
  }
  return out;
}

std::optional<std::string> HexDecode(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  std::string out;
  out.resize(hex.size() / 2);
  for (size_t i = 0; i < out.size(); ++i) {
    int hi = HexValue(hex[2 * i]);
    int lo = HexValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<char>((hi << 4) | lo);
  }
  return out;
}

std::string Base64Encode(std::string_view data) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  const auto* p = reinterpret_cast<const uint8_t*>(data.data());
  size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    uint32_t v = (uint32_t{p[i]} << 16) | (uint32_t{p[i + 1]} << 8) | p[i + 2];
    out.push_back(kB64Alphabet[(v >> 18) & 63]);
    out.push_back(kB64Alphabet[(v >> 12) & 63]);
    out.push_back(kB64Alphabet[(v >> 6) & 63]);
    out.push_back(kB64Alphabet[v & 63]);
  }
  size_t rest = data.size() - i;
  if (rest == 1) {
    uint32_t v = uint32_t{p[i]} << 16;
    out.push_back(kB64Alphabet[(v >> 18) & 63]);
    out.push_back(kB64Alphabet[(v >> 12) & 63]);
    out.append("==");
  } else if (rest == 2) {
    uint32_t v = (uint32_t{p[i]} << 16) | (uint32_t{p[i + 1]} << 8);
    out.push_back(kB64Alphabet[(v >> 18) & 63]);
    out.push_back(kB64Alphabet[(v >> 12) & 63]);
    out.push_back(kB64Alphabet[(v >> 6) & 63]);
    out.push_back('=');
  }
  return out;
}

// Strict RFC 4648 base64: standard alphabet, padding required, no whitespace, and the
// unused bits of the last group must be zero (so every input has one canonical form).
std::optional<std::string> Base64Decode(std::string_view b64) {
  if (b64.size() % 4 != 0) return std::nullopt;
  size_t pad = 0;
  if (!b64.empty() && b64.back() == '=') ++pad;
  if (b64.size() >= 2 && b64[b64.size() - 2] == '=') ++pad;
  std::string out;
  out.reserve(b64.size() / 4 * 3);
  for (size_t i = 0; i < b64.size(); i += 4) {
    bool last = i + 4 == b64.size();
    int v[4];
    for (int j = 0; j < 4; ++j) {
      char c = b64[i + j];
      if (c == '=') {
        if (!last || j < 4 - static_cast<int>(pad)) return std::nullopt;
        v[j] = 0;
      } else {
        v[j] = B64Value(c);
        if (v[j] < 0) return std::nullopt;
      }
    }
    uint32_t n =
        (uint32_t(v[0]) << 18) | (uint32_t(v[1]) << 12) | (uint32_t(v[2]) << 6) | uint32_t(v[3]);
    out.push_back(static_cast<char>((n >> 16) & 0xff));
    if (last && pad == 2) {
      if ((n & 0xffff) != 0) return std::nullopt;
      break;
    }
    out.push_back(static_cast<char>((n >> 8) & 0xff));
    if (last && pad == 1) {
      if ((n & 0xff) != 0) return std::nullopt;
      break;
    }
    out.push_back(static_cast<char>(n & 0xff));
  }
  return out;
}

namespace {

// Base64 without its '=' padding (PHC strings, and base64url below).
std::string Unpadded(std::string b64) {
  while (!b64.empty() && b64.back() == '=') b64.pop_back();
  return b64;
}

// Decodes unpadded base64 by restoring the padding: Base64Decode's checks (alphabet,
// canonical trailing bits) then apply as they are.
std::optional<std::string> DecodeUnpadded(std::string_view text) {
  if (text.empty() || text.find('=') != std::string_view::npos) return std::nullopt;
  std::string padded(text);
  while (padded.size() % 4 != 0) padded.push_back('=');
  return Base64Decode(padded);
}

}  // namespace

// RFC 4648 section 5: the base64 alphabet with '-' and '_' for '+' and '/', no padding.
std::string Base64UrlEncode(std::string_view data) {
  std::string out = Unpadded(Base64Encode(data));
  for (char& c : out) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return out;
}

std::optional<std::string> Base64UrlDecode(std::string_view text) {
  if (text.empty()) return std::string();
  // '+', '/' and '=' belong to the other alphabet: not base64url.
  if (text.find_first_of("+/=") != std::string_view::npos) return std::nullopt;
  std::string standard(text);
  for (char& c : standard) {
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  return DecodeUnpadded(standard);
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

void Die(const char* what) {
  std::fprintf(stderr, "bulwark: fatal crypto failure: %s\n", what);
  std::abort();
}

void RandomBytes(void* out, size_t size) {
  auto* p = static_cast<unsigned char*>(out);
  while (size > 0) {
    int chunk = size > (1u << 30) ? (1 << 30) : static_cast<int>(size);
    if (RAND_bytes(p, chunk) != 1) Die("RAND_bytes");
    p += chunk;
    size -= static_cast<size_t>(chunk);
  }
}

namespace {

// Counts forks in the child: a buffer filled before the last fork is not this process's.
std::atomic<uint64_t> g_forks{0};

void CountFork() { g_forks.fetch_add(1, std::memory_order_relaxed); }

}  // namespace

void PooledRandomBytes(void* out, size_t size) {
  struct Pool {
    uint8_t bytes[4096];
    size_t used = sizeof(bytes);
    uint64_t forks = 0;
    ~Pool() { SecureWipe(bytes, sizeof(bytes)); }
  };
  static const bool registered = [] { return pthread_atfork(nullptr, nullptr, &CountFork) == 0; }();
  if (!registered) Die("pthread_atfork");
  thread_local Pool pool;
  if (size > sizeof(pool.bytes) / 4) return RandomBytes(out, size);
  const uint64_t forks = g_forks.load(std::memory_order_relaxed);
  if (pool.used + size > sizeof(pool.bytes) || pool.forks != forks) {
    RandomBytes(pool.bytes, sizeof(pool.bytes));
    pool.used = 0;
    pool.forks = forks;
  }
  std::memcpy(out, pool.bytes + pool.used, size);
  SecureWipe(pool.bytes + pool.used, size);  // each byte is handed out once
  pool.used += size;
}

std::string RandomString(std::string_view alphabet, size_t length) {
  if (alphabet.empty() || alphabet.size() > 256) {
    Die("RandomString: alphabet must hold 1..256 characters");
  }
  std::string out;
  out.reserve(length);
  // Rejection sampling: accept bytes below the largest multiple of the alphabet size,
  // so every character is equally likely.
  const unsigned limit = 256 - (256 % alphabet.size());
  unsigned char buf[64];
  while (out.size() < length) {
    RandomBytes(buf, sizeof(buf));
    for (unsigned char b : buf) {
      if (b >= limit) continue;
      out.push_back(alphabet[b % alphabet.size()]);
      if (out.size() == length) break;
    }
  }
  SecureWipe(buf, sizeof(buf));
  return out;
}

// The sealed format is fixed here; AES-GCM itself is AesGcmEncrypt/AesGcmDecrypt
// (symmetric.cc), which the KMS code and the Wycheproof tests share.
Result<std::string> AesGcmSeal(const SecretBytes& key, std::string_view plaintext,
                               std::string_view aad) {
  if (key.size() != kAesKeySize) {
    return Status(ErrorKind::kInternalFailure, "AES-256-GCM key must be 32 bytes");
  }
  if (plaintext.size() > kMaxAeadInput || aad.size() > kMaxAeadInput) {
    return Status(ErrorKind::kValidation, "Plaintext or associated data too large to seal");
  }
  char nonce[kGcmNonceSize];
  PooledRandomBytes(nonce, sizeof(nonce));
  Result<std::string> body =
      AesGcmEncrypt(key, std::string_view(nonce, sizeof(nonce)), aad, plaintext);
  if (!body.ok()) return Status(ErrorKind::kInternalFailure, body.status().message());
  std::string out;
  out.reserve(kSealOverhead + plaintext.size());
  out.push_back(static_cast<char>(kSealVersion));
  out.append(nonce, sizeof(nonce));
  out.append(*body);
  return out;
}

Result<SecretBytes> AesGcmOpen(const SecretBytes& key, std::string_view sealed,
                               std::string_view aad) {
  if (key.size() != kAesKeySize) {
    return Status(ErrorKind::kValidation, "AES-256-GCM key must be 32 bytes");
  }
  if (sealed.size() < kSealOverhead) {
    return Status(ErrorKind::kValidation, "Sealed data is too short");
  }
  if (static_cast<uint8_t>(sealed[0]) != kSealVersion) {
    return Status(ErrorKind::kValidation, "Sealed data has an unknown format version");
  }
  if (sealed.size() > kMaxAeadInput || aad.size() > kMaxAeadInput) {
    return Status(ErrorKind::kValidation, "Sealed data or associated data too large");
  }
  Result<SecretBytes> plain =
      AesGcmDecrypt(key, sealed.substr(1, kGcmNonceSize), aad, sealed.substr(1 + kGcmNonceSize));
  if (!plain.ok()) {
    if (plain.status().kind() == ErrorKind::kValidation) {
      return Status(ErrorKind::kValidation, "Sealed data failed authentication");
    }
    return plain.status();
  }
  return plain;
}

namespace {

// scrypt's working memory is 128 * N * r * p bytes plus 128 * r * (p + 2) for its
// buffers; anything above this is refused rather than attempted.
constexpr uint64_t kScryptMaxMem = uint64_t{256} << 20;
constexpr int kPasswordLogN = 15;
constexpr uint64_t kPasswordR = 8;
constexpr uint64_t kPasswordP = 1;
constexpr size_t kPasswordSaltBytes = 16;
constexpr size_t kPasswordHashBytes = 32;

// "ln=15,r=8,p=1" with each value a small decimal number, in this order.
bool ParseScryptParams(std::string_view text, int* ln, uint64_t* r, uint64_t* p) {
  const std::string_view names[] = {"ln=", "r=", "p="};
  uint64_t values[3] = {0, 0, 0};
  for (int i = 0; i < 3; ++i) {
    if (!text.starts_with(names[i])) return false;
    text.remove_prefix(names[i].size());
    size_t digits = 0;
    while (digits < text.size() && digits < 3 && text[digits] >= '0' && text[digits] <= '9') {
      values[i] = values[i] * 10 + static_cast<uint64_t>(text[digits] - '0');
      ++digits;
    }
    if (digits == 0) return false;
    text.remove_prefix(digits);
    if (i < 2) {
      if (text.empty() || text.front() != ',') return false;
      text.remove_prefix(1);
    }
  }
  if (!text.empty()) return false;
  *ln = static_cast<int>(values[0]);
  *r = values[1];
  *p = values[2];
  return *ln >= 1 && *ln <= 20 && *r >= 1 && *r <= 32 && *p >= 1 && *p <= 16;
}

}  // namespace

Result<SecretBytes> Scrypt(std::string_view password, std::string_view salt, uint64_t n, uint64_t r,
                           uint64_t p, size_t length) {
  if (n < 2 || (n & (n - 1)) != 0 || r == 0 || p == 0 || length == 0) {
    return Status(ErrorKind::kValidation, "scrypt: invalid parameters");
  }
  SecretBytes out(length);
  if (EVP_PBE_scrypt(password.data(), password.size(),
                     reinterpret_cast<const unsigned char*>(salt.data()), salt.size(), n, r, p,
                     kScryptMaxMem, out.data(), out.size()) != 1) {
    return Status(ErrorKind::kValidation, "scrypt: parameters refused");
  }
  return out;
}

Result<std::string> HashPassword(std::string_view password) {
  std::string salt(kPasswordSaltBytes, '\0');
  RandomBytes(salt.data(), salt.size());
  Result<SecretBytes> hash = Scrypt(password, salt, uint64_t{1} << kPasswordLogN, kPasswordR,
                                    kPasswordP, kPasswordHashBytes);
  if (!hash.ok()) return Status(ErrorKind::kInternalFailure, "password hashing failed");
  return "$scrypt$ln=" + std::to_string(kPasswordLogN) + ",r=" + std::to_string(kPasswordR) +
         ",p=" + std::to_string(kPasswordP) + "$" + Unpadded(Base64Encode(salt)) + "$" +
         Unpadded(Base64Encode(hash->view()));
}

bool VerifyPassword(std::string_view password, std::string_view encoded) {
  constexpr std::string_view kPrefix = "$scrypt$";
  if (!encoded.starts_with(kPrefix)) return false;
  encoded.remove_prefix(kPrefix.size());
  const size_t params_end = encoded.find('$');
  if (params_end == std::string_view::npos) return false;
  const size_t salt_end = encoded.find('$', params_end + 1);
  if (salt_end == std::string_view::npos) return false;
  int ln = 0;
  uint64_t r = 0;
  uint64_t p = 0;
  if (!ParseScryptParams(encoded.substr(0, params_end), &ln, &r, &p)) return false;
  std::optional<std::string> salt =
      DecodeUnpadded(encoded.substr(params_end + 1, salt_end - params_end - 1));
  std::optional<std::string> expected = DecodeUnpadded(encoded.substr(salt_end + 1));
  if (!salt || !expected || expected->size() < 16 || expected->size() > 64) return false;
  Result<SecretBytes> actual = Scrypt(password, *salt, uint64_t{1} << ln, r, p, expected->size());
  return actual.ok() && ConstantTimeEquals(actual->view(), *expected);
}

}  // namespace crypto
}  // namespace bulwark
