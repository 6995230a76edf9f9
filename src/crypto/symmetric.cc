// OpenSSL-backed implementations of symmetric.h (EVP interfaces only).
#include "crypto/symmetric.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <memory>

#include "crypto/evp_util.h"

namespace bulwark::crypto {
namespace {

struct CipherCtxDeleter {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter>;

// EVP lengths are int; refuse anything that does not fit.
constexpr size_t kMaxInput = static_cast<size_t>(INT_MAX) - 64;

// Fetched once: OpenSSL 3 fetches the EVP_aes_*_gcm() objects again on every init, a
// cost that every KMS call paid twice (unsealing the key, sealing the blob).
const EVP_CIPHER* FetchedCipher(const char* name) {
  EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, name, nullptr);
  if (cipher == nullptr) Die(name);
  return cipher;
}

const EVP_CIPHER* GcmCipher(size_t key_size) {
  switch (key_size) {
    case 16: {
      static const EVP_CIPHER* const cipher = FetchedCipher("AES-128-GCM");
      return cipher;
    }
    case 24: {
      static const EVP_CIPHER* const cipher = FetchedCipher("AES-192-GCM");
      return cipher;
    }
    case 32: {
      static const EVP_CIPHER* const cipher = FetchedCipher("AES-256-GCM");
      return cipher;
    }
    default:
      return nullptr;
  }
}

const EVP_CIPHER* WrapPadCipher(size_t key_size) {
  switch (key_size) {
    case 16:
      return EVP_aes_128_wrap_pad();
    case 24:
      return EVP_aes_192_wrap_pad();
    case 32:
      return EVP_aes_256_wrap_pad();
    default:
      return nullptr;
  }
}

Status GcmAuthFailure() {
  ERR_clear_error();
  return Status(ErrorKind::kValidation, "AES-GCM authentication failed");
}

Status UnwrapFailure() {
  ERR_clear_error();
  return Status(ErrorKind::kValidation, "AES key unwrap failed");
}

// Sets cipher, IV length, key and IV on a fresh context.
bool GcmInit(EVP_CIPHER_CTX* ctx, bool encrypt, const EVP_CIPHER* cipher, const SecretBytes& key,
             std::string_view iv) {
  return EVP_CipherInit_ex(ctx, cipher, nullptr, nullptr, nullptr, encrypt ? 1 : 0) == 1 &&
         EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(iv.size()), nullptr) ==
             1 &&
         EVP_CipherInit_ex(ctx, nullptr, nullptr, key.data(), Bytes(iv), encrypt ? 1 : 0) == 1;
}

}  // namespace

const unsigned char* Bytes(std::string_view s) {
  // EVP rejects null pointers in places even for empty input.
  static const unsigned char kEmpty = 0;
  return s.empty() ? &kEmpty : reinterpret_cast<const unsigned char*>(s.data());
}

const EVP_MD* EvpMd(HashAlgorithm hash) {
  switch (hash) {
    case HashAlgorithm::kSha1:
      return EVP_sha1();
    case HashAlgorithm::kSha224:
      return EVP_sha224();
    case HashAlgorithm::kSha256:
      return EVP_sha256();
    case HashAlgorithm::kSha384:
      return EVP_sha384();
    case HashAlgorithm::kSha512:
      return EVP_sha512();
  }
  return nullptr;
}

size_t DigestSize(HashAlgorithm hash) {
  switch (hash) {
    case HashAlgorithm::kSha1:
      return 20;
    case HashAlgorithm::kSha224:
      return 28;
    case HashAlgorithm::kSha256:
      return 32;
    case HashAlgorithm::kSha384:
      return 48;
    case HashAlgorithm::kSha512:
      return 64;
  }
  return 0;
}

std::string_view HashName(HashAlgorithm hash) {
  switch (hash) {
    case HashAlgorithm::kSha1:
      return "SHA-1";
    case HashAlgorithm::kSha224:
      return "SHA-224";
    case HashAlgorithm::kSha256:
      return "SHA-256";
    case HashAlgorithm::kSha384:
      return "SHA-384";
    case HashAlgorithm::kSha512:
      return "SHA-512";
  }
  return "";
}

std::optional<HashAlgorithm> HashFromName(std::string_view name) {
  for (HashAlgorithm h : {HashAlgorithm::kSha1, HashAlgorithm::kSha224, HashAlgorithm::kSha256,
                          HashAlgorithm::kSha384, HashAlgorithm::kSha512}) {
    if (HashName(h) == name) return h;
  }
  return std::nullopt;
}

std::string Digest(HashAlgorithm hash, std::string_view data) {
  std::string out(DigestSize(hash), '\0');
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), reinterpret_cast<unsigned char*>(out.data()), &len,
                 EvpMd(hash), nullptr) != 1 ||
      len != out.size()) {
    // Digests cannot fail for in-memory input short of a broken library.
    std::abort();
  }
  return out;
}

