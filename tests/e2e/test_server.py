"""The server itself: health, metrics, limits, timeouts, concurrency, shutdown, durability
and what the data directory holds."""
import concurrent.futures
import json
import os
import signal
import socket
import stat
import time
import urllib.request

from rawsig import GET_CALLER_IDENTITY, STS_FORM, send, signed


def test_health_and_metrics(server):
    with urllib.request.urlopen(server.url + "/_bulwark/health") as r:
        assert r.status == 200
        assert json.loads(r.read())["status"] == "ready"
    server.client("sts").get_caller_identity()
    with urllib.request.urlopen(server.url + "/metrics") as r:
        text = r.read().decode()
    assert ('bulwark_requests_total{service="sts",operation="GetCallerIdentity",code="2xx"}'
            in text)
    assert "bulwark_request_duration_seconds_bucket" in text


def test_access_log_is_json_and_has_no_secrets(server):
    ak, sk = server.credentials()
    server.client("sts").get_caller_identity()
    url = server.client("sts").generate_presigned_url("get_caller_identity", ExpiresIn=60,
                                                      HttpMethod="GET")
    urllib.request.urlopen(url).read()
    # Lines are buffered and written within about a second.
    deadline = time.time() + 5
    while True:
        with open(os.path.join(server.data_dir, "access.log")) as f:
            lines = [json.loads(l) for l in f if l.strip()]
        ok = [l for l in lines if l.get("operation") == "GetCallerIdentity" and l["status"] == 200]
        if len(ok) >= 2 or time.time() > deadline:
            break
        time.sleep(0.1)
    assert len(ok) >= 2
    text = json.dumps(lines)
    assert sk not in text
    assert "X-Amz-Signature" not in text
    assert all(len(l["request_id"]) == 36 for l in lines)


def test_data_directory_modes_and_no_plaintext_secret(server):
    _, sk = server.credentials()
    assert stat.S_IMODE(os.stat(server.data_dir).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(server.credentials_file).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(os.path.join(server.data_dir, "root.key")).st_mode) == 0o600
    server.stop()
    # Every file, the audit journal's included.
    for parent, _, names in os.walk(server.data_dir):
        for name in names:
            if name == "credentials":
                continue
            with open(os.path.join(parent, name), "rb") as f:
                assert sk.encode() not in f.read(), name
    assert sk in server.stdout  # printed once at first start


def test_oversized_body_is_refused_and_server_goes_on(server):
    big = b"A" * (20 * 1024 * 1024)
    status, _, body = send(server.port, "POST", "/", STS_FORM, big)
    assert status == 413
    assert b"RequestEntityTooLarge" in body
    assert server.client("sts").get_caller_identity()["Account"] == server.account_id


def test_oversized_header_is_refused(server):
    status, _, body = send(server.port, "POST", "/", {**STS_FORM, "X-Big": "b" * 70000},
                           GET_CALLER_IDENTITY)
    assert status == 413
    assert server.client("sts").get_caller_identity()


def test_malformed_http_is_dropped_and_server_goes_on(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
        s.sendall(b"\x16\x03\x01\x02\x00garbage that is not HTTP\r\n\r\n")
        try:
            data = s.recv(100)
        except ConnectionResetError:
            data = b""
        assert data == b"" or data.startswith(b"HTTP/1.1 4")
    assert server.client("sts").get_caller_identity()


def test_slow_client_is_timed_out(make_server, data_dir):
    srv = make_server(data_dir, "--header-timeout", "1")
    with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as s:
        s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\n")  # never finishes the head
        start = time.time()
        data = s.recv(100)
        assert data == b""
        assert time.time() - start < 8
    assert srv.client("sts").get_caller_identity()


def test_keep_alive_reuses_the_connection(server):
    import http.client
    from rawsig import sign
    ak, sk = server.credentials()
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    for _ in range(5):
        h = sign("POST", f"127.0.0.1:{server.port}", "/", (), STS_FORM, GET_CALLER_IDENTITY, ak,
                 sk, "us-east-1", "sts")
        conn.request("POST", "/", body=GET_CALLER_IDENTITY, headers=h)
        r = conn.getresponse()
        assert r.status == 200
        r.read()
    conn.close()


def test_200_concurrent_clients(server):
    ak, sk = server.credentials()

    def one(i):
        status, _, body = signed(server, body=GET_CALLER_IDENTITY, headers=STS_FORM)
        return status, server.account_id.encode() in body

    with concurrent.futures.ThreadPoolExecutor(max_workers=200) as pool:
        results = list(pool.map(one, range(1000)))
    assert results.count((200, True)) == 1000


def test_sigterm_shuts_down_gracefully(make_server, data_dir):
    srv = make_server(data_dir)
    assert srv.client("sts").get_caller_identity()
    srv.proc.send_signal(signal.SIGTERM)
    assert srv.proc.wait(timeout=15) == 0
    assert "stopped" in srv.proc.stderr.read()


def test_kill_9_and_restart_loses_nothing(make_server, data_dir):
    first = make_server(data_dir)
    creds = first.credentials()
    account = first.account_id
    first.client("sts").get_caller_identity()
    first.proc.kill()
    first.proc.wait()
    second = make_server(data_dir)
    assert second.account_id == account
    assert second.credentials() == creds
    assert "aws_secret_access_key" not in second.stdout  # shown only at first start
    assert second.client("sts").get_caller_identity()["Account"] == account


def test_missing_root_key_refuses_to_start(make_server, data_dir):
    first = make_server(data_dir)
    first.stop()
    os.unlink(os.path.join(data_dir, "root.key"))
    import subprocess
    from conftest import BIN
    r = subprocess.run([BIN, "serve", "--listen", "127.0.0.1:0", "--data-dir", data_dir],
                       capture_output=True, text=True, timeout=20)
    assert r.returncode != 0
    assert "root key" in r.stderr


def test_settings_from_environment_and_config_file(data_dir, tmp_path):
    import subprocess
    from conftest import BIN, Server
    cfg = tmp_path / "bulwark.toml"
    cfg.write_text('listen = "127.0.0.1:0"\nheader-timeout = 5\n')
    env = dict(os.environ, BULWARK_DATA_DIR=data_dir)
    p = subprocess.Popen([BIN, "serve", "--config", str(cfg)], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = ""
        for _ in range(10):
            line = p.stdout.readline()
            if "listening on" in line:
                break
        assert "listening on http://127.0.0.1:" in line
        assert os.path.isdir(data_dir)
    finally:
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=15)
        p.stdout.close()
        p.stderr.close()


def test_connection_cap(make_server, data_dir):
    srv = make_server(data_dir, "--max-connections", "4")
    held = [socket.create_connection(("127.0.0.1", srv.port), timeout=5) for _ in range(4)]
    time.sleep(0.3)
    extra = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
    extra.sendall(b"GET /_bulwark/health HTTP/1.1\r\nHost: x\r\n\r\n")
    try:
        data = extra.recv(100)
    except ConnectionResetError:
        data = b""
    assert data == b""  # over the cap: closed without an answer
    extra.close()
    for s in held:
        s.close()
    time.sleep(0.3)
    assert srv.client("sts").get_caller_identity()["Account"] == srv.account_id
