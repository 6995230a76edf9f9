// Virtual MFA devices, login profiles and the account password policy, called as handlers
// on a fresh store: AWS's shapes, error codes and messages; TOTP codes computed from the
// returned seed (RFC 6238) and refused when replayed, out of order or wrong; the seed
// sealed at rest (the SQLite files never hold it); STS's CheckMfaCode; scrypt password
// hashes (RFC 7914's test vectors) and every password policy rule.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "auth/totp.h"
#include "crypto/crypto.h"
#include "services/iam/common.h"
#include "services/iam/fixture.h"
#include "services/iam/handlers.h"
#include "storage/sealer.h"

namespace bulwark::iam {
namespace {

using testutil::IamTest;
using testutil::IsError;
using testutil::kAccount;
using testutil::kNow;

const int64_t kStep = totp::TimeStep(kNow);
const std::string kUserArn = "arn:aws:iam::123456789012:user/bob";
constexpr char kBadCode[] =
    "MultiFactorAuthentication failed with invalid MFA one time pass code. ";
constexpr char kBadSerial[] =
    "MultiFactorAuthentication failed, unable to validate MFA code.  Please verify your MFA "
    "serial number is valid and associated with this user.";

std::string Serial(const std::string& name, const std::string& path = "/") {
  return "arn:aws:iam::123456789012:mfa" + path + name;
}

// prefix + i (appended: GCC 12 warns falsely about "literal" + std::string).
std::string Numbered(std::string prefix, int i) {
  prefix.append(std::to_string(i));
  return prefix;
}

std::string FileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

class MfaLoginTest : public IamTest {
 protected:
  void SetUp() override {
    IamTest::SetUp();
    SecretBytes root_key(32);
    crypto::RandomBytes(root_key.data(), root_key.size());
    sealer_ = std::make_unique<storage::Sealer>(std::move(root_key));
    env().sealer = sealer_.get();
  }

  struct NewDevice {
    std::string serial;
    std::string base32;
    SecretBytes seed;
    std::string png;
  };

  NewDevice MakeDevice(const std::string& name, Json extra = Json::object()) {
    extra["VirtualMFADeviceName"] = name;
    Json out = Ok(&CreateVirtualMFADevice, extra, name);
    NewDevice d;
    if (!out.is_object()) return d;
    const Json& device = out["VirtualMFADevice"];
    d.serial = device.value("SerialNumber", "");
    const auto& b32 = device["Base32StringSeed"].get_binary();
    d.base32.assign(b32.begin(), b32.end());
    const auto& png = device["QRCodePNG"].get_binary();
    d.png.assign(png.begin(), png.end());
    std::optional<SecretBytes> seed = totp::Base32Decode(d.base32);
    EXPECT_TRUE(seed.has_value()) << d.base32;
    if (seed) d.seed = std::move(*seed);
    return d;
  }

  void MakeUser(const std::string& name) { Ok(&CreateUser, {{"UserName", name}}, name); }

  static std::string CodeAt(const NewDevice& d, int64_t step) {
    return totp::CodeAtStep(d.seed, step);
  }

  Result<Json> Enable(const std::string& user, const NewDevice& d, int64_t first_step) {
    return Call(&EnableMFADevice, {{"UserName", user},
                                   {"SerialNumber", d.serial},
                                   {"AuthenticationCode1", CodeAt(d, first_step)},
                                   {"AuthenticationCode2", CodeAt(d, first_step + 1)}});
  }

  Json Raw(const std::string& key) {
    auto raw = store().Get(key);
    EXPECT_TRUE(raw.ok());
    return raw.ok() && *raw ? Json::parse(**raw) : Json();
  }
  Json DeviceRecord(const std::string& name) { return Raw("iam/123456789012/mfa/" + Lower(name)); }
  Json UserRecord(const std::string& name) { return Raw(EntityKey(kAccount, Kind::kUser, name)); }

  // CheckMfaCode in its own transaction, committed when it succeeds, as STS would.
  Status Check(const std::string& arn, const std::string& serial, const std::string& code) {
    RequestContext ctx = MakeUserContext("bob");
    auto txn = store().Begin();
    EXPECT_TRUE(txn.ok());
    Status st = CheckMfaCode(ctx, **txn, arn, serial, code);
    if (st.ok()) {
      EXPECT_TRUE((*txn)->Commit().ok());
    }
    return st;
  }

  Result<Json> CallAs(RequestContext ctx, OperationHandler handler, const Json& input) {
    return handler(ctx, input);
  }

