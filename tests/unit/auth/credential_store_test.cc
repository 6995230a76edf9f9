// The credential store: long-term keys and their status, temporary credentials with
// session tokens and expiry, and the cache that must never outlive a change.
#include "auth/credential_store.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "crypto/crypto.h"
#include "storage/kv.h"
#include "storage/sealer.h"

namespace bulwark::auth {
namespace {

constexpr int64_t kNow = 1'750'000'000;

class CredentialStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("bulwark-cred-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
            "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    auto store = storage::OpenSqlite((dir_ / "db").string());
    ASSERT_TRUE(store.ok()) << store.status().message();
    store_ = std::move(store).value();
    SecretBytes key(32);
    crypto::RandomBytes(key.data(), key.size());
    sealer_ = std::make_unique<storage::Sealer>(std::move(key));
    creds_ = std::make_unique<CredentialStore>(store_.get(), sealer_.get());
  }
  void TearDown() override {
    creds_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  Principal User() {
    Principal p;
    p.type = Principal::Type::kIAMUser;
    p.account_id = "123456789012";
    p.arn = "arn:aws:iam::123456789012:user/alice";
    p.user_id = "AIDAEXAMPLEEXAMPLE12";
    return p;
  }

  void CreateSession(const Principal& p, const std::string& akid, const std::string& token) {
    auto txn = store_->Begin();
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE(
        creds_->CreateSessionIn(**txn, p, akid, SecretBytes::FromView("secret"), token).ok());
    ASSERT_TRUE((*txn)->Commit().ok());
  }

  std::filesystem::path dir_;
  std::unique_ptr<storage::KvStore> store_;
  std::unique_ptr<storage::Sealer> sealer_;
  std::unique_ptr<CredentialStore> creds_;
};

TEST_F(CredentialStoreTest, SessionTokenMustMatchAndExpires) {
  Principal p = User();
  p.session.issued = kNow;
  p.session.expires = kNow + 900;
  p.session.mfa_authenticated = true;
  p.session.tags = {{"team", "red"}};
  CreateSession(p, "ASIAEXAMPLEEXAMPLE1", "token-1");

  auto found = creds_->Lookup("ASIAEXAMPLEEXAMPLE1");
  ASSERT_TRUE(found.ok() && found->has_value());
  const Principal& got = (*found)->principal;
  EXPECT_TRUE(got.temporary());
  EXPECT_TRUE(got.session.mfa_authenticated);
  EXPECT_EQ(got.session.expires, kNow + 900);
  ASSERT_EQ(got.session.tags.size(), 1u);
  EXPECT_EQ(got.session.tags[0].second, "red");

  EXPECT_TRUE(creds_->CheckSessionToken("ASIAEXAMPLEEXAMPLE1", "token-1", kNow).ok());
  EXPECT_TRUE(creds_->CheckSessionToken("ASIAEXAMPLEEXAMPLE1", "token-1", kNow + 899).ok());
  Status expired = creds_->CheckSessionToken("ASIAEXAMPLEEXAMPLE1", "token-1", kNow + 900);
  EXPECT_EQ(expired.kind(), ErrorKind::kExpiredToken);
  EXPECT_EQ(creds_->CheckSessionToken("ASIAEXAMPLEEXAMPLE1", "token-2", kNow).kind(),
            ErrorKind::kInvalidClientTokenId);
  EXPECT_EQ(creds_->CheckSessionToken("ASIAEXAMPLEEXAMPLE1", "", kNow).kind(),
            ErrorKind::kInvalidClientTokenId);
  EXPECT_EQ(creds_->CheckSessionToken("ASIAUNKNOWNUNKNOWN1", "token-1", kNow).kind(),
            ErrorKind::kInvalidClientTokenId);
}

TEST_F(CredentialStoreTest, OnlyTheTokenHashIsStored) {
  Principal p = User();
  p.session.issued = kNow;
  p.session.expires = kNow + 900;
  CreateSession(p, "ASIAEXAMPLEEXAMPLE2", "the-session-token-value");
  auto raw = store_->Get(CredentialStore::StorageKey("ASIAEXAMPLEEXAMPLE2"));
  ASSERT_TRUE(raw.ok() && raw->has_value());
  EXPECT_EQ((*raw)->find("the-session-token-value"), std::string::npos);
  EXPECT_EQ((*raw)->find("\"secret\":\"secret\""), std::string::npos);
}

TEST_F(CredentialStoreTest, ExpiredSessionsAreSweptWhenNewOnesAreIssued) {
  Principal old_session = User();
  old_session.session.issued = kNow;
  old_session.session.expires = kNow + 900;
  // Enough expired sessions that random sweep windows must find some.
  for (int i = 0; i < 40; ++i) {
    std::string akid = "ASIA" + std::string(1, static_cast<char>('A' + i % 26)) +
                       std::string(1, static_cast<char>('A' + i / 26)) + "OLDOLDOLDOLDOLD";
    CreateSession(old_session, akid, "t");
  }
  Principal fresh = User();
  fresh.session.issued = kNow + 10'000;
  fresh.session.expires = kNow + 11'000;
  for (int i = 0; i < 40; ++i) {
    std::string akid = "ASIAZ" + std::string(1, static_cast<char>('A' + i % 26)) +
                       std::string(1, static_cast<char>('A' + i / 26)) + "NEWNEWNEWNEWNE";
    CreateSession(fresh, akid, "t");
  }
  auto rows = store_->Scan("auth/access-keys/ASIA");
  ASSERT_TRUE(rows.ok());
  EXPECT_LT(rows->size(), 80u);  // some of the 40 expired ones are gone
  EXPECT_GE(rows->size(), 40u);  // and none of the live ones
}

TEST_F(CredentialStoreTest, DeactivatedKeyStopsAfterForget) {
  ASSERT_TRUE(creds_->Create(User(), "AKIAEXAMPLEEXAMPLE3", SecretBytes::FromView("s")).ok());
  auto first = creds_->Lookup("AKIAEXAMPLEEXAMPLE3");
  ASSERT_TRUE(first.ok() && first->has_value());  // now cached
  auto txn = store_->Begin();
  ASSERT_TRUE(txn.ok());
  ASSERT_TRUE(creds_->SetActiveIn(**txn, "AKIAEXAMPLEEXAMPLE3", false).ok());
  ASSERT_TRUE((*txn)->Commit().ok());
  creds_->Forget("AKIAEXAMPLEEXAMPLE3");
  auto after = creds_->Lookup("AKIAEXAMPLEEXAMPLE3");
  ASSERT_TRUE(after.ok());
  EXPECT_FALSE(after->has_value());
}

}  // namespace
}  // namespace bulwark::auth
