"""IAM virtual MFA devices, login profiles and the account password policy, end to end
with boto3 and the aws CLI. TOTP codes come from oathtool (Debian package oathtool) fed
the Base32StringSeed the server returned; the QR code PNG is decoded with zbarimg
(zbar-tools) back to its otpauth:// URI.

Interpreter: /usr/bin/python3 (see conftest.py)."""
import glob
import json
import os
import subprocess
import time

import botocore.exceptions
import pytest

from conftest import aws_cli

STEP = 30


def error_of(call, *args, **kwargs):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(*args, **kwargs)
    return e.value.response


def totp(seed, at):
    """oathtool's code for the time step containing `at` (Unix seconds)."""
    out = subprocess.run(["oathtool", "--totp", "-b", "-N", "@%d" % at, seed],
                         capture_output=True, text=True, check=True, timeout=10)
    return out.stdout.strip()


def fresh_step():
    """The current time step's start, waiting out a step about to end so that codes
    computed now are still current when the request arrives."""
    now = time.time()
    if now % STEP > STEP - 3:
        time.sleep(STEP - now % STEP + 0.1)
        now = time.time()
    return int(now) - int(now) % STEP


def zbar(png_path):
    out = subprocess.run(["zbarimg", "--raw", "-q", png_path], capture_output=True, text=True,
                         timeout=30)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def data_files(server):
    blob = b""
    for path in glob.glob(os.path.join(server.data_dir, "*")):
        if os.path.isfile(path) and not path.endswith("access.log"):
            with open(path, "rb") as f:
                blob += f.read()
    return blob