 private:
  std::unique_ptr<storage::Sealer> sealer_;
};

// --- scrypt password hashes (crypto layer) ----------------------------------------------

TEST(PasswordHashTest, ScryptMatchesRfc7914Vectors) {
  auto empty = crypto::Scrypt("", "", 16, 1, 1, 64);
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(crypto::HexEncode(empty->view()),
            "77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442"
            "fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906");
  auto nacl = crypto::Scrypt("password", "NaCl", 1024, 8, 16, 64);
  ASSERT_TRUE(nacl.ok());
  EXPECT_EQ(crypto::HexEncode(nacl->view()),
            "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162"
            "2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640");
  EXPECT_FALSE(crypto::Scrypt("p", "s", 1000, 8, 1, 32).ok());               // N not a power of two
  EXPECT_FALSE(crypto::Scrypt("p", "s", uint64_t{1} << 22, 8, 1, 32).ok());  // 4 GiB
}

TEST(PasswordHashTest, HashesAreSaltedPhcStringsThatVerify) {
  auto a = crypto::HashPassword("correct horse");
  auto b = crypto::HashPassword("correct horse");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->rfind("$scrypt$ln=15,r=8,p=1$", 0), 0u) << *a;
  EXPECT_NE(*a, *b);  // fresh salt
  EXPECT_EQ(a->find("correct"), std::string::npos);
  EXPECT_TRUE(crypto::VerifyPassword("correct horse", *a));
  EXPECT_TRUE(crypto::VerifyPassword("correct horse", *b));
  EXPECT_FALSE(crypto::VerifyPassword("correct horsE", *a));
  EXPECT_FALSE(crypto::VerifyPassword("", *a));
  // A hash made with other (cheap) parameters verifies: they travel in the string.
  auto cheap = crypto::Scrypt("pw", "0123456789abcdef", 16, 1, 1, 32);
  ASSERT_TRUE(cheap.ok());
  std::string salt = crypto::Base64Encode("0123456789abcdef");
  std::string hash = crypto::Base64Encode(cheap->view());
  while (salt.back() == '=') salt.pop_back();
  while (hash.back() == '=') hash.pop_back();
  EXPECT_TRUE(crypto::VerifyPassword("pw", "$scrypt$ln=4,r=1,p=1$" + salt + "$" + hash));
  EXPECT_FALSE(crypto::VerifyPassword("pw", "$scrypt$ln=5,r=1,p=1$" + salt + "$" + hash));
  // Malformed or absurd strings never verify.
  for (const std::string& bad :
       {std::string(), std::string("$scrypt$"), "$argon2id$ln=4,r=1,p=1$" + salt + "$" + hash,
        "$scrypt$ln=30,r=1,p=1$" + salt + "$" + hash, "$scrypt$ln=4,r=1$" + salt + "$" + hash,
        "$scrypt$ln=4,r=1,p=1$" + salt + "$", "$scrypt$ln=4,r=1,p=1$" + salt + "$" + hash + "=",
        "$scrypt$ln=4,r=1,p=1,x=1$" + salt + "$" + hash}) {
    EXPECT_FALSE(crypto::VerifyPassword("pw", bad)) << bad;
  }
}

// --- Virtual MFA devices -------------------------------------------------------------

TEST_F(MfaLoginTest, CreateReturnsSeedQrCodeAndSerial) {
  NewDevice d = MakeDevice("BobPhone", {{"Path", "/team/"}});
  EXPECT_EQ(d.serial, Serial("BobPhone", "/team/"));
  EXPECT_EQ(d.base32.size(), 32u);  // 160 bits
  EXPECT_EQ(d.seed.size(), totp::kSeedBytes);
  EXPECT_EQ(d.png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));

  Json record = DeviceRecord("bobphone");
  EXPECT_EQ(record["SerialNumber"], d.serial);
  EXPECT_EQ(record["VirtualMFADeviceName"], "BobPhone");
  EXPECT_EQ(record["Path"], "/team/");
  EXPECT_EQ(record["CreateDate"], kNow);
  EXPECT_FALSE(record.contains("User"));
  // The seed is stored sealed under the record's key, nowhere in plaintext.
  const std::string dump = record.dump();
  EXPECT_EQ(dump.find(d.base32), std::string::npos);
  auto sealed = crypto::Base64Decode(record["Seed"].get<std::string>());
  ASSERT_TRUE(sealed.has_value());
  auto opened = env().sealer->Open("iam/123456789012/mfa/bobphone", *sealed);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(opened->view(), d.seed.view());
  EXPECT_FALSE(env().sealer->Open("iam/123456789012/mfa/other", *sealed).ok());
}

TEST_F(MfaLoginTest, SeedNeverReachesTheDatabaseFilesInPlaintext) {
  std::vector<NewDevice> devices;
  for (int i = 0; i < 4; ++i) devices.push_back(MakeDevice(Numbered("d", i)));
  MakeUser("bob");
  ASSERT_TRUE(Enable("bob", devices[0], kStep - 1).ok());
  const std::string bytes = FileBytes(db_path()) + FileBytes(db_path() + "-wal");
  ASSERT_GT(bytes.size(), 0u);
  // The records themselves are there (the scan looks at the right files)...
  EXPECT_NE(bytes.find(devices[0].serial), std::string::npos);
  for (const NewDevice& d : devices) {
    // ...but not the seed, in Base32 (either case) or raw.
    EXPECT_EQ(bytes.find(d.base32), std::string::npos) << d.serial;
    EXPECT_EQ(bytes.find(Lower(d.base32)), std::string::npos) << d.serial;
    EXPECT_EQ(bytes.find(std::string(d.seed.view())), std::string::npos) << d.serial;
  }
}

TEST_F(MfaLoginTest, CreateRefusesDuplicatesAndBadPaths) {
  MakeDevice("phone");
  EXPECT_TRUE(IsError(Call(&CreateVirtualMFADevice, {{"VirtualMFADeviceName", "PHONE"}}),
                      "EntityAlreadyExists", "MFA device already exists."));
  EXPECT_TRUE(IsError(
      Call(&CreateVirtualMFADevice, {{"VirtualMFADeviceName", "phone"}, {"Path", "/other/"}}),
      "EntityAlreadyExists"));
  for (const char* path : {"invalid-path/", "/invalid-path"}) {
    Result<Json> r = Call(&CreateVirtualMFADevice, {{"VirtualMFADeviceName", "x"}, {"Path", path}});
    ASSERT_FALSE(r.ok()) << path;
    EXPECT_EQ(r.status().kind(), ErrorKind::kValidation);
    EXPECT_EQ(r.status().message(),
              "The specified value for path is invalid. It must begin and end with / and "
              "contain only alphanumeric characters and/or / characters.");
  }
}

