#include "services/authorization_message.h"

#include "crypto/crypto.h"
#include "storage/sealer.h"

namespace bulwark::authorization_message {
namespace {

// The sealing path binds a message to its account: one account's message does not
// open under another's.
std::string SealPath(std::string_view account) {
  return "sts/authorization-message/" + std::string(account);
}

// Encoded messages are a few kilobytes; anything far larger is not one.
constexpr size_t kMaxEncodedSize = 64 * 1024;

Status Invalid() {
  return Status::Service("InvalidAuthorizationMessageException", 400,
                         "The message is not a valid authorization message, or it has expired.");
}

}  // namespace

Result<std::string> Encode(const storage::Sealer& sealer, std::string_view account,
                           const Json& decoded, int64_t now) {
  const Json envelope = {{"issued", now}, {"message", decoded.dump()}};
  ASSIGN_OR_RETURN(std::string sealed, sealer.Seal(SealPath(account), envelope.dump()));
  return crypto::Base64UrlEncode(sealed);
}

Result<std::string> Decode(const storage::Sealer& sealer, std::string_view account,
                           std::string_view encoded, int64_t now) {
  if (encoded.size() > kMaxEncodedSize) return Invalid();
  std::optional<std::string> sealed = crypto::Base64UrlDecode(encoded);
  if (!sealed) return Invalid();
  // A message that does not authenticate is the caller's error here, not corruption.
  Result<SecretBytes> opened = sealer.Open(SealPath(account), *sealed);
  if (!opened.ok()) return Invalid();
  Json envelope = Json::parse(opened->view(), nullptr, /*allow_exceptions=*/false);
  if (!envelope.is_object() || !envelope["issued"].is_number_integer() ||
      !envelope["message"].is_string()) {
    return Invalid();
  }
  const int64_t issued = envelope["issued"].get<int64_t>();
  if (now < issued - 300 || now - issued > kLifetimeSeconds) return Invalid();
  return envelope["message"].get<std::string>();
}

}  // namespace bulwark::authorization_message