std::string_view MacAlgorithmName(MacAlgorithm alg) {
  switch (alg) {
    case MacAlgorithm::kHmacSha224:
      return "HMAC_SHA_224";
    case MacAlgorithm::kHmacSha256:
      return "HMAC_SHA_256";
    case MacAlgorithm::kHmacSha384:
      return "HMAC_SHA_384";
    case MacAlgorithm::kHmacSha512:
      return "HMAC_SHA_512";
  }
  return "";
}

std::optional<MacAlgorithm> MacAlgorithmFromName(std::string_view name) {
  for (MacAlgorithm a : {MacAlgorithm::kHmacSha224, MacAlgorithm::kHmacSha256,
                         MacAlgorithm::kHmacSha384, MacAlgorithm::kHmacSha512}) {
    if (MacAlgorithmName(a) == name) return a;
  }
  return std::nullopt;
}

HashAlgorithm MacHash(MacAlgorithm alg) {
  switch (alg) {
    case MacAlgorithm::kHmacSha224:
      return HashAlgorithm::kSha224;
    case MacAlgorithm::kHmacSha256:
      return HashAlgorithm::kSha256;
    case MacAlgorithm::kHmacSha384:
      return HashAlgorithm::kSha384;
    case MacAlgorithm::kHmacSha512:
      return HashAlgorithm::kSha512;
  }
  return HashAlgorithm::kSha256;
}

Result<std::string> GenerateMac(const SecretBytes& key, MacAlgorithm alg,
                                std::string_view message) {
  if (key.empty()) return Status(ErrorKind::kValidation, "HMAC key is empty");
  const HashAlgorithm hash = MacHash(alg);
  std::string tag(DigestSize(hash), '\0');
  size_t len = 0;
  // HashName's spellings ("SHA-256") are OpenSSL digest names too.
  const std::string digest(HashName(hash));
  if (EVP_Q_mac(nullptr, "HMAC", nullptr, digest.c_str(), nullptr, key.data(), key.size(),
                Bytes(message), message.size(), reinterpret_cast<unsigned char*>(tag.data()),
                tag.size(), &len) == nullptr ||
      len != tag.size()) {
    ERR_clear_error();
    return Status(ErrorKind::kInternalFailure, "HMAC computation failed");
  }
  return tag;
}

Result<bool> VerifyMac(const SecretBytes& key, MacAlgorithm alg, std::string_view message,
                       std::string_view mac) {
  ASSIGN_OR_RETURN(std::string expected, GenerateMac(key, alg, message));
  if (mac.size() != expected.size()) return false;
  return CRYPTO_memcmp(expected.data(), mac.data(), expected.size()) == 0;
}

Result<std::string> AesGcmEncrypt(const SecretBytes& key, std::string_view iv, std::string_view aad,
                                  std::string_view plaintext) {
  const EVP_CIPHER* cipher = GcmCipher(key.size());
  if (cipher == nullptr) {
    return Status(ErrorKind::kValidation, "AES-GCM key must be 16, 24 or 32 bytes");
  }
  if (iv.empty() || iv.size() > kAesGcmMaxIvSize) {
    return Status(ErrorKind::kValidation, "AES-GCM IV must be 1 to 128 bytes");
  }
  if (plaintext.size() > kMaxInput || aad.size() > kMaxInput) {
    return Status(ErrorKind::kValidation, "AES-GCM input too large");
  }
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  if (!ctx || !GcmInit(ctx.get(), true, cipher, key, iv)) {
    ERR_clear_error();
    return Status(ErrorKind::kInternalFailure, "AES-GCM initialisation failed");
  }
  std::string out(plaintext.size() + kAesGcmTagSize, '\0');
  auto* ct = reinterpret_cast<unsigned char*>(out.data());
  int len = 0;
  if (!aad.empty() &&
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, Bytes(aad), static_cast<int>(aad.size())) != 1) {
    return Status(ErrorKind::kInternalFailure, "AES-GCM AAD failed");
  }
  int written = 0;
  if (!plaintext.empty()) {
    if (EVP_EncryptUpdate(ctx.get(), ct, &len, Bytes(plaintext),
                          static_cast<int>(plaintext.size())) != 1) {
      return Status(ErrorKind::kInternalFailure, "AES-GCM encryption failed");
    }
    written = len;
  }
  if (EVP_EncryptFinal_ex(ctx.get(), ct + written, &len) != 1) {
    return Status(ErrorKind::kInternalFailure, "AES-GCM finalisation failed");
  }
  written += len;
  if (static_cast<size_t>(written) != plaintext.size() ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kAesGcmTagSize, ct + written) != 1) {
    return Status(ErrorKind::kInternalFailure, "AES-GCM tag generation failed");
  }
  return out;
}