TEST_F(MfaLoginTest, EnableAssignsTheDeviceWithTwoConsecutiveCodes) {
  MakeUser("bob");
  NewDevice d = MakeDevice("phone");
  EXPECT_EQ(Ok(&ListMFADevices, {{"UserName", "bob"}})["MFADevices"], Json::array());
  ASSERT_TRUE(Enable("bob", d, kStep - 1).ok());

  Json listed = Ok(&ListMFADevices, {{"UserName", "BOB"}});
  ASSERT_EQ(listed["MFADevices"].size(), 1u);
  EXPECT_EQ(listed["MFADevices"][0],
            (Json{{"UserName", "bob"}, {"SerialNumber", d.serial}, {"EnableDate", kNow}}));
  EXPECT_EQ(listed["IsTruncated"], false);
  EXPECT_EQ(UserRecord("bob")["MFADevices"], Json::array({d.serial}));
  Json record = DeviceRecord("phone");
  EXPECT_EQ(record["User"], "bob");
  EXPECT_EQ(record["EnableDate"], kNow);
  EXPECT_EQ(record["LastUsedStep"], kStep);
  EXPECT_EQ(record["StepOffset"], 0);
  // The user cannot be deleted while it has the device.
  EXPECT_TRUE(IsError(Call(&DeleteUser, {{"UserName", "bob"}}), "DeleteConflict",
                      "Cannot delete entity, must delete MFA device first."));
}

TEST_F(MfaLoginTest, EnableRefusesWrongReversedAndStaleCodes) {
  MakeUser("bob");
  NewDevice d = MakeDevice("phone");
  const std::string message = "Authentication code for device is not valid.";
  auto enable = [&](const std::string& c1, const std::string& c2) {
    return Call(&EnableMFADevice, {{"UserName", "bob"},
                                   {"SerialNumber", d.serial},
                                   {"AuthenticationCode1", c1},
                                   {"AuthenticationCode2", c2}});
  };
  const std::string now = CodeAt(d, kStep);
  const std::string before = CodeAt(d, kStep - 1);
  std::string wrong = now;
  wrong[5] = wrong[5] == '9' ? '0' : static_cast<char>(wrong[5] + 1);
  Result<Json> r = enable(before, wrong);
  EXPECT_TRUE(IsError(r, "InvalidAuthenticationCode", message));
  EXPECT_EQ(r.status().http_status(), 403);
  EXPECT_TRUE(IsError(enable(now, before), "InvalidAuthenticationCode", message));  // order
  EXPECT_TRUE(IsError(enable(now, now), "InvalidAuthenticationCode", message));
  // Consecutive, but from an hour ago: beyond the ±10 step window.
  EXPECT_TRUE(IsError(enable(CodeAt(d, kStep - 120), CodeAt(d, kStep - 119)),
                      "InvalidAuthenticationCode", message));
  EXPECT_FALSE(DeviceRecord("phone").contains("User"));
  EXPECT_FALSE(UserRecord("bob").contains("MFADevices"));
  // Ten steps of clock drift are still accepted.
  EXPECT_TRUE(enable(CodeAt(d, kStep + 9), CodeAt(d, kStep + 10)).ok());
  EXPECT_EQ(DeviceRecord("phone")["StepOffset"], 10);
}

TEST_F(MfaLoginTest, CodesAreNeverAcceptedTwice) {
  MakeUser("bob");
  NewDevice d = MakeDevice("phone");
  ASSERT_TRUE(Enable("bob", d, kStep - 1).ok());
  Ok(&DeactivateMFADevice, {{"UserName", "bob"}, {"SerialNumber", d.serial}});
  // The same pair again (and an older one) is refused even after deactivation.
  EXPECT_TRUE(IsError(Enable("bob", d, kStep - 1), "InvalidAuthenticationCode"));
  EXPECT_TRUE(IsError(Enable("bob", d, kStep - 2), "InvalidAuthenticationCode"));
  // Nor may a new pair start at the step already used.
  set_now(kNow + 30);
  EXPECT_TRUE(IsError(Enable("bob", d, kStep), "InvalidAuthenticationCode"));
  EXPECT_TRUE(Enable("bob", d, kStep + 1).ok());
  // Resync with the pair Enable used is a replay too.
  Result<Json> r = Call(&ResyncMFADevice, {{"UserName", "bob"},
                                           {"SerialNumber", d.serial},
                                           {"AuthenticationCode1", CodeAt(d, kStep + 1)},
                                           {"AuthenticationCode2", CodeAt(d, kStep + 2)}});
  EXPECT_TRUE(IsError(r, "InvalidAuthenticationCode"));
}

TEST_F(MfaLoginTest, EnableErrors) {
  MakeUser("bob");
  MakeUser("alice");
  NewDevice d = MakeDevice("phone");
  EXPECT_TRUE(IsError(Enable("ghost", d, kStep - 1), "NoSuchEntity",
                      "The user with name ghost cannot be found."));
  NewDevice missing{Serial("nothere"), "", SecretBytes(totp::kSeedBytes), ""};
  EXPECT_TRUE(IsError(Enable("bob", missing, kStep - 1), "NoSuchEntity",
                      "MFA Device with serial number " + Serial("nothere") + " does not exist."));
  // A serial number of another account, or with the wrong path, names no device here.
  NewDevice foreign{"arn:aws:iam::999999999999:mfa/phone", "", d.seed.Clone(), ""};
  EXPECT_TRUE(IsError(Enable("bob", foreign, kStep - 1), "NoSuchEntity"));
  NewDevice wrong_path{Serial("phone", "/x/"), "", d.seed.Clone(), ""};
  EXPECT_TRUE(IsError(Enable("bob", wrong_path, kStep - 1), "NoSuchEntity"));

  ASSERT_TRUE(Enable("bob", d, kStep - 1).ok());
  set_now(kNow + 60);
  EXPECT_TRUE(
      IsError(Enable("bob", d, kStep + 1), "EntityAlreadyExists", "MFA Device is already in use."));
  EXPECT_TRUE(IsError(Enable("alice", d, kStep + 1), "EntityAlreadyExists",
                      "MFA Device is already in use."));
}

