// Multi-Region keys through their handlers: a primary and its replicas share a key id,
// material (rotations included) and key spec; ciphertexts cross Regions; each key keeps
// its own state, aliases and policy; the primary moves with UpdatePrimaryRegion; and a
// primary with replicas waits for them before its deletion window starts.
#include <gtest/gtest.h>

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
constexpr char kEast[] = "us-east-1";
constexpr char kWest[] = "us-west-2";

class KmsMultiRegionTest : public iam::testutil::IamTest {
 protected:
  void SetUp() override {
    IamTest::SetUp();
    env().sealer = &sealer_;
  }

  Result<Json> In(std::string_view region, OperationHandler handler, const Json& input) {
    RequestContext ctx = MakeContext();
    ctx.region = std::string(region);
    return handler(ctx, input);
  }

  Json OkIn(std::string_view region, OperationHandler handler, const Json& input) {
    Result<Json> r = In(region, handler, input);
    EXPECT_TRUE(r.ok()) << input.dump() << ": " << iam::testutil::Describe(r.status());
    return r.ok() ? std::move(r).value() : Json();
  }

  Json Describe(std::string_view region, const std::string& key_id) {
    return OkIn(region, &DescribeKey, {{"KeyId", key_id}})["KeyMetadata"];
  }

  std::string Arn(std::string_view region, const std::string& key_id) {
    return "arn:aws:kms:" + std::string(region) + ":" + std::string(kAccount) + ":key/" + key_id;
  }

  // A primary key in us-east-1 and its replica in us-west-2.
  std::string Pair() {
    const std::string key_id =
        OkIn(kEast, &CreateKey, {{"MultiRegion", true}})["KeyMetadata"].value("KeyId", "");
    OkIn(kEast, &ReplicateKey, {{"KeyId", key_id}, {"ReplicaRegion", kWest}});
    return key_id;
  }

  std::string DecryptIn(std::string_view region, const Json& blob) {
    return BlobOf(OkIn(region, &Decrypt, {{"CiphertextBlob", blob}}), "Plaintext");
  }

  storage::Sealer sealer_{SecretBytes::FromView(std::string(32, 'r'))};
};

TEST_F(KmsMultiRegionTest, APrimaryAndItsReplica) {
  Json primary = OkIn(kEast, &CreateKey, {{"MultiRegion", true}})["KeyMetadata"];
  const std::string key_id = primary.value("KeyId", "");
  EXPECT_EQ(key_id.size(), 36u);
  EXPECT_TRUE(key_id.starts_with("mrk-"));
  EXPECT_EQ(primary["MultiRegion"], true);
  EXPECT_EQ(primary["MultiRegionConfiguration"]["MultiRegionKeyType"], "PRIMARY");
  EXPECT_TRUE(primary["MultiRegionConfiguration"]["ReplicaKeys"].empty());

  Json out = OkIn(kEast, &ReplicateKey,
                  {{"KeyId", key_id},
                   {"ReplicaRegion", kWest},
                   {"Description", "west"},
                   {"Tags", {{{"TagKey", "k"}, {"TagValue", "v"}}}}});
  Json replica = out["ReplicaKeyMetadata"];
  EXPECT_EQ(replica["KeyId"], key_id);
  EXPECT_EQ(replica["Arn"], Arn(kWest, key_id));
  EXPECT_EQ(replica["KeyState"], "Enabled");
  EXPECT_EQ(replica["Description"], "west");
  EXPECT_EQ(replica["MultiRegionConfiguration"]["MultiRegionKeyType"], "REPLICA");
  EXPECT_EQ(replica["MultiRegionConfiguration"]["PrimaryKey"]["Arn"], Arn(kEast, key_id));
  EXPECT_EQ(out["ReplicaTags"].size(), 1u);
  EXPECT_FALSE(out["ReplicaPolicy"].get<std::string>().empty());
  Json east = Describe(kEast, key_id);
  ASSERT_EQ(east["MultiRegionConfiguration"]["ReplicaKeys"].size(), 1u);
  EXPECT_EQ(east["MultiRegionConfiguration"]["ReplicaKeys"][0]["Region"], kWest);
  EXPECT_EQ(Describe(kWest, Arn(kWest, key_id))["CurrentKeyMaterialId"],
            east["CurrentKeyMaterialId"]);
  EXPECT_EQ(OkIn(kWest, &ListKeys, Json::object())["Keys"].size(), 1u);

  EXPECT_TRUE(IsError(In(kEast, &ReplicateKey, {{"KeyId", key_id}, {"ReplicaRegion", kWest}}),
                      "AlreadyExistsException"));
  EXPECT_FALSE(In(kEast, &ReplicateKey, {{"KeyId", key_id}, {"ReplicaRegion", kEast}}).ok());
  EXPECT_TRUE(IsError(In(kWest, &ReplicateKey, {{"KeyId", key_id}, {"ReplicaRegion", "eu-west-1"}}),
                      "UnsupportedOperationException"));
  const std::string single = OkIn(kEast, &CreateKey, Json::object())["KeyMetadata"]["KeyId"];
  EXPECT_TRUE(IsError(In(kEast, &ReplicateKey, {{"KeyId", single}, {"ReplicaRegion", kWest}}),
                      "UnsupportedOperationException"));
}

