// Secrets Manager: the built-in PostgreSQL rotation functions, after AWS's templates
// (SecretsManagerRDSPostgreSQLRotationSingleUser / …MultiUser). The secret is AWS's JSON
// ({"engine": "postgres", "host", "port", "username", "password", "dbname"}, and for
// multi-user "masterarn": the ARN of a secret holding a user allowed to create and alter
// roles). Single user: the user's password is changed. Multi-user: two users alternate
// (NAME and NAME_clone), the new one created with the old one's privileges, so that the
// credentials in use stay valid until the rotation finishes.
#include <libpq-fe.h>

#include <memory>

#include "services/secretsmanager/common.h"
#include "services/secretsmanager/handlers.h"

namespace bulwark::secretsmanager {
namespace {

constexpr std::string_view kClone = "_clone";

Status Failed(std::string message) {
  return Status(ErrorKind::kInternalFailure, std::move(message));
}

struct ConnDeleter {
  void operator()(PGconn* c) const { PQfinish(c); }
};
using Connection = std::unique_ptr<PGconn, ConnDeleter>;

std::string Text(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
  return "";
}

// A login with a secret's credentials, or null when it fails.
Connection Connect(const Json& creds) {
  const std::string host = Text(creds.value("host", Json()));
  const std::string port = creds.contains("port") ? Text(creds["port"]) : "5432";
  const std::string user = Text(creds.value("username", Json()));
  const std::string password = Text(creds.value("password", Json()));
  const std::string dbname = creds.contains("dbname") ? Text(creds["dbname"]) : "postgres";
  const char* keys[] = {"host",    "port", "user", "password", "dbname", "connect_timeout",
                        "sslmode", nullptr};
  const char* values[] = {host.c_str(),   port.c_str(), user.c_str(), password.c_str(),
                          dbname.c_str(), "5",          "prefer",     nullptr};
  Connection c(PQconnectdbParams(keys, values, 0));
  if (!c || PQstatus(c.get()) != CONNECTION_OK) return nullptr;
  return c;
}

Status Exec(PGconn* c, const std::string& sql) {
  std::unique_ptr<PGresult, decltype(&PQclear)> r(PQexec(c, sql.c_str()), &PQclear);
  const ExecStatusType status = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    return Failed(std::string("PostgreSQL: ") + PQerrorMessage(c));
  }
  return Status::Ok();
}

Result<bool> RoleExists(PGconn* c, const std::string& name) {
  const char* params[] = {name.c_str()};
  std::unique_ptr<PGresult, decltype(&PQclear)> r(
      PQexecParams(c, "SELECT 1 FROM pg_roles WHERE rolname = $1", 1, nullptr, params, nullptr,
                   nullptr, 0),
      &PQclear);
  if (!r || PQresultStatus(r.get()) != PGRES_TUPLES_OK) {
    return Failed(std::string("PostgreSQL: ") + PQerrorMessage(c));
  }
  return PQntuples(r.get()) > 0;
}

// A quoted identifier or literal (libpq's escaping); wiped when it holds a password.
std::string Quoted(PGconn* c, const std::string& s, bool literal) {
  char* q =
      literal ? PQescapeLiteral(c, s.data(), s.size()) : PQescapeIdentifier(c, s.data(), s.size());
  if (!q) return "";
  std::string out(q);
  SecureWipe(q, out.size());
  PQfreemem(q);
  return out;
}

// The secret's version with `stage` (and `version_id` when given), as JSON; nullopt when
// there is none.
Result<std::optional<Json>> Credentials(RequestContext& svc, const std::string& arn,
                                        std::string_view stage,
                                        const std::string& version_id = "") {
  Json input = {{"SecretId", arn}, {"VersionStage", stage}};
  if (!version_id.empty()) input["VersionId"] = version_id;
  Result<Json> got = GetSecretValue(svc, input);
  if (!got.ok()) {
    if (got.status().kind() == ErrorKind::kService &&
        got.status().code() == "ResourceNotFoundException") {
      return std::optional<Json>();
    }
    return got.status();
  }
  Json creds = Json::parse(got->value("SecretString", ""), nullptr, /*allow_exceptions=*/false);
  if (!creds.is_object() || !creds.contains("host") || !creds.contains("username") ||
      !creds.contains("password")) {
    return Failed("the secret is not AWS's JSON for a database (host, username, password)");
  }
  return std::optional<Json>(std::move(creds));
}

Status CreatePending(RequestContext& svc, const std::string& arn, const std::string& token,
                     bool multi_user) {
  ASSIGN_OR_RETURN(std::optional<Json> pending, Credentials(svc, arn, kPending, token));
  if (pending) return Status::Ok();  // made by an earlier attempt
  ASSIGN_OR_RETURN(std::optional<Json> current, Credentials(svc, arn, kCurrent));
  if (!current) return Failed("the secret has no current version");
  ASSIGN_OR_RETURN(Json password, GetRandomPassword(svc, {{"ExcludeCharacters", "\"@/\\'"}}));
  Json next = *current;
  next["password"] = password["RandomPassword"];
  if (multi_user) {
    std::string user = Text(next["username"]);
    user = user.ends_with(kClone) ? user.substr(0, user.size() - kClone.size())
                                  : user + std::string(kClone);
    if (user.size() > 63) return Failed("the alternate user's name is longer than 63 characters");
    next["username"] = user;
  }
  return PutSecretValue(svc, {{"SecretId", arn},
                              {"ClientRequestToken", token},
                              {"SecretString", next.dump()},
                              {"VersionStages", Json::array({kPending})}})
      .status();
}

Status SetPending(RequestContext& svc, const std::string& arn, const std::string& token,
                  bool multi_user) {
  ASSIGN_OR_RETURN(std::optional<Json> pending, Credentials(svc, arn, kPending, token));
  if (!pending) return Failed("the pending version is missing");
  if (Connect(*pending)) return Status::Ok();  // set by an earlier attempt
  ASSIGN_OR_RETURN(std::optional<Json> current, Credentials(svc, arn, kCurrent));
  if (!current || Text((*current)["host"]) != Text((*pending)["host"])) {
    return Failed("the pending version names another database host than the current one");
  }
  const std::string user = Text((*pending)["username"]);
  const std::string password = Text((*pending)["password"]);
  Connection admin;
  if (multi_user) {
    const std::string master_arn = current->value("masterarn", "");
    if (master_arn.empty()) return Failed("a multi-user secret needs masterarn");
    Result<Json> master = GetSecretValue(svc, {{"SecretId", master_arn}});
    if (!master.ok()) return master.status();
    Json creds = Json::parse(master->value("SecretString", ""), nullptr, false);
    if (!creds.is_object()) return Failed("the master secret is not JSON");
    admin = Connect(creds);
    if (!admin) return Failed("unable to log in to the database with the master secret");
  } else {
    admin = Connect(*current);
    if (!admin) {
      ASSIGN_OR_RETURN(std::optional<Json> previous, Credentials(svc, arn, kPrevious));
      if (previous) admin = Connect(*previous);
    }
    if (!admin) {
      return Failed(
          "unable to log in to the database with the previous, current or pending "
          "secret");
    }
  }
  std::string literal = Quoted(admin.get(), password, true);
  const std::string ident = Quoted(admin.get(), user, false);
  if (literal.empty() || ident.empty()) return Failed("PostgreSQL: could not quote");
  Status st;
  if (multi_user) {
    ASSIGN_OR_RETURN(bool exists, RoleExists(admin.get(), user));
    if (exists) {
      st = Exec(admin.get(), "ALTER ROLE " + ident + " WITH PASSWORD " + literal);
    } else {
      st = Exec(admin.get(), "CREATE ROLE " + ident + " WITH LOGIN PASSWORD " + literal);
      if (st.ok()) {
        // The new user gets what the current one has.
        st = Exec(admin.get(), "GRANT " + Quoted(admin.get(), Text((*current)["username"]), false) +
                                   " TO " + ident);
      }
    }
  } else {
    st = Exec(admin.get(), "ALTER USER " + ident + " WITH PASSWORD " + literal);
  }
  SecureWipe(literal.data(), literal.size());
  return st;
}

Status TestPending(RequestContext& svc, const std::string& arn, const std::string& token) {
  ASSIGN_OR_RETURN(std::optional<Json> pending, Credentials(svc, arn, kPending, token));
  if (!pending) return Failed("the pending version is missing");
  Connection c = Connect(*pending);
  if (!c) return Failed("unable to log in to the database with the pending secret");
  return Exec(c.get(), "SELECT NOW()");
}

}  // namespace

Status PostgresStep(RequestContext& svc, const std::string& arn, const std::string& token,
                    std::string_view step, bool multi_user) {
  if (step == "createSecret") return CreatePending(svc, arn, token, multi_user);
  if (step == "setSecret") return SetPending(svc, arn, token, multi_user);
  if (step == "testSecret") return TestPending(svc, arn, token);
  return Status::Ok();  // finishSecret: the rotation's common finish
}

}  // namespace bulwark::secretsmanager
