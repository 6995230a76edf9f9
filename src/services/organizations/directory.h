// The accounts of the data directory and the one organization they form. The server's
// bootstrap (server/bootstrap.cc: the default account, `bulwark admin create-account`)
// and Organizations' CreateAccount both create accounts through these functions, so
// that every account has the same record wherever it came from.
//
// Records, all JSON:
// - "system/accounts/ID", one per account, the default one included: account_id;
//   root_access_key_id (absent for accounts CreateAccount made: as in AWS, they have no
//   root access key); email, name, joined_method ("INVITED" for the management account,
//   "CREATED" for the others), joined_timestamp; tags and iam_user_access_to_billing
//   when CreateAccount gave them. Records written before Organizations existed lack
//   email, name and joined_*: EmailOf/NameOf/JoinedTimestampOf give placeholders.
// - "system/account": the default account, {account_id, root_access_key_id}.
// - "system/organization": {Id ("o-" + 10), RootId ("r-" + 4), MasterAccountId (the
//   default account), CreatedTimestamp}. Made once, on the first start that lacks it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "services/service.h"
#include "storage/kv.h"

namespace bulwark::organizations {

inline constexpr std::string_view kAccountsPrefix = "system/accounts/";
inline constexpr std::string_view kDefaultAccountKey = "system/account";
inline constexpr std::string_view kOrganizationKey = "system/organization";

inline constexpr std::string_view kJoinedCreated = "CREATED";
inline constexpr std::string_view kJoinedInvited = "INVITED";

// "system/accounts/ID".
std::string AccountKey(std::string_view account_id);

// A random 12-digit account id that no account of the data directory has yet.
Result<std::string> NewAccountIdIn(storage::Transaction& txn);

// The record of a new account (without a root access key: the caller adds
// root_access_key_id when the account has one).
Json NewAccountRecord(std::string_view account_id, std::string_view email, std::string_view name,
                      std::string_view joined_method, int64_t now);

// Stores a new account's record; kInternalFailure if the id is taken.
Status PutNewAccountIn(storage::Transaction& txn, const Json& record);

// One account's record, or nullopt.
Result<std::optional<Json>> LoadAccountIn(storage::Transaction& txn, std::string_view account_id);

// Every account's record, ordered by id; `start_after` (an id) and `limit` (0: all) as
// in Transaction::Scan.
Result<std::vector<Json>> ListAccountsIn(storage::Transaction& txn,
                                         std::string_view start_after = {}, size_t limit = 0);

// The organization's record, made (management account `management_account_id`,
// created `now`) when there is none yet, or when the one there names another
// management account: a first start that failed before it recorded the default account
// leaves such a record, and the next first start makes another default account.
Result<Json> EnsureOrganizationIn(storage::Transaction& txn, std::string_view management_account_id,
                                  int64_t now);

// The organization's record, or nullopt before the first EnsureOrganizationIn.
Result<std::optional<Json>> LoadOrganizationIn(storage::Transaction& txn);

// An account's email, name and joining time as Organizations shows them, with the
// placeholders for records that have none: "ID@bulwark.invalid" (RFC 2606's reserved
// .invalid domain: it can reach nobody and is unique per account), "default" for the
// management account and "account-ID" for the others (the profile names bulwark gives
// them), and the organization's creation time.
std::string EmailOf(const Json& account);
std::string PlaceholderEmail(std::string_view account_id);
std::string NameOf(const Json& account, const Json& organization);
int64_t JoinedTimestampOf(const Json& account, const Json& organization);
std::string JoinedMethodOf(const Json& account, const Json& organization);

// arn:aws:organizations::MGMT:account/o-ID/ACCOUNT and ...:organization/o-ID.
std::string AccountArn(const Json& organization, std::string_view account_id);
std::string OrganizationArn(const Json& organization);

}  // namespace bulwark::organizations