def test_virtual_mfa_device_lifecycle_with_boto3(server, tmp_path):
    iam = server.client("iam")
    acct = server.account_id
    iam.create_user(UserName="alice")
    created = iam.create_virtual_mfa_device(VirtualMFADeviceName="alice-phone", Path="/team/",
                                            Tags=[{"Key": "owner", "Value": "alice"}])
    device = created["VirtualMFADevice"]
    serial = device["SerialNumber"]
    assert serial == f"arn:aws:iam::{acct}:mfa/team/alice-phone"
    seed = device["Base32StringSeed"].decode()
    assert len(seed) == 32 and set(seed) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")

    # The QR code carries AWS's documented otpauth URI with the same seed.
    png = tmp_path / "qr.png"
    png.write_bytes(device["QRCodePNG"])
    assert device["QRCodePNG"][:8] == b"\x89PNG\r\n\x1a\n"
    assert zbar(str(png)) == f"otpauth://totp/alice-phone@{acct}?secret={seed}"

    # Never stored in plaintext.
    stored = data_files(server)
    assert serial.encode() in stored
    assert seed.encode() not in stored

    err = error_of(iam.create_virtual_mfa_device, VirtualMFADeviceName="Alice-Phone")
    assert err["Error"]["Code"] == "EntityAlreadyExists"
    assert err["Error"]["Message"] == "MFA device already exists."

    listed = iam.list_virtual_mfa_devices(AssignmentStatus="Unassigned")["VirtualMFADevices"]
    assert [d["SerialNumber"] for d in listed] == [serial]
    assert iam.list_mfa_devices(UserName="alice")["MFADevices"] == []

    t = fresh_step()
    # Wrong codes, and the right ones in the wrong order.
    for c1, c2 in (("000000", "000000"), (totp(seed, t), totp(seed, t - STEP))):
        err = error_of(iam.enable_mfa_device, UserName="alice", SerialNumber=serial,
                       AuthenticationCode1=c1, AuthenticationCode2=c2)
        assert err["Error"]["Code"] == "InvalidAuthenticationCode"
        assert err["Error"]["Message"] == "Authentication code for device is not valid."
        assert err["ResponseMetadata"]["HTTPStatusCode"] == 403

    c1, c2 = totp(seed, t - STEP), totp(seed, t)
    iam.enable_mfa_device(UserName="alice", SerialNumber=serial,
                          AuthenticationCode1=c1, AuthenticationCode2=c2)
    mine = iam.list_mfa_devices(UserName="alice")["MFADevices"]
    assert [(d["UserName"], d["SerialNumber"]) for d in mine] == [("alice", serial)]
    assigned = iam.list_virtual_mfa_devices(AssignmentStatus="Assigned")["VirtualMFADevices"]
    assert assigned[0]["SerialNumber"] == serial
    assert assigned[0]["User"]["UserName"] == "alice"
    assert assigned[0]["User"]["Arn"] == f"arn:aws:iam::{acct}:user/alice"
    assert "EnableDate" in assigned[0]
    assert iam.list_virtual_mfa_devices(AssignmentStatus="Unassigned")["VirtualMFADevices"] == []
    if "GetMFADevice" in iam.meta.service_model.operation_names:  # newer botocore only
        got = iam.get_mfa_device(SerialNumber=serial, UserName="alice")
        assert got["UserName"] == "alice" and got["SerialNumber"] == serial

    err = error_of(iam.enable_mfa_device, UserName="alice", SerialNumber=serial,
                   AuthenticationCode1=c1, AuthenticationCode2=c2)
    assert err["Error"]["Code"] == "EntityAlreadyExists"
    assert err["Error"]["Message"] == "MFA Device is already in use."
    # The codes that enabled the device cannot be replayed for a resync.
    err = error_of(iam.resync_mfa_device, UserName="alice", SerialNumber=serial,
                   AuthenticationCode1=c1, AuthenticationCode2=c2)
    assert err["Error"]["Code"] == "InvalidAuthenticationCode"
    iam.resync_mfa_device(UserName="alice", SerialNumber=serial,
                          AuthenticationCode1=totp(seed, t + STEP),
                          AuthenticationCode2=totp(seed, t + 2 * STEP))

    err = error_of(iam.delete_virtual_mfa_device, SerialNumber=serial)
    assert err["Error"]["Code"] == "DeleteConflict"
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 409
    err = error_of(iam.delete_user, UserName="alice")
    assert err["Error"]["Code"] == "DeleteConflict"
    assert err["Error"]["Message"] == "Cannot delete entity, must delete MFA device first."

    iam.tag_mfa_device(SerialNumber=serial, Tags=[{"Key": "kind", "Value": "phone"}])
    tags = iam.list_mfa_device_tags(SerialNumber=serial)["Tags"]
    assert sorted((x["Key"], x["Value"]) for x in tags) == [("kind", "phone"), ("owner", "alice")]
    iam.untag_mfa_device(SerialNumber=serial, TagKeys=["owner"])
    assert iam.list_mfa_device_tags(SerialNumber=serial)["Tags"] == [
        {"Key": "kind", "Value": "phone"}]

    iam.deactivate_mfa_device(UserName="alice", SerialNumber=serial)
    assert iam.list_mfa_devices(UserName="alice")["MFADevices"] == []
    iam.delete_virtual_mfa_device(SerialNumber=serial)
    assert iam.list_virtual_mfa_devices()["VirtualMFADevices"] == []
    err = error_of(iam.delete_virtual_mfa_device, SerialNumber=serial)
    assert err["Error"]["Code"] == "NoSuchEntity"
    assert err["Error"]["Message"] == f"MFA Device with serial number {serial} does not exist."
    iam.delete_user(UserName="alice")


