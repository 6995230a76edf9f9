#include "auth/jwt.h"

#include <algorithm>
#include <optional>

namespace bulwark::jwt {
namespace {

using Json = nlohmann::json;

Status Invalid(std::string message) {
  return Status::Service("InvalidIdentityToken", 400, std::move(message));
}

bool SupportedAlg(std::string_view alg) {
  return alg == "RS256" || alg == "RS384" || alg == "RS512" || alg == "ES256" || alg == "ES384";
}

// The key type an algorithm needs.
std::string_view KtyOf(std::string_view alg) { return alg.starts_with("RS") ? "RSA" : "EC"; }

std::optional<Json> DecodeObject(std::string_view part) {
  std::optional<std::string> bytes = crypto::Base64UrlDecode(part);
  if (!bytes) return std::nullopt;
  Json j = Json::parse(*bytes, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return std::nullopt;
  return j;
}

// A NumericDate claim (RFC 7519 section 2): a JSON number of seconds.
std::optional<int64_t> NumericDate(const Json& claims, const char* name) {
  auto it = claims.find(name);
  if (it == claims.end() || !it->is_number()) return std::nullopt;
  double v = it->get<double>();
  if (!(v > -1e15 && v < 1e15)) return std::nullopt;
  return static_cast<int64_t>(v);
}

std::optional<std::string> Member(const Json& object, const char* name) {
  auto it = object.find(name);
  if (it == object.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

}  // namespace

Result<std::vector<Jwk>> ParseJwks(std::string_view document) {
  Json j = Json::parse(document, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("keys") || !j["keys"].is_array()) {
    return Status(ErrorKind::kValidation, "not a JWKS document");
  }
  std::vector<Jwk> out;
  for (const Json& k : j["keys"]) {
    if (!k.is_object()) continue;
    if (Member(k, "use").value_or("sig") != "sig") continue;
    Jwk jwk;
    jwk.kid = Member(k, "kid").value_or("");
    jwk.alg = Member(k, "alg").value_or("");
    jwk.key.kty = Member(k, "kty").value_or("");
    auto decode = [&](const char* name, std::string* out_value) {
      std::optional<std::string> text = Member(k, name);
      if (!text) return false;
      std::optional<std::string> bytes = crypto::Base64UrlDecode(*text);
      if (!bytes || bytes->empty()) return false;
      *out_value = std::move(*bytes);
      return true;
    };
    if (jwk.key.kty == "RSA") {
      if (!decode("n", &jwk.key.n) || !decode("e", &jwk.key.e)) continue;
    } else if (jwk.key.kty == "EC") {
      jwk.key.crv = Member(k, "crv").value_or("");
      if (!decode("x", &jwk.key.x) || !decode("y", &jwk.key.y)) continue;
    } else {
      continue;
    }
    out.push_back(std::move(jwk));
  }
  return out;
}

Result<ParsedToken> Parse(std::string_view token) {
  if (token.size() > kMaxTokenChars) return Invalid("The web identity token is too long.");
  const size_t dot1 = token.find('.');
  const size_t dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
    return Invalid("The web identity token is not a valid JWT.");
  }
  ParsedToken out;
  std::optional<Json> header = DecodeObject(token.substr(0, dot1));
  std::optional<Json> claims = DecodeObject(token.substr(dot1 + 1, dot2 - dot1 - 1));
  std::optional<std::string> signature = crypto::Base64UrlDecode(token.substr(dot2 + 1));
  if (!header || !claims || !signature) {
    return Invalid("The web identity token is not a valid JWT.");
  }
  out.alg = Member(*header, "alg").value_or("");
  if (!SupportedAlg(out.alg)) {
    return Invalid("The token's signing algorithm is not supported: " + out.alg);
  }
  // RFC 7515 4.1.11: extensions that must be understood; Bulwark understands none.
  if (header->contains("crit")) return Invalid("The token uses unsupported critical headers.");
  if (header->contains("kid") && !(*header)["kid"].is_string()) {
    return Invalid("The web identity token is not a valid JWT.");
  }
  out.kid = Member(*header, "kid").value_or("");
  out.header = std::move(*header);
  out.claims = std::move(*claims);
  out.signing_input = std::string(token.substr(0, dot2));
  out.signature = std::move(*signature);
  return out;
}

Status VerifySignature(const ParsedToken& token, const std::vector<Jwk>& keys) {
  bool candidate = false;
  for (const Jwk& k : keys) {
    if (!token.kid.empty() && k.kid != token.kid) continue;
    if (k.key.kty != KtyOf(token.alg)) continue;
    if (!k.alg.empty() && k.alg != token.alg) continue;
    candidate = true;
    Result<bool> ok =
        crypto::VerifyJwsSignature(token.alg, k.key, token.signing_input, token.signature);
    if (ok.ok() && ok.value()) return Status::Ok();
  }
  if (!candidate) {
    return Invalid("No signing key of the identity provider matches the token (kid " + token.kid +
                   ").");
  }
  return Invalid("The web identity token's signature could not be verified.");
}

Result<Claims> CheckClaims(const ParsedToken& token, const Expectations& expect) {
  const Json& c = token.claims;
  Claims out;
  std::optional<std::string> iss = Member(c, "iss");
  if (!iss || *iss != expect.issuer) return Invalid("Token issuer does not match the provider.");

  std::vector<std::string> auds;
  if (auto it = c.find("aud"); it != c.end()) {
    if (it->is_string()) {
      auds.push_back(it->get<std::string>());
    } else if (it->is_array()) {
      for (const Json& a : *it) {
        if (a.is_string()) auds.push_back(a.get<std::string>());
      }
    }
  }
  for (const std::string& a : auds) {
    if (std::find(expect.audiences.begin(), expect.audiences.end(), a) != expect.audiences.end()) {
      out.audience = a;
      break;
    }
  }
  if (out.audience.empty()) return Invalid("Incorrect token audience");

  std::optional<int64_t> exp = NumericDate(c, "exp");
  if (!exp) return Invalid("The token has no valid exp claim.");
  if (*exp <= expect.now) {
    return Status::Service("ExpiredTokenException", 400,
                           "Token expired: current date/time " + std::to_string(expect.now) +
                               " must be before the expiration "
                               "date/time " +
                               std::to_string(*exp));
  }
  if (c.contains("nbf")) {
    std::optional<int64_t> nbf = NumericDate(c, "nbf");
    if (!nbf || *nbf > expect.now + kClockSkewSeconds)
      return Invalid("The token is not yet valid.");
  }
  if (c.contains("iat")) {
    std::optional<int64_t> iat = NumericDate(c, "iat");
    if (!iat || *iat > expect.now + kClockSkewSeconds || *iat > *exp) {
      return Invalid("The token's issue time is not valid.");
    }
  }
  std::optional<std::string> sub = Member(c, "sub");
  if (!sub || sub->empty()) return Invalid("The token has no sub claim.");
  out.subject = std::move(*sub);
  if (auto it = c.find("amr"); it != c.end()) {
    if (it->is_string()) out.amr.push_back(it->get<std::string>());
    if (it->is_array()) {
      for (const Json& a : *it) {
        if (a.is_string()) out.amr.push_back(a.get<std::string>());
      }
    }
  }
  return out;
}

}  // namespace bulwark::jwt
