// IAM virtual MFA devices: create (seed and QR code shown once), enable for a user with
// two consecutive codes, resync, deactivate, delete, list, tags, and the one-code check
// STS uses for TokenCode.
//
// A device is one record at "iam/ACCOUNT/mfa/" + lowercased name (names are unique per
// account without regard to case or path). The TOTP seed is sealed with the root key
// under that storage key, so the data directory never holds it in plaintext; it is
// opened only to verify codes and wiped right after. The user record lists its devices
// in "MFADevices" (serial numbers), which is what DeleteUser and STS look at.
//
// Replay: every accepted code moves the device's LastUsedStep forward, and a code of a
// step at or before it is never accepted again (EnableMFADevice, ResyncMFADevice and
// sign-in alike).
#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "auth/totp.h"
#include "crypto/crypto.h"
#include "services/iam/common.h"
#include "services/iam/handlers.h"
#include "services/iam/qr_png.h"
#include "storage/sealer.h"

namespace bulwark::iam {
namespace {

// Default quota: "Assigned MFA devices per user: 8" (IAM and STS quotas).
constexpr size_t kMaxMfaDevicesPerUser = 8;
// "Virtual MFA devices (assigned or unassigned) in an AWS account: equal to the user
// quota for the account".
constexpr size_t kMaxVirtualMfaDevices = kMaxUsers;

// STS's AccessDenied messages for a bad TokenCode and for a serial number that is not
// a device of the user.
constexpr char kBadTokenCode[] =
    "MultiFactorAuthentication failed with invalid MFA one time pass code. ";
constexpr char kBadSerial[] =
    "MultiFactorAuthentication failed, unable to validate MFA code.  Please verify your MFA "
    "serial number is valid and associated with this user.";

Status DeviceNotFound(std::string_view serial) {
  return NoSuchEntity("MFA Device with serial number " + std::string(serial) + " does not exist.");
}

Status NotUsersDevice() { return NoSuchEntity("MFA Device invalid for user."); }

Status InvalidAuthenticationCode() {
  return Status::Service("InvalidAuthenticationCode", 403,
                         "Authentication code for device is not valid.");
}

bool SameSerial(std::string_view a, std::string_view b) { return Lower(a) == Lower(b); }

struct Device {
  std::string key;
  Json record;
};

// The virtual device a serial number names in the caller's account. Serial numbers of
// other accounts, of hardware tokens and of devices that were deleted are all unknown.
Result<std::optional<Device>> FindDevice(storage::Transaction& txn, std::string_view account,
                                         std::string_view serial) {
  const std::string prefix = "arn:aws:iam::" + std::string(account) + ":mfa/";
  if (!serial.starts_with(prefix)) return std::optional<Device>();
  const std::string name(serial.substr(serial.rfind('/') + 1));
  if (name.empty()) return std::optional<Device>();
  Device device{MfaDeviceKey(account, name), Json()};
  ASSIGN_OR_RETURN(std::optional<Json> record, Load(txn, device.key));
  if (!record || !SameSerial(record->value("SerialNumber", ""), serial)) {
    return std::optional<Device>();
  }
  device.record = std::move(*record);
  return std::optional<Device>(std::move(device));
}

Result<Device> LoadDevice(storage::Transaction& txn, std::string_view account,
                          std::string_view serial) {
  ASSIGN_OR_RETURN(std::optional<Device> device, FindDevice(txn, account, serial));
  if (!device) return DeviceNotFound(serial);
  return std::move(*device);
}

Result<SecretBytes> OpenSeed(const RequestContext& ctx, const Device& device) {
  if (ctx.env->sealer == nullptr) {
    return Status(ErrorKind::kInternalFailure, "no sealer for MFA seeds");
  }
  std::optional<std::string> sealed = crypto::Base64Decode(device.record.value("Seed", ""));
  if (!sealed) return Status(ErrorKind::kInternalFailure, "corrupt MFA device record");
  return ctx.env->sealer->Open(device.key, *sealed);
}

int64_t LastUsedStep(const Json& record) {
  auto it = record.find("LastUsedStep");
  return it != record.end() && it->is_number_integer() ? it->get<int64_t>() : totp::kNoStepUsed;
}

int64_t StepOffset(const Json& record) {
  auto it = record.find("StepOffset");
  if (it == record.end() || !it->is_number_integer()) return 0;
  return std::clamp<int64_t>(it->get<int64_t>(), -totp::kConsecutiveWindow,
                             totp::kConsecutiveWindow);
}

// How far the device's clock is off, in steps, judged from the step of the later of two
// consecutive codes. Two codes cannot tell a device one step off from a user who took a
// while to submit, and the sign-in window already absorbs one step: only a larger
// difference is recorded.
int64_t DriftOf(int64_t accepted_step, int64_t now) {
  const int64_t drift = accepted_step - totp::TimeStep(now);
  return drift > totp::kSignInWindow || drift < -totp::kSignInWindow ? drift : 0;
}

// The Base32 text of a seed, kept in wiped memory: it is the secret in another form.
SecretBytes Base32Of(const SecretBytes& seed) {
  std::string text = totp::Base32Encode(seed);
  SecretBytes out = SecretBytes::FromView(text);
  SecureWipe(text.data(), text.size());
  return out;
}

Json Blob(std::string_view bytes) {
  return Json::binary(std::vector<std::uint8_t>(bytes.begin(), bytes.end()));
}

// UserName when given, else the calling IAM user; empty for the root user and roles.
std::string NamedOrSelf(const RequestContext& ctx, const Json& input) {
  if (auto it = input.find("UserName"); it != input.end() && it->is_string()) {
    return it->get<std::string>();
  }
  return ctx.caller.type == Principal::Type::kIAMUser ? UserNameOfArn(ctx.caller.arn) : "";
}

Status NeedUserName() {
  return Status(ErrorKind::kValidation,
                "Must specify userName when calling with non-User credentials");
}

// The device's position in the user's list, or npos.
size_t IndexIn(const Json& user, std::string_view serial) {
  const Json& list = user.contains("MFADevices") ? user["MFADevices"] : Json::array();
  for (size_t i = 0; i < list.size(); ++i) {
    if (list[i].is_string() && SameSerial(list[i].get<std::string>(), serial)) return i;
  }
  return std::string::npos;
}

Status SaveUser(storage::Transaction& txn, std::string_view account, const Json& user) {
  return Save(txn, EntityKey(account, Kind::kUser, user["UserName"].get<std::string>()), user);
}

// The User shape of ListVirtualMFADevices' assigned devices.
Json UserShape(const Json& user) {
  return {{"Path", user["Path"]},
          {"UserName", user["UserName"]},
          {"UserId", user["UserId"]},
          {"Arn", user["Arn"]},
          {"CreateDate", user["CreateDate"]}};
}

// Validates two consecutive codes against the device (searching around the device's
// own notion of now) and records the later step and the drift.
Status AcceptConsecutive(const RequestContext& ctx, Device& device, const Json& input,
                         bool use_recorded_drift) {
  ASSIGN_OR_RETURN(SecretBytes seed, OpenSeed(ctx, device));
  const int64_t now = Now(ctx);
  const int64_t offset = use_recorded_drift ? StepOffset(device.record) : 0;
  std::optional<int64_t> step = totp::VerifyConsecutive(
      seed, input.at("AuthenticationCode1").get<std::string>(),
      input.at("AuthenticationCode2").get<std::string>(), now + offset * totp::kDefaultStep,
      totp::kConsecutiveWindow, LastUsedStep(device.record));
  if (!step) return InvalidAuthenticationCode();
  device.record["LastUsedStep"] = *step;
  device.record["StepOffset"] = DriftOf(*step, now);
  return Status::Ok();
}

}  // namespace

Result<Json> CreateVirtualMFADevice(RequestContext& ctx, const Json& input) {
  const std::string& account = ctx.caller.account_id;
  const std::string name = input.at("VirtualMFADeviceName").get<std::string>();
  std::string path = input.value("Path", "/");
  if (path.empty() || path.front() != '/' || path.back() != '/') {
    return Status(ErrorKind::kValidation,
                  "The specified value for path is invalid. It must begin and end with / and "
                  "contain only alphanumeric characters and/or / characters.");
  }
  if (ctx.env->sealer == nullptr) {
    return Status(ErrorKind::kInternalFailure, "no sealer for MFA seeds");
  }
  ASSIGN_OR_RETURN(auto txn, BeginWrite(ctx));
  const std::string key = MfaDeviceKey(account, name);
  ASSIGN_OR_RETURN(std::optional<Json> existing, Load(*txn, key));
  if (existing) return EntityAlreadyExists("MFA device already exists.");
  ASSIGN_OR_RETURN(size_t devices, Count(*txn, MfaDevicePrefix(account)));
  if (devices >= kMaxVirtualMfaDevices) {
    return LimitExceeded("Cannot exceed quota for VirtualMFADevicesPerAccount: " +
                         std::to_string(kMaxVirtualMfaDevices));
  }
  const std::string serial = "arn:aws:iam::" + account + ":mfa" + path + name;
  Json record = {
      {"SerialNumber", serial}, {"VirtualMFADeviceName", name}, {"Path", path},
      {"CreateDate", Now(ctx)}, {"Tags", Json::array()},
  };
  if (auto it = input.find("Tags"); it != input.end()) {
    ASSIGN_OR_RETURN(record["Tags"], MergeTags(Json::array(), *it));
  }

  const SecretBytes seed = totp::NewSeed();
  const SecretBytes base32 = Base32Of(seed);
  ASSIGN_OR_RETURN(std::string sealed, ctx.env->sealer->Seal(key, seed.view()));
  record["Seed"] = crypto::Base64Encode(sealed);
  // AWS documents the QR code as otpauth://totp/$virtualMFADeviceName@$AccountName
  // ?secret=$Base32String, without an issuer.
  std::string uri = totp::ProvisioningUri(name + "@" + account, "", base32.view());
  Result<std::string> png = QrCodePng(uri);
  SecureWipe(uri.data(), uri.size());
  if (!png.ok()) return Status(ErrorKind::kInternalFailure, "QR code: " + png.status().message());

  RETURN_IF_ERROR(Save(*txn, key, record));
  RETURN_IF_ERROR(Commit(ctx, *txn));
  // The only time the seed leaves the server. (The response's copies belong to the
  // protocol layer, which frees them once the response is written.)
  Json device = {{"SerialNumber", serial},
                 {"Base32StringSeed", Blob(base32.view())},
                 {"QRCodePNG", Blob(*png)}};
  if (!record["Tags"].empty()) device["Tags"] = record["Tags"];
  return Json{{"VirtualMFADevice", std::move(device)}};
}

Result<Json> EnableMFADevice(RequestContext& ctx, const Json& input) {
  const std::string& account = ctx.caller.account_id;
  const std::string serial = input.at("SerialNumber").get<std::string>();
  ASSIGN_OR_RETURN(auto txn, BeginWrite(ctx));
  ASSIGN_OR_RETURN(Json user,
                   LoadEntity(*txn, account, Kind::kUser, input.at("UserName").get<std::string>()));
  ASSIGN_OR_RETURN(Device device, LoadDevice(*txn, account, serial));
  if (device.record.contains("User")) return EntityAlreadyExists("MFA Device is already in use.");
  if (user.value("MFADevices", Json::array()).size() >= kMaxMfaDevicesPerUser) {
    return LimitExceeded("Cannot exceed quota for MFADevicesPerUser: " +
                         std::to_string(kMaxMfaDevicesPerUser));
  }
  RETURN_IF_ERROR(AcceptConsecutive(ctx, device, input, /*use_recorded_drift=*/false));
  device.record["User"] = user["UserName"];
  device.record["EnableDate"] = Now(ctx);
  if (!user.contains("MFADevices")) user["MFADevices"] = Json::array();
  user["MFADevices"].push_back(device.record["SerialNumber"]);
  RETURN_IF_ERROR(Save(*txn, device.key, device.record));
  RETURN_IF_ERROR(SaveUser(*txn, account, user));
  RETURN_IF_ERROR(Commit(ctx, *txn));
  return Json::object();
}

Result<Json> ResyncMFADevice(RequestContext& ctx, const Json& input) {
  const std::string& account = ctx.caller.account_id;
  const std::string serial = input.at("SerialNumber").get<std::string>();
  ASSIGN_OR_RETURN(auto txn, BeginWrite(ctx));
  ASSIGN_OR_RETURN(Json user,
                   LoadEntity(*txn, account, Kind::kUser, input.at("UserName").get<std::string>()));
  ASSIGN_OR_RETURN(Device device, LoadDevice(*txn, account, serial));
  if (IndexIn(user, serial) == std::string::npos) return NotUsersDevice();
  RETURN_IF_ERROR(AcceptConsecutive(ctx, device, input, /*use_recorded_drift=*/true));
  RETURN_IF_ERROR(Save(*txn, device.key, device.record));
  RETURN_IF_ERROR(Commit(ctx, *txn));
  return Json::object();
}

Result<Json> DeactivateMFADevice(RequestContext& ctx, const Json& input) {
  const std::string& account = ctx.caller.account_id;
  const std::string serial = input.at("SerialNumber").get<std::string>();
  const std::string name = NamedOrSelf(ctx, input);
  if (name.empty()) return NeedUserName();
  ASSIGN_OR_RETURN(auto txn, BeginWrite(ctx));
  ASSIGN_OR_RETURN(Json user, LoadEntity(*txn, account, Kind::kUser, name));
  ASSIGN_OR_RETURN(Device device, LoadDevice(*txn, account, serial));
  const size_t index = IndexIn(user, serial);
  if (index == std::string::npos) return NotUsersDevice();
  user["MFADevices"].erase(index);
  // LastUsedStep stays: codes seen once are never accepted again, whoever enables the
  // device next.
  device.record.erase("User");
  device.record.erase("EnableDate");
  RETURN_IF_ERROR(Save(*txn, device.key, device.record));
  RETURN_IF_ERROR(SaveUser(*txn, account, user));
  RETURN_IF_ERROR(Commit(ctx, *txn));
  return Json::object();
}

Result<Json> DeleteVirtualMFADevice(RequestContext& ctx, const Json& input) {
  const std::string serial = input.at("SerialNumber").get<std::string>();
  ASSIGN_OR_RETURN(auto txn, BeginWrite(ctx));
  ASSIGN_OR_RETURN(Device device, LoadDevice(*txn, ctx.caller.account_id, serial));
  if (device.record.contains("User")) {
    return DeleteConflict("MFA VirtualDevice in use. Must deactivate first.");
  }
  RETURN_IF_ERROR(txn->Delete(device.key));
  RETURN_IF_ERROR(Commit(ctx, *txn));
  return Json::object();
}

Result<Json> ListMFADevices(RequestContext& ctx, const Json& input) {
  const std::string& account = ctx.caller.account_id;
  const std::string name = NamedOrSelf(ctx, input);
  Json items = Json::array();
  if (name.empty()) {
    // The root user's own devices: none can be assigned to it through this API.
    if (ctx.caller.type != Principal::Type::kRoot) return NeedUserName();
    ASSIGN_OR_RETURN(Page page, PageOf(items, input));
    return PageOutput(std::move(page), "MFADevices");
  }
  ASSIGN_OR_RETURN(auto txn, BeginRead(ctx));
  ASSIGN_OR_RETURN(Json user, LoadEntity(*txn, account, Kind::kUser, name));
  for (const Json& serial : user.value("MFADevices", Json::array())) {
    ASSIGN_OR_RETURN(std::optional<Device> device,
                     FindDevice(*txn, account, serial.get<std::string>()));
    if (!device) continue;
    items.push_back({{"UserName", user["UserName"]},
                     {"SerialNumber", device->record["SerialNumber"]},
                     {"EnableDate", device->record.value("EnableDate", Json(0))}});
  }
  ASSIGN_OR_RETURN(Page page, PageOf(items, input));
  return PageOutput(std::move(page), "MFADevices");
}

Result<Json> ListVirtualMFADevices(RequestContext& ctx, const Json& input) {
  const std::string& account = ctx.caller.account_id;
  const std::string status = input.value("AssignmentStatus", "Any");
  ASSIGN_OR_RETURN(auto txn, BeginRead(ctx));
  Status failure = Status::Ok();
  ASSIGN_OR_RETURN(Page page,
                   ListRecords(
                       *txn, MfaDevicePrefix(account), input,
                       [&](const Json& d) {
                         const bool assigned = d.contains("User");
                         return status == "Any" || (status == "Assigned") == assigned;
                       },
                       [&](const Json& d) {
                         Json out = {{"SerialNumber", d["SerialNumber"]}};
                         if (!d.contains("User")) return out;
                         out["EnableDate"] = d.value("EnableDate", Json(0));
                         Result<std::optional<Json>> user = Load(
                             *txn, EntityKey(account, Kind::kUser, d["User"].get<std::string>()));
                         if (!user.ok()) {
                           failure = user.status();
                         } else if (*user) {
                           out["User"] = UserShape(**user);
                         }
                         return out;
                       }));
  RETURN_IF_ERROR(failure);
  return PageOutput(std::move(page), "VirtualMFADevices");
}

Result<Json> GetMFADevice(RequestContext& ctx, const Json& input) {
  const std::string& account = ctx.caller.account_id;
  const std::string serial = input.at("SerialNumber").get<std::string>();
  const std::string name = NamedOrSelf(ctx, input);
  ASSIGN_OR_RETURN(auto txn, BeginRead(ctx));
  ASSIGN_OR_RETURN(Device device, LoadDevice(*txn, account, serial));
  if (!device.record.contains("User")) return DeviceNotFound(serial);
  if (!name.empty()) {
    ASSIGN_OR_RETURN(Json user, LoadEntity(*txn, account, Kind::kUser, name));
    if (IndexIn(user, serial) == std::string::npos) return DeviceNotFound(serial);
  }
  return Json{{"UserName", device.record["User"]},
              {"SerialNumber", device.record["SerialNumber"]},
              {"EnableDate", device.record.value("EnableDate", Json(0))}};
}

Result<Json> TagMFADevice(RequestContext& ctx, const Json& input) {
  ASSIGN_OR_RETURN(auto txn, BeginWrite(ctx));
  ASSIGN_OR_RETURN(Device device, LoadDevice(*txn, ctx.caller.account_id,
                                             input.at("SerialNumber").get<std::string>()));
  ASSIGN_OR_RETURN(device.record["Tags"],
                   MergeTags(device.record.value("Tags", Json::array()), input.at("Tags")));
  RETURN_IF_ERROR(Save(*txn, device.key, device.record));
  RETURN_IF_ERROR(Commit(ctx, *txn));
  return Json::object();
}

Result<Json> UntagMFADevice(RequestContext& ctx, const Json& input) {
  ASSIGN_OR_RETURN(auto txn, BeginWrite(ctx));
  ASSIGN_OR_RETURN(Device device, LoadDevice(*txn, ctx.caller.account_id,
                                             input.at("SerialNumber").get<std::string>()));
  device.record["Tags"] =
      RemoveTags(device.record.value("Tags", Json::array()), input.at("TagKeys"));
  RETURN_IF_ERROR(Save(*txn, device.key, device.record));
  RETURN_IF_ERROR(Commit(ctx, *txn));
  return Json::object();
}

Result<Json> ListMFADeviceTags(RequestContext& ctx, const Json& input) {
  ASSIGN_OR_RETURN(auto txn, BeginRead(ctx));
  ASSIGN_OR_RETURN(Device device, LoadDevice(*txn, ctx.caller.account_id,
                                             input.at("SerialNumber").get<std::string>()));
  ASSIGN_OR_RETURN(Page page, PageOf(device.record.value("Tags", Json::array()), input));
  return PageOutput(std::move(page), "Tags");
}

Status CheckMfaCode(RequestContext& ctx, storage::Transaction& txn,
                    std::string_view user_arn_or_account_root, std::string_view serial_number,
                    std::string_view token_code) {
  const std::string& account = ctx.caller.account_id;
  const Status bad_serial(ErrorKind::kAccessDenied, kBadSerial);
  // Only IAM users of the caller's account hold devices; the root user cannot be
  // assigned one through the API.
  const std::string user_prefix = "arn:aws:iam::" + account + ":user/";
  if (!user_arn_or_account_root.starts_with(user_prefix)) return bad_serial;
  const std::string name = UserNameOfArn(user_arn_or_account_root);
  ASSIGN_OR_RETURN(std::optional<Json> user, Load(txn, EntityKey(account, Kind::kUser, name)));
  // The ARN must be the user's current one: a user deleted and created again under the
  // same name, or moved to another path, is not the principal that asked.
  if (!user || user->value("Arn", "") != user_arn_or_account_root) return bad_serial;
  if (IndexIn(*user, serial_number) == std::string::npos) return bad_serial;
  ASSIGN_OR_RETURN(std::optional<Device> device, FindDevice(txn, account, serial_number));
  if (!device || !device->record.contains("User")) return bad_serial;

  ASSIGN_OR_RETURN(SecretBytes seed, OpenSeed(ctx, *device));
  const int64_t device_now = Now(ctx) + StepOffset(device->record) * totp::kDefaultStep;
  std::optional<int64_t> step = totp::VerifyCode(seed, token_code, device_now, totp::kSignInWindow,
                                                 LastUsedStep(device->record));
  if (!step) return Status(ErrorKind::kAccessDenied, kBadTokenCode);
  device->record["LastUsedStep"] = *step;
  return Save(txn, device->key, device->record);
}

}  // namespace bulwark::iam
