"""End-to-end fixtures: a real bulwark server on a free loopback port with a temporary
data directory, driven by boto3 and the aws CLI.

Interpreter: Debian's /usr/bin/python3 with python3-boto3 and python3-pytest (the
Makefile runs `/usr/bin/python3 -m pytest tests/e2e`). The CLI is /usr/bin/aws
(Debian's awscli, v2); tests that also run CLI v1 do so only when one is on PATH.
"""
import configparser
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request

import boto3
import botocore.config
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("BULWARK_BIN", os.path.join(ROOT, "build", "bulwark"))
REGION = "us-east-1"


class Server:
    def __init__(self, data_dir, extra_args=()):
        self.data_dir = data_dir
        self.extra_args = list(extra_args)
        self.proc = None
        self.port = None
        self.stdout = ""
        self.account_id = None

    def start(self):
        args = [BIN, "serve", "--listen", "127.0.0.1:0", "--data-dir", self.data_dir,
                "--access-log", os.path.join(self.data_dir, "access.log")] + self.extra_args
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)
        lines = []
        deadline = time.time() + 20
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            m = re.search(r"listening on http://127\.0\.0\.1:(\d+) \(account (\d{12})", line)
            if m:
                self.port = int(m.group(1))
                self.account_id = m.group(2)
                break
        self.stdout = "".join(lines)
        if self.port is None:
            self.proc.kill()
            raise RuntimeError("server did not start: " + self.stdout + self.proc.stderr.read())
        self.wait_healthy()
        return self

    def wait_healthy(self):
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/_bulwark/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except Exception:
                time.sleep(0.02)
        raise RuntimeError("health endpoint never answered 200")

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    @property
    def credentials_file(self):
        return os.path.join(self.data_dir, "credentials")

    def credentials(self):
        cp = configparser.ConfigParser()
        cp.read(self.credentials_file)
        return cp["default"]["aws_access_key_id"], cp["default"]["aws_secret_access_key"]

    def client(self, service, access_key=None, secret_key=None, token=None, **config):
        ak, sk = self.credentials()
        cfg = botocore.config.Config(retries={"max_attempts": 1}, **config)
        return boto3.client(service, endpoint_url=self.url, region_name=REGION,
                            aws_access_key_id=access_key or ak,
                            aws_secret_access_key=secret_key or sk,
                            aws_session_token=token, config=cfg)

    def stop(self, sig=signal.SIGTERM, timeout=15):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            self.proc.stdout.close()
            self.proc.stderr.close()
        return self.proc.returncode if self.proc else None


@pytest.fixture
def data_dir():
    d = tempfile.mkdtemp(prefix="bulwark-e2e-")
    path = os.path.join(d, "data")
    yield path
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def server(data_dir):
    s = Server(data_dir).start()
    yield s
    s.stop()


@pytest.fixture
def make_server():
    """Factory for tests that need custom flags, restarts or signals."""
    started = []

    def make(data_dir, *args):
        s = Server(data_dir, args).start()
        started.append(s)
        return s

    yield make
    for s in started:
        s.stop(signal.SIGKILL)


def make_user(server, name, *statements):
    """An IAM user with an inline policy of `statements` (none when empty): its
    credentials (access key id, secret access key)."""
    iam = server.client("iam")
    iam.create_user(UserName=name)
    if statements:
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": list(statements)}))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def aws_cli(server, *args, cli="/usr/bin/aws", env_extra=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({
        "AWS_SHARED_CREDENTIALS_FILE": server.credentials_file,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_PAGER": "",
        "AWS_MAX_ATTEMPTS": "1",
    })
    for k, v in (env_extra or {}).items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    return subprocess.run([cli, "--endpoint-url", server.url, "--output", "json", *args],
                          capture_output=True, text=True, env=env, timeout=60)
