// KMS's encryption operations: Encrypt, Decrypt, ReEncrypt, GenerateDataKey(WithoutPlaintext)
// and GenerateRandom. Symmetric keys seal KMS's own ciphertext blob (common.h); RSA keys of
// usage ENCRYPT_DECRYPT take RSAES-OAEP, whose ciphertext is the plain RSA ciphertext, so
// that anyone holding the public key (GetPublicKey) can encrypt for the key.
#include "crypto/asymmetric.h"
#include "crypto/crypto.h"
#include "services/iam/common.h"
#include "services/kms/common.h"
#include "services/kms/handlers.h"

namespace bulwark::kms {
namespace {

constexpr std::string_view kSymmetric = "SYMMETRIC_DEFAULT";
constexpr std::string_view kEncryptDecrypt = "ENCRYPT_DECRYPT";

Json ContextOf(const Json& input, const char* member) {
  return input.value(member, Json::object());
}

// An encryption context is bound to symmetric ciphertexts only.
Status CheckContextFits(const Json& key, const Json& context) {
  if (!IsSymmetricKey(key) && context.is_object() && !context.empty()) {
    return Validation("EncryptionContext is not supported with asymmetric KMS keys.");
  }
  return Status::Ok();
}

// The RSA encryption algorithm `algorithm` names for `key`, or IncompatibleAlgorithm.
Result<crypto::EncryptionAlgorithm> RsaAlgorithm(const Json& key, std::string_view algorithm) {
  std::optional<crypto::EncryptionAlgorithm> alg = crypto::EncryptionAlgorithmFromName(algorithm);
  if (!alg || IsSymmetricKey(key)) return IncompatibleAlgorithm(algorithm, key);
  return *alg;
}

// The key an encryption names, usable and able to take `algorithm`.
Result<KeyPtr> EncryptionKey(storage::Transaction& txn, RequestContext& ctx,
                             std::string_view key_id, std::string_view algorithm,
                             std::string_view operation) {
  ASSIGN_OR_RETURN(KeyPtr key, KeyForUse(txn, ctx, key_id, kEncryptDecrypt, operation));
  if (IsSymmetricKey(*key) != (algorithm == kSymmetric)) {
    return IncompatibleAlgorithm(algorithm, *key);
  }
  if (!IsSymmetricKey(*key)) RETURN_IF_ERROR(RsaAlgorithm(*key, algorithm).status());
  return key;
}

// Encrypts `plaintext` under `key` (checked by EncryptionKey) with `algorithm`.
Result<std::string> EncryptWith(const RequestContext& ctx, const Json& key,
                                std::string_view algorithm, std::string_view plaintext,
                                const Json& context) {
  RETURN_IF_ERROR(CheckContextFits(key, context));
  if (IsSymmetricKey(key)) return SealBlob(ctx, key, plaintext, context);
  ASSIGN_OR_RETURN(crypto::EncryptionAlgorithm alg, RsaAlgorithm(key, algorithm));
  const std::optional<crypto::KeySpec> spec = crypto::KeySpecFromName(key.value("KeySpec", ""));
  const size_t limit = spec ? crypto::MaxRsaPlaintextSize(*spec, alg) : 0;
  if (plaintext.size() > limit) {
    return Validation("Algorithm " + std::string(algorithm) + " and key spec " +
                      key.value("KeySpec", "") + " cannot encrypt data larger than " +
                      std::to_string(limit) + " bytes.");
  }
  return crypto::RsaEncrypt(PublicKeyOf(key), alg, plaintext);
}

// A ciphertext and the key that opens it.
struct Opened {
  KeyPtr key;
  SecretBytes plaintext;
};

// Decrypt's and ReEncrypt's source side. A symmetric ciphertext names its key; an RSA
// ciphertext needs `key_id` and its algorithm.
Result<Opened> OpenCiphertext(storage::Transaction& txn, RequestContext& ctx, std::string_view blob,
                              std::string_view key_id, std::string_view algorithm,
                              const Json& context, std::string_view operation) {
  if (algorithm != kSymmetric) {
    if (key_id.empty()) return InvalidCiphertext();
    ASSIGN_OR_RETURN(KeyPtr key, KeyForUse(txn, ctx, key_id, kEncryptDecrypt, operation));
    ASSIGN_OR_RETURN(crypto::EncryptionAlgorithm alg, RsaAlgorithm(*key, algorithm));
    RETURN_IF_ERROR(CheckContextFits(*key, context));
    ASSIGN_OR_RETURN(SecretBytes private_key, Material(ctx, *key));
    Result<SecretBytes> plaintext = crypto::RsaDecrypt(private_key, alg, blob);
    if (!plaintext.ok()) return InvalidCiphertext();
    return Opened{std::move(key), std::move(plaintext).value()};
  }
  std::optional<BlobHeader> header = ParseBlobHeader(blob);
  if (!key_id.empty()) {
    // A KeyId that names an RSA key wants that key's algorithm, not the default.
    ASSIGN_OR_RETURN(std::optional<KeyRef> ref, ResolveKeyId(txn, ctx, key_id));
    if (ref) {
      KeyPtr named = ref->record;
      if (!named) {
        ASSIGN_OR_RETURN(named, LoadKeyRecord(txn, ref->record_id));
      }
      if (named && !IsSymmetricKey(*named) &&
          named->value("KeyUsage", "") == std::string_view(kEncryptDecrypt)) {
        RETURN_IF_ERROR(CheckUsable(*named));
        return IncompatibleAlgorithm(algorithm, *named);
      }
    }
    if (!header) return InvalidCiphertext();
    if (!ref || ref->record_id != RecordIdFor(header->key_id, ctx.region)) return IncorrectKey();
  }
  if (!header) return InvalidCiphertext();
  ASSIGN_OR_RETURN(KeyPtr key, KeyOfCiphertext(txn, ctx, *header));
  if (!key) return InvalidCiphertext();
  RETURN_IF_ERROR(CheckUsable(*key));
  ASSIGN_OR_RETURN(SecretBytes plaintext, OpenBlob(ctx, *key, blob, context));
  return Opened{std::move(key), std::move(plaintext)};
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

// The symmetric key a data key (or data key pair) is encrypted under.
Result<KeyPtr> DataKeyKey(storage::Transaction& txn, RequestContext& ctx, const Json& input,
                          std::string_view operation) {
  ASSIGN_OR_RETURN(KeyPtr key,
                   KeyForUse(txn, ctx, input.value("KeyId", ""), kEncryptDecrypt, operation));
  if (!IsSymmetricKey(*key)) {
    return InvalidKeyUsage(key->value("Arn", "") + " key spec is " + key->value("KeySpec", "") +
                           " which is not valid for " + std::string(operation) + ".");
  }
  return key;
}

Result<Json> GenerateDataKeyImpl(RequestContext& ctx, const Json& input, bool with_plaintext) {
  const std::string_view operation =
      with_plaintext ? "GenerateDataKey" : "GenerateDataKeyWithoutPlaintext";
  RETURN_IF_ERROR(RefuseRecipient(input));
  ASSIGN_OR_RETURN(size_t size, DataKeySize(input));
  ASSIGN_OR_RETURN(auto txn, iam::BeginRead(ctx));
  ASSIGN_OR_RETURN(KeyPtr key_ptr, DataKeyKey(*txn, ctx, input, operation));
  const Json& key = *key_ptr;
  RETURN_IF_ERROR(CheckDryRun(input));
  SecretBytes data_key = RandomSecret(size);
  ASSIGN_OR_RETURN(std::string blob,
                   SealBlob(ctx, key, data_key.view(), ContextOf(input, "EncryptionContext")));
  RecordUse(ctx, key, operation);
  Json out = {{"CiphertextBlob", BinaryOf(blob)},
              {"KeyId", key["Arn"]},
              {"KeyMaterialId", CurrentMaterialId(key)}};
  if (with_plaintext) out["Plaintext"] = BinaryOf(data_key.view());
  return out;
}

Result<Json> GenerateDataKeyPairImpl(RequestContext& ctx, const Json& input, bool with_plaintext) {
  const std::string_view operation =
      with_plaintext ? "GenerateDataKeyPair" : "GenerateDataKeyPairWithoutPlaintext";
  RETURN_IF_ERROR(RefuseRecipient(input));
  const std::string pair_spec = input.value("KeyPairSpec", "");
  std::optional<crypto::KeySpec> spec = crypto::KeySpecFromName(pair_spec);
  if (!spec || crypto::IsHmacKeySpec(*spec)) {
    return Unsupported("KeyPairSpec " + pair_spec + " is not supported.");
  }
  ASSIGN_OR_RETURN(auto txn, iam::BeginRead(ctx));
  ASSIGN_OR_RETURN(KeyPtr key_ptr, DataKeyKey(*txn, ctx, input, operation));
  const Json& key = *key_ptr;
  RETURN_IF_ERROR(CheckDryRun(input));
  ASSIGN_OR_RETURN(crypto::KeyPair pair, crypto::GenerateKeyPair(*spec));
  ASSIGN_OR_RETURN(std::string blob, SealBlob(ctx, key, pair.private_key.view(),
                                              ContextOf(input, "EncryptionContext")));
  RecordUse(ctx, key, operation);
  Json out = {{"PrivateKeyCiphertextBlob", BinaryOf(blob)},
              {"PublicKey", BinaryOf(pair.public_key)},
              {"KeyId", key["Arn"]},
              {"KeyPairSpec", pair_spec},
              {"KeyMaterialId", CurrentMaterialId(key)}};
  if (with_plaintext) out["PrivateKeyPlaintext"] = BinaryOf(pair.private_key.view());
  return out;
}

}  // namespace

Result<Json> Encrypt(RequestContext& ctx, const Json& input) {
  const std::string plaintext = BlobOf(input, "Plaintext");
  const std::string algorithm = input.value("EncryptionAlgorithm", std::string(kSymmetric));
  ASSIGN_OR_RETURN(auto txn, iam::BeginRead(ctx));
  ASSIGN_OR_RETURN(KeyPtr key_ptr,
                   EncryptionKey(*txn, ctx, input.value("KeyId", ""), algorithm, "Encrypt"));
  const Json& key = *key_ptr;
  RETURN_IF_ERROR(CheckDryRun(input));
  ASSIGN_OR_RETURN(std::string blob, EncryptWith(ctx, key, algorithm, plaintext,
                                                 ContextOf(input, "EncryptionContext")));
  RecordUse(ctx, key, "Encrypt");
  return Json{{"CiphertextBlob", BinaryOf(blob)},
              {"KeyId", key["Arn"]},
              {"EncryptionAlgorithm", algorithm}};
}

namespace {

// DryRun with DryRunModifiers IGNORE_CIPHERTEXT: only the key (KeyId, required) and the
// authorization are checked, not the ciphertext.
bool IgnoresCiphertext(const Json& input) {
  if (!input.value("DryRun", false)) return false;
  for (const Json& m : ArrayMember(input, "DryRunModifiers")) {
    if (m == "IGNORE_CIPHERTEXT") return true;
  }
  return false;
}

Status DryRunWithoutCiphertext(storage::Transaction& txn, RequestContext& ctx,
                               std::string_view key_id, std::string_view operation) {
  if (key_id.empty()) {
    return Validation("A KeyId is required when DryRunModifiers includes IGNORE_CIPHERTEXT.");
  }
  RETURN_IF_ERROR(KeyForUse(txn, ctx, key_id, kEncryptDecrypt, operation).status());
  return CheckDryRun(Json{{"DryRun", true}});
}

}  // namespace

Result<Json> Decrypt(RequestContext& ctx, const Json& input) {
  RETURN_IF_ERROR(RefuseRecipient(input));
  const std::string blob = BlobOf(input, "CiphertextBlob");
  const std::string algorithm = input.value("EncryptionAlgorithm", std::string(kSymmetric));
  ASSIGN_OR_RETURN(auto txn, iam::BeginRead(ctx));
  if (IgnoresCiphertext(input)) {
    return DryRunWithoutCiphertext(*txn, ctx, input.value("KeyId", ""), "Decrypt");
  }
  ASSIGN_OR_RETURN(Opened opened,
                   OpenCiphertext(*txn, ctx, blob, input.value("KeyId", ""), algorithm,
                                  ContextOf(input, "EncryptionContext"), "Decrypt"));
  RETURN_IF_ERROR(CheckDryRun(input));
  const Json& key = *opened.key;
  RecordUse(ctx, key, "Decrypt");
  Json out = {{"KeyId", key["Arn"]},
              {"Plaintext", BinaryOf(opened.plaintext.view())},
              {"EncryptionAlgorithm", algorithm}};
  if (IsSymmetricKey(key)) {
    const std::optional<BlobHeader> header = ParseBlobHeader(blob);
    out["KeyMaterialId"] = MaterialIdOf(key, header ? header->version : 0);
  }
  return out;
}

// Decrypts under the source key and encrypts under the destination key, the plaintext
// never leaving the server.
Result<Json> ReEncrypt(RequestContext& ctx, const Json& input) {
  const std::string blob = BlobOf(input, "CiphertextBlob");
  const std::string source_algorithm =
      input.value("SourceEncryptionAlgorithm", std::string(kSymmetric));
  const std::string destination_algorithm =
      input.value("DestinationEncryptionAlgorithm", std::string(kSymmetric));
  ASSIGN_OR_RETURN(auto txn, iam::BeginRead(ctx));
  if (IgnoresCiphertext(input)) {
    RETURN_IF_ERROR(EncryptionKey(*txn, ctx, input.value("DestinationKeyId", ""),
                                  destination_algorithm, "ReEncrypt")
                        .status());
    return DryRunWithoutCiphertext(*txn, ctx, input.value("SourceKeyId", ""), "ReEncrypt");
  }
  ASSIGN_OR_RETURN(Opened source,
                   OpenCiphertext(*txn, ctx, blob, input.value("SourceKeyId", ""), source_algorithm,
                                  ContextOf(input, "SourceEncryptionContext"), "ReEncrypt"));
  ASSIGN_OR_RETURN(KeyPtr destination_ptr,
                   EncryptionKey(*txn, ctx, input.value("DestinationKeyId", ""),
                                 destination_algorithm, "ReEncrypt"));
  const Json& destination = *destination_ptr;
  const Json& source_key = *source.key;
  RETURN_IF_ERROR(CheckDryRun(input));
  ASSIGN_OR_RETURN(std::string out_blob,
                   EncryptWith(ctx, destination, destination_algorithm, source.plaintext.view(),
                               ContextOf(input, "DestinationEncryptionContext")));
  RecordUse(ctx, source_key, "ReEncrypt");
  RecordUse(ctx, destination, "ReEncrypt");
  Json out = {{"CiphertextBlob", BinaryOf(out_blob)},
              {"SourceKeyId", source_key["Arn"]},
              {"KeyId", destination["Arn"]},
              {"SourceEncryptionAlgorithm", source_algorithm},
              {"DestinationEncryptionAlgorithm", destination_algorithm}};
  if (IsSymmetricKey(source_key)) {
    const std::optional<BlobHeader> header = ParseBlobHeader(blob);
    out["SourceKeyMaterialId"] = MaterialIdOf(source_key, header ? header->version : 0);
  }
  if (IsSymmetricKey(destination)) out["DestinationKeyMaterialId"] = CurrentMaterialId(destination);
  return out;
}

Result<Json> GenerateDataKey(RequestContext& ctx, const Json& input) {
  return GenerateDataKeyImpl(ctx, input, true);
}

Result<Json> GenerateDataKeyWithoutPlaintext(RequestContext& ctx, const Json& input) {
  return GenerateDataKeyImpl(ctx, input, false);
}

Result<Json> GenerateDataKeyPair(RequestContext& ctx, const Json& input) {
  return GenerateDataKeyPairImpl(ctx, input, true);
}

Result<Json> GenerateDataKeyPairWithoutPlaintext(RequestContext& ctx, const Json& input) {
  return GenerateDataKeyPairImpl(ctx, input, false);
}

Result<Json> GenerateRandom(RequestContext& ctx, const Json& input) {
  if (input.contains("CustomKeyStoreId")) {
    return Unsupported("Custom key stores are not supported.");
  }
  RETURN_IF_ERROR(RefuseRecipient(input));
  auto it = input.find("NumberOfBytes");
  if (it == input.end()) return Validation("NumberOfBytes is required.");
  SecretBytes bytes = RandomSecret(static_cast<size_t>(it->get<int64_t>()));
  (void)ctx;
  return Json{{"Plaintext", BinaryOf(bytes.view())}};
}

}  // namespace bulwark::kms
