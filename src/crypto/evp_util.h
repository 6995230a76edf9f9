// What the crypto layer's EVP code shares (internal to src/crypto: includes OpenSSL).
#pragma once

#include <openssl/evp.h>

#include <memory>
#include <string_view>

#include "core/secret.h"
#include "core/status.h"
#include "crypto/symmetric.h"

namespace bulwark::crypto {

// The bytes of `s` as EVP wants them: never a null pointer, even for empty input (EVP
// rejects null pointers in places).
const unsigned char* Bytes(std::string_view s);
// The OpenSSL digest of a hash algorithm.
const EVP_MD* EvpMd(HashAlgorithm hash);
// Ends the process on a failure no caller can handle (a broken OpenSSL): prints `what`.
[[noreturn]] void Die(const char* what);

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
// An RSA or EC key from PKCS#8 DER (strict: nothing else, nothing after it), and from
// SubjectPublicKeyInfo DER; kValidation otherwise (asymmetric.cc).
Result<PkeyPtr> LoadPrivateKey(const SecretBytes& der);
Result<PkeyPtr> LoadPublicKey(std::string_view der);
// The SubjectPublicKeyInfo DER of a key.
Result<std::string> PublicKeyDer(EVP_PKEY* pkey);

}  // namespace bulwark::crypto
