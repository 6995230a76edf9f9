// The data directory's accounts as Organizations sees them: the default account is the
// management account of an organization made on first start and kept, and accounts made
// by `bulwark admin create-account` get the same kind of record as CreateAccount's.
#include "server/bootstrap.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>

#include "services/organizations/directory.h"

namespace bulwark::server {
namespace {

using nlohmann::json;

class BootstrapTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("bulwark-bootstrap-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  DataDir Open() {
    DataDirOptions options;
    options.path = dir_.string();
    auto opened = OpenDataDir(options);
    EXPECT_TRUE(opened.ok()) << opened.status().message();
    return std::move(opened).value();
  }
  static json Get(DataDir& dir, std::string_view key) {
    auto raw = dir.store->Get(key);
    EXPECT_TRUE(raw.ok());
    return raw.ok() && *raw ? json::parse(**raw) : json();
  }

  std::filesystem::path dir_;
};

TEST_F(BootstrapTest, TheDefaultAccountManagesAStableOrganization) {
  std::string org_id;
  std::string account;
  {
    DataDir dir = Open();
    account = dir.account_id;
    json org = Get(dir, organizations::kOrganizationKey);
    ASSERT_TRUE(org.is_object());
    org_id = org["Id"];
    EXPECT_TRUE(std::regex_match(org_id, std::regex("o-[a-z0-9]{10}")));
    EXPECT_EQ(org["MasterAccountId"], account);
    json record = Get(dir, organizations::AccountKey(account));
    EXPECT_EQ(record["root_access_key_id"], dir.root_access_key_id);
    EXPECT_EQ(record["name"], "default");
    EXPECT_EQ(record["email"], account + "@bulwark.invalid");
    EXPECT_EQ(record["joined_method"], "INVITED");
    EXPECT_GT(record["joined_timestamp"].get<int64_t>(), 1700000000);
    // The root key was stored in the same transaction and works.
    auto cred = dir.credentials->Lookup(dir.root_access_key_id);
    ASSERT_TRUE(cred.ok());
    EXPECT_TRUE(cred->has_value());
  }
  DataDir again = Open();
  EXPECT_EQ(again.account_id, account);
  EXPECT_EQ(Get(again, organizations::kOrganizationKey)["Id"], org_id);
}

TEST_F(BootstrapTest, DataDirectoriesFromBeforeOrganizationsGetOne) {
  std::string account;
  {
    DataDir dir = Open();
    account = dir.account_id;
    ASSERT_TRUE(dir.store->Delete(organizations::kOrganizationKey).ok());
  }
  DataDir again = Open();
  json org = Get(again, organizations::kOrganizationKey);
  ASSERT_TRUE(org.is_object());
  EXPECT_EQ(org["MasterAccountId"], account);
}

TEST_F(BootstrapTest, AdminAccountsAreMembersWithRootKeys) {
  DataDir dir = Open();
  auto named = CreateAccount(dir, "second");
  ASSERT_TRUE(named.ok()) << named.status().message();
  auto unnamed = CreateAccount(dir, "");
  ASSERT_TRUE(unnamed.ok()) << unnamed.status().message();
  EXPECT_EQ(unnamed->profile, "account-" + unnamed->account_id);

  json record = Get(dir, organizations::AccountKey(named->account_id));
  EXPECT_EQ(record["name"], "second");
  EXPECT_EQ(record["email"], named->account_id + "@bulwark.invalid");
  EXPECT_EQ(record["joined_method"], "CREATED");
  EXPECT_EQ(record["root_access_key_id"], named->root_access_key_id);
  EXPECT_EQ(Get(dir, organizations::AccountKey(unnamed->account_id))["name"], unnamed->profile);
  auto cred = dir.credentials->Lookup(named->root_access_key_id);
  ASSERT_TRUE(cred.ok());
  ASSERT_TRUE(cred->has_value());
  EXPECT_EQ((*cred)->principal.arn, "arn:aws:iam::" + named->account_id + ":root");

  auto listed = ListAccounts(dir);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 3u);
  EXPECT_EQ((*listed)[0], dir.account_id);
  // The management account stays the default one.
  EXPECT_EQ(Get(dir, organizations::kOrganizationKey)["MasterAccountId"], dir.account_id);
}

}  // namespace
}  // namespace bulwark::server
