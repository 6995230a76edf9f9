// `bulwark trail verify` (delivery.h): AWS's log file validation over a trail's files.
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

#include "crypto/asymmetric.h"
#include "crypto/crypto.h"
#include "policy/values.h"
#include "services/cloudtrail/common.h"
#include "services/cloudtrail/delivery.h"

namespace bulwark::cloudtrail {
namespace {

namespace fs = std::filesystem;

constexpr size_t kMaxFile = 256u << 20;  // a file larger than this is not one of ours
constexpr size_t kMaxUncompressed = 1u << 30;

std::optional<std::string> ReadFile(const fs::path& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec) || fs::file_size(path, ec) > kMaxFile) return std::nullopt;
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

// "YYYYMMDDTHHmm" of a log file's or digest's name as seconds, or -1.
int64_t TimeOfName(const std::string& name) {
  // The compact time is the 8 digits, 'T' and 4 or 6 digits before 'Z'.
  for (size_t i = 0; i + 13 < name.size(); ++i) {
    if (name[i + 8] != 'T') continue;
    bool digits = true;
    for (size_t k = 0; k < 13 && digits; ++k) {
      if (k != 8 && (name[i + k] < '0' || name[i + k] > '9')) digits = false;
    }
    if (!digits) continue;
    std::tm tm{};
    tm.tm_year = std::stoi(name.substr(i, 4)) - 1900;
    tm.tm_mon = std::stoi(name.substr(i + 4, 2)) - 1;
    tm.tm_mday = std::stoi(name.substr(i + 6, 2));
    tm.tm_hour = std::stoi(name.substr(i + 9, 2));
    tm.tm_min = std::stoi(name.substr(i + 11, 2));
    return static_cast<int64_t>(timegm(&tm));
  }
  return -1;
}

struct Checker {
  const std::string& bucket_dir;
  const std::vector<Json>& keys;
  VerifyResult result;
  size_t digests = 0, digests_valid = 0, logs = 0, logs_valid = 0;

  static std::string Url(const std::string& bucket, const std::string& object) {
    return "s3://" + bucket + "/" + object;
  }
  void Bad(const char* kind, const std::string& url, const std::string& why) {
    result.lines.push_back(std::string(kind) + "\t" + url + "\tINVALID: " + why);
    ++result.problems;
  }
  void Good(const char* kind, const std::string& url) {
    result.lines.push_back(std::string(kind) + "\t" + url + "\tvalid");
  }
  const Json* KeyOf(const std::string& fingerprint) const {
    for (const Json& k : keys) {
      if (k.value("Fingerprint", "") == fingerprint) return &k;
    }
    return nullptr;
  }

  void CheckLog(const Json& f) {
    const std::string bucket = f.value("s3Bucket", ""), object = f.value("s3Object", "");
    const std::string url = Url(bucket, object);
    ++logs;
    std::optional<std::string> gz = ReadFile(fs::path(bucket_dir) / bucket / object);
    if (!gz) return Bad("Log file", url, "not found");
    Result<std::string> text = Gunzip(*gz, kMaxUncompressed);
    if (!text.ok() || crypto::Sha256Hex(*text) != f.value("hashValue", "")) {
      return Bad("Log file", url, "hash value doesn't match");
    }
    ++logs_valid;
    Good("Log file", url);
  }

