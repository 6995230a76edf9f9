"""KMS multi-Region keys end to end with boto3 and the aws CLI v2: a primary key in
us-east-1 replicated to us-west-2 (the Region of a request is its SigV4 credential
scope's), ciphertexts that decrypt in both, rotations that reach the replica, a primary
that moves, and the deletion order AWS keeps.

Interpreter: /usr/bin/python3 (see conftest.py)."""
import json

import boto3
import botocore.config

from conftest import aws_cli
from kms_util import code_of, error_of


def kms_in(server, region):
    ak, sk = server.credentials()
    return boto3.client("kms", endpoint_url=server.url, region_name=region,
                        aws_access_key_id=ak, aws_secret_access_key=sk,
                        config=botocore.config.Config(retries={"max_attempts": 1}))


def test_replicas_share_material_and_keep_their_own_settings(server):
    east, west = kms_in(server, "us-east-1"), kms_in(server, "us-west-2")
    primary = east.create_key(MultiRegion=True, Description="primary")["KeyMetadata"]
    key_id = primary["KeyId"]
    assert key_id.startswith("mrk-") and primary["MultiRegion"] is True
    assert primary["MultiRegionConfiguration"]["MultiRegionKeyType"] == "PRIMARY"
    out = east.replicate_key(KeyId=key_id, ReplicaRegion="us-west-2",
                             Tags=[{"TagKey": "site", "TagValue": "west"}])
    replica = out["ReplicaKeyMetadata"]
    assert replica["KeyId"] == key_id and replica["Arn"].startswith("arn:aws:kms:us-west-2:")
    assert replica["MultiRegionConfiguration"]["MultiRegionKeyType"] == "REPLICA"
    assert replica["MultiRegionConfiguration"]["PrimaryKey"]["Arn"] == primary["Arn"]
    assert out["ReplicaTags"] == [{"TagKey": "site", "TagValue": "west"}]
    assert json.loads(out["ReplicaPolicy"])["Statement"][0]["Principal"]["AWS"].endswith(":root")
    config = east.describe_key(KeyId=key_id)["KeyMetadata"]["MultiRegionConfiguration"]
    assert [r["Region"] for r in config["ReplicaKeys"]] == ["us-west-2"]
    assert code_of(east.replicate_key, KeyId=key_id, ReplicaRegion="us-west-2") == \
        "AlreadyExistsException"
    assert code_of(west.replicate_key, KeyId=key_id, ReplicaRegion="eu-west-1") == \
        "UnsupportedOperationException"
    single = east.create_key()["KeyMetadata"]["KeyId"]
    assert code_of(east.replicate_key, KeyId=single, ReplicaRegion="us-west-2") == \
        "UnsupportedOperationException"

    # Ciphertexts cross between the two; a single-Region key's do not.
    blob = east.encrypt(KeyId=key_id, Plaintext=b"from east",
                        EncryptionContext={"a": "b"})["CiphertextBlob"]
    assert west.decrypt(CiphertextBlob=blob, EncryptionContext={"a": "b"})["Plaintext"] == \
        b"from east"
    blob = west.encrypt(KeyId=key_id, Plaintext=b"from west")["CiphertextBlob"]
    assert east.decrypt(CiphertextBlob=blob)["Plaintext"] == b"from west"
    local = east.encrypt(KeyId=single, Plaintext=b"x")["CiphertextBlob"]
    assert code_of(west.decrypt, CiphertextBlob=local) == "InvalidCiphertextException"

    # Shared: material after a rotation at the primary. Not shared: state, description.
    old = east.encrypt(KeyId=key_id, Plaintext=b"old")["CiphertextBlob"]
    east.enable_key_rotation(KeyId=key_id)
    assert west.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is True
    assert code_of(west.enable_key_rotation, KeyId=key_id) == "UnsupportedOperationException"
    west.disable_key(KeyId=key_id)
    assert code_of(west.encrypt, KeyId=key_id, Plaintext=b"x") == "DisabledException"
    assert east.encrypt(KeyId=key_id, Plaintext=b"x")["KeyId"] == primary["Arn"]
    west.enable_key(KeyId=key_id)
    assert west.describe_key(KeyId=key_id)["KeyMetadata"]["Description"] == ""
    assert west.decrypt(CiphertextBlob=old)["Plaintext"] == b"old"


