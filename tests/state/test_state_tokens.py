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


def test_the_folder_is_read_again_only_when_its_mtime_changes(secret: Path) -> None:
    os.utime(secret, ns=(10**18, 10**18))  # an old mtime: not within the filesystem's timestamp granularity of now
    tokens = TenantTokens.from_dir(secret)
    tokens.check("acme", "Bearer s3cret-acme")
    (secret / "acme").write_text("edited-in-place")  # through the link: the folder's mtime stays the same
    os.utime(secret, ns=(10**18, 10**18))
    tokens.check("acme", "Bearer s3cret-acme")  # served from the cache, no reread
    os.utime(secret, ns=(10**18 + 1, 10**18 + 1))
    tokens.check("acme", "Bearer edited-in-place")