def test_virtual_mfa_device_with_the_cli(server, tmp_path):
    def cli(*args):
        r = aws_cli(server, *args)
        assert r.returncode == 0, r.stderr
        return json.loads(r.stdout) if r.stdout.strip() else None

    acct = server.account_id
    cli("iam", "create-user", "--user-name", "carol")
    seed_file = tmp_path / "seed.txt"
    out = cli("iam", "create-virtual-mfa-device", "--virtual-mfa-device-name", "carol-token",
              "--outfile", str(seed_file), "--bootstrap-method", "Base32StringSeed")
    serial = out["VirtualMFADevice"]["SerialNumber"]
    assert serial == f"arn:aws:iam::{acct}:mfa/carol-token"
    assert "Base32StringSeed" not in out["VirtualMFADevice"]  # written to the file instead
    seed = seed_file.read_text().strip()
    assert len(seed) == 32

    png_file = tmp_path / "qr.png"
    cli("iam", "create-virtual-mfa-device", "--virtual-mfa-device-name", "carol-spare",
        "--outfile", str(png_file), "--bootstrap-method", "QRCodePNG")
    uri = zbar(str(png_file))
    assert uri.startswith(f"otpauth://totp/carol-spare@{acct}?secret=")
    assert len(uri.split("secret=")[1]) == 32

    t = fresh_step()
    r = aws_cli(server, "iam", "enable-mfa-device", "--user-name", "carol", "--serial-number",
                serial, "--authentication-code1", "123456", "--authentication-code2", "654321")
    assert r.returncode == 254
    assert "(InvalidAuthenticationCode)" in r.stderr
    assert "Authentication code for device is not valid." in r.stderr
    cli("iam", "enable-mfa-device", "--user-name", "carol", "--serial-number", serial,
        "--authentication-code1", totp(seed, t - STEP), "--authentication-code2", totp(seed, t))
    devices = cli("iam", "list-mfa-devices", "--user-name", "carol")["MFADevices"]
    assert [d["SerialNumber"] for d in devices] == [serial]
    virtual = cli("iam", "list-virtual-mfa-devices", "--assignment-status", "Any")
    assert sorted(d["SerialNumber"] for d in virtual["VirtualMFADevices"]) == sorted(
        [serial, f"arn:aws:iam::{acct}:mfa/carol-spare"])
    cli("iam", "resync-mfa-device", "--user-name", "carol", "--serial-number", serial,
        "--authentication-code1", totp(seed, t + STEP),
        "--authentication-code2", totp(seed, t + 2 * STEP))
    r = aws_cli(server, "iam", "delete-virtual-mfa-device", "--serial-number", serial)
    assert r.returncode == 254 and "(DeleteConflict)" in r.stderr
    cli("iam", "deactivate-mfa-device", "--user-name", "carol", "--serial-number", serial)
    cli("iam", "delete-virtual-mfa-device", "--serial-number", serial)
    assert cli("iam", "list-mfa-devices", "--user-name", "carol")["MFADevices"] == []
    assert seed.encode() not in data_files(server)


