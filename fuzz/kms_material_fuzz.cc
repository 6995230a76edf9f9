// Fuzzes what KMS parses of a caller's bytes: ciphertext blob headers, peer public keys
// for DeriveSharedSecret (SubjectPublicKeyInfo), signatures for Verify (DER ECDSA and
// RSA), imported key material (PKCS#8, RSA-OAEP and AES key wrap) and RSA-OAEP
// ciphertexts for Decrypt. The first byte picks the path. Nothing may crash or leak, and
// nothing that does not verify may be reported valid.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "crypto/asymmetric.h"
#include "services/kms/common.h"

namespace {

namespace crypto = bulwark::crypto;

struct Keys {
  crypto::KeyPair ec;
  crypto::KeyPair rsa;
};

const Keys& TestKeys() {
  static const Keys* keys = [] {
    auto* k = new Keys();
    k->ec = crypto::GenerateKeyPair(crypto::KeySpec::kEccNistP256).value();
    k->rsa = crypto::GenerateKeyPair(crypto::KeySpec::kRsa2048).value();
    return k;
  }();
  return *keys;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const Keys& keys = TestKeys();
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 6) {
    case 0:
      (void)bulwark::kms::ParseBlobHeader(input);
      break;
    case 1:
      (void)crypto::DeriveSharedSecret(keys.ec.private_key, input);
      (void)crypto::KeySpecOfPublicKey(input);
      break;
    case 2: {
      auto ok = crypto::Verify(keys.ec.public_key, crypto::SigningAlgorithm::kEcdsaSha256,
                               crypto::MessageType::kRaw, "message", input);
      // Nothing signed this message with the key: no signature can be valid.
      if (ok.ok() && *ok) __builtin_trap();
      ok = crypto::Verify(keys.rsa.public_key, crypto::SigningAlgorithm::kRsassaPssSha256,
                          crypto::MessageType::kRaw, "message", input);
      if (ok.ok() && *ok) __builtin_trap();
      break;
    }
    case 3:
      (void)crypto::KeySpecOfPrivateKey(bulwark::SecretBytes::FromView(input));
      break;
    case 4:
      (void)crypto::UnwrapKeyMaterial(keys.rsa.private_key,
                                      crypto::WrappingAlgorithm::kRsaAesKeyWrapSha256, input);
      (void)crypto::UnwrapKeyMaterial(keys.rsa.private_key,
                                      crypto::WrappingAlgorithm::kRsaesOaepSha256, input);
      break;
    case 5:
      (void)crypto::RsaDecrypt(keys.rsa.private_key, crypto::EncryptionAlgorithm::kRsaesOaepSha1,
                               input);
      break;
  }
  return 0;
}