TEST_F(MfaLoginTest, AUserHasAtMostEightDevices) {
  MakeUser("bob");
  for (int i = 0; i < 8; ++i) {
    NewDevice d = MakeDevice(Numbered("d", i));
    ASSERT_TRUE(Enable("bob", d, kStep - 1).ok()) << i;
  }
  NewDevice ninth = MakeDevice("d8");
  EXPECT_TRUE(IsError(Enable("bob", ninth, kStep - 1), "LimitExceeded",
                      "Cannot exceed quota for MFADevicesPerUser: 8"));
  EXPECT_EQ(Ok(&ListMFADevices, {{"UserName", "bob"}})["MFADevices"].size(), 8u);
}

TEST_F(MfaLoginTest, ResyncFollowsAClockThatDrifted) {
  MakeUser("bob");
  MakeUser("alice");
  NewDevice d = MakeDevice("phone");
  ASSERT_TRUE(Enable("bob", d, kStep - 1).ok());
  // Later, the phone runs five steps fast.
  set_now(kNow + 600);
  const int64_t now_step = totp::TimeStep(kNow + 600);
  EXPECT_FALSE(Check(kUserArn, d.serial, CodeAt(d, now_step + 5)).ok());
  Ok(&ResyncMFADevice, {{"UserName", "bob"},
                        {"SerialNumber", d.serial},
                        {"AuthenticationCode1", CodeAt(d, now_step + 4)},
                        {"AuthenticationCode2", CodeAt(d, now_step + 5)}});
  Json record = DeviceRecord("phone");
  EXPECT_EQ(record["StepOffset"], 5);
  EXPECT_EQ(record["LastUsedStep"], now_step + 5);
  set_now(kNow + 630);
  EXPECT_TRUE(Check(kUserArn, d.serial, CodeAt(d, now_step + 6)).ok());
  EXPECT_FALSE(Check(kUserArn, d.serial, CodeAt(d, now_step + 1)).ok());

  const std::string message = "Authentication code for device is not valid.";
  EXPECT_TRUE(IsError(Call(&ResyncMFADevice, {{"UserName", "bob"},
                                              {"SerialNumber", d.serial},
                                              {"AuthenticationCode1", "000000"},
                                              {"AuthenticationCode2", "000000"}}),
                      "InvalidAuthenticationCode", message));
  EXPECT_TRUE(IsError(Call(&ResyncMFADevice, {{"UserName", "alice"},
                                              {"SerialNumber", d.serial},
                                              {"AuthenticationCode1", CodeAt(d, now_step + 7)},
                                              {"AuthenticationCode2", CodeAt(d, now_step + 8)}}),
                      "NoSuchEntity", "MFA Device invalid for user."));
}

TEST_F(MfaLoginTest, DeactivateAndDelete) {
  MakeUser("bob");
  MakeUser("alice");
  NewDevice d = MakeDevice("phone");
  ASSERT_TRUE(Enable("bob", d, kStep - 1).ok());
  EXPECT_TRUE(IsError(Call(&DeleteVirtualMFADevice, {{"SerialNumber", d.serial}}), "DeleteConflict",
                      "MFA VirtualDevice in use. Must deactivate first."));
  EXPECT_TRUE(
      IsError(Call(&DeactivateMFADevice, {{"UserName", "alice"}, {"SerialNumber", d.serial}}),
              "NoSuchEntity", "MFA Device invalid for user."));
  EXPECT_TRUE(
      IsError(Call(&DeactivateMFADevice, {{"UserName", "ghost"}, {"SerialNumber", d.serial}}),
              "NoSuchEntity", "The user with name ghost cannot be found."));
  EXPECT_TRUE(IsError(
      Call(&DeactivateMFADevice, {{"UserName", "bob"}, {"SerialNumber", Serial("nope")}}),
      "NoSuchEntity", "MFA Device with serial number " + Serial("nope") + " does not exist."));

  Ok(&DeactivateMFADevice, {{"UserName", "bob"}, {"SerialNumber", d.serial}});
  EXPECT_EQ(Ok(&ListMFADevices, {{"UserName", "bob"}})["MFADevices"], Json::array());
  EXPECT_EQ(UserRecord("bob")["MFADevices"], Json::array());
  Json record = DeviceRecord("phone");
  EXPECT_FALSE(record.contains("User"));
  EXPECT_FALSE(record.contains("EnableDate"));
  EXPECT_TRUE(IsError(Call(&DeactivateMFADevice, {{"UserName", "bob"}, {"SerialNumber", d.serial}}),
                      "NoSuchEntity", "MFA Device invalid for user."));

  Ok(&DeleteVirtualMFADevice, {{"SerialNumber", d.serial}});
  EXPECT_TRUE(DeviceRecord("phone").is_null());
  EXPECT_TRUE(IsError(Call(&DeleteVirtualMFADevice, {{"SerialNumber", d.serial}}), "NoSuchEntity",
                      "MFA Device with serial number " + d.serial + " does not exist."));
  Ok(&DeleteUser, {{"UserName", "bob"}});
}

