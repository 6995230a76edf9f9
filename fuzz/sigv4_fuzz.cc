// Fuzzes sigv4::Parse and CanonicalRequest on a request built from the fuzz input:
// the first line is "METHOD target", then header lines "Name: value" (Authorization,
// X-Amz-Date, ... come from the corpus), a blank line, then the body. Must never crash,
// hang or read out of bounds.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "auth/sigv4.h"
#include "http/message.h"

namespace {

bulwark::http::Request BuildRequest(std::string_view in) {
  bulwark::http::Request req;
  size_t head_end = in.find("\n\n");
  std::string_view head = in.substr(0, head_end);
  if (head_end != std::string_view::npos) req.body = std::string(in.substr(head_end + 2));
  size_t line_end = head.find('\n');
  std::string_view first = head.substr(0, line_end);
  size_t sp = first.find(' ');
  req.method = std::string(first.substr(0, sp));
  if (sp != std::string_view::npos) req.target = std::string(first.substr(sp + 1));
  while (line_end != std::string_view::npos && req.headers.size() < 200) {
    head.remove_prefix(line_end + 1);
    line_end = head.find('\n');
    std::string_view line = head.substr(0, line_end);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      req.headers.emplace_back(std::string(line), "");
    } else {
      req.headers.emplace_back(std::string(line.substr(0, colon)),
                               std::string(line.substr(colon + 1)));
    }
  }
  return req;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 64 * 1024) return 0;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  bulwark::http::Request req = BuildRequest(in);
  bulwark::Result<bulwark::sigv4::ParsedAuth> auth = bulwark::sigv4::Parse(req);
  if (!auth.ok()) {
    // Canonicalization must also cope with a request that does not parse.
    bulwark::sigv4::ParsedAuth empty;
    empty.signed_headers = {"host"};
    (void)bulwark::sigv4::CanonicalRequest(req, empty, size % 2 == 0);
    return 0;
  }
  for (bool normalize : {true, false}) {
    std::string canonical = bulwark::sigv4::CanonicalRequest(req, *auth, normalize);
    std::string sts = bulwark::sigv4::StringToSign(*auth, canonical);
    bulwark::SecretBytes key = bulwark::sigv4::DeriveSigningKey(
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", auth->date, auth->region, auth->service);
    (void)bulwark::sigv4::Verify(req, *auth, key, normalize);
  }
  (void)bulwark::sigv4::CheckTime(*auth, 1440938160);
  (void)bulwark::sigv4::CheckTime(*auth, auth->request_time);
  (void)bulwark::sigv4::CheckScope(*auth, "sts");
  return 0;
}
