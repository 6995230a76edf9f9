// KMS work that comes due as time passes, through the handlers and the maintenance hook
// with an injected clock: keys destroyed when their deletion window ends (with their
// aliases, grants and usage), automatic rotations on schedule (earlier ciphertexts still
// decrypt; none while a key is disabled, the missed one on re-enable), imported material
// that expires, and the usage records GetKeyLastUsage reads.
#include <gtest/gtest.h>

#include <set>

#include "crypto/asymmetric.h"
#include "crypto/crypto.h"
#include "services/iam/fixture.h"
#include "services/kms/common.h"
#include "services/kms/handlers.h"
#include "storage/sealer.h"

namespace bulwark::kms {
namespace {

using iam::testutil::IsError;
using iam::testutil::kAccount;
using iam::testutil::kNow;

constexpr int64_t kDay = 86400;

class KmsLifecycleTest : public iam::testutil::IamTest {
 protected:
  void SetUp() override {
    IamTest::SetUp();
    env().sealer = &sealer_;
  }

  std::string NewKey(const Json& input = Json::object()) {
    return Ok(&CreateKey, input, "CreateKey")["KeyMetadata"].value("KeyId", "");
  }

  Json Describe(const std::string& key_id) {
    return Ok(&DescribeKey, {{"KeyId", key_id}}, "DescribeKey")["KeyMetadata"];
  }

  void Maintain() { ASSERT_TRUE(kms::Maintain(env()).ok()); }

  Json EncryptText(const std::string& key_id, std::string_view text) {
    return Ok(&Encrypt, {{"KeyId", key_id}, {"Plaintext", BinaryOf(text)}}, "Encrypt");
  }

  std::string DecryptText(const Json& blob) {
    return BlobOf(Ok(&Decrypt, {{"CiphertextBlob", blob}}, "Decrypt"), "Plaintext");
  }

  size_t MaterialCount(const std::string& key_id) {
    auto txn = store().BeginReadOnly();
    EXPECT_TRUE(txn.ok());
    Result<std::optional<Json>> key = LoadKeyById(**txn, key_id);
    EXPECT_TRUE(key.ok() && key->has_value());
    return key.ok() && *key ? (**key)["Material"].size() : 0;
  }

  bool Exists(const std::string& storage_key) {
    auto txn = store().BeginReadOnly();
    EXPECT_TRUE(txn.ok());
    Result<std::optional<std::string>> value = (*txn)->Get(storage_key);
    return value.ok() && value->has_value();
  }

