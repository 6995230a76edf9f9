// What the crypto layer's EVP code shares (internal to src/crypto: includes OpenSSL).
#pragma once

#include <openssl/evp.h>

#include <string_view>

#include "crypto/symmetric.h"

namespace bulwark::crypto {

// The bytes of `s` as EVP wants them: never a null pointer, even for empty input (EVP
// rejects null pointers in places).
const unsigned char* Bytes(std::string_view s);
// The OpenSSL digest of a hash algorithm.
const EVP_MD* EvpMd(HashAlgorithm hash);
// Ends the process on a failure no caller can handle (a broken OpenSSL): prints `what`.
[[noreturn]] void Die(const char* what);

}  // namespace bulwark::crypto