TEST_F(MfaLoginTest, ListVirtualDevicesByAssignment) {
  MakeUser("bob");
  NewDevice a = MakeDevice("a");
  NewDevice b = MakeDevice("b", {{"Path", "/p/"}});
  NewDevice c = MakeDevice("c");
  ASSERT_TRUE(Enable("bob", b, kStep - 1).ok());
  auto serials = [&](const Json& input) {
    std::vector<std::string> out;
    Json listed = Ok(&ListVirtualMFADevices, input);
    for (const Json& d : listed["VirtualMFADevices"]) out.push_back(d["SerialNumber"]);
    return out;
  };
  using Serials = std::vector<std::string>;
  EXPECT_EQ(serials(Json::object()), (Serials{a.serial, b.serial, c.serial}));
  EXPECT_EQ(serials({{"AssignmentStatus", "Any"}}), (Serials{a.serial, b.serial, c.serial}));
  EXPECT_EQ(serials({{"AssignmentStatus", "Unassigned"}}), (Serials{a.serial, c.serial}));
  EXPECT_EQ(serials({{"AssignmentStatus", "Assigned"}}), (Serials{b.serial}));

  Json assigned = Ok(&ListVirtualMFADevices, {{"AssignmentStatus", "Assigned"}});
  const Json& entry = assigned["VirtualMFADevices"][0];
  EXPECT_EQ(entry["EnableDate"], kNow);
  Json user = Ok(&GetUser, {{"UserName", "bob"}})["User"];
  EXPECT_EQ(entry["User"], user);
  EXPECT_EQ(entry.size(), 3u) << entry.dump();  // never the seed
  Json unassigned = Ok(&ListVirtualMFADevices, {{"AssignmentStatus", "Unassigned"}});
  EXPECT_EQ(unassigned["VirtualMFADevices"][0], (Json{{"SerialNumber", a.serial}}));

  Json first = Ok(&ListVirtualMFADevices, {{"MaxItems", 2}});
  EXPECT_EQ(first["VirtualMFADevices"].size(), 2u);
  EXPECT_EQ(first["IsTruncated"], true);
  Json rest = Ok(&ListVirtualMFADevices, {{"MaxItems", 2}, {"Marker", first["Marker"]}});
  ASSERT_EQ(rest["VirtualMFADevices"].size(), 1u);
  EXPECT_EQ(rest["VirtualMFADevices"][0]["SerialNumber"], c.serial);
  EXPECT_EQ(rest["IsTruncated"], false);
}

TEST_F(MfaLoginTest, GetMfaDevice) {
  MakeUser("bob");
  MakeUser("alice");
  NewDevice d = MakeDevice("phone");
  EXPECT_TRUE(IsError(Call(&GetMFADevice, {{"SerialNumber", d.serial}}), "NoSuchEntity"));
  ASSERT_TRUE(Enable("bob", d, kStep - 1).ok());
  EXPECT_EQ(Ok(&GetMFADevice, {{"SerialNumber", d.serial}, {"UserName", "bob"}}),
            (Json{{"UserName", "bob"}, {"SerialNumber", d.serial}, {"EnableDate", kNow}}));
  EXPECT_EQ(Ok(&GetMFADevice, {{"SerialNumber", d.serial}})["UserName"], "bob");
  EXPECT_TRUE(IsError(Call(&GetMFADevice, {{"SerialNumber", d.serial}, {"UserName", "alice"}}),
                      "NoSuchEntity"));
}

TEST_F(MfaLoginTest, DeviceTags) {
  NewDevice d = MakeDevice("phone", {{"Tags", {{{"Key", "team"}, {"Value", "red"}}}}});
  EXPECT_EQ(Ok(&ListMFADeviceTags, {{"SerialNumber", d.serial}})["Tags"],
            (Json{{{"Key", "team"}, {"Value", "red"}}}));
  Ok(&TagMFADevice,
     {{"SerialNumber", d.serial},
      {"Tags", {{{"Key", "TEAM"}, {"Value", "blue"}}, {{"Key", "x"}, {"Value", "1"}}}}});
  EXPECT_EQ(Ok(&ListMFADeviceTags, {{"SerialNumber", d.serial}})["Tags"],
            (Json{{{"Key", "TEAM"}, {"Value", "blue"}}, {{"Key", "x"}, {"Value", "1"}}}));
  Ok(&UntagMFADevice, {{"SerialNumber", d.serial}, {"TagKeys", {"team"}}});
  Json page = Ok(&ListMFADeviceTags, {{"SerialNumber", d.serial}, {"MaxItems", 1}});
  EXPECT_EQ(page["Tags"], (Json{{{"Key", "x"}, {"Value", "1"}}}));
  EXPECT_EQ(page["IsTruncated"], false);
  for (OperationHandler h : {&ListMFADeviceTags, &TagMFADevice, &UntagMFADevice}) {
    EXPECT_TRUE(IsError(Call(h, {{"SerialNumber", Serial("nope")},
                                 {"Tags", Json::array()},
                                 {"TagKeys", Json::array()}}),
                        "NoSuchEntity"));
  }
}

TEST_F(MfaLoginTest, ListMfaDevicesOfTheCaller) {
  MakeUser("bob");
  NewDevice d = MakeDevice("phone");
  ASSERT_TRUE(Enable("bob", d, kStep - 1).ok());
  Result<Json> mine = CallAs(MakeUserContext("bob"), &ListMFADevices, Json::object());
  ASSERT_TRUE(mine.ok());
  EXPECT_EQ((*mine)["MFADevices"].size(), 1u);
  // The root user has no devices of its own here.
  EXPECT_EQ(Ok(&ListMFADevices, Json::object())["MFADevices"], Json::array());
  EXPECT_TRUE(IsError(Call(&ListMFADevices, {{"UserName", "ghost"}}), "NoSuchEntity"));
  RequestContext role = MakeContext();
  role.caller.type = Principal::Type::kAssumedRole;
  Result<Json> r = CallAs(role, &ListMFADevices, Json::object());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().kind(), ErrorKind::kValidation);
}