  storage::Sealer sealer_{SecretBytes::FromView(std::string(32, 'r'))};
};

TEST_F(KmsLifecycleTest, KeysAreDestroyedWhenTheirWindowEnds) {
  const std::string key_id = NewKey();
  const Json blob = EncryptText(key_id, "kept until the end")["CiphertextBlob"];
  Ok(&CreateAlias, {{"AliasName", "alias/doomed"}, {"TargetKeyId", key_id}});
  const std::string grantee = "arn:aws:iam::" + std::string(kAccount) + ":user/g";
  Ok(&CreateGrant, {{"KeyId", key_id},
                    {"GranteePrincipal", grantee},
                    {"Operations", {"Decrypt"}},
                    {"RetiringPrincipal", grantee}});
  Ok(&ScheduleKeyDeletion, {{"KeyId", key_id}, {"PendingWindowInDays", 7}});
  EXPECT_EQ(Describe(key_id)["DeletionDate"], kNow + 7 * kDay);

  // A second before the end, nothing happens.
  set_now(kNow + 7 * kDay - 1);
  Maintain();
  EXPECT_EQ(Describe(key_id)["KeyState"], "PendingDeletion");
  EXPECT_TRUE(Exists(KeyRecordKey(key_id)));

  set_now(kNow + 7 * kDay);
  Maintain();
  EXPECT_TRUE(IsError(Call(&DescribeKey, {{"KeyId", key_id}}), "NotFoundException"));
  EXPECT_TRUE(IsError(Call(&DescribeKey, {{"KeyId", "alias/doomed"}}), "NotFoundException"));
  EXPECT_TRUE(IsError(Call(&Decrypt, {{"CiphertextBlob", blob}}), "InvalidCiphertextException"));
  EXPECT_TRUE(Ok(&ListRetirableGrants, {{"RetiringPrincipal", grantee}})["Grants"].empty());
  EXPECT_TRUE(Ok(&ListKeys, Json::object())["Keys"].empty());
  // Nothing of the key is left in storage: record, material, listing, grants, usage.
  auto txn = store().BeginReadOnly();
  ASSERT_TRUE(txn.ok());
  for (const std::string prefix :
       {"kms/key/", "kms/grant", "kms/usage/", "kms/key-aliases/", "kms/due/"}) {
    Result<std::vector<storage::KeyValue>> rows = (*txn)->Scan(prefix);
    ASSERT_TRUE(rows.ok());
    EXPECT_TRUE(rows->empty()) << prefix << ": " << rows->front().key;
  }
}

TEST_F(KmsLifecycleTest, ACancelledDeletionIsNeverCarriedOut) {
  const std::string key_id = NewKey();
  Ok(&ScheduleKeyDeletion, {{"KeyId", key_id}, {"PendingWindowInDays", 7}});
  Ok(&CancelKeyDeletion, {{"KeyId", key_id}});
  set_now(kNow + 30 * kDay);
  Maintain();
  EXPECT_EQ(Describe(key_id)["KeyState"], "Disabled");
}

TEST_F(KmsLifecycleTest, AutomaticRotationKeepsEveryEarlierVersion) {
  const std::string key_id = NewKey();
  Ok(&EnableKeyRotation, {{"KeyId", key_id}, {"RotationPeriodInDays", 90}});
  Json status = Ok(&GetKeyRotationStatus, {{"KeyId", key_id}});
  EXPECT_EQ(status["KeyRotationEnabled"], true);
  EXPECT_EQ(status["RotationPeriodInDays"], 90);
  EXPECT_EQ(status["NextRotationDate"], kNow + 90 * kDay);

  std::vector<Json> blobs;
  std::vector<std::string> material_ids;
  for (int period = 0; period < 3; ++period) {
    blobs.push_back(EncryptText(key_id, "period " + std::to_string(period))["CiphertextBlob"]);
    material_ids.push_back(Describe(key_id).value("CurrentKeyMaterialId", ""));
    set_now(kNow + (period + 1) * 90 * kDay);
    Maintain();
  }
  EXPECT_EQ(MaterialCount(key_id), 4u);
  EXPECT_EQ(Ok(&GetKeyRotationStatus, {{"KeyId", key_id}})["NextRotationDate"],
            kNow + 4 * 90 * kDay);
  for (int period = 0; period < 3; ++period) {
    EXPECT_EQ(DecryptText(blobs[period]), "period " + std::to_string(period));
    Json out = Ok(&Decrypt, {{"CiphertextBlob", blobs[period]}});
    EXPECT_EQ(out["KeyMaterialId"], material_ids[period]);
  }
  std::set<std::string> distinct(material_ids.begin(), material_ids.end());
  EXPECT_EQ(distinct.size(), 3u);

  Json rotations = Ok(&ListKeyRotations, {{"KeyId", key_id}})["Rotations"];
  ASSERT_EQ(rotations.size(), 3u);
  for (size_t i = 0; i < rotations.size(); ++i) {
    EXPECT_EQ(rotations[i]["RotationType"], "AUTOMATIC");
    EXPECT_EQ(rotations[i]["RotationDate"], kNow + static_cast<int64_t>(i + 1) * 90 * kDay);
    EXPECT_EQ(rotations[i]["KeyMaterialState"],
              i + 1 == rotations.size() ? "CURRENT" : "NON_CURRENT");
  }
  // Page by page, one at a time.
  Json page = Ok(&ListKeyRotations, {{"KeyId", key_id}, {"Limit", 1}});
  EXPECT_EQ(page["Truncated"], true);
  EXPECT_EQ(page["Rotations"][0]["KeyMaterialId"], rotations[0]["KeyMaterialId"]);
  page = Ok(&ListKeyRotations, {{"KeyId", key_id}, {"Limit", 2}, {"Marker", page["NextMarker"]}});
  EXPECT_EQ(page["Truncated"], false);
  ASSERT_EQ(page["Rotations"].size(), 2u);
  EXPECT_EQ(page["Rotations"][1]["KeyMaterialId"], rotations[2]["KeyMaterialId"]);
  EXPECT_EQ(Ok(&ListKeyRotations,
               {{"KeyId", key_id}, {"IncludeKeyMaterial", "ALL_KEY_MATERIAL"}})["Rotations"]
                .size(),
            4u);
}

TEST_F(KmsLifecycleTest, ADisabledKeyRotatesWhenEnabledAgain) {
  const std::string key_id = NewKey();
  Ok(&EnableKeyRotation, {{"KeyId", key_id}, {"RotationPeriodInDays", 90}});
  Ok(&DisableKey, {{"KeyId", key_id}});
  set_now(kNow + 100 * kDay);
  Maintain();
  EXPECT_EQ(MaterialCount(key_id), 1u);
  Ok(&EnableKey, {{"KeyId", key_id}});
  Maintain();
  EXPECT_EQ(MaterialCount(key_id), 2u);
  EXPECT_EQ(Ok(&GetKeyRotationStatus, {{"KeyId", key_id}})["NextRotationDate"], kNow + 190 * kDay);
}

TEST_F(KmsLifecycleTest, DisabledRotationAndOnDemandRotations) {
  const std::string key_id = NewKey();
  Ok(&EnableKeyRotation, {{"KeyId", key_id}});
  EXPECT_EQ(Ok(&GetKeyRotationStatus, {{"KeyId", key_id}})["RotationPeriodInDays"], 365);
  Ok(&DisableKeyRotation, {{"KeyId", key_id}});
  set_now(kNow + 400 * kDay);
  Maintain();
  EXPECT_EQ(MaterialCount(key_id), 1u);
  EXPECT_EQ(Ok(&GetKeyRotationStatus, {{"KeyId", key_id}})["KeyRotationEnabled"], false);

  // 25 on-demand rotations, then LimitExceededException.
  for (int i = 0; i < 25; ++i) Ok(&RotateKeyOnDemand, {{"KeyId", key_id}}, "RotateKeyOnDemand");
  EXPECT_TRUE(IsError(Call(&RotateKeyOnDemand, {{"KeyId", key_id}}), "LimitExceededException"));
  EXPECT_EQ(MaterialCount(key_id), 26u);
  const Json rotations = Ok(&ListKeyRotations, {{"KeyId", key_id}})["Rotations"];
  for (const Json& r : rotations) {
    EXPECT_EQ(r["RotationType"], "ON_DEMAND");
  }

  // Close to an automatic rotation, an on-demand one is refused.
  const std::string other = NewKey();
  Ok(&EnableKeyRotation, {{"KeyId", other}, {"RotationPeriodInDays", 90}});
  set_now(kNow + 400 * kDay + 90 * kDay - 600);
  EXPECT_TRUE(IsError(Call(&RotateKeyOnDemand, {{"KeyId", other}}), "ConflictException"));
}

TEST_F(KmsLifecycleTest, OnlySymmetricKeysOfTheCustomerRotate) {
  const std::string hmac = NewKey({{"KeySpec", "HMAC_256"}, {"KeyUsage", "GENERATE_VERIFY_MAC"}});
  EXPECT_TRUE(
      IsError(Call(&EnableKeyRotation, {{"KeyId", hmac}}), "UnsupportedOperationException"));
  EXPECT_EQ(Ok(&GetKeyRotationStatus, {{"KeyId", hmac}})["KeyRotationEnabled"], false);
  const std::string external = NewKey({{"Origin", "EXTERNAL"}});
  EXPECT_TRUE(IsError(Call(&EnableKeyRotation, {{"KeyId", external}}),
                      "UnsupportedOperationException",
                      "arn:aws:kms:us-east-1:" + std::string(kAccount) + ":key/" + external +
                          " origin is EXTERNAL which is not valid for this operation."));
  // An AWS managed key rotates every year on its own.
  const std::string managed =
      Ok(&DescribeKey, {{"KeyId", "alias/aws/secretsmanager"}})["KeyMetadata"]["KeyId"];
  EXPECT_EQ(Ok(&GetKeyRotationStatus, {{"KeyId", managed}})["KeyRotationEnabled"], true);
  EXPECT_TRUE(
      IsError(Call(&RotateKeyOnDemand, {{"KeyId", managed}}), "UnsupportedOperationException"));
  set_now(kNow + 365 * kDay);
  Maintain();
  EXPECT_EQ(MaterialCount(managed), 2u);
}

TEST_F(KmsLifecycleTest, AwsManagedKeysAreMadeOnceByDescribeKey) {
  Json first = Ok(&DescribeKey, {{"KeyId", "alias/aws/ssm"}})["KeyMetadata"];
  EXPECT_EQ(first["KeyManager"], "AWS");
  EXPECT_EQ(first["KeySpec"], "SYMMETRIC_DEFAULT");
  Json again = Ok(&DescribeKey,
                  {{"KeyId", "arn:aws:kms:us-east-1:" + std::string(kAccount) + ":alias/aws/ssm"}});
  EXPECT_EQ(again["KeyMetadata"]["KeyId"], first["KeyId"]);
  Json policy =
      Json::parse(Ok(&GetKeyPolicy, {{"KeyId", first["KeyId"]}})["Policy"].get<std::string>());
  EXPECT_EQ(policy["Statement"][0]["Condition"]["StringEquals"]["kms:ViaService"],
            "ssm.us-east-1.amazonaws.com");
  EXPECT_EQ(Ok(&ListKeys, Json::object())["Keys"].size(), 1u);
  // Not one of AWS's predefined aliases: nothing is made.
  EXPECT_TRUE(
      IsError(Call(&DescribeKey, {{"KeyId", "alias/aws/not-a-service"}}), "NotFoundException"));
  EXPECT_EQ(Ok(&ListKeys, Json::object())["Keys"].size(), 1u);
}

TEST_F(KmsLifecycleTest, KeyPoliciesMustLetTheCallerChangeThemAgain) {
  auto policy_for = [](const std::string& principal, const std::string& action) {
    return Json{{"Version", "2012-10-17"},
                {"Statement",
                 {{{"Effect", "Allow"},
                   {"Principal", {{"AWS", principal}}},
                   {"Action", action},
                   {"Resource", "*"}}}}}
        .dump();
  };
  const std::string other = "arn:aws:iam::" + std::string(kAccount) + ":user/other";
  const std::string root = "arn:aws:iam::" + std::string(kAccount) + ":root";
  const std::string lockout =
      "The new key policy will not allow you to update the key policy in the future.";
  EXPECT_TRUE(IsError(Call(&CreateKey, {{"Policy", policy_for(other, "kms:*")}}),
                      "MalformedPolicyDocumentException", lockout));
  EXPECT_TRUE(IsError(Call(&CreateKey, {{"Policy", policy_for(root, "kms:Encrypt")}}),
                      "MalformedPolicyDocumentException", lockout));
  Ok(&CreateKey, {{"Policy", policy_for(root, "kms:PutKeyPolicy")}});
  Ok(&CreateKey, {{"Policy", policy_for("*", "kms:*")}});
  const std::string key_id =
      NewKey({{"Policy", policy_for(other, "kms:*")}, {"BypassPolicyLockoutSafetyCheck", true}});
  EXPECT_FALSE(key_id.empty());
  const std::string mine = NewKey();
  EXPECT_TRUE(
      IsError(Call(&PutKeyPolicy, {{"KeyId", mine}, {"Policy", policy_for(other, "kms:*")}}),
              "MalformedPolicyDocumentException", lockout));
  Ok(&PutKeyPolicy, {{"KeyId", mine},
                     {"Policy", policy_for(other, "kms:*")},
                     {"BypassPolicyLockoutSafetyCheck", true}});
}

// An imported symmetric key: the material an RSA-OAEP wrap brings.
class KmsImportTest : public KmsLifecycleTest {
 protected:
  // Imports `material` into `key_id` through GetParametersForImport.
  Result<Json> Import(const std::string& key_id, const SecretBytes& material, Json extra) {
    Json params = Ok(&GetParametersForImport, {{"KeyId", key_id},
                                               {"WrappingAlgorithm", "RSAES_OAEP_SHA_256"},
                                               {"WrappingKeySpec", "RSA_2048"}});
    Result<std::string> wrapped = crypto::WrapKeyMaterial(
        BlobOf(params, "PublicKey"), crypto::WrappingAlgorithm::kRsaesOaepSha256, material);
    EXPECT_TRUE(wrapped.ok());
    extra["KeyId"] = key_id;
    extra["ImportToken"] = params["ImportToken"];
    extra["EncryptedKeyMaterial"] = BinaryOf(*wrapped);
    return Call(&ImportKeyMaterial, extra);
  }
};

TEST_F(KmsImportTest, ImportedMaterialExpiresAndComesBack) {
  const std::string key_id = NewKey({{"Origin", "EXTERNAL"}});
  EXPECT_EQ(Describe(key_id)["KeyState"], "PendingImport");
  const SecretBytes material = RandomSecret(32);
  ASSERT_TRUE(Import(key_id, material, {{"ValidTo", kNow + 10 * kDay}}).ok());
  Json meta = Describe(key_id);
  EXPECT_EQ(meta["KeyState"], "Enabled");
  EXPECT_EQ(meta["ExpirationModel"], "KEY_MATERIAL_EXPIRES");
  EXPECT_EQ(meta["ValidTo"], kNow + 10 * kDay);
  const Json blob = EncryptText(key_id, "imported")["CiphertextBlob"];

  set_now(kNow + 10 * kDay);
  Maintain();
  EXPECT_EQ(Describe(key_id)["KeyState"], "PendingImport");
  EXPECT_FALSE(Describe(key_id).contains("ValidTo"));
  EXPECT_TRUE(IsError(
      Call(&Decrypt, {{"CiphertextBlob", blob}}), "KMSInvalidStateException",
      "arn:aws:kms:us-east-1:" + std::string(kAccount) + ":key/" + key_id + " is pending import."));
  // Other material is refused; the same material brings the key back, and its ciphertexts.
  EXPECT_TRUE(IsError(
      Import(key_id, RandomSecret(32), {{"ExpirationModel", "KEY_MATERIAL_DOES_NOT_EXPIRE"}}),
      "IncorrectKeyMaterialException"));
  ASSERT_TRUE(Import(key_id, material, {{"ExpirationModel", "KEY_MATERIAL_DOES_NOT_EXPIRE"}}).ok());
  EXPECT_EQ(DecryptText(blob), "imported");
  set_now(kNow + 400 * kDay);
  Maintain();
  EXPECT_EQ(Describe(key_id)["KeyState"], "Enabled");
}

TEST_F(KmsImportTest, ImportedMaterialRotatesOnDemandAndEachMaterialExpiresOnItsOwn) {
  const std::string key_id = NewKey({{"Origin", "EXTERNAL"}});
  const Json dne = {{"ExpirationModel", "KEY_MATERIAL_DOES_NOT_EXPIRE"}};
  const Json fresh = {{"ImportType", "NEW_KEY_MATERIAL"}};
  auto with = [](Json a, const Json& b) {
    a.update(b);
    return a;
  };
  auto decrypted_by = [&](const Json& blob) -> std::string {
    Result<Json> out = Call(&Decrypt, {{"CiphertextBlob", blob}});
    return out.ok() ? out->value("KeyMaterialId", "") : out.status().code();
  };
  auto materials = [&] {
    Json out =
        Ok(&ListKeyRotations, {{"KeyId", key_id}, {"IncludeKeyMaterial", "ALL_KEY_MATERIAL"}});
    std::vector<std::string> states;
    for (const Json& r : out["Rotations"]) {
      states.push_back(r.value("KeyMaterialState", "") + "/" + r.value("ImportState", ""));
    }
    return states;
  };
  const SecretBytes m1 = RandomSecret(32), m2 = RandomSecret(32), m3 = RandomSecret(32),
                    m4 = RandomSecret(32);
  Result<Json> first = Import(key_id, m1, dne);
  ASSERT_TRUE(first.ok());
  const std::string id1 = first->value("KeyMaterialId", "");
  const Json blob1 = EncryptText(key_id, "one")["CiphertextBlob"];
  // Nothing to rotate to yet; then m2, which expires in 10 days, pending until rotated.
  EXPECT_TRUE(IsError(Call(&RotateKeyOnDemand, {{"KeyId", key_id}}), "KMSInvalidStateException"));
  Result<Json> second = Import(key_id, m2, with(fresh, {{"ValidTo", kNow + 10 * kDay}}));
  ASSERT_TRUE(second.ok());
  const std::string id2 = second->value("KeyMaterialId", "");
  EXPECT_NE(id2, id1);
  EXPECT_EQ(Describe(key_id)["CurrentKeyMaterialId"], id1);
  EXPECT_EQ(decrypted_by(EncryptText(key_id, "still one")["CiphertextBlob"]), id1);
  EXPECT_EQ(materials(),
            (std::vector<std::string>{"CURRENT/IMPORTED", "PENDING_ROTATION/IMPORTED"}));
  Ok(&RotateKeyOnDemand, {{"KeyId", key_id}});
  Json meta = Describe(key_id);
  EXPECT_EQ(meta["CurrentKeyMaterialId"], id2);
  EXPECT_EQ(meta["ExpirationModel"], "KEY_MATERIAL_EXPIRES");
  EXPECT_EQ(meta["ValidTo"], kNow + 10 * kDay);
  const Json blob2 = EncryptText(key_id, "two")["CiphertextBlob"];
  EXPECT_EQ(decrypted_by(blob2), id2);
  EXPECT_EQ(decrypted_by(blob1), id1);

  // Pending material that expires before its rotation is gone.
  ASSERT_TRUE(Import(key_id, m3, with(fresh, {{"ValidTo", kNow + 5 * kDay}})).ok());
  EXPECT_TRUE(IsError(Import(key_id, m4, with(fresh, dne)), "KMSInvalidStateException"));
  set_now(kNow + 5 * kDay);
  Maintain();
  EXPECT_EQ(materials(), (std::vector<std::string>{"NON_CURRENT/IMPORTED", "CURRENT/IMPORTED"}));
  EXPECT_EQ(Describe(key_id)["KeyState"], "Enabled");

  // m4 becomes current; then m2, no longer current, expires: only its ciphertexts fail.
  Result<Json> fourth = Import(key_id, m4, with(fresh, dne));
  ASSERT_TRUE(fourth.ok());
  Ok(&RotateKeyOnDemand, {{"KeyId", key_id}});
  const Json blob4 = EncryptText(key_id, "four")["CiphertextBlob"];
  set_now(kNow + 10 * kDay);
  Maintain();
  meta = Describe(key_id);
  EXPECT_EQ(meta["KeyState"], "Enabled");
  EXPECT_EQ(meta["ExpirationModel"], "KEY_MATERIAL_DOES_NOT_EXPIRE");
  EXPECT_EQ(materials(),
            (std::vector<std::string>{"NON_CURRENT/IMPORTED", "NON_CURRENT/PENDING_IMPORT",
                                      "CURRENT/IMPORTED"}));
  EXPECT_EQ(decrypted_by(blob2), "InvalidCiphertextException");
  EXPECT_EQ(decrypted_by(blob1), id1);
  EXPECT_EQ(decrypted_by(blob4), fourth->value("KeyMaterialId", ""));
  // The same material again, named or not, brings its ciphertexts back; a name that is
  // another material's, or no material's, is refused.
  EXPECT_TRUE(IsError(Import(key_id, m2, with(dne, {{"KeyMaterialId", id1}})),
                      "IncorrectKeyMaterialException"));
  EXPECT_TRUE(IsError(Import(key_id, m2, with(dne, {{"KeyMaterialId", std::string(64, 'a')}})),
                      "NotFoundException"));
  EXPECT_TRUE(IsError(Import(key_id, m2, with(fresh, dne)), "IncorrectKeyMaterialException"));
  ASSERT_TRUE(Import(key_id, m2, with(dne, {{"KeyMaterialId", id2}})).ok());
  EXPECT_EQ(decrypted_by(blob2), id2);
  EXPECT_EQ(Describe(key_id)["CurrentKeyMaterialId"], fourth->value("KeyMaterialId", ""));
  // Deleting a non-current material leaves the key enabled; deleting the current one
  // does not.
  Ok(&DeleteImportedKeyMaterial, {{"KeyId", key_id}, {"KeyMaterialId", id1}});
  EXPECT_EQ(Describe(key_id)["KeyState"], "Enabled");
  EXPECT_EQ(decrypted_by(blob1), "InvalidCiphertextException");
  Ok(&DeleteImportedKeyMaterial, {{"KeyId", key_id}});
  EXPECT_EQ(Describe(key_id)["KeyState"], "PendingImport");
  EXPECT_EQ(decrypted_by(blob2), "KMSInvalidStateException");
}

TEST_F(KmsImportTest, ParametersAreForOneKeyAndADay) {
  const std::string key_id = NewKey({{"Origin", "EXTERNAL"}});
  const std::string other = NewKey({{"Origin", "EXTERNAL"}});
  Json params = Ok(&GetParametersForImport, {{"KeyId", key_id},
                                             {"WrappingAlgorithm", "RSA_AES_KEY_WRAP_SHA_256"},
                                             {"WrappingKeySpec", "RSA_3072"}});
  EXPECT_EQ(params["ParametersValidTo"], kNow + kDay);
  const SecretBytes material = RandomSecret(32);
  Result<std::string> wrapped = crypto::WrapKeyMaterial(
      BlobOf(params, "PublicKey"), crypto::WrappingAlgorithm::kRsaAesKeyWrapSha256, material);
  ASSERT_TRUE(wrapped.ok());
  const Json no_expiry = {{"ExpirationModel", "KEY_MATERIAL_DOES_NOT_EXPIRE"}};
  auto import_into = [&](const std::string& id) {
    Json input = no_expiry;
    input["KeyId"] = id;
    input["ImportToken"] = params["ImportToken"];
    input["EncryptedKeyMaterial"] = BinaryOf(*wrapped);
    return Call(&ImportKeyMaterial, input);
  };
  EXPECT_TRUE(IsError(import_into(other), "InvalidImportTokenException"));
  set_now(kNow + kDay);
  EXPECT_TRUE(IsError(import_into(key_id), "ExpiredImportTokenException"));
  set_now(kNow + kDay - 1);
  ASSERT_TRUE(import_into(key_id).ok());
  // Used once.
  EXPECT_TRUE(IsError(import_into(key_id), "InvalidImportTokenException"));
  // A key of AWS_KMS origin takes no import.
  EXPECT_TRUE(IsError(Call(&GetParametersForImport, {{"KeyId", NewKey()},
                                                     {"WrappingAlgorithm", "RSAES_OAEP_SHA_256"},
                                                     {"WrappingKeySpec", "RSA_2048"}}),
                      "UnsupportedOperationException"));
}

TEST_F(KmsImportTest, MaterialMustFitTheKeySpec) {
  const std::string symmetric = NewKey({{"Origin", "EXTERNAL"}});
  const Json no_expiry = {{"ExpirationModel", "KEY_MATERIAL_DOES_NOT_EXPIRE"}};
  EXPECT_TRUE(
      IsError(Import(symmetric, RandomSecret(16), no_expiry), "IncorrectKeyMaterialException"));
  const std::string hmac = NewKey(
      {{"Origin", "EXTERNAL"}, {"KeySpec", "HMAC_384"}, {"KeyUsage", "GENERATE_VERIFY_MAC"}});
  EXPECT_TRUE(IsError(Import(hmac, RandomSecret(47), no_expiry), "IncorrectKeyMaterialException"));
  EXPECT_TRUE(IsError(Import(hmac, RandomSecret(129), no_expiry), "IncorrectKeyMaterialException"));
  ASSERT_TRUE(Import(hmac, RandomSecret(100), no_expiry).ok());
  // An asymmetric key takes a PKCS#8 private key of its spec, and publishes its public key.
  const std::string signing =
      NewKey({{"Origin", "EXTERNAL"}, {"KeySpec", "ECC_NIST_P256"}, {"KeyUsage", "SIGN_VERIFY"}});
  Result<crypto::KeyPair> wrong = crypto::GenerateKeyPair(crypto::KeySpec::kEccNistP384);
  ASSERT_TRUE(wrong.ok());
  EXPECT_TRUE(
      IsError(Import(signing, wrong->private_key, no_expiry), "IncorrectKeyMaterialException"));
  Result<crypto::KeyPair> pair = crypto::GenerateKeyPair(crypto::KeySpec::kEccNistP256);
  ASSERT_TRUE(pair.ok());
  // A P-256 PKCS#8 key (138 bytes) fits in RSA-OAEP-SHA256 under a 2048-bit key.
  ASSERT_TRUE(Import(signing, pair->private_key, no_expiry).ok());
  EXPECT_EQ(BlobOf(Ok(&GetPublicKey, {{"KeyId", signing}}), "PublicKey"), pair->public_key);
}

TEST_F(KmsLifecycleTest, UsageIsRememberedAndWritten) {
  const std::string key_id = NewKey();
  Json usage = Ok(&GetKeyLastUsage, {{"KeyId", key_id}});
  EXPECT_TRUE(usage["KeyLastUsage"].empty());
  EXPECT_EQ(usage["TrackingStartDate"], kNow);
  set_now(kNow + 5);
  EncryptText(key_id, "used");
  usage = Ok(&GetKeyLastUsage, {{"KeyId", key_id}});
  EXPECT_EQ(usage["KeyLastUsage"]["Operation"], "Encrypt");
  EXPECT_EQ(usage["KeyLastUsage"]["Timestamp"], kNow + 5);
  EXPECT_EQ(usage["KeyLastUsage"]["KmsRequestId"], MakeContext().request_id);
  // A failed operation is no use.
  EXPECT_FALSE(Call(&Decrypt, {{"CiphertextBlob", BinaryOf("not a blob")}}).ok());
  EXPECT_EQ(Ok(&GetKeyLastUsage, {{"KeyId", key_id}})["KeyLastUsage"]["Operation"], "Encrypt");
  Maintain();
  EXPECT_TRUE(Exists("kms/usage/" + key_id));
}

}  // namespace
}  // namespace bulwark::kms
