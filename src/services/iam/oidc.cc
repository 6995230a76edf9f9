// IAM OpenID Connect identity providers, and where Bulwark finds their signing keys.
//
// A provider is one record at "iam/ACCOUNT/oidc-provider/" + the lowercased URL without
// "https://". AWS fetches a provider's keys from the issuer's discovery document; a
// Bulwark server may have no internet access, so an operator can also put the JWKS in
// a file (--oidc-jwks-dir), which wins over fetching.
#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

#include "crypto/crypto.h"
#include "services/iam/handlers.h"

namespace bulwark::iam {
namespace {

constexpr std::string_view kScheme = "https://";
// IAM quotas: client IDs and thumbprints per provider, providers per account.
constexpr size_t kMaxClientIds = 100;
constexpr size_t kMaxThumbprints = 5;
constexpr size_t kMaxProviders = 100;
// Fetching keys: bounded in time and size, so that a slow or hostile issuer costs one
// request little; cached so that it is not asked on every call.
constexpr long kFetchTimeoutMs = 5000;
constexpr size_t kMaxDocumentBytes = 1 << 20;
constexpr auto kCacheLifetime = std::chrono::minutes(10);

std::string ProviderPrefix(std::string_view account) {
  return "iam/" + std::string(account) + "/oidc-provider/";
}

std::string ProviderKey(std::string_view account, std::string_view url) {
  return ProviderPrefix(account) + Lower(url);
}

// The URL without scheme that an ARN of the caller's account names, or InvalidInput.
Result<std::string> UrlOfArn(const RequestContext& ctx, std::string_view arn) {
  const std::string prefix = "arn:aws:iam::" + ctx.caller.account_id + ":oidc-provider/";
  if (!arn.starts_with(prefix) || arn.size() == prefix.size()) {
    return InvalidInput("ARN " + std::string(arn) + " is not valid.");
  }
  return std::string(arn.substr(prefix.size()));
}

// Loads the provider an input's OpenIDConnectProviderArn names; NoSuchEntity if none.
Result<std::pair<std::string, Json>> LoadByArn(RequestContext& ctx, storage::Transaction& txn,
                                               const Json& input) {
  const std::string arn = input.at("OpenIDConnectProviderArn").get<std::string>();
  ASSIGN_OR_RETURN(std::string url, UrlOfArn(ctx, arn));
  std::string key = ProviderKey(ctx.caller.account_id, url);
  ASSIGN_OR_RETURN(std::optional<Json> record, Load(txn, key));
  if (!record) return NoSuchEntity("OpenIDConnect Provider not found for arn " + arn);
  return std::make_pair(std::move(key), std::move(*record));
}

Status CheckThumbprints(const Json& list) {
  if (list.size() > kMaxThumbprints) {
    return LimitExceeded("Thumbprint list must contain fewer than " +
                         std::to_string(kMaxThumbprints + 1) + " entries.");
  }
  for (const Json& t : list) {
    const std::string s = t.get<std::string>();
    if (!std::all_of(s.begin(), s.end(), [](char c) { return std::isxdigit(uint8_t(c)); })) {
      return InvalidInput("Thumbprint " + s + " is not a valid hex-encoded SHA-1 fingerprint.");
    }
  }
  return Status::Ok();
}

// Client IDs without repeats, in the order given.
Json UniqueClientIds(const Json& list) {
  Json out = Json::array();
  for (const Json& id : list) {
    if (std::find(out.begin(), out.end(), id) == out.end()) out.push_back(id);
  }
  return out;
}

// --- Fetching keys ---------------------------------------------------------------------

size_t WriteBounded(char* data, size_t size, size_t count, void* user) {
  auto* out = static_cast<std::string*>(user);
  const size_t n = size * count;
  if (out->size() + n > kMaxDocumentBytes) return 0;  // makes curl fail the transfer
  out->append(data, n);
  return n;
}

Status IdpError() {
  return Status::Service("IDPCommunicationError", 400,
                         "Couldn't retrieve verification key from your identity provider, please "
                         "reference AssumeRoleWithWebIdentity documentation for requirements");
}

using CurlHandle = std::unique_ptr<CURL, decltype(&curl_easy_cleanup)>;

// A handle for one HTTPS exchange with an issuer: HTTPS only (redirects too), 5 s.
CurlHandle NewHandle(const std::string& url) {
  static std::once_flag init;
  std::call_once(init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  CurlHandle curl(curl_easy_init(), &curl_easy_cleanup);
  if (!curl) return curl;
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "https");
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, kFetchTimeoutMs);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  return curl;
}

// GET, at most 3 redirects and 1 MiB, the certificate verified against the system's CAs
// or, when `anchor_pem` is given, against that certificate alone. Returns curl's code;
// the body only on a 200.
CURLcode Get(const std::string& url, const std::string& anchor_pem, std::string* body) {
  CurlHandle curl = NewHandle(url);
  if (!curl) return CURLE_FAILED_INIT;
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, 3L);
  curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(kMaxDocumentBytes));
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &WriteBounded);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
  if (!anchor_pem.empty()) {
    // The pinned certificate is the only trust anchor (curl lets an intermediate be one:
    // OpenSSL's partial-chain verification); the host name is still checked.
    curl_blob blob{const_cast<char*>(anchor_pem.data()), anchor_pem.size(), CURL_BLOB_COPY};
    curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &blob);
    curl_easy_setopt(c, CURLOPT_CAPATH, nullptr);
  }
  CURLcode rc = curl_easy_perform(c);
  long code = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  if (rc == CURLE_OK && code != 200) rc = CURLE_HTTP_RETURNED_ERROR;
  return rc;
}