TEST_F(KmsMultiRegionTest, CiphertextsCrossRegionsWithTheirKey) {
  const std::string key_id = Pair();
  const Json blob =
      OkIn(kEast, &Encrypt, {{"KeyId", key_id}, {"Plaintext", BinaryOf("both")}})["CiphertextBlob"];
  EXPECT_EQ(DecryptIn(kWest, blob), "both");
  const Json back =
      OkIn(kWest, &Encrypt, {{"KeyId", key_id}, {"Plaintext", BinaryOf("back")}})["CiphertextBlob"];
  EXPECT_EQ(DecryptIn(kEast, back), "back");
  // A single-Region key's ciphertext stays in its Region.
  const std::string single = OkIn(kEast, &CreateKey, Json::object())["KeyMetadata"]["KeyId"];
  const Json local =
      OkIn(kEast, &Encrypt, {{"KeyId", single}, {"Plaintext", BinaryOf("x")}})["CiphertextBlob"];
  EXPECT_TRUE(
      IsError(In(kWest, &Decrypt, {{"CiphertextBlob", local}}), "InvalidCiphertextException"));
}

TEST_F(KmsMultiRegionTest, RotationsAreThePrimarysAndShared) {
  const std::string key_id = Pair();
  const Json before =
      OkIn(kEast, &Encrypt, {{"KeyId", key_id}, {"Plaintext", BinaryOf("v1")}})["CiphertextBlob"];
  OkIn(kEast, &RotateKeyOnDemand, {{"KeyId", key_id}});
  EXPECT_TRUE(
      IsError(In(kWest, &RotateKeyOnDemand, {{"KeyId", key_id}}), "UnsupportedOperationException"));
  EXPECT_TRUE(
      IsError(In(kWest, &EnableKeyRotation, {{"KeyId", key_id}}), "UnsupportedOperationException"));
  const Json after =
      OkIn(kEast, &Encrypt, {{"KeyId", key_id}, {"Plaintext", BinaryOf("v2")}})["CiphertextBlob"];
  EXPECT_EQ(DecryptIn(kWest, after), "v2");
  EXPECT_EQ(DecryptIn(kWest, before), "v1");
  EXPECT_EQ(Describe(kWest, key_id)["CurrentKeyMaterialId"],
            Describe(kEast, key_id)["CurrentKeyMaterialId"]);

  // Automatic rotation: set on the primary, seen on the replica, done by the sweep.
  OkIn(kEast, &EnableKeyRotation, {{"KeyId", key_id}, {"RotationPeriodInDays", 90}});
  Json status = OkIn(kWest, &GetKeyRotationStatus, {{"KeyId", key_id}});
  EXPECT_EQ(status["KeyRotationEnabled"], true);
  EXPECT_EQ(status["RotationPeriodInDays"], 90);
  set_now(kNow + 90 * kDay);
  ASSERT_TRUE(Maintain(env()).ok());
  const Json third =
      OkIn(kWest, &Encrypt, {{"KeyId", key_id}, {"Plaintext", BinaryOf("v3")}})["CiphertextBlob"];
  EXPECT_EQ(DecryptIn(kEast, third), "v3");
  EXPECT_EQ(OkIn(kEast, &ListKeyRotations, {{"KeyId", key_id}})["Rotations"].size(), 2u);
  EXPECT_EQ(OkIn(kWest, &GetKeyRotationStatus, {{"KeyId", key_id}})["NextRotationDate"],
            kNow + 180 * kDay);
}