def test_the_primary_moves_and_outlives_its_replicas(server):
    east, west = kms_in(server, "us-east-1"), kms_in(server, "us-west-2")
    key_id = east.create_key(MultiRegion=True)["KeyMetadata"]["KeyId"]
    east.replicate_key(KeyId=key_id, ReplicaRegion="us-west-2")
    err = error_of(east.update_primary_region, KeyId=key_id, PrimaryRegion="eu-west-1")
    assert err["Code"] == "NotFoundException"
    east.update_primary_region(KeyId=key_id, PrimaryRegion="us-west-2")
    assert west.describe_key(KeyId=key_id)["KeyMetadata"]["MultiRegionConfiguration"][
        "MultiRegionKeyType"] == "PRIMARY"
    assert east.describe_key(KeyId=key_id)["KeyMetadata"]["MultiRegionConfiguration"][
        "MultiRegionKeyType"] == "REPLICA"
    assert code_of(east.update_primary_region, KeyId=key_id, PrimaryRegion="us-east-1") == \
        "UnsupportedOperationException"

    # The primary (now us-west-2) waits for its replica before its own window starts.
    out = west.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    assert out["KeyState"] == "PendingReplicaDeletion" and "DeletionDate" not in out
    assert west.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == \
        "PendingReplicaDeletion"
    assert code_of(west.encrypt, KeyId=key_id, Plaintext=b"x") == "KMSInvalidStateException"
    west.cancel_key_deletion(KeyId=key_id)
    assert west.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Disabled"


def test_authorization_of_replication(server):
    """ReplicateKey needs kms:ReplicateKey on the primary and kms:CreateKey (IAM) in the
    replica's Region; UpdatePrimaryRegion the action on both keys."""
    iam = server.client("iam")
    east = kms_in(server, "us-east-1")
    key_id = east.create_key(MultiRegion=True)["KeyMetadata"]["KeyId"]
    iam.create_user(UserName="rep")
    iam.put_user_policy(UserName="rep", PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "kms:ReplicateKey", "Resource": "*"}]}))
    k = iam.create_access_key(UserName="rep")["AccessKey"]
    as_rep = boto3.client("kms", endpoint_url=server.url, region_name="us-east-1",
                          aws_access_key_id=k["AccessKeyId"],
                          aws_secret_access_key=k["SecretAccessKey"])
    err = error_of(as_rep.replicate_key, KeyId=key_id, ReplicaRegion="us-west-2")
    assert err["Code"] == "AccessDeniedException" and "kms:CreateKey" in err["Message"]
    iam.put_user_policy(UserName="rep", PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["kms:ReplicateKey", "kms:CreateKey"],
                       "Resource": "*",
                       "Condition": {"StringEquals": {"kms:ReplicaRegion": "us-west-2"}}},
                      {"Effect": "Allow", "Action": "kms:CreateKey", "Resource": "*"}]}))
    assert code_of(as_rep.replicate_key, KeyId=key_id, ReplicaRegion="eu-west-1") == \
        "AccessDeniedException"
    assert as_rep.replicate_key(KeyId=key_id, ReplicaRegion="us-west-2")[
        "ReplicaKeyMetadata"]["KeyId"] == key_id


def test_cli_replicates(server):
    created = aws_cli(server, "kms", "create-key", "--multi-region")
    assert created.returncode == 0, created.stderr
    key_id = json.loads(created.stdout)["KeyMetadata"]["KeyId"]
    out = aws_cli(server, "kms", "replicate-key", "--key-id", key_id, "--replica-region",
                  "eu-central-1")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["ReplicaKeyMetadata"]["Arn"].startswith(
        "arn:aws:kms:eu-central-1:")
    listed = aws_cli(server, "--region", "eu-central-1", "kms", "list-keys")
    assert listed.returncode == 0, listed.stderr
    assert [k["KeyId"] for k in json.loads(listed.stdout)["Keys"]] == [key_id]