Result<SecretBytes> AesGcmDecrypt(const SecretBytes& key, std::string_view iv, std::string_view aad,
                                  std::string_view ciphertext_and_tag) {
  const EVP_CIPHER* cipher = GcmCipher(key.size());
  if (cipher == nullptr) {
    return Status(ErrorKind::kValidation, "AES-GCM key must be 16, 24 or 32 bytes");
  }
  if (iv.empty() || iv.size() > kAesGcmMaxIvSize) {
    return Status(ErrorKind::kValidation, "AES-GCM IV must be 1 to 128 bytes");
  }
  if (ciphertext_and_tag.size() > kMaxInput || aad.size() > kMaxInput) {
    return Status(ErrorKind::kValidation, "AES-GCM input too large");
  }
  if (ciphertext_and_tag.size() < kAesGcmTagSize) return GcmAuthFailure();
  const size_t ct_size = ciphertext_and_tag.size() - kAesGcmTagSize;
  const unsigned char* ct = Bytes(ciphertext_and_tag);
  unsigned char tag[kAesGcmTagSize];
  std::copy(ct + ct_size, ct + ct_size + kAesGcmTagSize, tag);

  CipherCtx ctx(EVP_CIPHER_CTX_new());
  if (!ctx || !GcmInit(ctx.get(), false, cipher, key, iv)) {
    ERR_clear_error();
    return Status(ErrorKind::kInternalFailure, "AES-GCM initialisation failed");
  }
  int len = 0;
  if (!aad.empty() &&
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, Bytes(aad), static_cast<int>(aad.size())) != 1) {
    return GcmAuthFailure();
  }
  SecretBytes plain(ct_size);
  int written = 0;
  if (ct_size > 0) {
    if (EVP_DecryptUpdate(ctx.get(), plain.data(), &len, ct, static_cast<int>(ct_size)) != 1) {
      return GcmAuthFailure();
    }
    written = len;
  }
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kAesGcmTagSize, tag) != 1) {
    ERR_clear_error();
    return Status(ErrorKind::kInternalFailure, "AES-GCM tag setup failed");
  }
  unsigned char final_block[16];
  if (EVP_DecryptFinal_ex(ctx.get(), final_block, &len) != 1 || len != 0 ||
      static_cast<size_t>(written) != ct_size) {
    // `plain` is wiped by its destructor: unauthenticated plaintext never escapes.
    return GcmAuthFailure();
  }
  return plain;
}

Result<std::string> AesKeyWrapPad(const SecretBytes& kek, const SecretBytes& key_material) {
  const EVP_CIPHER* cipher = WrapPadCipher(kek.size());
  if (cipher == nullptr) {
    return Status(ErrorKind::kValidation, "AES key-wrapping key must be 16, 24 or 32 bytes");
  }
  if (key_material.empty() || key_material.size() > (size_t{1} << 31) - 16) {
    return Status(ErrorKind::kValidation, "Key material to wrap must be 1 byte to 2 GiB");
  }
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return Status(ErrorKind::kInternalFailure, "EVP_CIPHER_CTX_new failed");
  EVP_CIPHER_CTX_set_flags(ctx.get(), EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
  // RFC 5649: the input padded to a multiple of 8 bytes, plus the 8-byte integrity block.
  std::string out((key_material.size() + 7) / 8 * 8 + 8, '\0');
  int len = 0;
  int final_len = 0;
  // A null IV selects RFC 5649's alternative initial value A65959A6.
  if (EVP_EncryptInit_ex(ctx.get(), cipher, nullptr, kek.data(), nullptr) != 1 ||
      EVP_EncryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len,
                        key_material.data(), static_cast<int>(key_material.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(out.data()) + len,
                          &final_len) != 1 ||
      static_cast<size_t>(len + final_len) != out.size()) {
    ERR_clear_error();
    return Status(ErrorKind::kInternalFailure, "AES key wrap failed");
  }
  return out;
}

Result<SecretBytes> AesKeyUnwrapPad(const SecretBytes& kek, std::string_view wrapped) {
  const EVP_CIPHER* cipher = WrapPadCipher(kek.size());
  if (cipher == nullptr) {
    return Status(ErrorKind::kValidation, "AES key-wrapping key must be 16, 24 or 32 bytes");
  }
  // At least one 8-byte block besides the integrity block, in whole 8-byte blocks.
  if (wrapped.size() < 16 || wrapped.size() % 8 != 0 || wrapped.size() > kMaxInput) {
    return UnwrapFailure();
  }
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return Status(ErrorKind::kInternalFailure, "EVP_CIPHER_CTX_new failed");
  EVP_CIPHER_CTX_set_flags(ctx.get(), EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
  if (EVP_DecryptInit_ex(ctx.get(), cipher, nullptr, kek.data(), nullptr) != 1) {
    ERR_clear_error();
    return Status(ErrorKind::kInternalFailure, "AES key unwrap initialisation failed");
  }
  SecretBytes buffer(wrapped.size());
  int len = 0;
  int final_len = 0;
  if (EVP_DecryptUpdate(ctx.get(), buffer.data(), &len, Bytes(wrapped),
                        static_cast<int>(wrapped.size())) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), buffer.data() + len, &final_len) != 1) {
    return UnwrapFailure();
  }
  const size_t total = static_cast<size_t>(len) + static_cast<size_t>(final_len);
  if (len < 0 || final_len < 0 || total == 0 || total > wrapped.size() - 8) {
    return UnwrapFailure();
  }
  return SecretBytes(buffer.data(), total);
}

}  // namespace bulwark::crypto
