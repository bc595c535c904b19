"""The KMS JSON API on Lockstep's S3 port, through boto3's `kms` client and the aws CLI (`aws kms`)."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import uuid

import pytest
from botocore.exceptions import ClientError

from s3helpers import REGION, make_kms_client as make_kms

ACCOUNT = "000000000000"




@pytest.fixture
def kms(lockstep):
    return make_kms(lockstep)


def key_arn(key_id: str) -> str:
    return f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{key_id}"


def alias_arn(alias: str) -> str:
    return f"arn:aws:kms:{REGION}:{ACCOUNT}:{alias}"


def unique_alias(prefix: str = "test") -> str:
    return f"alias/{prefix}-{uuid.uuid4().hex[:12]}"


def error_code(excinfo) -> str:
    return excinfo.value.response["Error"]["Code"]


def new_key(kms, **kwargs) -> str:
    return kms.create_key(**kwargs)["KeyMetadata"]["KeyId"]


# ---------------------------------------------------------------------------
# boto3


def test_create_describe_and_list(kms):
    created = kms.create_key(Description="boto3 key", KeySpec="SYMMETRIC_DEFAULT", KeyUsage="ENCRYPT_DECRYPT",
                             Tags=[{"TagKey": "team", "TagValue": "infra"}])
    meta = created["KeyMetadata"]
    key_id = meta["KeyId"]
    assert meta["Arn"] == key_arn(key_id)
    assert meta["AWSAccountId"] == ACCOUNT
    assert meta["Description"] == "boto3 key"
    assert (meta["Enabled"], meta["KeyState"], meta["KeyUsage"]) == (True, "Enabled", "ENCRYPT_DECRYPT")
    assert (meta["KeySpec"], meta["CustomerMasterKeySpec"]) == ("SYMMETRIC_DEFAULT", "SYMMETRIC_DEFAULT")
    assert (meta["Origin"], meta["KeyManager"], meta["MultiRegion"]) == ("AWS_KMS", "CUSTOMER", False)
    assert meta["EncryptionAlgorithms"] == ["SYMMETRIC_DEFAULT"]
    assert isinstance(meta["CreationDate"], dt.datetime)
    assert "DeletionDate" not in meta
    assert created["ResponseMetadata"]["RequestId"]

    for name in (key_id, key_arn(key_id)):
        assert kms.describe_key(KeyId=name)["KeyMetadata"] == meta

    listed = [k for page in kms.get_paginator("list_keys").paginate(PaginationConfig={"PageSize": 1}) for k in page["Keys"]]
    ids = [k["KeyId"] for k in listed]
    assert len(ids) == len(set(ids)), "pages overlap"
    assert {"KeyId": key_id, "KeyArn": key_arn(key_id)} in listed


def test_aliases(kms):
    key_id = new_key(kms)
    other = new_key(kms)
    alias = unique_alias()
    kms.create_alias(AliasName=alias, TargetKeyId=key_id)
    assert kms.describe_key(KeyId=alias)["KeyMetadata"]["KeyId"] == key_id
    assert kms.describe_key(KeyId=alias_arn(alias))["KeyMetadata"]["KeyId"] == key_id

    entries = kms.list_aliases(KeyId=key_id)["Aliases"]
    assert [(a["AliasName"], a["AliasArn"], a["TargetKeyId"]) for a in entries] == [(alias, alias_arn(alias), key_id)]
    assert isinstance(entries[0]["CreationDate"], dt.datetime)
    everything = [a["AliasName"] for page in kms.get_paginator("list_aliases").paginate() for a in page["Aliases"]]
    assert alias in everything and "alias/aws/s3" in everything

    with pytest.raises(ClientError) as e:
        kms.create_alias(AliasName=alias, TargetKeyId=other)
    assert error_code(e) == "AlreadyExistsException"
    with pytest.raises(ClientError) as e:
        kms.create_alias(AliasName="alias/aws/mine", TargetKeyId=other)
    assert error_code(e) == "NotAuthorizedException"
    with pytest.raises(ClientError) as e:
        kms.create_alias(AliasName="no-prefix", TargetKeyId=other)
    assert error_code(e) == "ValidationException"

    kms.delete_alias(AliasName=alias)
    with pytest.raises(ClientError) as e:
        kms.describe_key(KeyId=alias)
    assert error_code(e) == "NotFoundException"
    assert alias_arn(alias) in e.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as e:
        kms.delete_alias(AliasName=alias)
    assert error_code(e) == "NotFoundException"


def test_encrypt_decrypt_and_data_keys(kms):
    key_id = new_key(kms)
    other = new_key(kms)
    context = {"purpose": "client-test", "tenant": "a"}
    secret = os.urandom(4096)
    encrypted = kms.encrypt(KeyId=key_id, Plaintext=secret, EncryptionContext=context)
    assert encrypted["KeyId"] == key_arn(key_id)
    assert encrypted["EncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    blob = encrypted["CiphertextBlob"]
    assert isinstance(blob, bytes) and secret not in blob

    decrypted = kms.decrypt(CiphertextBlob=blob, EncryptionContext=context)
    assert (decrypted["Plaintext"], decrypted["KeyId"]) == (secret, key_arn(key_id))
    assert kms.decrypt(CiphertextBlob=blob, EncryptionContext=context, KeyId=key_arn(key_id))["Plaintext"] == secret

    for kwargs, code in [(dict(EncryptionContext={"purpose": "other"}), "InvalidCiphertextException"),
                         (dict(), "InvalidCiphertextException"),
                         (dict(EncryptionContext=context, KeyId=other), "IncorrectKeyException")]:
        with pytest.raises(ClientError) as e:
            kms.decrypt(CiphertextBlob=blob, **kwargs)
        assert error_code(e) == code, kwargs
    with pytest.raises(ClientError) as e:
        kms.decrypt(CiphertextBlob=blob[:-1] + bytes([blob[-1] ^ 1]), EncryptionContext=context)
    assert error_code(e) == "InvalidCiphertextException"
    with pytest.raises(ClientError) as e:
        kms.encrypt(KeyId=key_id, Plaintext=os.urandom(4097))
    assert error_code(e) == "ValidationException"

    data_key = kms.generate_data_key(KeyId=key_id, KeySpec="AES_256", EncryptionContext=context)
    assert len(data_key["Plaintext"]) == 32 and data_key["KeyId"] == key_arn(key_id)
    assert kms.decrypt(CiphertextBlob=data_key["CiphertextBlob"], EncryptionContext=context)["Plaintext"] == data_key["Plaintext"]
    assert len(kms.generate_data_key(KeyId=key_id, NumberOfBytes=64)["Plaintext"]) == 64
    hidden = kms.generate_data_key_without_plaintext(KeyId=key_id, KeySpec="AES_128")
    assert "Plaintext" not in hidden
    assert len(kms.decrypt(CiphertextBlob=hidden["CiphertextBlob"])["Plaintext"]) == 16
    with pytest.raises(ClientError) as e:
        kms.generate_data_key(KeyId=key_id)
    assert error_code(e) == "ValidationException"


def test_rotation_keeps_old_ciphertexts_readable(kms):
    key_id = new_key(kms)
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is False
    kms.enable_key_rotation(KeyId=key_id)
    status = kms.get_key_rotation_status(KeyId=key_id)
    assert status["KeyRotationEnabled"] is True and status["RotationPeriodInDays"] == 365

    old = kms.encrypt(KeyId=key_id, Plaintext=b"before rotation")["CiphertextBlob"]
    assert kms.list_key_rotations(KeyId=key_id)["Rotations"] == []
    assert kms.rotate_key_on_demand(KeyId=key_id)["KeyId"] == key_id
    rotations = kms.list_key_rotations(KeyId=key_id)["Rotations"]
    assert [(r["KeyId"], r["RotationType"]) for r in rotations] == [(key_id, "ON_DEMAND")]
    assert isinstance(rotations[0]["RotationDate"], dt.datetime)

    assert kms.decrypt(CiphertextBlob=old)["Plaintext"] == b"before rotation"
    new = kms.encrypt(KeyId=key_id, Plaintext=b"after rotation")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=new)["Plaintext"] == b"after rotation"

    kms.disable_key_rotation(KeyId=key_id)
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is False


def test_disable_and_enable(kms):
    key_id = new_key(kms)
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"x")["CiphertextBlob"]
    kms.disable_key(KeyId=key_id)
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Disabled"
    for call in (lambda: kms.encrypt(KeyId=key_id, Plaintext=b"x"), lambda: kms.decrypt(CiphertextBlob=blob),
                 lambda: kms.generate_data_key(KeyId=key_id, KeySpec="AES_256")):
        with pytest.raises(ClientError) as e:
            call()
        assert error_code(e) == "DisabledException"
    kms.enable_key(KeyId=key_id)
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"x"


def test_schedule_and_cancel_deletion(kms):
    key_id = new_key(kms)
    with pytest.raises(ClientError) as e:
        kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=3)
    assert error_code(e) == "ValidationException"

    scheduled = kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    assert (scheduled["KeyId"], scheduled["KeyState"], scheduled["PendingWindowInDays"]) == (key_arn(key_id), "PendingDeletion", 7)
    meta = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert (meta["KeyState"], meta["Enabled"]) == ("PendingDeletion", False)
    assert meta["DeletionDate"] == scheduled["DeletionDate"]
    with pytest.raises(ClientError) as e:
        kms.encrypt(KeyId=key_id, Plaintext=b"x")
    assert error_code(e) == "KMSInvalidStateException"
    assert "is pending deletion" in e.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as e:
        kms.schedule_key_deletion(KeyId=key_id)
    assert error_code(e) == "KMSInvalidStateException"

    assert kms.cancel_key_deletion(KeyId=key_id)["KeyId"] == key_arn(key_id)
    meta = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert meta["KeyState"] == "Disabled" and "DeletionDate" not in meta
    kms.enable_key(KeyId=key_id)
    assert kms.encrypt(KeyId=key_id, Plaintext=b"x")["KeyId"] == key_arn(key_id)


def test_aws_managed_key(kms):
    meta = kms.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]
    assert meta["KeyManager"] == "AWS"
    for call in (kms.disable_key, kms.schedule_key_deletion, kms.enable_key_rotation, kms.rotate_key_on_demand):
        with pytest.raises(ClientError) as e:
            call(KeyId="alias/aws/s3")
        assert error_code(e) == "AccessDeniedException", call
    assert kms.describe_key(KeyId=meta["KeyId"])["KeyMetadata"]["KeyState"] == "Enabled"
    blob = kms.encrypt(KeyId="alias/aws/s3", Plaintext=b"managed")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"managed"


def test_error_codes(kms, lockstep):
    missing = str(uuid.uuid4())
    with pytest.raises(ClientError) as e:
        kms.describe_key(KeyId=missing)
    assert error_code(e) == "NotFoundException"
    assert e.value.response["Error"]["Message"] == f"Key '{key_arn(missing)}' does not exist"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(ClientError) as e:
        kms.create_key(KeySpec="RSA_2048")
    assert error_code(e) == "UnsupportedOperationException"

    with pytest.raises(ClientError) as e:
        make_kms(lockstep, access_key="NOSUCHKEY0000000000", secret_key="x").list_keys()
    assert error_code(e) == "UnrecognizedClientException"
    with pytest.raises(ClientError) as e:
        make_kms(lockstep, secret_key="not-the-secret").list_keys()
    assert error_code(e) == "InvalidSignatureException"


def test_s3_still_answers_beside_kms(kms, s3, bucket):
    key_id = new_key(kms)
    s3.put_object(Bucket=bucket, Key="k", Body=key_id.encode())
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == key_id.encode()


# ---------------------------------------------------------------------------
# aws CLI


def test_awscli_create_encrypt_decrypt_and_aliases(aws, tmp_path):
    created = json.loads(aws("kms", "create-key", "--description", "from the aws cli", "--output", "json").stdout)
    key_id = created["KeyMetadata"]["KeyId"]
    assert created["KeyMetadata"]["Description"] == "from the aws cli"
    alias = unique_alias("cli")
    aws("kms", "create-alias", "--alias-name", alias, "--target-key-id", key_id)

    plaintext = tmp_path / "plain.bin"
    plaintext.write_bytes(os.urandom(1000) + b"\x00\xff binary")
    ciphertext_b64 = aws("kms", "encrypt", "--key-id", alias, "--plaintext", f"fileb://{plaintext}",
                         "--encryption-context", "purpose=cli", "--output", "text", "--query", "CiphertextBlob").stdout.strip()
    ciphertext = tmp_path / "cipher.bin"
    ciphertext.write_bytes(base64.b64decode(ciphertext_b64))

    decrypted = json.loads(aws("kms", "decrypt", "--ciphertext-blob", f"fileb://{ciphertext}",
                               "--encryption-context", "purpose=cli", "--output", "json").stdout)
    assert base64.b64decode(decrypted["Plaintext"]) == plaintext.read_bytes()
    assert decrypted["KeyId"] == key_arn(key_id)

    aliases = json.loads(aws("kms", "list-aliases", "--output", "json").stdout)["Aliases"]
    assert {"AliasName": alias, "AliasArn": alias_arn(alias), "TargetKeyId": key_id} in [
        {k: a.get(k) for k in ("AliasName", "AliasArn", "TargetKeyId")} for a in aliases]

    failed = aws("kms", "decrypt", "--ciphertext-blob", f"fileb://{ciphertext}", check=False)
    assert failed.returncode != 0
    assert "InvalidCiphertextException" in failed.stderr


def test_awscli_error_for_missing_key(aws):
    proc = aws("kms", "describe-key", "--key-id", "alias/does-not-exist-" + uuid.uuid4().hex[:8], check=False)
    assert proc.returncode != 0
    assert "NotFoundException" in proc.stderr
