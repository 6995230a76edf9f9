// Unit tests for the SigV4 error paths: a table of hostile and malformed inputs, time
// checks, key derivation and payload hashing.
#include "auth/sigv4.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "crypto/crypto.h"

namespace bulwark::sigv4 {
namespace {

constexpr std::string_view kSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr std::string_view kGoodSig =
    "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";
constexpr int64_t kNow = 1440938160;  // 20150830T123600Z

std::string AuthHeader(std::string_view credential, std::string_view signed_headers,
                       std::string_view signature) {
  return "AWS4-HMAC-SHA256 Credential=" + std::string(credential) +
         ", SignedHeaders=" + std::string(signed_headers) + ", Signature=" + std::string(signature);
}

// get-vanilla from the AWS suite: a correctly signed request.
http::Request Vanilla() {
  http::Request r;
  r.method = "GET";
  r.target = "/";
  r.headers = {{"Host", "example.amazonaws.com"},
               {"X-Amz-Date", "20150830T123600Z"},
               {"Authorization", AuthHeader("AKIDEXAMPLE/20150830/us-east-1/service/aws4_request",
                                            "host;x-amz-date", kGoodSig)}};
  return r;
}

void SetHeader(http::Request& r, std::string_view name, std::string value) {
  for (auto& [k, v] : r.headers) {
    if (http::HeaderNameEquals(k, name)) {
      v = std::move(value);
      return;
    }
  }
  r.headers.emplace_back(std::string(name), std::move(value));
}

void RemoveHeader(http::Request& r, std::string_view name) {
  std::erase_if(r.headers, [&](const auto& h) { return http::HeaderNameEquals(h.first, name); });
}

// Signs `r` (header form) with the example secret, replacing its Authorization header.
void SignHeaderForm(http::Request& r, std::string_view signed_headers = "host;x-amz-date") {
  SetHeader(r, "Authorization",
            AuthHeader("AKIDEXAMPLE/20150830/us-east-1/service/aws4_request", signed_headers,
                       std::string(64, '0')));
  Result<ParsedAuth> auth = Parse(r);
  ASSERT_TRUE(auth.ok()) << auth.status().message();
  SecretBytes key = DeriveSigningKey(kSecret, auth->date, auth->region, auth->service);
  std::string sig = Signature(key, StringToSign(*auth, CanonicalRequest(r, *auth)));
  SetHeader(r, "Authorization",
            AuthHeader("AKIDEXAMPLE/20150830/us-east-1/service/aws4_request", signed_headers, sig));
}

const char kPresignVanilla[] =
    "/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2F"
    "service%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-SignedHeaders=host&X-Amz-"
    "Expires=3600&X-Amz-Signature="
    "e93c787ed7f371d5c6b165c1b38ede9550f4dce4144713e844b25b7192d3865d";

http::Request Presigned(std::string target = kPresignVanilla) {
  http::Request r;
  r.method = "GET";
  r.target = std::move(target);
  r.headers = {{"Host", "example.amazonaws.com"}};
  return r;
}

TEST(Sigv4, VanillaParsesAndVerifies) {
  http::Request r = Vanilla();
  Result<ParsedAuth> auth = Parse(r);
  ASSERT_TRUE(auth.ok()) << auth.status().message();
  EXPECT_FALSE(auth->presigned);
  EXPECT_EQ(auth->access_key_id, "AKIDEXAMPLE");
  EXPECT_EQ(auth->CredentialScope(), "20150830/us-east-1/service/aws4_request");
  EXPECT_EQ(auth->signed_headers, (std::vector<std::string>{"host", "x-amz-date"}));
  EXPECT_EQ(auth->request_time, kNow);
  EXPECT_EQ(auth->payload_hash, crypto::Sha256Hex(""));
  SecretBytes key = DeriveSigningKey(kSecret, "20150830", "us-east-1", "service");
  EXPECT_TRUE(Verify(r, *auth, key).ok());
}

TEST(Sigv4, PresignedVanillaParsesAndVerifies) {
  http::Request r = Presigned();
  Result<ParsedAuth> auth = Parse(r);
  ASSERT_TRUE(auth.ok()) << auth.status().message();
  EXPECT_TRUE(auth->presigned);
  EXPECT_EQ(auth->expires, 3600);
  // Non-S3 services hash the (empty) body rather than assume UNSIGNED-PAYLOAD.
  EXPECT_EQ(auth->payload_hash, crypto::Sha256Hex(""));
  SecretBytes key = DeriveSigningKey(kSecret, "20150830", "us-east-1", "service");
  EXPECT_TRUE(Verify(r, *auth, key).ok());
}

// AWS's documented key-derivation example (IAM, 20120215).
TEST(Sigv4, DeriveSigningKeyMatchesAwsExample) {
  SecretBytes key = DeriveSigningKey(kSecret, "20120215", "us-east-1", "iam");
  EXPECT_EQ(crypto::HexEncode(key.view()),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
}

struct AttackCase {
  const char* name;
  std::function<void(http::Request&)> mutate;
  ErrorKind kind;
  const char* message_part;
};

// [REGRESSION][INVARIANT] Every malformed Authorization header is refused by Parse with
// the documented error, before any secret is looked up.
TEST(Sigv4, HeaderAttackTable) {
  const std::string cred = "AKIDEXAMPLE/20150830/us-east-1/service/aws4_request";
  auto auth = [](std::string v) {
    return [v](http::Request& r) { SetHeader(r, "Authorization", v); };
  };
  const std::vector<AttackCase> cases = {
      {"no auth at all", [](http::Request& r) { RemoveHeader(r, "Authorization"); },
       ErrorKind::kMissingAuthenticationToken, "missing Authentication Token"},
      {"empty header", auth(""), ErrorKind::kIncompleteSignature,
       "Authorization header requires 'Credential' parameter."},
      {"algorithm only", auth("AWS4-HMAC-SHA256"), ErrorKind::kIncompleteSignature,
       "Authorization header requires 'Credential' parameter. Authorization header requires "
       "'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. "
       "Authorization=AWS4-HMAC-SHA256"},
      {"missing signature",
       auth("AWS4-HMAC-SHA256 Credential=" + cred + ", SignedHeaders=host;x-amz-date"),
       ErrorKind::kIncompleteSignature, "requires 'Signature' parameter. Authorization="},
      {"missing credential",
       auth("AWS4-HMAC-SHA256 SignedHeaders=host;x-amz-date, Signature=" + std::string(kGoodSig)),
       ErrorKind::kIncompleteSignature, "requires 'Credential' parameter"},
      {"missing signed headers",
       auth("AWS4-HMAC-SHA256 Credential=" + cred + ", Signature=" + std::string(kGoodSig)),
       ErrorKind::kIncompleteSignature, "requires 'SignedHeaders' parameter"},
      {"empty credential value", auth(AuthHeader("", "host;x-amz-date", kGoodSig)),
       ErrorKind::kIncompleteSignature, "requires 'Credential' parameter"},
      {"no date header", [](http::Request& r) { RemoveHeader(r, "X-Amz-Date"); },
       ErrorKind::kIncompleteSignature,
       "requires existence of either a 'X-Amz-Date' or a 'Date' header"},
      {"wrong algorithm",
       auth("AWS4-HMAC-SHA512 Credential=" + cred +
            ", SignedHeaders=host;x-amz-date, Signature=" + std::string(kGoodSig)),
       ErrorKind::kIncompleteSignature, "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512'"},
      {"sigv2 style", auth("AWS AKIDEXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg="),
       ErrorKind::kIncompleteSignature, "Unsupported AWS 'algorithm': 'AWS'"},
      {"lowercase algorithm", auth("aws4-hmac-sha256 Credential=" + cred),
       ErrorKind::kIncompleteSignature, "Unsupported AWS 'algorithm'"},
      {"duplicated credential",
       auth("AWS4-HMAC-SHA256 Credential=" + cred +
            ", Credential=EVIL/20150830/us-east-1/"
            "service/aws4_request, SignedHeaders=host;x-amz-date, Signature=" +
            std::string(kGoodSig)),
       ErrorKind::kIncompleteSignature, "duplicate 'Credential'"},
      {"duplicated signature",
       auth(AuthHeader(cred, "host;x-amz-date", kGoodSig) + ", Signature=" + std::string(kGoodSig)),
       ErrorKind::kIncompleteSignature, "duplicate 'Signature'"},
      {"component without equals",
       auth("AWS4-HMAC-SHA256 Credential=" + cred +
            ", SignedHeaders, Signature=" + std::string(kGoodSig)),
       ErrorKind::kIncompleteSignature, "not a valid key=value pair (missing equal-sign)"},
      {"credential with 4 parts",
       auth(AuthHeader("AKIDEXAMPLE/20150830/us-east-1/aws4_request", "host;x-amz-date", kGoodSig)),
       ErrorKind::kIncompleteSignature, "Credential must have exactly 5 slash-delimited"},
      {"credential with 6 parts",
       auth(AuthHeader("AKIDEXAMPLE/20150830/us-east-1/service/aws4_request/x", "host;x-amz-date",
                       kGoodSig)),
       ErrorKind::kIncompleteSignature, "Credential must have exactly 5 slash-delimited"},
      {"empty access key",
       auth(AuthHeader("/20150830/us-east-1/service/aws4_request", "host;x-amz-date", kGoodSig)),
       ErrorKind::kIncompleteSignature, "Credential must have exactly 5 slash-delimited"},
      {"bad scope date",
       auth(AuthHeader("AKIDEXAMPLE/2015083/us-east-1/service/aws4_request", "host;x-amz-date",
                       kGoodSig)),
       ErrorKind::kIncompleteSignature, "Date must be in ISO-8601 'basic format'. Got '2015083'"},
      {"impossible scope date",
       auth(AuthHeader("AKIDEXAMPLE/20150230/us-east-1/service/aws4_request", "host;x-amz-date",
                       kGoodSig)),
       ErrorKind::kIncompleteSignature, "Got '20150230'"},
      {"bad region",
       auth(AuthHeader("AKIDEXAMPLE/20150830/US_EAST/service/aws4_request", "host;x-amz-date",
                       kGoodSig)),
       ErrorKind::kIncompleteSignature, "Credential should be scoped to a valid region"},
      {"empty service",
       auth(
           AuthHeader("AKIDEXAMPLE/20150830/us-east-1//aws4_request", "host;x-amz-date", kGoodSig)),
       ErrorKind::kIncompleteSignature, "Credential should be scoped to correct service"},
      {"bad terminator",
       auth(AuthHeader("AKIDEXAMPLE/20150830/us-east-1/service/aws5_request", "host;x-amz-date",
                       kGoodSig)),
       ErrorKind::kIncompleteSignature, "valid terminator: 'aws4_request', not 'aws5_request'"},
      {"host not signed", auth(AuthHeader(cred, "x-amz-date", kGoodSig)),
       ErrorKind::kIncompleteSignature, "'Host' or ':authority' must be a 'SignedHeader'"},
      {"empty signed header entry", auth(AuthHeader(cred, "host;;x-amz-date", kGoodSig)),
       ErrorKind::kIncompleteSignature, "SignedHeaders must be"},
      {"uppercase signed header", auth(AuthHeader(cred, "Host;x-amz-date", kGoodSig)),
       ErrorKind::kIncompleteSignature, "SignedHeaders must be"},
      {"duplicate signed header", auth(AuthHeader(cred, "host;host;x-amz-date", kGoodSig)),
       ErrorKind::kIncompleteSignature, "more than once"},
      {"too many signed headers",
       [&](http::Request& r) {
         std::string list = "host";
         for (int i = 0; i < 64; ++i) list += ";h" + std::to_string(i);
         SetHeader(r, "Authorization", AuthHeader(cred, list, kGoodSig));
       },
       ErrorKind::kIncompleteSignature, "more than 64"},
      {"signature too short", auth(AuthHeader(cred, "host;x-amz-date", kGoodSig.substr(1))),
       ErrorKind::kIncompleteSignature, "64 lowercase hexadecimal"},
      {"signature too long", auth(AuthHeader(cred, "host;x-amz-date", std::string(kGoodSig) + "0")),
       ErrorKind::kIncompleteSignature, "64 lowercase hexadecimal"},
      {"signature not hex", auth(AuthHeader(cred, "host;x-amz-date", std::string(64, 'g'))),
       ErrorKind::kIncompleteSignature, "64 lowercase hexadecimal"},
      {"signature uppercase hex", auth(AuthHeader(cred, "host;x-amz-date", std::string(64, 'A'))),
       ErrorKind::kIncompleteSignature, "64 lowercase hexadecimal"},
      {"huge header",
       auth(AuthHeader(cred, "host;x-amz-date", kGoodSig) + ", X=" + std::string(9000, 'a')),
       ErrorKind::kIncompleteSignature, "exceeds 8192 bytes"},
      {"two authorization headers",
       [](http::Request& r) { r.headers.emplace_back("authorization", "AWS4-HMAC-SHA256 x=y"); },
       ErrorKind::kIncompleteSignature, "Only one Authorization header"},
      {"header and query auth",
       [](http::Request& r) { r.target = "/?X-Amz-Algorithm=AWS4-HMAC-SHA256"; },
       ErrorKind::kIncompleteSignature, "Only one auth mechanism allowed"},
      {"malformed x-amz-date",
       [](http::Request& r) { SetHeader(r, "X-Amz-Date", "2015-08-30T12:36:00Z"); },
       ErrorKind::kIncompleteSignature, "ISO-8601 'basic format'. Got '2015-08-30T12:36:00Z'"},
      {"x-amz-date with bad hour",
       [](http::Request& r) { SetHeader(r, "X-Amz-Date", "20150830T243600Z"); },
       ErrorKind::kIncompleteSignature, "ISO-8601"},
      {"duplicate x-amz-date",
       [](http::Request& r) { r.headers.emplace_back("x-amz-date", "20150830T123600Z"); },
       ErrorKind::kIncompleteSignature, "Only one 'X-Amz-Date'"},
      {"scope date differs from request date",
       [](http::Request& r) { SetHeader(r, "X-Amz-Date", "20150831T003600Z"); },
       ErrorKind::kSignatureDoesNotMatch,
       "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from "
       "HTTP: '20150830' != '20150831', from '20150831T003600Z'."},
      {"malformed Date header",
       [](http::Request& r) {
         RemoveHeader(r, "X-Amz-Date");
         r.headers.emplace_back("Date", "30/08/2015 12:36");
       },
       ErrorKind::kIncompleteSignature, "RFC 1123"},
      {"bad content sha256",
       [](http::Request& r) { r.headers.emplace_back("x-amz-content-sha256", "abc"); },
       ErrorKind::kIncompleteSignature, "x-amz-content-sha256 must be"},
      {"streaming payload unsupported",
       [](http::Request& r) {
         r.headers.emplace_back("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD");
       },
       ErrorKind::kIncompleteSignature, "x-amz-content-sha256 must be"},
      {"huge session token",
       [](http::Request& r) {
         r.headers.emplace_back("X-Amz-Security-Token", std::string(20000, 'a'));
       },
       ErrorKind::kIncompleteSignature, "X-Amz-Security-Token exceeds"},
  };
  for (const AttackCase& c : cases) {
    http::Request r = Vanilla();
    c.mutate(r);
    Result<ParsedAuth> auth = Parse(r);
    ASSERT_FALSE(auth.ok()) << c.name;
    EXPECT_EQ(auth.status().kind(), c.kind) << c.name << ": " << auth.status().message();
    EXPECT_NE(auth.status().message().find(c.message_part), std::string::npos)
        << c.name << ": " << auth.status().message();
  }
}

TEST(Sigv4, HeaderSeparatorsAreTolerated) {
  const std::string cred = "AKIDEXAMPLE/20150830/us-east-1/service/aws4_request";
  for (std::string header : {
           "AWS4-HMAC-SHA256 Credential=" + cred +
               ",SignedHeaders=host;x-amz-date,Signature=" + std::string(kGoodSig),
           "  AWS4-HMAC-SHA256   Credential=" + cred + " ,  SignedHeaders=host;x-amz-date , " +
               "Signature=" + std::string(kGoodSig) + "  ",
           "AWS4-HMAC-SHA256 Signature=" + std::string(kGoodSig) + ", Credential=" + cred +
               ", SignedHeaders=host;x-amz-date",
       }) {
    http::Request r = Vanilla();
    SetHeader(r, "Authorization", header);
    Result<ParsedAuth> auth = Parse(r);
    ASSERT_TRUE(auth.ok()) << header << ": " << auth.status().message();
    SecretBytes key = DeriveSigningKey(kSecret, auth->date, auth->region, auth->service);
    EXPECT_TRUE(Verify(r, *auth, key).ok()) << header;
  }
}

TEST(Sigv4, DateHeaderIsAcceptedInRfc1123) {
  http::Request r = Vanilla();
  RemoveHeader(r, "X-Amz-Date");
  r.headers.emplace_back("Date", "Sun, 30 Aug 2015 12:36:00 GMT");
  SignHeaderForm(r, "date;host");
  Result<ParsedAuth> auth = Parse(r);
  ASSERT_TRUE(auth.ok()) << auth.status().message();
  EXPECT_EQ(auth->amz_date, "20150830T123600Z");
  EXPECT_EQ(auth->request_time, kNow);
  SecretBytes key = DeriveSigningKey(kSecret, "20150830", "us-east-1", "service");
  EXPECT_TRUE(Verify(r, *auth, key).ok());
}

// [REGRESSION][INVARIANT] Malformed presigned URLs.
TEST(Sigv4, PresignedAttackTable) {
  const std::string base =
      "/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1"
      "%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-SignedHeaders=host";
  const std::string sig = "&X-Amz-Signature=" + std::string(kGoodSig);
  struct Case {
    std::string target;
    ErrorKind kind;
    std::string message_part;
  };
  const std::vector<Case> cases = {
      {"/?X-Amz-Signature=" + std::string(kGoodSig), ErrorKind::kIncompleteSignature,
       "AWS query-string parameters must include 'X-Amz-Algorithm'. AWS query-string "
       "parameters must include 'X-Amz-Credential'."},
      {base + "&X-Amz-Expires=60", ErrorKind::kIncompleteSignature,
       "must include 'X-Amz-Signature'. Re-examine the query-string parameters."},
      {base + sig, ErrorKind::kIncompleteSignature, "must include 'X-Amz-Expires'"},
      {base + "&X-Amz-Expires=60" + sig + sig, ErrorKind::kIncompleteSignature,
       "Duplicate query-string parameter 'X-Amz-Signature'"},
      {base + "&X-Amz-Expires=60&X-Amz-Algorithm=AWS4-HMAC-SHA256" + sig,
       ErrorKind::kIncompleteSignature, "Duplicate query-string parameter 'X-Amz-Algorithm'"},
      {"/?X-Amz-Algorithm=HMAC-MD5&X-Amz-Credential=a%2Fb&X-Amz-Date=x&X-Amz-SignedHeaders=host"
       "&X-Amz-Expires=1" +
           sig,
       ErrorKind::kIncompleteSignature, "Unsupported AWS 'algorithm': 'HMAC-MD5'"},
      {base + "&X-Amz-Expires=abc" + sig, ErrorKind::kIncompleteSignature,
       "X-Amz-Expires should be a number"},
      {base + "&X-Amz-Expires=-5" + sig, ErrorKind::kIncompleteSignature,
       "X-Amz-Expires should be a number"},
      {base + "&X-Amz-Expires=99999999999999999999" + sig, ErrorKind::kIncompleteSignature,
       "X-Amz-Expires should be a number"},
      {base + "&X-Amz-Expires=60&X-Amz-Signature=" + std::string(63, 'a'),
       ErrorKind::kIncompleteSignature, "64 lowercase hexadecimal"},
      {base + "&X-Amz-Expires=60&X-Amz-Security-Token=" + std::string(17000, 'a') + sig,
       ErrorKind::kIncompleteSignature, "'X-Amz-Security-Token' is too long"},
      {"/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20150830T123600Z&X-Amz-SignedHeaders="
       "host&X-Amz-Expires=60&X-Amz-Credential=" +
           std::string(9000, 'a') + sig,
       ErrorKind::kIncompleteSignature, "'X-Amz-Credential' is too long"},
  };
  for (const Case& c : cases) {
    Result<ParsedAuth> auth = Parse(Presigned(c.target));
    ASSERT_FALSE(auth.ok()) << c.target.substr(0, 200);
    EXPECT_EQ(auth.status().kind(), c.kind) << auth.status().message();
    EXPECT_NE(auth.status().message().find(c.message_part), std::string::npos)
        << auth.status().message();
  }
}

TEST(Sigv4, CheckTimeHeaderForm) {
  Result<ParsedAuth> auth = Parse(Vanilla());
  ASSERT_TRUE(auth.ok());
  EXPECT_TRUE(CheckTime(*auth, kNow).ok());
  EXPECT_TRUE(CheckTime(*auth, kNow + 900).ok());
  EXPECT_TRUE(CheckTime(*auth, kNow - 900).ok());

  Status late = CheckTime(*auth, kNow + 20 * 60);
  EXPECT_EQ(late.kind(), ErrorKind::kRequestExpired);
  EXPECT_EQ(late.message(),
            "Signature expired: 20150830T123600Z is now earlier than 20150830T124100Z "
            "(20150830T125600Z - 15 min.)");
  Status early = CheckTime(*auth, kNow - 20 * 60);
  EXPECT_EQ(early.kind(), ErrorKind::kRequestExpired);
  EXPECT_EQ(early.message(),
            "Signature not yet current: 20150830T123600Z is still later than 20150830T123100Z "
            "(20150830T121600Z + 15 min.)");
}

TEST(Sigv4, CheckTimePresigned) {
  Result<ParsedAuth> auth = Parse(Presigned());
  ASSERT_TRUE(auth.ok());
  EXPECT_TRUE(CheckTime(*auth, kNow).ok());
  EXPECT_TRUE(CheckTime(*auth, kNow + 3600).ok());
  Status expired = CheckTime(*auth, kNow + 3601);
  EXPECT_EQ(expired.kind(), ErrorKind::kRequestExpired);
  EXPECT_NE(expired.message().find("Request has expired"), std::string::npos);
  EXPECT_EQ(CheckTime(*auth, kNow - 3600).kind(), ErrorKind::kRequestExpired);

  ParsedAuth a = *auth;
  a.expires = 604801;
  Status too_long = CheckTime(a, kNow);
  EXPECT_EQ(too_long.kind(), ErrorKind::kIncompleteSignature);
  EXPECT_EQ(too_long.message(),
            "X-Amz-Expires must be less than a week (in seconds) that is 604800");
  a.expires = 604800;
  EXPECT_TRUE(CheckTime(a, kNow + 604800).ok());
  a.expires = 0;
  EXPECT_EQ(CheckTime(a, kNow).kind(), ErrorKind::kIncompleteSignature);
}

TEST(Sigv4, CheckTimeRejectsInconsistentParsedAuth) {
  Result<ParsedAuth> auth = Parse(Vanilla());
  ASSERT_TRUE(auth.ok());
  ParsedAuth a = *auth;
  a.request_time = kNow + 5;  // does not match amz_date
  EXPECT_FALSE(CheckTime(a, kNow).ok());
}

TEST(Sigv4, CheckScope) {
  Result<ParsedAuth> auth = Parse(Vanilla());
  ASSERT_TRUE(auth.ok());
  EXPECT_TRUE(CheckScope(*auth, "service").ok());
  Status st = CheckScope(*auth, "sts");
  EXPECT_EQ(st.kind(), ErrorKind::kSignatureDoesNotMatch);
  EXPECT_NE(st.message().find("Credential should be scoped to correct service: 'sts'"),
            std::string::npos);
}

TEST(Sigv4, PayloadHashHeaderMustMatchBody) {
  http::Request r = Vanilla();
  r.method = "POST";
  r.body = "Action=GetCallerIdentity&Version=2011-06-15";
  r.headers.emplace_back("x-amz-content-sha256", crypto::Sha256Hex(r.body));
  SignHeaderForm(r, "host;x-amz-content-sha256;x-amz-date");
  Result<ParsedAuth> auth = Parse(r);
  ASSERT_TRUE(auth.ok()) << auth.status().message();
  SecretBytes key = DeriveSigningKey(kSecret, "20150830", "us-east-1", "service");
  EXPECT_TRUE(Verify(r, *auth, key).ok());

  r.body += "&Extra=1";
  Result<ParsedAuth> again = Parse(r);
  ASSERT_TRUE(again.ok());
  Status st = Verify(r, *again, key);
  EXPECT_EQ(st.kind(), ErrorKind::kSignatureDoesNotMatch);
  EXPECT_EQ(st.message(),
            "The provided 'x-amz-content-sha256' header does not match what was computed.");
}

TEST(Sigv4, UnsignedPayloadSkipsBodyHash) {
  http::Request r = Vanilla();
  r.method = "PUT";
  r.body = "anything";
  r.headers.emplace_back("x-amz-content-sha256", "UNSIGNED-PAYLOAD");
  SignHeaderForm(r, "host;x-amz-content-sha256;x-amz-date");
  Result<ParsedAuth> auth = Parse(r);
  ASSERT_TRUE(auth.ok());
  EXPECT_EQ(auth->payload_hash, kUnsignedPayload);
  SecretBytes key = DeriveSigningKey(kSecret, "20150830", "us-east-1", "service");
  EXPECT_TRUE(Verify(r, *auth, key).ok());
}

TEST(Sigv4, CanonicalUriEncoding) {
  Result<ParsedAuth> auth = Parse(Vanilla());
  ASSERT_TRUE(auth.ok());
  auto uri = [&](std::string target, bool normalize) {
    http::Request r = Vanilla();
    r.target = std::move(target);
    std::string c = CanonicalRequest(r, *auth, normalize);
    size_t a = c.find('\n');
    return c.substr(a + 1, c.find('\n', a + 1) - a - 1);
  };
  // Non-S3: the received (encoded) path is encoded again.
  EXPECT_EQ(uri("/example%20space/", true), "/example%2520space/");
  EXPECT_EQ(uri("/a/b/../c/./d//", true), "/a/c/d/");
  EXPECT_EQ(uri("/a/b/..", true), "/a");
  EXPECT_EQ(uri("/../../..", true), "/");
  EXPECT_EQ(uri("", true), "/");
  // S3: decoded and encoded once, no normalization.
  EXPECT_EQ(uri("/example%20space/", false), "/example%20space/");
  EXPECT_EQ(uri("/a/./b/../c", false), "/a/./b/../c");
  EXPECT_EQ(uri("/k+y%2b", false), "/k%2By%2B");
  EXPECT_EQ(uri("/bad%zz%", false), "/bad%25zz%25");
}

TEST(Sigv4, CanonicalQueryEncoding) {
  Result<ParsedAuth> auth = Parse(Vanilla());
  ASSERT_TRUE(auth.ok());
  auto query = [&](std::string target) {
    http::Request r = Vanilla();
    r.target = std::move(target);
    std::string c = CanonicalRequest(r, *auth);
    size_t a = c.find('\n');
    size_t b = c.find('\n', a + 1);
    return c.substr(b + 1, c.find('\n', b + 1) - b - 1);
  };
  EXPECT_EQ(query("/?b=2&a=1"), "a=1&b=2");
  EXPECT_EQ(query("/?a=2&a=1"), "a=1&a=2");
  EXPECT_EQ(query("/?flag"), "flag=");
  EXPECT_EQ(query("/?a=&&b"), "a=&b=");
  EXPECT_EQ(query("/?k=a%20b+c%2F"), "k=a%20b%2Bc%2F");
  EXPECT_EQ(query("/?%41=%7e"), "A=~");
  // In the header form X-Amz-Signature is an ordinary parameter.
  EXPECT_EQ(query("/?X-Amz-Signature=1"), "X-Amz-Signature=1");
}

TEST(Sigv4, AmzDateRoundTrip) {
  EXPECT_EQ(ParseAmzDate("19700101T000000Z"), 0);
  EXPECT_EQ(ParseAmzDate("20150830T123600Z"), kNow);
  EXPECT_EQ(ParseAmzDate("20240229T000000Z"), 1709164800);
  EXPECT_EQ(FormatAmzDate(1709164800), "20240229T000000Z");
  EXPECT_EQ(FormatAmzDate(kNow), "20150830T123600Z");
  for (int64_t t : {int64_t{0}, kNow, int64_t{951782400}, int64_t{4102444799}}) {
    EXPECT_EQ(ParseAmzDate(FormatAmzDate(t)), t);
  }
  for (const char* bad :
       {"", "20150830T123600", "20150830T123600z", "2015083OT123600Z", "20230229T000000Z",
        "20151301T000000Z", "20150800T000000Z", "20150830T126000Z", "20150830T123660Z",
        "19691231T235959Z", "+0150830T123600Z", "20150830 123600Z"}) {
    EXPECT_EQ(ParseAmzDate(bad), -1) << bad;
  }
}

TEST(Sigv4, SigningKeyIsSecretBytes) {
  SecretBytes key = DeriveSigningKey(kSecret, "20150830", "us-east-1", "service");
  EXPECT_EQ(key.size(), 32u);
  std::ostringstream os;
  os << key;
  EXPECT_EQ(os.str(), "[redacted]");
}

}  // namespace
}  // namespace bulwark::sigv4