// The certificates a server presents (PEM), from a handshake that verifies nothing and
// sends no request: only to find the one a thumbprint pins.
std::vector<std::string> PresentedCertificates(const std::string& url) {
  std::vector<std::string> out;
  CurlHandle curl = NewHandle(url);
  if (!curl) return out;
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_CONNECT_ONLY, 1L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
  curl_easy_setopt(c, CURLOPT_CERTINFO, 1L);
  if (curl_easy_perform(c) != CURLE_OK) return out;
  curl_certinfo* info = nullptr;
  if (curl_easy_getinfo(c, CURLINFO_CERTINFO, &info) != CURLE_OK || info == nullptr) return out;
  for (int i = 0; i < info->num_of_certs && i < 10; ++i) {
    for (curl_slist* field = info->certinfo[i]; field != nullptr; field = field->next) {
      std::string_view text(field->data);
      if (text.starts_with("Cert:")) out.emplace_back(text.substr(5));
    }
  }
  return out;
}

// The SHA-1 of a PEM certificate's DER form, lowercase hex: what IAM calls its thumbprint.
std::string Thumbprint(std::string_view pem) {
  std::string b64;
  for (std::string_view rest = pem; !rest.empty();) {
    const size_t eol = rest.find('\n');
    std::string_view line = rest.substr(0, eol);
    rest = eol == std::string_view::npos ? std::string_view() : rest.substr(eol + 1);
    if (line.starts_with("-----")) continue;
    for (char ch : line) {
      if (!std::isspace(static_cast<unsigned char>(ch))) b64.push_back(ch);
    }
  }
  std::optional<std::string> der = crypto::Base64Decode(b64);
  if (!der) return std::string();
  const crypto::Sha1Digest digest = crypto::Sha1(*der);
  return crypto::HexEncode(digest.data(), digest.size());
}

