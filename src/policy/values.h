// Typed conversions of condition values (numbers, dates, booleans, IP networks),
// shared by the parser (policy values, converted once) and the evaluator (request
// values). All functions are total: bad input gives std::nullopt, never a throw.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "policy/policy.h"

namespace bulwark::policy {

// A decimal number: optional sign, digits, optional fraction and exponent.
std::optional<double> ParseNumber(std::string_view s);

// A date as AWS accepts it: ISO 8601 ("2020-01-01", "2020-01-01T12:00:00Z",
// "2020-01-01T12:00:00.123+02:00") or epoch seconds ("1577836800"). Milliseconds
// since the epoch, UTC.
std::optional<int64_t> ParseDateMs(std::string_view s);
// The value of a date key the request context carries (aws:CurrentTime,
// aws:TokenIssueTime): ISO 8601 in UTC, "2024-05-01T12:00:00Z".
std::string FormatDate(int64_t unix_seconds);

// "true" / "false", case-insensitively.
std::optional<bool> ParseBool(std::string_view s);

// An IPv4 or IPv6 address with an optional "/prefix". A bare address is a /32
// (IPv4) or /128 (IPv6). Host bits beyond the prefix are ignored.
std::optional<Cidr> ParseCidr(std::string_view s);

// Whether `address` (a full-length Cidr) lies in `network`.
bool CidrContains(const Cidr& network, const Cidr& address);

}  // namespace bulwark::policy