TEST_F(MfaLoginTest, SealedSeedIsBoundToItsRecord) {
  MakeUser("bob");
  NewDevice a = MakeDevice("a");
  MakeDevice("b");
  // A seed copied into another device's record does not open there.
  Json b = DeviceRecord("b");
  b["Seed"] = DeviceRecord("a")["Seed"];
  ASSERT_TRUE(store().Put("iam/123456789012/mfa/b", b.dump()).ok());
  Result<Json> r = Call(&EnableMFADevice, {{"UserName", "bob"},
                                           {"SerialNumber", Serial("b")},
                                           {"AuthenticationCode1", CodeAt(a, kStep - 1)},
                                           {"AuthenticationCode2", CodeAt(a, kStep)}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().kind(), ErrorKind::kInternalFailure);
  EXPECT_EQ(r.status().message().find(a.base32), std::string::npos);
}

// --- CheckMfaCode (STS) --------------------------------------------------------------

TEST_F(MfaLoginTest, CheckMfaCodeAcceptsEachCodeOnce) {
  MakeUser("bob");
  NewDevice d = MakeDevice("phone");
  ASSERT_TRUE(Enable("bob", d, kStep - 2).ok());  // used steps up to kStep - 1
  EXPECT_TRUE(Check(kUserArn, d.serial, CodeAt(d, kStep)).ok());
  EXPECT_EQ(DeviceRecord("phone")["LastUsedStep"], kStep);
  Status replay = Check(kUserArn, d.serial, CodeAt(d, kStep));
  EXPECT_EQ(replay.kind(), ErrorKind::kAccessDenied);
  EXPECT_EQ(replay.message(), kBadCode);
  // The next step's code (clock slightly behind) works once; the older one never again.
  EXPECT_TRUE(Check(kUserArn, d.serial, CodeAt(d, kStep + 1)).ok());
  EXPECT_EQ(Check(kUserArn, d.serial, CodeAt(d, kStep)).message(), kBadCode);
  EXPECT_EQ(Check(kUserArn, d.serial, "12345").message(), kBadCode);
  set_now(kNow + 300);
  const int64_t later = totp::TimeStep(kNow + 300);
  EXPECT_EQ(Check(kUserArn, d.serial, CodeAt(d, later + 2)).message(), kBadCode);
  EXPECT_TRUE(Check(kUserArn, d.serial, CodeAt(d, later - 1)).ok());
}

TEST_F(MfaLoginTest, CheckMfaCodeWritesOnlyInTheCallersTransaction) {
  MakeUser("bob");
  NewDevice d = MakeDevice("phone");
  ASSERT_TRUE(Enable("bob", d, kStep - 2).ok());
  RequestContext ctx = MakeUserContext("bob");
  {
    auto txn = store().Begin();
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE(CheckMfaCode(ctx, **txn, kUserArn, d.serial, CodeAt(d, kStep)).ok());
    // Not committed: rolled back.
  }
  EXPECT_EQ(DeviceRecord("phone")["LastUsedStep"], kStep - 1);
  EXPECT_TRUE(Check(kUserArn, d.serial, CodeAt(d, kStep)).ok());
}

TEST_F(MfaLoginTest, CheckMfaCodeNeedsTheUsersOwnAssignedDevice) {
  MakeUser("bob");
  MakeUser("alice");
  NewDevice d = MakeDevice("phone");
  NewDevice spare = MakeDevice("spare");
  ASSERT_TRUE(Enable("bob", d, kStep - 2).ok());
  const std::string code = CodeAt(d, kStep);
  auto denied = [&](const std::string& arn, const std::string& serial) {
    Status st = Check(arn, serial, code);
    return st.kind() == ErrorKind::kAccessDenied && st.message() == kBadSerial;
  };
  EXPECT_TRUE(denied("arn:aws:iam::123456789012:user/alice", d.serial));
  EXPECT_TRUE(denied("arn:aws:iam::123456789012:user/team/bob", d.serial));  // not its ARN
  EXPECT_TRUE(denied("arn:aws:iam::123456789012:root", d.serial));
  EXPECT_TRUE(denied("arn:aws:iam::999999999999:user/bob", d.serial));
  EXPECT_TRUE(denied(kUserArn, spare.serial));  // unassigned
  EXPECT_TRUE(denied(kUserArn, Serial("nope")));
  EXPECT_TRUE(denied(kUserArn, "GAHT12345678"));  // hardware serial
  EXPECT_EQ(DeviceRecord("phone")["LastUsedStep"], kStep - 1);
  EXPECT_TRUE(Check(kUserArn, d.serial, code).ok());
}

// --- Login profiles ------------------------------------------------------------------

TEST_F(MfaLoginTest, LoginProfileLifecycle) {
  MakeUser("bob");
  Json created =
      Ok(&CreateLoginProfile,
         {{"UserName", "bob"}, {"Password", "Sup3r-secret"}, {"PasswordResetRequired", true}});
  EXPECT_EQ(created["LoginProfile"],
            (Json{{"UserName", "bob"}, {"CreateDate", kNow}, {"PasswordResetRequired", true}}));
  Json profile = UserRecord("bob")["LoginProfile"];
  EXPECT_EQ(profile["CreateDate"], kNow);
  EXPECT_EQ(profile["PasswordLastChanged"], kNow);
  EXPECT_EQ(profile["PreviousHashes"], Json::array());
  EXPECT_TRUE(crypto::VerifyPassword("Sup3r-secret", profile["PasswordHash"].get<std::string>()));
  EXPECT_EQ(UserRecord("bob").dump().find("Sup3r-secret"), std::string::npos);

  EXPECT_EQ(Ok(&GetLoginProfile, {{"UserName", "BOB"}}), created);
  EXPECT_TRUE(IsError(Call(&CreateLoginProfile, {{"UserName", "bob"}, {"Password", "An0ther-one"}}),
                      "EntityAlreadyExists", "Login Profile for user bob already exists."));
  EXPECT_TRUE(IsError(Call(&DeleteUser, {{"UserName", "bob"}}), "DeleteConflict",
                      "Cannot delete entity, must delete login profile first."));

  set_now(kNow + 100);
  Ok(&UpdateLoginProfile, {{"UserName", "bob"}, {"PasswordResetRequired", false}});
  EXPECT_EQ(Ok(&GetLoginProfile, {{"UserName", "bob"}})["LoginProfile"]["PasswordResetRequired"],
            false);
  EXPECT_EQ(UserRecord("bob")["LoginProfile"]["PasswordLastChanged"], kNow);
  Ok(&UpdateLoginProfile, {{"UserName", "bob"}, {"Password", "N3w-password"}});
  profile = UserRecord("bob")["LoginProfile"];
  EXPECT_TRUE(crypto::VerifyPassword("N3w-password", profile["PasswordHash"].get<std::string>()));
  EXPECT_EQ(profile["PasswordLastChanged"], kNow + 100);
  EXPECT_EQ(profile["CreateDate"], kNow);
  ASSERT_EQ(profile["PreviousHashes"].size(), 1u);
  EXPECT_TRUE(
      crypto::VerifyPassword("Sup3r-secret", profile["PreviousHashes"][0].get<std::string>()));

  Ok(&DeleteLoginProfile, {{"UserName", "bob"}});
  const std::string missing = "Login Profile for User bob cannot be found.";
  EXPECT_TRUE(IsError(Call(&GetLoginProfile, {{"UserName", "bob"}}), "NoSuchEntity", missing));
  EXPECT_TRUE(IsError(Call(&DeleteLoginProfile, {{"UserName", "bob"}}), "NoSuchEntity", missing));
  EXPECT_TRUE(IsError(Call(&UpdateLoginProfile, {{"UserName", "bob"}, {"Password", "X1-abcdefg"}}),
                      "NoSuchEntity", missing));
  EXPECT_TRUE(IsError(Call(&UpdateLoginProfile, {{"UserName", "bob"}}), "NoSuchEntity", missing));
  Ok(&DeleteUser, {{"UserName", "bob"}});
}

TEST_F(MfaLoginTest, LoginProfileErrors) {
  const std::string ghost = "The user with name ghost cannot be found.";
  EXPECT_TRUE(IsError(Call(&CreateLoginProfile, {{"UserName", "ghost"}, {"Password", "Abcdef12"}}),
                      "NoSuchEntity", ghost));
  EXPECT_TRUE(IsError(Call(&GetLoginProfile, {{"UserName", "ghost"}}), "NoSuchEntity", ghost));
  EXPECT_TRUE(IsError(Call(&DeleteLoginProfile, {{"UserName", "ghost"}}), "NoSuchEntity", ghost));
  MakeUser("bob");
  // The root user must name the user; a user without UserName means itself.
  for (OperationHandler h : {&CreateLoginProfile, &GetLoginProfile, &DeleteLoginProfile}) {
    Result<Json> r = Call(h, {{"Password", "Abcdef12"}});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().kind(), ErrorKind::kValidation);
    EXPECT_EQ(r.status().message(), "Must specify userName when calling with non-User credentials");
  }
  Result<Json> missing_password = Call(&CreateLoginProfile, {{"UserName", "bob"}});
  ASSERT_FALSE(missing_password.ok());
  EXPECT_EQ(missing_password.status().kind(), ErrorKind::kValidation);
  ASSERT_TRUE(CallAs(MakeUserContext("bob"), &CreateLoginProfile, {{"Password", "Abcdef12"}}).ok());
  Result<Json> self = CallAs(MakeUserContext("bob"), &GetLoginProfile, Json::object());
  ASSERT_TRUE(self.ok());
  EXPECT_EQ((*self)["LoginProfile"]["UserName"], "bob");
  EXPECT_EQ((*self)["LoginProfile"]["PasswordResetRequired"], false);
}