TEST_F(KmsMultiRegionTest, EachKeyHasItsOwnStateAliasesAndPolicy) {
  const std::string key_id = Pair();
  OkIn(kWest, &DisableKey, {{"KeyId", key_id}});
  EXPECT_EQ(Describe(kWest, key_id)["KeyState"], "Disabled");
  EXPECT_EQ(Describe(kEast, key_id)["KeyState"], "Enabled");
  OkIn(kWest, &CreateAlias, {{"AliasName", "alias/west"}, {"TargetKeyId", key_id}});
  EXPECT_EQ(Describe(kWest, "alias/west")["Arn"], Arn(kWest, key_id));
  EXPECT_TRUE(IsError(In(kEast, &DescribeKey, {{"KeyId", "alias/west"}}), "NotFoundException"));
  OkIn(kEast, &UpdateKeyDescription, {{"KeyId", key_id}, {"Description", "east only"}});
  EXPECT_EQ(Describe(kWest, key_id)["Description"], "");
}

TEST_F(KmsMultiRegionTest, ThePrimaryMoves) {
  const std::string key_id = Pair();
  OkIn(kEast, &EnableKeyRotation, {{"KeyId", key_id}, {"RotationPeriodInDays", 90}});
  EXPECT_TRUE(
      IsError(In(kWest, &UpdatePrimaryRegion, {{"KeyId", key_id}, {"PrimaryRegion", kEast}}),
              "UnsupportedOperationException"));
  EXPECT_TRUE(
      IsError(In(kEast, &UpdatePrimaryRegion, {{"KeyId", key_id}, {"PrimaryRegion", "eu-west-1"}}),
              "NotFoundException"));
  OkIn(kEast, &UpdatePrimaryRegion, {{"KeyId", key_id}, {"PrimaryRegion", kWest}});
  EXPECT_EQ(Describe(kWest, key_id)["MultiRegionConfiguration"]["MultiRegionKeyType"], "PRIMARY");
  EXPECT_EQ(Describe(kEast, key_id)["MultiRegionConfiguration"]["MultiRegionKeyType"], "REPLICA");
  EXPECT_EQ(Describe(kEast, key_id)["MultiRegionConfiguration"]["PrimaryKey"]["Region"], kWest);
  OkIn(kWest, &RotateKeyOnDemand, {{"KeyId", key_id}});
  EXPECT_TRUE(
      IsError(In(kEast, &RotateKeyOnDemand, {{"KeyId", key_id}}), "UnsupportedOperationException"));
  // The automatic schedule moved with it: the new primary rotates, and shares.
  set_now(kNow + 90 * kDay);
  ASSERT_TRUE(Maintain(env()).ok());
  EXPECT_EQ(OkIn(kWest, &ListKeyRotations, {{"KeyId", key_id}})["Rotations"].size(), 2u);
  EXPECT_EQ(Describe(kEast, key_id)["CurrentKeyMaterialId"],
            Describe(kWest, key_id)["CurrentKeyMaterialId"]);
}

TEST_F(KmsMultiRegionTest, APrimaryOutlivesItsReplicas) {
  const std::string key_id = Pair();
  Json out = OkIn(kEast, &ScheduleKeyDeletion, {{"KeyId", key_id}, {"PendingWindowInDays", 7}});
  EXPECT_EQ(out["KeyState"], "PendingReplicaDeletion");
  EXPECT_FALSE(out.contains("DeletionDate"));
  EXPECT_TRUE(IsError(In(kEast, &Encrypt, {{"KeyId", key_id}, {"Plaintext", BinaryOf("x")}}),
                      "KMSInvalidStateException"));
  OkIn(kWest, &ScheduleKeyDeletion, {{"KeyId", key_id}, {"PendingWindowInDays", 10}});
  set_now(kNow + 10 * kDay);
  ASSERT_TRUE(Maintain(env()).ok());
  EXPECT_TRUE(IsError(In(kWest, &DescribeKey, {{"KeyId", key_id}}), "NotFoundException"));
  Json east = Describe(kEast, key_id);
  EXPECT_EQ(east["KeyState"], "PendingDeletion");
  EXPECT_EQ(east["DeletionDate"], kNow + 17 * kDay);
  EXPECT_TRUE(east["MultiRegionConfiguration"]["ReplicaKeys"].empty());
  set_now(kNow + 17 * kDay);
  ASSERT_TRUE(Maintain(env()).ok());
  EXPECT_TRUE(IsError(In(kEast, &DescribeKey, {{"KeyId", key_id}}), "NotFoundException"));

  // Cancelling while it waits for replicas brings it back disabled.
  const std::string other = Pair();
  OkIn(kEast, &ScheduleKeyDeletion, {{"KeyId", other}});
  OkIn(kEast, &CancelKeyDeletion, {{"KeyId", other}});
  EXPECT_EQ(Describe(kEast, other)["KeyState"], "Disabled");
}

}  // namespace
}  // namespace bulwark::kms