def test_password_policy_with_boto3(server):
    iam = server.client("iam")
    acct = server.account_id
    err = error_of(iam.get_account_password_policy)
    assert err["Error"]["Code"] == "NoSuchEntity"
    assert err["Error"]["Message"] == (
        f"The Password Policy with domain name {acct} cannot be found.")
    err = error_of(iam.delete_account_password_policy)
    assert err["Error"]["Message"] == "The account policy with name PasswordPolicy cannot be found."

    iam.create_user(UserName="bob")
    # Without a policy of its own the account has AWS's default one: 8 characters.
    err = error_of(iam.create_login_profile, UserName="bob", Password="Ab1!")
    assert err["Error"]["Code"] == "PasswordPolicyViolation"
    assert err["Error"]["Message"] == "Password should have a minimum length of 8"
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 400

    iam.update_account_password_policy(MinimumPasswordLength=12, RequireSymbols=True,
                                       RequireNumbers=True, RequireUppercaseCharacters=True,
                                       RequireLowercaseCharacters=True,
                                       AllowUsersToChangePassword=True, MaxPasswordAge=90,
                                       PasswordReusePrevention=5, HardExpiry=False)
    policy = iam.get_account_password_policy()["PasswordPolicy"]
    assert policy == {"MinimumPasswordLength": 12, "RequireSymbols": True, "RequireNumbers": True,
                      "RequireUppercaseCharacters": True, "RequireLowercaseCharacters": True,
                      "AllowUsersToChangePassword": True, "ExpirePasswords": True,
                      "MaxPasswordAge": 90, "PasswordReusePrevention": 5, "HardExpiry": False}
    for password, message in (
            ("Sh0rt!", "Password should have a minimum length of 12"),
            ("no-upper-case-1", "Password should have at least one uppercase letter"),
            ("NO-LOWER-CASE-1", "Password should have at least one lowercase letter"),
            ("No-Numbers-Here", "Password should have at least one number"),
            ("NoSymbols1234", "Password should have at least one symbol")):
        err = error_of(iam.create_login_profile, UserName="bob", Password=password)
        assert err["Error"]["Code"] == "PasswordPolicyViolation", password
        assert err["Error"]["Message"] == message
    err = error_of(iam.get_login_profile, UserName="bob")
    assert err["Error"]["Code"] == "NoSuchEntity"
    assert err["Error"]["Message"] == "Login Profile for User bob cannot be found."

    profile = iam.create_login_profile(UserName="bob", Password="Correct-Horse-1",
                                       PasswordResetRequired=True)["LoginProfile"]
    assert profile["UserName"] == "bob" and profile["PasswordResetRequired"] is True
    assert iam.get_login_profile(UserName="bob")["LoginProfile"]["CreateDate"] == (
        profile["CreateDate"])
    assert b"Correct-Horse-1" not in data_files(server)
    err = error_of(iam.create_login_profile, UserName="bob", Password="Correct-Horse-2")
    assert err["Error"]["Code"] == "EntityAlreadyExists"
    assert err["Error"]["Message"] == "Login Profile for user bob already exists."

    # ChangePassword, as bob, with a policy that lets bob change only its own password.
    key = iam.create_access_key(UserName="bob")["AccessKey"]
    iam.put_user_policy(UserName="bob", PolicyName="self", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "iam:ChangePassword",
                       "Resource": f"arn:aws:iam::{acct}:user/bob"}]}))
    bob = server.client("iam", key["AccessKeyId"], key["SecretAccessKey"])
    err = error_of(bob.change_password, OldPassword="wrong", NewPassword="Brand-New-Pass-2")
    assert err["Error"]["Code"] == "InvalidUserType"
    err = error_of(bob.change_password, OldPassword="Correct-Horse-1", NewPassword="weak")
    assert err["Error"]["Code"] == "PasswordPolicyViolation"
    err = error_of(bob.change_password, OldPassword="Correct-Horse-1",
                   NewPassword="Correct-Horse-1")
    assert err["Error"]["Code"] == "PasswordPolicyViolation"  # reuse prevention
    bob.change_password(OldPassword="Correct-Horse-1", NewPassword="Brand-New-Pass-2")
    assert iam.get_login_profile(UserName="bob")["LoginProfile"]["PasswordResetRequired"] is False
    # bob may not change anything else, and the root user has no IAM password to change.
    err = error_of(bob.update_login_profile, UserName="bob", Password="Another-Pass-3")
    assert err["Error"]["Code"] == "AccessDenied"
    err = error_of(iam.change_password, OldPassword="x", NewPassword="Another-Pass-3")
    assert err["Error"]["Code"] == "InvalidUserType"

    iam.update_login_profile(UserName="bob", Password="Admin-Reset-Pw4", PasswordResetRequired=True)
    assert iam.get_login_profile(UserName="bob")["LoginProfile"]["PasswordResetRequired"] is True
    err = error_of(iam.delete_user, UserName="bob")
    assert err["Error"]["Message"] == "Cannot delete entity, must delete login profile first."
    iam.delete_login_profile(UserName="bob")
    iam.delete_account_password_policy()
    assert error_of(iam.get_account_password_policy)["Error"]["Code"] == "NoSuchEntity"