TEST_F(MfaLoginTest, DefaultPasswordPolicyApplies) {
  MakeUser("bob");
  auto create = [&](const std::string& password) {
    return Call(&CreateLoginProfile, {{"UserName", "bob"}, {"Password", password}});
  };
  Result<Json> r = create("Ab1!xyz");
  EXPECT_TRUE(IsError(r, "PasswordPolicyViolation", "Password should have a minimum length of 8"));
  EXPECT_EQ(r.status().http_status(), 400);
  // Two character types are not enough; any three of the four are.
  EXPECT_TRUE(IsError(create("abcdefgh12"), "PasswordPolicyViolation"));
  EXPECT_TRUE(IsError(create("ABCDEFGH!!"), "PasswordPolicyViolation"));
  EXPECT_TRUE(IsError(create("abcd....1234"), "PasswordPolicyViolation"));  // '.' is no symbol
  EXPECT_FALSE(UserRecord("bob").contains("LoginProfile"));
  EXPECT_TRUE(create("abcd!!!!1234").ok());
}

TEST_F(MfaLoginTest, AccountPasswordPolicy) {
  const std::string none = "The Password Policy with domain name 123456789012 cannot be found.";
  EXPECT_TRUE(IsError(Call(&GetAccountPasswordPolicy, Json::object()), "NoSuchEntity", none));
  EXPECT_TRUE(IsError(Call(&DeleteAccountPasswordPolicy, Json::object()), "NoSuchEntity",
                      "The account policy with name PasswordPolicy cannot be found."));

  Ok(&UpdateAccountPasswordPolicy, Json::object());
  EXPECT_EQ(Ok(&GetAccountPasswordPolicy, Json::object())["PasswordPolicy"],
            (Json{{"MinimumPasswordLength", 6},
                  {"RequireSymbols", false},
                  {"RequireNumbers", false},
                  {"RequireUppercaseCharacters", false},
                  {"RequireLowercaseCharacters", false},
                  {"AllowUsersToChangePassword", false},
                  {"ExpirePasswords", false}}));
  Json full = {{"MinimumPasswordLength", 10},
               {"RequireSymbols", true},
               {"RequireNumbers", true},
               {"RequireUppercaseCharacters", true},
               {"RequireLowercaseCharacters", true},
               {"AllowUsersToChangePassword", true},
               {"MaxPasswordAge", 60},
               {"PasswordReusePrevention", 3},
               {"HardExpiry", true}};
  Ok(&UpdateAccountPasswordPolicy, full);
  Json expected = full;
  expected["ExpirePasswords"] = true;
  EXPECT_EQ(Ok(&GetAccountPasswordPolicy, Json::object())["PasswordPolicy"], expected);
  // No partial updates: what is left out goes back to its default.
  Ok(&UpdateAccountPasswordPolicy, {{"RequireNumbers", true}, {"HardExpiry", false}});
  EXPECT_EQ(Ok(&GetAccountPasswordPolicy, Json::object())["PasswordPolicy"],
            (Json{{"MinimumPasswordLength", 6},
                  {"RequireSymbols", false},
                  {"RequireNumbers", true},
                  {"RequireUppercaseCharacters", false},
                  {"RequireLowercaseCharacters", false},
                  {"AllowUsersToChangePassword", false},
                  {"ExpirePasswords", false},
                  {"HardExpiry", false}}));
  Ok(&DeleteAccountPasswordPolicy, Json::object());
  EXPECT_TRUE(IsError(Call(&GetAccountPasswordPolicy, Json::object()), "NoSuchEntity", none));
}