// GET from an issuer. When the certificate does not verify against the system's CAs and
// the provider has thumbprints, a certificate the server presents whose thumbprint is
// listed becomes the trust anchor for a second, verified, exchange: AWS's rule for
// identity providers whose certificates no trusted CA signed.
Result<std::string> HttpsGet(const std::string& url, const std::vector<std::string>& thumbprints) {
  std::string body;
  CURLcode rc = Get(url, "", &body);
  if (rc == CURLE_OK) return body;
  if (rc != CURLE_PEER_FAILED_VERIFICATION || thumbprints.empty()) return IdpError();
  for (const std::string& pem : PresentedCertificates(url)) {
    const std::string thumbprint = Thumbprint(pem);
    const bool pinned = !thumbprint.empty() &&
                        std::any_of(thumbprints.begin(), thumbprints.end(),
                                    [&](const std::string& t) { return Lower(t) == thumbprint; });
    if (!pinned) continue;
    body.clear();
    if (Get(url, pem, &body) == CURLE_OK) return body;
  }
  return IdpError();
}

// A failed fetch is remembered too, for less time: AssumeRoleWithWebIdentity is an
// unauthenticated call, and without this every request naming an unreachable issuer
// would hold an I/O thread for the whole fetch timeout.
constexpr auto kFailureLifetime = std::chrono::seconds(30);

struct CachedJwks {
  std::chrono::steady_clock::time_point expires;
  std::string document;  // empty: the last fetch failed
};

std::mutex cache_mutex;
std::map<std::string, CachedJwks, std::less<>> jwks_cache;

Result<std::string> FetchJwks(std::string_view url, const std::vector<std::string>& thumbprints) {
  const std::string issuer = std::string(kScheme) + std::string(url);
  ASSIGN_OR_RETURN(std::string discovery,
                   HttpsGet(issuer + "/.well-known/openid-configuration", thumbprints));
  Json config = Json::parse(discovery, nullptr, /*allow_exceptions=*/false);
  if (!config.is_object() || !config.contains("jwks_uri") || !config["jwks_uri"].is_string()) {
    return IdpError();
  }
  const std::string jwks_uri = config["jwks_uri"].get<std::string>();
  if (!jwks_uri.starts_with(kScheme)) return IdpError();
  return HttpsGet(jwks_uri, thumbprints);
}

}  // namespace

Result<std::string> OidcJwksDocument(const RequestContext& ctx, std::string_view url,
                                     const std::vector<std::string>& thumbprints) {
  const std::string name = Lower(url);
  if (!ctx.env->oidc_jwks_dir.empty()) {
    std::string file = name;
    std::replace(file.begin(), file.end(), '/', '_');
    std::ifstream in(ctx.env->oidc_jwks_dir + "/" + file + ".json", std::ios::binary);
    if (in) {
      std::string doc;
      doc.resize(kMaxDocumentBytes + 1);
      in.read(doc.data(), static_cast<std::streamsize>(doc.size()));
      doc.resize(static_cast<size_t>(in.gcount()));
      if (doc.size() > kMaxDocumentBytes) return IdpError();
      return doc;
    }
  }
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(cache_mutex);
    if (auto it = jwks_cache.find(name); it != jwks_cache.end() && it->second.expires > now) {
      if (it->second.document.empty()) return IdpError();
      return it->second.document;
    }
  }
  // Fetched without the lock held: a slow issuer must not stall other providers.
  Result<std::string> doc = FetchJwks(url, thumbprints);
  std::lock_guard lock(cache_mutex);
  if (!doc.ok() || doc->empty()) {
    jwks_cache[name] = CachedJwks{now + kFailureLifetime, std::string()};
    return doc.ok() ? IdpError() : doc.status();
  }
  jwks_cache[name] = CachedJwks{now + kCacheLifetime, *doc};
  return doc;
}

Result<std::optional<Json>> LoadOidcProvider(storage::Transaction& txn, std::string_view account,
                                             std::string_view url) {
  return Load(txn, ProviderKey(account, url));
}

