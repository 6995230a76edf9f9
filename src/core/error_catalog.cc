#include "core/error_catalog.h"

#include <cstdlib>

namespace bulwark {
namespace {

constexpr ErrorRow kRows[] = {
    // kind, json code, query code, json status, query status, sender fault, message
    {ErrorKind::kValidation, "ValidationException", "ValidationError", 400, 400, true, ""},
    {ErrorKind::kSerialization, "SerializationException", "MalformedInput", 400, 400, true,
     "The request body could not be parsed."},
    {ErrorKind::kUnknownOperation, "UnknownOperationException", "InvalidAction", 400, 400, true,
     ""},
    {ErrorKind::kInvalidAction, "UnknownOperationException", "InvalidAction", 400, 400, true, ""},
    {ErrorKind::kMissingAction, "UnknownOperationException", "MissingAction", 400, 400, true,
     "Missing Action"},
    {ErrorKind::kUnsupportedOperation, "UnknownOperationException", "InvalidAction", 400, 400, true,
     ""},
    {ErrorKind::kRequestEntityTooLarge, "RequestEntityTooLargeException", "RequestEntityTooLarge",
     413, 413, true, "Request body is too large."},
    {ErrorKind::kNotFoundRoute, "UnknownOperationException", "InvalidAction", 404, 404, true,
     "The request does not match any operation of any service."},
    {ErrorKind::kMissingAuthenticationToken, "MissingAuthenticationTokenException",
     "MissingAuthenticationToken", 403, 403, true, "Missing Authentication Token"},
    {ErrorKind::kIncompleteSignature, "IncompleteSignatureException", "IncompleteSignature", 400,
     400, true, ""},
    {ErrorKind::kInvalidClientTokenId, "UnrecognizedClientException", "InvalidClientTokenId", 400,
     403, true, "The security token included in the request is invalid."},
    {ErrorKind::kSignatureDoesNotMatch, "InvalidSignatureException", "SignatureDoesNotMatch", 400,
     403, true,
     "The request signature we calculated does not match the signature you provided. Check "
     "your AWS Secret Access Key and signing method. Consult the service documentation for "
     "details."},
    {ErrorKind::kRequestExpired, "InvalidSignatureException", "SignatureDoesNotMatch", 400, 403,
     true, "Signature expired"},
    {ErrorKind::kExpiredToken, "ExpiredTokenException", "ExpiredToken", 400, 403, true,
     "The security token included in the request is expired"},
    {ErrorKind::kInvalidToken, "UnrecognizedClientException", "InvalidClientTokenId", 400, 403,
     true, "The security token included in the request is invalid."},
    {ErrorKind::kAccessDenied, "AccessDeniedException", "AccessDenied", 400, 403, true, ""},
    {ErrorKind::kThrottling, "ThrottlingException", "Throttling", 400, 400, true, "Rate exceeded"},
    {ErrorKind::kServiceUnavailable, "ServiceUnavailableException", "ServiceUnavailable", 503, 503,
     false, "Service is unavailable; try again later."},
    {ErrorKind::kInternalFailure, "InternalFailure", "InternalFailure", 500, 500, false,
     "The request processing has failed because of an unknown error, exception or failure."},
};

}  // namespace

const ErrorRow& LookupError(ErrorKind kind) {
  for (const ErrorRow& row : kRows) {
    if (row.kind == kind) return row;
  }
  // kOk and kService have no row: callers handle them before looking up.
  static constexpr ErrorRow kInternal = kRows[sizeof(kRows) / sizeof(kRows[0]) - 1];
  return kInternal;
}

std::span<const ErrorRow> AllErrorRows() { return {kRows, sizeof(kRows) / sizeof(kRows[0])}; }

}  // namespace bulwark