TEST_F(MfaLoginTest, CustomPolicyRules) {
  MakeUser("bob");
  Ok(&UpdateAccountPasswordPolicy, {{"MinimumPasswordLength", 10},
                                    {"RequireSymbols", true},
                                    {"RequireNumbers", true},
                                    {"RequireUppercaseCharacters", true},
                                    {"RequireLowercaseCharacters", true}});
  auto create = [&](const std::string& password) {
    return Call(&CreateLoginProfile, {{"UserName", "bob"}, {"Password", password}});
  };
  EXPECT_TRUE(IsError(create("Ab1!defgh"), "PasswordPolicyViolation",
                      "Password should have a minimum length of 10"));
  EXPECT_TRUE(IsError(create("ab1!defghij"), "PasswordPolicyViolation",
                      "Password should have at least one uppercase letter"));
  EXPECT_TRUE(IsError(create("AB1!DEFGHIJ"), "PasswordPolicyViolation",
                      "Password should have at least one lowercase letter"));
  EXPECT_TRUE(IsError(create("Abc!defghij"), "PasswordPolicyViolation",
                      "Password should have at least one number"));
  EXPECT_TRUE(IsError(create("Abc1defghi.~"), "PasswordPolicyViolation",
                      "Password should have at least one symbol"));
  EXPECT_TRUE(create("Abc1defghi'").ok());  // ' is one of the listed symbols
  // A lenient policy replaces the default one: six lowercase letters pass.
  Ok(&UpdateAccountPasswordPolicy, Json::object());
  Ok(&UpdateLoginProfile, {{"UserName", "bob"}, {"Password", "abcdef"}});
  EXPECT_TRUE(IsError(Call(&UpdateLoginProfile, {{"UserName", "bob"}, {"Password", "abcde"}}),
                      "PasswordPolicyViolation", "Password should have a minimum length of 6"));
}

TEST_F(MfaLoginTest, PasswordReusePrevention) {
  MakeUser("bob");
  Ok(&UpdateAccountPasswordPolicy, {{"PasswordReusePrevention", 2}});
  Ok(&CreateLoginProfile, {{"UserName", "bob"}, {"Password", "first-1"}});
  auto update = [&](const std::string& password) {
    return Call(&UpdateLoginProfile, {{"UserName", "bob"}, {"Password", password}});
  };
  const std::string reused = "Password should not be one of the last 2 passwords";
  EXPECT_TRUE(IsError(update("first-1"), "PasswordPolicyViolation", reused));
  ASSERT_TRUE(update("second-2").ok());
  EXPECT_TRUE(IsError(update("first-1"), "PasswordPolicyViolation", reused));
  EXPECT_TRUE(IsError(update("second-2"), "PasswordPolicyViolation", reused));
  ASSERT_TRUE(update("third-3").ok());
  // Only the last two are remembered for this policy...
  EXPECT_TRUE(update("first-1").ok());
  // ...but every change is kept (up to 24), for a stricter policy later.
  EXPECT_EQ(UserRecord("bob")["LoginProfile"]["PreviousHashes"].size(), 3u);
  Ok(&UpdateAccountPasswordPolicy, {{"PasswordReusePrevention", 4}});
  EXPECT_TRUE(IsError(update("second-2"), "PasswordPolicyViolation",
                      "Password should not be one of the last 4 passwords"));
}

TEST_F(MfaLoginTest, ChangePasswordAsTheUser) {
  MakeUser("bob");
  Ok(&CreateLoginProfile,
     {{"UserName", "bob"}, {"Password", "Initial-Pw1"}, {"PasswordResetRequired", true}});
  RequestContext bob = MakeUserContext("bob");
  set_now(kNow + 50);
  Result<Json> wrong = CallAs(bob, &ChangePassword,
                              {{"OldPassword", "initial-pw1"}, {"NewPassword", "Changed-Pw2"}});
  EXPECT_TRUE(IsError(wrong, "InvalidUserType", "The old password was incorrect."));
  EXPECT_TRUE(IsError(
      CallAs(bob, &ChangePassword, {{"OldPassword", "Initial-Pw1"}, {"NewPassword", "short"}}),
      "PasswordPolicyViolation"));
  ASSERT_TRUE(
      CallAs(bob, &ChangePassword, {{"OldPassword", "Initial-Pw1"}, {"NewPassword", "Changed-Pw2"}})
          .ok());
  Json profile = UserRecord("bob")["LoginProfile"];
  EXPECT_TRUE(crypto::VerifyPassword("Changed-Pw2", profile["PasswordHash"].get<std::string>()));
  EXPECT_EQ(profile["PasswordResetRequired"], false);
  EXPECT_EQ(profile["PasswordLastChanged"], kNow + 50);

  // Only IAM users change their own password.
  EXPECT_TRUE(IsError(Call(&ChangePassword, {{"OldPassword", "a"}, {"NewPassword", "Xyz-12345"}}),
                      "InvalidUserType"));
  MakeUser("alice");
  EXPECT_TRUE(IsError(CallAs(MakeUserContext("alice"), &ChangePassword,
                             {{"OldPassword", "a"}, {"NewPassword", "Xyz-12345"}}),
                      "NoSuchEntity", "Login Profile for User alice cannot be found."));
}

}  // namespace
}  // namespace bulwark::iam