def test_allow_users_to_change_password_grants_it_without_a_policy(server):
    iam = server.client("iam")
    iam.create_user(UserName="carol")
    iam.create_login_profile(UserName="carol", Password="Carols-Pass-1!")
    key = iam.create_access_key(UserName="carol")["AccessKey"]
    carol = server.client("iam", key["AccessKeyId"], key["SecretAccessKey"])
    iam.update_account_password_policy(AllowUsersToChangePassword=False)
    err = error_of(carol.change_password, OldPassword="Carols-Pass-1!", NewPassword="Carols-Pass-2!")
    assert err["Error"]["Code"] == "AccessDenied"
    iam.update_account_password_policy(AllowUsersToChangePassword=True)
    carol.change_password(OldPassword="Carols-Pass-1!", NewPassword="Carols-Pass-2!")
    # Only its own password: nothing else comes with the setting.
    assert error_of(carol.get_login_profile, UserName="carol")["Error"]["Code"] == "AccessDenied"
    # An explicit deny still wins.
    iam.put_user_policy(UserName="carol", PolicyName="no", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Action": "iam:ChangePassword", "Resource": "*"}]}))
    err = error_of(carol.change_password, OldPassword="Carols-Pass-2!", NewPassword="Carols-Pass-3!")
    assert err["Error"]["Code"] == "AccessDenied"


def test_password_policy_and_change_password_with_the_cli(server):
    def cli(*args, env_extra=None):
        r = aws_cli(server, *args, env_extra=env_extra)
        assert r.returncode == 0, r.stderr
        return json.loads(r.stdout) if r.stdout.strip() else None

    acct = server.account_id
    cli("iam", "update-account-password-policy", "--minimum-password-length", "10",
        "--require-symbols", "--require-numbers")
    policy = cli("iam", "get-account-password-policy")["PasswordPolicy"]
    assert policy["MinimumPasswordLength"] == 10
    assert policy["RequireSymbols"] is True and policy["RequireNumbers"] is True
    assert policy["RequireUppercaseCharacters"] is False and policy["ExpirePasswords"] is False

    cli("iam", "create-user", "--user-name", "dave")
    r = aws_cli(server, "iam", "create-login-profile", "--user-name", "dave",
                "--password", "abcdefghij1")
    assert r.returncode == 254
    assert "(PasswordPolicyViolation)" in r.stderr
    assert "Password should have at least one symbol" in r.stderr
    out = cli("iam", "create-login-profile", "--user-name", "dave", "--password", "abcdefgh-1",
              "--password-reset-required")
    assert out["LoginProfile"]["PasswordResetRequired"] is True

    key = cli("iam", "create-access-key", "--user-name", "dave")["AccessKey"]
    cli("iam", "put-user-policy", "--user-name", "dave", "--policy-name", "self",
        "--policy-document", json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "iam:ChangePassword",
                           "Resource": f"arn:aws:iam::{acct}:user/dave"}]}))
    as_dave = {"AWS_ACCESS_KEY_ID": key["AccessKeyId"],
               "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]}
    r = aws_cli(server, "iam", "change-password", "--old-password", "nope",
                "--new-password", "zyxwvuts-2", env_extra=as_dave)
    assert r.returncode == 254 and "(InvalidUserType)" in r.stderr
    cli("iam", "change-password", "--old-password", "abcdefgh-1", "--new-password", "zyxwvuts-2",
        env_extra=as_dave)
    profile = cli("iam", "get-login-profile", "--user-name", "dave")["LoginProfile"]
    assert profile["PasswordResetRequired"] is False
    cli("iam", "delete-login-profile", "--user-name", "dave")
    cli("iam", "delete-account-password-policy")
    r = aws_cli(server, "iam", "get-account-password-policy")
    assert r.returncode == 254 and "(NoSuchEntity)" in r.stderr
