"""TenantTokens on a folder laid out as Kubernetes mounts a secret (``..data`` link to a timestamped folder)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from logad.errors import ConfigError
from logad.state import AuthError, TenantTokens


def _mount_secret(folder: Path, tokens: dict[str, str], generation: int) -> None:
    """Write ``tokens`` the way the kubelet does: a new hidden folder, ``..data`` swapped to it, visible links."""
    data = folder / f"..2024_01_01_00_00_0{generation}.000000001"
    data.mkdir(parents=True)
    for tenant, token in tokens.items():
        (data / tenant).write_text(token)
    (folder / "..data_tmp").symlink_to(data.name)
    os.replace(folder / "..data_tmp", folder / "..data")
    for tenant in tokens:
        if not (folder / tenant).is_symlink():
            (folder / tenant).symlink_to(Path("..data") / tenant)


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    folder = tmp_path / "tokens"
    _mount_secret(folder, {"acme": "s3cret-acme\n", "globex": "  tok-globex  "}, 1)
    return folder


def test_disabled_without_a_folder_lets_everything_through() -> None:
    tokens = TenantTokens.from_dir(None)
    assert tokens.enabled is False
    tokens.check("acme", None)
    tokens.check("acme", "Bearer anything")


def test_a_missing_folder_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="tenant token folder"):
        TenantTokens.from_dir(tmp_path / "absent")


def test_the_right_token_passes_with_whitespace_stripped(secret: Path) -> None:
    tokens = TenantTokens.from_dir(secret)
    assert tokens.enabled is True
    tokens.check("acme", "Bearer s3cret-acme")
    tokens.check("globex", "bearer tok-globex")


@pytest.mark.parametrize(
    ("tenant", "authorization", "match"),
    [
        ("acme", None, "missing Authorization header"),
        ("acme", "", "missing Authorization header"),
        ("acme", "s3cret-acme", "not 'Bearer <token>'"),
        ("acme", "Basic s3cret-acme", "not 'Bearer <token>'"),
        ("acme", "Bearer ", "not 'Bearer <token>'"),
        ("acme", "Bearer tok-globex", "'acme': wrong token"),
        ("acme", "Bearer s3cret-acm", "'acme': wrong token"),
        ("acme", "Bearer s3cret-acmé", "'acme': wrong token"),
        ("initech", "Bearer s3cret-acme", "'initech' has no token configured"),
        ("..data", "Bearer s3cret-acme", "no token configured"),
    ],
)
def test_refusals(secret: Path, tenant: str, authorization: str | None, match: str) -> None:
    with pytest.raises(AuthError, match=match) as error:
        TenantTokens.from_dir(secret).check(tenant, authorization)
    assert "s3cret" not in str(error.value)  # the message never echoes a token


def test_hidden_entries_are_not_tenants(secret: Path) -> None:
    (secret / ".hidden").write_text("hidden-token")
    tokens = TenantTokens.from_dir(secret)
    for tenant, token in ((".hidden", "hidden-token"), ("..data", "s3cret-acme")):
        with pytest.raises(AuthError, match="no token configured"):
            tokens.check(tenant, f"Bearer {token}")


def test_rotated_secrets_are_picked_up(secret: Path) -> None:
    tokens = TenantTokens.from_dir(secret)
    tokens.check("acme", "Bearer s3cret-acme")
    _mount_secret(secret, {"acme": "rotated-acme", "initech": "tok-initech"}, 2)
    tokens.check("acme", "Bearer rotated-acme")
    tokens.check("initech", "Bearer tok-initech")
    with pytest.raises(AuthError, match="wrong token"):
        tokens.check("acme", "Bearer s3cret-acme")
    with pytest.raises(AuthError, match="no token configured"):  # globex's link now points at nothing
        tokens.check("globex", "Bearer tok-globex")


@pytest.mark.parametrize("new_token", ["edited-in-place", "s3cret-acmX\n"], ids=["other size", "same size"])
def test_a_token_rewritten_in_place_replaces_the_old_one(secret: Path, new_token: str) -> None:
    target = (secret / "acme").resolve()
    old = 10**18  # old mtimes: outside the filesystem's timestamp granularity of now, so a cache may trust them
    os.utime(target, ns=(old, old))
    os.utime(secret, ns=(old, old))
    tokens = TenantTokens.from_dir(secret)
    tokens.check("acme", "Bearer s3cret-acme")
    inode = target.stat().st_ino
    with target.open("r+") as file:  # the same inode, the folder untouched
        file.truncate(0)
        file.write(new_token)
    os.utime(target, ns=(old + 1, old + 1))  # only the file's mtime moves (by 1 ns)
    assert target.stat().st_ino == inode
    tokens.check("acme", f"Bearer {new_token.strip()}")
    with pytest.raises(AuthError, match="wrong token"):
        tokens.check("acme", "Bearer s3cret-acme")


def test_a_file_with_the_same_fingerprint_is_served_from_the_cache(secret: Path) -> None:
    target = (secret / "acme").resolve()
    os.utime(target, ns=(10**18, 10**18))
    tokens = TenantTokens.from_dir(secret)
    tokens.check("acme", "Bearer s3cret-acme")
    target.write_text("s3cret-acmX\n")  # same size; the mtime is put back below: nothing tells it apart
    os.utime(target, ns=(10**18, 10**18))
    tokens.check("acme", "Bearer s3cret-acme")  # no reread
