"""Secrets Manager's built-in PostgreSQL rotation functions against a real PostgreSQL
server the test starts (Debian's postgresql): after rotation the new password logs in and
the old one does not (single user), or the alternate user logs in while the other keeps
working (multi-user); a database that cannot be reached leaves the secret as it was.

Interpreter: /usr/bin/python3 (see conftest.py)."""
import glob
import json
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time

import pytest

SINGLE = "bulwark-rotate-postgresql-single-user"
MULTI = "bulwark-rotate-postgresql-multi-user"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.fixture(scope="module")
def postgres():
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
    if not bins:
        pytest.fail("PostgreSQL is not installed (scripts/install-deps.sh test)")
    bindir = bins[-1]
    root = tempfile.mkdtemp(prefix="bulwark-pg-")
    # PostgreSQL refuses to run as root: as the postgres user then.
    as_user = []
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(root, user.pw_uid, user.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    admin_password = "admin-" + os.urandom(8).hex()
    pwfile = os.path.join(root, "pw")
    with open(pwfile, "w") as f:
        f.write(admin_password)
    if as_user:
        os.chown(pwfile, user.pw_uid, user.pw_gid)
    data = os.path.join(root, "data")
    subprocess.run(as_user + [f"{bindir}/initdb", "-D", data, "-U", "postgres",
                              "--auth-host=scram-sha-256", "--auth-local=trust",
                              f"--pwfile={pwfile}"], check=True, capture_output=True)
    port = free_port()
    subprocess.run(as_user + [f"{bindir}/pg_ctl", "-D", data, "-w", "-l",
                              os.path.join(root, "log"), "-o",
                              f"-p {port} -k {root} -c listen_addresses=127.0.0.1", "start"],
                   check=True, capture_output=True)
    info = {"host": "127.0.0.1", "port": port, "password": admin_password}

    def sql(statement):
        subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-d",
                        "postgres", "-v", "ON_ERROR_STOP=1", "-c", statement],
                       env=dict(os.environ, PGPASSWORD=admin_password), check=True,
                       capture_output=True)

    info["sql"] = sql
    yield info
    subprocess.run(as_user + [f"{bindir}/pg_ctl", "-D", data, "-m", "immediate", "stop"],
                   capture_output=True)
    shutil.rmtree(root, ignore_errors=True)


def logs_in(pg, user, password):
    r = subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(pg["port"]), "-U", user, "-d",
                        "postgres", "-c", "SELECT 1"],
                       env=dict(os.environ, PGPASSWORD=password), capture_output=True)
    return r.returncode == 0


def lambda_arn(server, name):
    return f"arn:aws:lambda:us-east-1:{server.account_id}:function:{name}"


def wait_rotated(sm, name, version, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        d = sm.describe_secret(SecretId=name)
        if "AWSCURRENT" in d.get("VersionIdsToStages", {}).get(version, []) and \
                "LastRotatedDate" in d:
            return
        time.sleep(0.1)
    raise AssertionError(f"{name} did not rotate to {version}")


def secret_for(pg, user, password, **extra):
    return json.dumps({"engine": "postgres", "host": pg["host"], "port": pg["port"],
                       "username": user, "password": password, "dbname": "postgres", **extra})


def test_single_user_rotation_changes_the_password(server, postgres):
    postgres["sql"]("CREATE ROLE app LOGIN PASSWORD 'first-password'")
    assert logs_in(postgres, "app", "first-password")
    sm = server.client("secretsmanager")
    sm.create_secret(Name="pg/app", SecretString=secret_for(postgres, "app", "first-password"))
    version = sm.rotate_secret(SecretId="pg/app",
                               RotationLambdaARN=lambda_arn(server, SINGLE))["VersionId"]
    wait_rotated(sm, "pg/app", version)
    new = json.loads(sm.get_secret_value(SecretId="pg/app")["SecretString"])
    assert new["username"] == "app" and new["password"] != "first-password"
    assert logs_in(postgres, "app", new["password"])
    assert not logs_in(postgres, "app", "first-password")
    # And again, from the rotated password.
    again = sm.rotate_secret(SecretId="pg/app")["VersionId"]
    wait_rotated(sm, "pg/app", again)
    newer = json.loads(sm.get_secret_value(SecretId="pg/app")["SecretString"])
    assert logs_in(postgres, "app", newer["password"])
    assert not logs_in(postgres, "app", new["password"])


def test_an_unreachable_database_leaves_the_secret_usable(server, postgres):
    sm = server.client("secretsmanager")
    dead = json.loads(secret_for(postgres, "app", "whatever"))
    dead["port"] = free_port()  # nothing listens there
    sm.create_secret(Name="pg/dead", SecretString=json.dumps(dead))
    before = sm.get_secret_value(SecretId="pg/dead")
    token = sm.rotate_secret(SecretId="pg/dead",
                             RotationLambdaARN=lambda_arn(server, SINGLE))["VersionId"]
    deadline = time.time() + 30
    while time.time() < deadline:
        d = sm.describe_secret(SecretId="pg/dead")
        if "AWSPENDING" in d["VersionIdsToStages"].get(token, []):
            break
        time.sleep(0.1)
    time.sleep(1)  # the set step fails after the pending version is made
    after = sm.get_secret_value(SecretId="pg/dead")
    assert after["VersionId"] == before["VersionId"]
    assert after["SecretString"] == before["SecretString"]
    assert "LastRotatedDate" not in sm.describe_secret(SecretId="pg/dead")


def test_multi_user_rotation_alternates_users(server, postgres):
    postgres["sql"]("CREATE ROLE report LOGIN PASSWORD 'report-first'")
    postgres["sql"]("CREATE TABLE IF NOT EXISTS sales (n int)")
    postgres["sql"]("GRANT SELECT ON sales TO report")
    sm = server.client("secretsmanager")
    master = sm.create_secret(Name="pg/master", SecretString=secret_for(
        postgres, "postgres", postgres["password"]))["ARN"]
    sm.create_secret(Name="pg/report", SecretString=secret_for(
        postgres, "report", "report-first", masterarn=master))
    version = sm.rotate_secret(SecretId="pg/report",
                               RotationLambdaARN=lambda_arn(server, MULTI))["VersionId"]
    wait_rotated(sm, "pg/report", version)
    clone = json.loads(sm.get_secret_value(SecretId="pg/report")["SecretString"])
    assert clone["username"] == "report_clone" and clone["masterarn"] == master
    assert logs_in(postgres, "report_clone", clone["password"])
    assert logs_in(postgres, "report", "report-first")  # the other user keeps working
    r = subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(postgres["port"]), "-U",
                        "report_clone", "-d", "postgres", "-c", "SELECT count(*) FROM sales"],
                       env=dict(os.environ, PGPASSWORD=clone["password"]), capture_output=True)
    assert r.returncode == 0, r.stderr  # with the first user's privileges
    # The next rotation goes back to the first user, with a new password.
    again = sm.rotate_secret(SecretId="pg/report")["VersionId"]
    wait_rotated(sm, "pg/report", again)
    back = json.loads(sm.get_secret_value(SecretId="pg/report")["SecretString"])
    assert back["username"] == "report" and back["password"] != "report-first"
    assert logs_in(postgres, "report", back["password"])
    assert not logs_in(postgres, "report", "report-first")
    assert logs_in(postgres, "report_clone", clone["password"])
