// KMS's cryptographic operations on symmetric keys: Encrypt, Decrypt, ReEncrypt,
// GenerateDataKey(WithoutPlaintext), and GenerateRandom.
#include "crypto/crypto.h"
#include "services/iam/common.h"
#include "services/kms/common.h"
#include "services/kms/handlers.h"

namespace bulwark::kms {
namespace {

constexpr std::string_view kSymmetric = "SYMMETRIC_DEFAULT";

// The symmetric key a request names, usable for encryption.
Result<Json> EncryptionKey(storage::Transaction& txn, RequestContext& ctx, std::string_view key_id,
                           const Json& input, std::string_view algorithm_member) {
  ASSIGN_OR_RETURN(Json key, LoadKey(txn, ctx, key_id));
  RETURN_IF_ERROR(CheckUsable(key));
  if (key.value("KeyUsage", "") != "ENCRYPT_DECRYPT") {
    return InvalidKeyUsage(key.value("Arn", "") + " key usage is " + key.value("KeyUsage", "") +
                           " which is not valid for this operation.");
  }
  const std::string algorithm = input.value(std::string(algorithm_member), std::string(kSymmetric));
  if (algorithm != kSymmetric) {
    return InvalidKeyUsage("The encryption algorithm " + algorithm +
                           " is not supported by the key " + key.value("Arn", "") + ".");
  }
  return key;
}

// The key a ciphertext names, checked against the request's KeyId when one is given.
Result<Json> DecryptionKey(storage::Transaction& txn, RequestContext& ctx, std::string_view blob,
                           std::string_view requested_key_id) {
  std::optional<BlobHeader> header = ParseBlobHeader(blob);
  if (!header) return InvalidCiphertext();
  ASSIGN_OR_RETURN(std::optional<Json> key, LoadKeyById(txn, header->key_id));
  if (!key) return InvalidCiphertext();
  if (!requested_key_id.empty()) {
    ASSIGN_OR_RETURN(std::optional<KeyRef> ref, ResolveKeyId(txn, ctx, requested_key_id));
    if (!ref || ref->key_id != header->key_id) return IncorrectKey();
  }
  RETURN_IF_ERROR(CheckUsable(*key));
  return std::move(*key);
}

Json ContextOf(const Json& input, const char* member) {
  return input.value(member, Json::object());
}

// A data key's size from KeySpec (AES_128, AES_256) or NumberOfBytes, one of them.
Result<size_t> DataKeySize(const Json& input) {
  const bool spec = input.contains("KeySpec");
  const bool bytes = input.contains("NumberOfBytes");
  if (spec == bytes) {
    return Validation("Please specify either number of bytes or key spec.");
  }
  if (bytes) return static_cast<size_t>(input["NumberOfBytes"].get<int64_t>());
  return input["KeySpec"] == "AES_128" ? size_t{16} : size_t{32};
}

Result<Json> GenerateDataKeyImpl(RequestContext& ctx, const Json& input, bool with_plaintext) {
  ASSIGN_OR_RETURN(size_t size, DataKeySize(input));
  ASSIGN_OR_RETURN(auto txn, iam::BeginRead(ctx));
  ASSIGN_OR_RETURN(Json key, EncryptionKey(*txn, ctx, input.value("KeyId", ""), input, ""));
  SecretBytes data_key = RandomSecret(size);
  ASSIGN_OR_RETURN(std::string blob,
                   SealBlob(ctx, key, data_key.view(), ContextOf(input, "EncryptionContext")));
  Json out = {{"CiphertextBlob", BinaryOf(blob)}, {"KeyId", key["Arn"]}};
  if (with_plaintext) out["Plaintext"] = BinaryOf(data_key.view());
  return out;
}

}  // namespace

Result<Json> Encrypt(RequestContext& ctx, const Json& input) {
  const std::string plaintext = BlobOf(input, "Plaintext");
  ASSIGN_OR_RETURN(auto txn, iam::BeginRead(ctx));
  ASSIGN_OR_RETURN(
      Json key, EncryptionKey(*txn, ctx, input.value("KeyId", ""), input, "EncryptionAlgorithm"));
  ASSIGN_OR_RETURN(std::string blob,
                   SealBlob(ctx, key, plaintext, ContextOf(input, "EncryptionContext")));
  return Json{{"CiphertextBlob", BinaryOf(blob)},
              {"KeyId", key["Arn"]},
              {"EncryptionAlgorithm", kSymmetric}};
}

Result<Json> Decrypt(RequestContext& ctx, const Json& input) {
  const std::string blob = BlobOf(input, "CiphertextBlob");
  const std::string algorithm = input.value("EncryptionAlgorithm", std::string(kSymmetric));
  if (algorithm != kSymmetric) return InvalidCiphertext();
  ASSIGN_OR_RETURN(auto txn, iam::BeginRead(ctx));
  ASSIGN_OR_RETURN(Json key, DecryptionKey(*txn, ctx, blob, input.value("KeyId", "")));
  ASSIGN_OR_RETURN(SecretBytes plaintext,
                   OpenBlob(ctx, key, blob, ContextOf(input, "EncryptionContext")));
  return Json{{"KeyId", key["Arn"]},
              {"Plaintext", BinaryOf(plaintext.view())},
              {"EncryptionAlgorithm", kSymmetric}};
}

// Decrypts under the source key and encrypts under the destination key, the plaintext
// never leaving the server.
Result<Json> ReEncrypt(RequestContext& ctx, const Json& input) {
  const std::string blob = BlobOf(input, "CiphertextBlob");
  if (input.value("SourceEncryptionAlgorithm", std::string(kSymmetric)) != kSymmetric) {
    return InvalidCiphertext();
  }
  ASSIGN_OR_RETURN(auto txn, iam::BeginRead(ctx));
  ASSIGN_OR_RETURN(Json source, DecryptionKey(*txn, ctx, blob, input.value("SourceKeyId", "")));
  ASSIGN_OR_RETURN(SecretBytes plaintext,
                   OpenBlob(ctx, source, blob, ContextOf(input, "SourceEncryptionContext")));
  ASSIGN_OR_RETURN(Json destination, EncryptionKey(*txn, ctx, input.value("DestinationKeyId", ""),
                                                   input, "DestinationEncryptionAlgorithm"));
  ASSIGN_OR_RETURN(std::string out_blob,
                   SealBlob(ctx, destination, plaintext.view(),
                            ContextOf(input, "DestinationEncryptionContext")));
  return Json{{"CiphertextBlob", BinaryOf(out_blob)},
              {"SourceKeyId", source["Arn"]},
              {"KeyId", destination["Arn"]},
              {"SourceEncryptionAlgorithm", kSymmetric},
              {"DestinationEncryptionAlgorithm", kSymmetric}};
}

Result<Json> GenerateDataKey(RequestContext& ctx, const Json& input) {
  return GenerateDataKeyImpl(ctx, input, true);
}

Result<Json> GenerateDataKeyWithoutPlaintext(RequestContext& ctx, const Json& input) {
  return GenerateDataKeyImpl(ctx, input, false);
}

Result<Json> GenerateRandom(RequestContext& ctx, const Json& input) {
  if (input.contains("CustomKeyStoreId")) {
    return Unsupported("Custom key stores are not supported.");
  }
  auto it = input.find("NumberOfBytes");
  if (it == input.end()) return Validation("NumberOfBytes is required.");
  SecretBytes bytes = RandomSecret(static_cast<size_t>(it->get<int64_t>()));
  (void)ctx;
  return Json{{"Plaintext", BinaryOf(bytes.view())}};
}

}  // namespace bulwark::kms