Result<Json> CreateOpenIDConnectProvider(RequestContext& ctx, const Json& input) {
  const std::string& account = ctx.caller.account_id;
  const std::string full = input.at("Url").get<std::string>();
  if (!Lower(full).starts_with(kScheme)) {
    return InvalidInput("Invalid URL: the URL must begin with https://");
  }
  // Not normalized (AWS keeps a trailing slash: it must match the tokens' iss).
  const std::string url = full.substr(kScheme.size());
  const std::string host = url.substr(0, url.find('/'));
  if (host.empty() || url.find_first_of("?# \t") != std::string::npos) {
    return InvalidInput("Invalid URL: " + full);
  }
  Json client_ids = UniqueClientIds(input.value("ClientIDList", Json::array()));
  if (client_ids.size() > kMaxClientIds) {
    return LimitExceeded("Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: " +
                         std::to_string(kMaxClientIds));
  }
  Json thumbprints = input.value("ThumbprintList", Json::array());
  RETURN_IF_ERROR(CheckThumbprints(thumbprints));
  ASSIGN_OR_RETURN(Json tags, MergeTags(Json::array(), input.value("Tags", Json::array())));

  ASSIGN_OR_RETURN(auto txn, BeginWrite(ctx));
  const std::string key = ProviderKey(account, url);
  ASSIGN_OR_RETURN(std::optional<Json> existing, Load(*txn, key));
  if (existing) return EntityAlreadyExists("Provider with url " + full + " already exists.");
  ASSIGN_OR_RETURN(size_t count, Count(*txn, ProviderPrefix(account)));
  if (count >= kMaxProviders) {
    return LimitExceeded("Cannot exceed quota for OpenIdConnectProvidersPerAccount: " +
                         std::to_string(kMaxProviders));
  }
  const std::string arn = "arn:aws:iam::" + account + ":oidc-provider/" + url;
  Json record = {{"Url", url},
                 {"Arn", arn},
                 {"ClientIDList", client_ids},
                 {"ThumbprintList", thumbprints},
                 {"CreateDate", Now(ctx)},
                 {"Tags", tags}};
  RETURN_IF_ERROR(Save(*txn, key, record));
  RETURN_IF_ERROR(Commit(ctx, *txn));
  Json out = {{"OpenIDConnectProviderArn", arn}};
  if (!tags.empty()) out["Tags"] = tags;
  return out;
}

Result<Json> GetOpenIDConnectProvider(RequestContext& ctx, const Json& input) {
  ASSIGN_OR_RETURN(auto txn, BeginRead(ctx));
  ASSIGN_OR_RETURN(auto found, LoadByArn(ctx, *txn, input));
  const Json& r = found.second;
  Json out = {{"Url", r["Url"]},
              {"ClientIDList", r["ClientIDList"]},
              {"ThumbprintList", r["ThumbprintList"]},
              {"CreateDate", r["CreateDate"]}};
  if (!r.value("Tags", Json::array()).empty()) out["Tags"] = r["Tags"];
  return out;
}

Result<Json> ListOpenIDConnectProviders(RequestContext& ctx, const Json& /*input*/) {
  ASSIGN_OR_RETURN(auto txn, BeginRead(ctx));
  // No pagination in this API: an account has at most 100 providers.
  ASSIGN_OR_RETURN(Page page, ListRecords(*txn, ProviderPrefix(ctx.caller.account_id),
                                          Json{{"MaxItems", 1000}}, nullptr, [](const Json& r) {
                                            return Json{{"Arn", r["Arn"]}};
                                          }));
  return Json{{"OpenIDConnectProviderList", std::move(page.items)}};
}

Result<Json> DeleteOpenIDConnectProvider(RequestContext& ctx, const Json& input) {
  ASSIGN_OR_RETURN(auto txn, BeginWrite(ctx));
  ASSIGN_OR_RETURN(auto found, LoadByArn(ctx, *txn, input));
  RETURN_IF_ERROR(txn->Delete(found.first));
  RETURN_IF_ERROR(Commit(ctx, *txn));
  return Json::object();
}

