// KMS's operations on asymmetric and HMAC keys: GetPublicKey, Sign, Verify, GenerateMac,
// VerifyMac and DeriveSharedSecret. Private keys and HMAC keys are unsealed per request
// (SecretBytes, wiped when the request is done) and never leave the server.
#include <algorithm>

#include "crypto/asymmetric.h"
#include "crypto/symmetric.h"
#include "services/iam/common.h"
#include "services/kms/common.h"
#include "services/kms/handlers.h"

namespace bulwark::kms {
namespace {

// The signing algorithm a request names, if the key takes it.
Result<crypto::SigningAlgorithm> SigningAlgorithmFor(const Json& key, std::string_view name) {
  std::optional<crypto::SigningAlgorithm> alg = crypto::SigningAlgorithmFromName(name);
  const Json& allowed = ArrayMember(key, "SigningAlgorithms");
  if (!alg || std::find(allowed.begin(), allowed.end(), Json(name)) == allowed.end()) {
    return IncompatibleAlgorithm(name, key);
  }
  return *alg;
}

// MessageType RAW (the default) or DIGEST, the latter exactly the algorithm's digest long.
Result<crypto::MessageType> MessageTypeOf(const Json& input, crypto::SigningAlgorithm alg,
                                          std::string_view message) {
  const std::string type = input.value("MessageType", "RAW");
  if (type == "RAW") return crypto::MessageType::kRaw;
  if (type != "DIGEST") {
    return Validation("MessageType " + type + " is not supported by the signing algorithm " +
                      std::string(crypto::SigningAlgorithmName(alg)) + ".");
  }
  if (message.size() != crypto::DigestSize(crypto::SigningHash(alg))) {
    return Validation("Digest is invalid length for algorithm " +
                      std::string(crypto::SigningAlgorithmName(alg)) + ".");
  }
  return crypto::MessageType::kDigest;
}

// The MAC algorithm a request names, if the key takes it.
Result<crypto::MacAlgorithm> MacAlgorithmFor(const Json& key, std::string_view name) {
  std::optional<crypto::MacAlgorithm> alg = crypto::MacAlgorithmFromName(name);
  const Json& allowed = ArrayMember(key, "MacAlgorithms");
  if (!alg || std::find(allowed.begin(), allowed.end(), Json(name)) == allowed.end()) {
    return IncompatibleAlgorithm(name, key);
  }
  return *alg;
}

struct SignRequest {
  KeyPtr key;
  crypto::SigningAlgorithm algorithm;
  crypto::MessageType type;
  std::string message;
};

Result<SignRequest> ReadSignRequest(storage::Transaction& txn, RequestContext& ctx,
                                    const Json& input, std::string_view operation) {
  SignRequest r;
  ASSIGN_OR_RETURN(r.key, KeyForUse(txn, ctx, input.value("KeyId", ""), "SIGN_VERIFY", operation));
  ASSIGN_OR_RETURN(r.algorithm, SigningAlgorithmFor(*r.key, input.value("SigningAlgorithm", "")));
  r.message = BlobOf(input, "Message");
  ASSIGN_OR_RETURN(r.type, MessageTypeOf(input, r.algorithm, r.message));
  return r;
}

struct MacRequest {
  KeyPtr key;
  crypto::MacAlgorithm algorithm;
  std::string message;
};

Result<MacRequest> ReadMacRequest(storage::Transaction& txn, RequestContext& ctx, const Json& input,
                                  std::string_view operation) {
  MacRequest r;
  ASSIGN_OR_RETURN(r.key,
                   KeyForUse(txn, ctx, input.value("KeyId", ""), "GENERATE_VERIFY_MAC", operation));
  ASSIGN_OR_RETURN(r.algorithm, MacAlgorithmFor(*r.key, input.value("MacAlgorithm", "")));
  r.message = BlobOf(input, "Message");
  return r;
}

}  // namespace

Result<Json> GetPublicKey(RequestContext& ctx, const Json& input) {
  ASSIGN_OR_RETURN(auto txn, iam::BeginRead(ctx));
  ASSIGN_OR_RETURN(Json key, LoadKey(*txn, ctx, input.value("KeyId", "")));
  RETURN_IF_ERROR(CheckUsable(key));
  if (!IsAsymmetricKey(key)) {
    return Unsupported(key.value("Arn", "") + " key spec is " + key.value("KeySpec", "") +
                       " which has no public key.");
  }
  Json out = {{"KeyId", key["Arn"]},
              {"PublicKey", BinaryOf(PublicKeyOf(key))},
              {"CustomerMasterKeySpec", key["KeySpec"]},
              {"KeySpec", key["KeySpec"]},
              {"KeyUsage", key["KeyUsage"]}};
  for (const char* list : {"EncryptionAlgorithms", "SigningAlgorithms", "KeyAgreementAlgorithms"}) {
    if (key.contains(list)) out[list] = key[list];
  }
  return out;
}

Result<Json> Sign(RequestContext& ctx, const Json& input) {
  ASSIGN_OR_RETURN(auto txn, iam::BeginRead(ctx));
  ASSIGN_OR_RETURN(SignRequest r, ReadSignRequest(*txn, ctx, input, "Sign"));
  RETURN_IF_ERROR(CheckDryRun(input));
  ASSIGN_OR_RETURN(SecretBytes private_key, Material(ctx, *r.key));
  ASSIGN_OR_RETURN(std::string signature,
                   crypto::Sign(private_key, r.algorithm, r.type, r.message));
  RecordUse(ctx, *r.key, "Sign");
  return Json{{"KeyId", (*r.key)["Arn"]},
              {"Signature", BinaryOf(signature)},
              {"SigningAlgorithm", std::string(crypto::SigningAlgorithmName(r.algorithm))}};
}

Result<Json> Verify(RequestContext& ctx, const Json& input) {
  ASSIGN_OR_RETURN(auto txn, iam::BeginRead(ctx));
  ASSIGN_OR_RETURN(SignRequest r, ReadSignRequest(*txn, ctx, input, "Verify"));
  RETURN_IF_ERROR(CheckDryRun(input));
  ASSIGN_OR_RETURN(bool valid, crypto::Verify(PublicKeyOf(*r.key), r.algorithm, r.type, r.message,
                                              BlobOf(input, "Signature")));
  if (!valid) return InvalidSignature();
  RecordUse(ctx, *r.key, "Verify");
  return Json{{"KeyId", (*r.key)["Arn"]},
              {"SignatureValid", true},
              {"SigningAlgorithm", std::string(crypto::SigningAlgorithmName(r.algorithm))}};
}

Result<Json> GenerateMac(RequestContext& ctx, const Json& input) {
  ASSIGN_OR_RETURN(auto txn, iam::BeginRead(ctx));
  ASSIGN_OR_RETURN(MacRequest r, ReadMacRequest(*txn, ctx, input, "GenerateMac"));
  RETURN_IF_ERROR(CheckDryRun(input));
  ASSIGN_OR_RETURN(SecretBytes mac_key, Material(ctx, *r.key));
  ASSIGN_OR_RETURN(std::string mac, crypto::GenerateMac(mac_key, r.algorithm, r.message));
  RecordUse(ctx, *r.key, "GenerateMac");
  return Json{{"Mac", BinaryOf(mac)},
              {"MacAlgorithm", std::string(crypto::MacAlgorithmName(r.algorithm))},
              {"KeyId", (*r.key)["Arn"]}};
}

Result<Json> VerifyMac(RequestContext& ctx, const Json& input) {
  ASSIGN_OR_RETURN(auto txn, iam::BeginRead(ctx));
  ASSIGN_OR_RETURN(MacRequest r, ReadMacRequest(*txn, ctx, input, "VerifyMac"));
  RETURN_IF_ERROR(CheckDryRun(input));
  ASSIGN_OR_RETURN(SecretBytes mac_key, Material(ctx, *r.key));
  ASSIGN_OR_RETURN(bool valid,
                   crypto::VerifyMac(mac_key, r.algorithm, r.message, BlobOf(input, "Mac")));
  if (!valid) return InvalidMac();
  RecordUse(ctx, *r.key, "VerifyMac");
  return Json{{"KeyId", (*r.key)["Arn"]},
              {"MacValid", true},
              {"MacAlgorithm", std::string(crypto::MacAlgorithmName(r.algorithm))}};
}

Result<Json> DeriveSharedSecret(RequestContext& ctx, const Json& input) {
  RETURN_IF_ERROR(RefuseRecipient(input));
  ASSIGN_OR_RETURN(auto txn, iam::BeginRead(ctx));
  ASSIGN_OR_RETURN(KeyPtr key_ptr, KeyForUse(*txn, ctx, input.value("KeyId", ""), "KEY_AGREEMENT",
                                             "DeriveSharedSecret"));
  const Json& key = *key_ptr;
  const std::string algorithm = input.value("KeyAgreementAlgorithm", "");
  if (algorithm != "ECDH") return IncompatibleAlgorithm(algorithm, key);
  const std::string peer = BlobOf(input, "PublicKey");
  RETURN_IF_ERROR(CheckDryRun(input));
  ASSIGN_OR_RETURN(SecretBytes private_key, Material(ctx, key));
  Result<SecretBytes> secret = crypto::DeriveSharedSecret(private_key, peer);
  if (!secret.ok()) {
    if (secret.status().kind() != ErrorKind::kValidation) return secret.status();
    return Validation("The public key is not a valid " + key.value("KeySpec", "") +
                      " public key in DER-encoded X.509 SubjectPublicKeyInfo format.");
  }
  RecordUse(ctx, key, "DeriveSharedSecret");
  return Json{{"KeyId", key["Arn"]},
              {"SharedSecret", BinaryOf(secret->view())},
              {"KeyAgreementAlgorithm", "ECDH"},
              {"KeyOrigin", key["Origin"]}};
}

}  // namespace bulwark::kms
