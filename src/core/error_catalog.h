// The error catalogue: one row per ErrorKind with its AWS wire codes per protocol
// family, HTTP status and fault. protocol/ is the only reader that turns these into
// bytes; services return Status values.
#pragma once

#include <span>
#include <string_view>

#include "core/status.h"

namespace bulwark {

struct ErrorRow {
  ErrorKind kind;
  std::string_view json_code;   // awsJson 1.0/1.1 and rest-json
  std::string_view query_code;  // awsQuery (IAM, STS)
  int json_status;
  int query_status;
  bool sender_fault;
  std::string_view default_message;
};

// Every ErrorKind except kService has exactly one row.
const ErrorRow& LookupError(ErrorKind kind);
// All rows, for tests that walk the catalogue.
std::span<const ErrorRow> AllErrorRows();

}  // namespace bulwark