Result<Json> AddClientIDToOpenIDConnectProvider(RequestContext& ctx, const Json& input) {
  ASSIGN_OR_RETURN(auto txn, BeginWrite(ctx));
  ASSIGN_OR_RETURN(auto found, LoadByArn(ctx, *txn, input));
  Json& ids = found.second["ClientIDList"];
  const Json id = input.at("ClientID");
  // Adding an ID the provider already has succeeds and changes nothing (API reference).
  if (std::find(ids.begin(), ids.end(), id) == ids.end()) {
    if (ids.size() >= kMaxClientIds) {
      return LimitExceeded("Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: " +
                           std::to_string(kMaxClientIds));
    }
    ids.push_back(id);
  }
  RETURN_IF_ERROR(Save(*txn, found.first, found.second));
  RETURN_IF_ERROR(Commit(ctx, *txn));
  return Json::object();
}

Result<Json> RemoveClientIDFromOpenIDConnectProvider(RequestContext& ctx, const Json& input) {
  ASSIGN_OR_RETURN(auto txn, BeginWrite(ctx));
  ASSIGN_OR_RETURN(auto found, LoadByArn(ctx, *txn, input));
  Json& ids = found.second["ClientIDList"];
  // Removing an ID that is not there succeeds (API reference).
  ids.erase(std::remove(ids.begin(), ids.end(), input.at("ClientID")), ids.end());
  RETURN_IF_ERROR(Save(*txn, found.first, found.second));
  RETURN_IF_ERROR(Commit(ctx, *txn));
  return Json::object();
}

Result<Json> UpdateOpenIDConnectProviderThumbprint(RequestContext& ctx, const Json& input) {
  const Json& thumbprints = input.at("ThumbprintList");
  RETURN_IF_ERROR(CheckThumbprints(thumbprints));
  ASSIGN_OR_RETURN(auto txn, BeginWrite(ctx));
  ASSIGN_OR_RETURN(auto found, LoadByArn(ctx, *txn, input));
  found.second["ThumbprintList"] = thumbprints;
  RETURN_IF_ERROR(Save(*txn, found.first, found.second));
  RETURN_IF_ERROR(Commit(ctx, *txn));
  return Json::object();
}

Result<Json> TagOpenIDConnectProvider(RequestContext& ctx, const Json& input) {
  ASSIGN_OR_RETURN(auto txn, BeginWrite(ctx));
  ASSIGN_OR_RETURN(auto found, LoadByArn(ctx, *txn, input));
  ASSIGN_OR_RETURN(found.second["Tags"],
                   MergeTags(found.second.value("Tags", Json::array()), input.at("Tags")));
  RETURN_IF_ERROR(Save(*txn, found.first, found.second));
  RETURN_IF_ERROR(Commit(ctx, *txn));
  return Json::object();
}

Result<Json> UntagOpenIDConnectProvider(RequestContext& ctx, const Json& input) {
  ASSIGN_OR_RETURN(auto txn, BeginWrite(ctx));
  ASSIGN_OR_RETURN(auto found, LoadByArn(ctx, *txn, input));
  found.second["Tags"] = RemoveTags(found.second.value("Tags", Json::array()), input.at("TagKeys"));
  RETURN_IF_ERROR(Save(*txn, found.first, found.second));
  RETURN_IF_ERROR(Commit(ctx, *txn));
  return Json::object();
}

Result<Json> ListOpenIDConnectProviderTags(RequestContext& ctx, const Json& input) {
  ASSIGN_OR_RETURN(auto txn, BeginRead(ctx));
  ASSIGN_OR_RETURN(auto found, LoadByArn(ctx, *txn, input));
  ASSIGN_OR_RETURN(Page page, PageOf(found.second.value("Tags", Json::array()), input));
  return PageOutput(std::move(page), "Tags");
}

}  // namespace bulwark::iam