  // One Region's chain, from its newest digest back. Returns the objects it named.
  void CheckChain(const std::string& bucket, const Json& newest, int64_t start_time,
                  std::set<std::string>* digests_seen, std::set<std::string>* logs_seen) {
    std::string object = newest.value("Object", "");
    std::string expected_hash = newest.value("Hash", "");
    std::string expected_signature = newest.value("Signature", "");
    while (!object.empty()) {
      digests_seen->insert(object);
      const std::string url = Url(bucket, object);
      ++digests;
      std::optional<std::string> gz = ReadFile(fs::path(bucket_dir) / bucket / object);
      if (!gz) return Bad("Digest file", url, "not found");
      Result<std::string> text = Gunzip(*gz, kMaxUncompressed);
      if (!text.ok()) return Bad("Digest file", url, "not a gzip'd digest");
      Json digest = Json::parse(*text, nullptr, false);
      if (!digest.is_object()) return Bad("Digest file", url, "not a digest");
      const std::string hash = crypto::Sha256Hex(*text);
      bool ok = true;
      if (hash != expected_hash) {
        Bad("Digest file", url, "hash value doesn't match");
        ok = false;
      }
      std::optional<std::string> meta_text =
          ReadFile(fs::path(bucket_dir) / bucket / (object + ".metadata.json"));
      Json meta = meta_text ? Json::parse(*meta_text, nullptr, false) : Json();
      const std::string signature = meta.is_object() ? meta.value("signature", "") : "";
      const auto text_of = [&](const char* k) {
        return digest.contains(k) && digest[k].is_string() ? digest[k].get<std::string>()
                                                           : std::string();
      };
      if (ok && signature != expected_signature) {
        Bad("Digest file", url, "signature doesn't match the one the next digest holds");
        ok = false;
      }
      if (ok && (text_of("digestS3Object") != object || text_of("digestS3Bucket") != bucket)) {
        Bad("Digest file", url, "digest names another object");
        ok = false;
      }
      if (ok) {
        const Json* key = KeyOf(text_of("digestPublicKeyFingerprint"));
        std::optional<std::string> der =
            key ? crypto::Base64Decode((*key)["Value"].get<std::string>()) : std::nullopt;
        std::optional<std::string> raw = crypto::HexDecode(signature);
        const std::string previous = text_of("previousDigestSignature").empty()
                                         ? "null"
                                         : text_of("previousDigestSignature");
        Result<bool> valid =
            der && raw ? crypto::Verify(*der, crypto::SigningAlgorithm::kRsassaPkcs1V15Sha256,
                                        crypto::MessageType::kRaw,
                                        DigestSigningString(text_of("digestEndTime"), bucket,
                                                            object, hash, previous),
                                        *raw)
                       : Result<bool>(false);
        if (!key) {
          Bad("Digest file", url,
              "public key not found for fingerprint " + text_of("digestPublicKeyFingerprint"));
          ok = false;
        } else if (!valid.ok() || !*valid) {
          Bad("Digest file", url, "signature verification failed");
          ok = false;
        }
      }
      if (ok) {
        ++digests_valid;
        Good("Digest file", url);
      }
      for (const Json& f : digest.value("logFiles", Json::array())) {
        logs_seen->insert(f.value("s3Object", ""));
        CheckLog(f);
      }
      if (start_time > 0 &&
          policy::ParseDateMs(text_of("digestStartTime")).value_or(-1) < start_time * 1000)
        break;
      object = text_of("previousDigestS3Object");
      expected_hash = text_of("previousDigestHashValue");
      expected_signature = text_of("previousDigestSignature");
    }
  }
};

}  // namespace

VerifyResult VerifyTrail(const Json& trail, const std::vector<Json>& public_keys,
                         const std::string& bucket_dir, int64_t start_time) {
  Checker c{bucket_dir, public_keys, {}};
  const std::string bucket = trail.value("S3BucketName", "");
  const Json chains = trail.value("Delivery", Json::object()).value("Chains", Json::object());
  std::set<std::string> digests_seen, logs_seen;
  int64_t newest_end = 0;
  for (const auto& [region, chain] : chains.items()) {
    if (!chain.contains("Previous")) continue;
    newest_end = std::max(newest_end, chain.value("Start", int64_t{0}));
    c.CheckChain(bucket, chain["Previous"], start_time, &digests_seen, &logs_seen);
  }
  // Files of the trail that no digest names: log files a digest should cover by now
  // (delivered before the newest digest), and this trail's digests outside the chain.
  std::string prefix = trail.value("S3KeyPrefix", "");
  if (!prefix.empty() && !prefix.ends_with('/')) prefix.push_back('/');
  const std::string base = prefix + "AWSLogs/" + AccountOfTrail(trail) + "/";
  std::string digest_tag = "_";
  digest_tag.append(trail.value("Name", "")).append("_");
  digest_tag.append(trail.value("HomeRegion", "")).append("_");
  for (const char* kind : {"CloudTrail", "CloudTrail-Digest"}) {
    const fs::path root = fs::path(bucket_dir) / bucket / (base + kind);
    std::error_code ec;
    if (!fs::is_directory(root, ec)) continue;
    std::vector<std::string> found;
    for (auto it = fs::recursive_directory_iterator(root, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (!it->is_regular_file(ec)) continue;
      const std::string name = it->path().filename().string();
      if (!name.ends_with(".json.gz")) continue;
      found.push_back(base + kind + "/" + fs::relative(it->path(), root, ec).string());
    }
    std::sort(found.begin(), found.end());
    const bool digests = std::string_view(kind) == "CloudTrail-Digest";
    for (const std::string& object : found) {
      const std::string name = fs::path(object).filename().string();
      const int64_t t = TimeOfName(name);
      if (start_time > 0 && t >= 0 && t < start_time - 60) continue;
      if (digests) {
        if (name.find(digest_tag) == std::string::npos || digests_seen.count(object)) continue;
        c.Bad("Digest file", Checker::Url(bucket, object), "added: not in the digest chain");
      } else {
        // Minute precision: a file of the newest digest's last minute may be newer than it.
        if (logs_seen.count(object) || t < 0 || t + 60 > newest_end) continue;
        c.Bad("Log file", Checker::Url(bucket, object), "added: no digest names it");
      }
    }
  }
  c.result.lines.push_back(std::to_string(c.digests_valid) + "/" + std::to_string(c.digests) +
                           " digest files valid, " + std::to_string(c.logs_valid) + "/" +
                           std::to_string(c.logs) + " log files valid, " +
                           std::to_string(c.result.problems) + " problems");
  return c.result;
}

}  // namespace bulwark::cloudtrail
