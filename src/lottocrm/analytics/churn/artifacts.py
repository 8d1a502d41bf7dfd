"""Versioned model artifacts: ``<data>/models/churn/<version>/model.txt`` (LightGBM's text model) and
``manifest.json`` (version, training as-of and window, rows, features, metrics, versions, creation time
and the SHA-256 of model.txt).

A version is written to a hidden folder and renamed into place, so a reader never sees half of one. Loading
recomputes the hash and refuses a model whose file is missing or differs from what the manifest recorded:
a tampered model must never score players.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lottocrm.analytics.churn.errors import ChurnArtifactError

MODEL_FILE = "model.txt"
MANIFEST_FILE = "manifest.json"
VERSION_PATTERN = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]{0,63}$")


def models_dir(data_dir: Path) -> Path:
    return data_dir / "models" / "churn"


@dataclass(frozen=True)
class Artifact:
    manifest: dict[str, Any]
    model_text: str

    @property
    def version(self) -> str:
        return str(self.manifest["version"])


def save(directory: Path, *, model_text: str, manifest: dict[str, Any], created_at: dt.datetime) -> Artifact:
    """Write a new version; ``manifest`` gets version, created_at, model file name and hash added."""
    body = model_text.encode("utf-8")
    sha = hashlib.sha256(body).hexdigest()
    version = f"{created_at:%Y%m%dT%H%M%SZ}-{sha[:8]}"
    final = directory / version
    if final.exists():
        # Deterministic training of the same rows within one second gives the same version: keep the first.
        existing = load(directory, version)
        if existing.manifest["model_sha256"] != sha:
            raise ChurnArtifactError(f"model version {version} already exists at {final} with another model")
        return existing
    complete = {
        "version": version,
        **manifest,
        "created_at": created_at.isoformat(),
        "model_file": MODEL_FILE,
        "model_sha256": sha,
    }
    directory.mkdir(parents=True, exist_ok=True)
    temp = directory / f".{version}.tmp"
    if temp.exists():
        shutil.rmtree(temp)
    temp.mkdir()
    (temp / MODEL_FILE).write_bytes(body)
    (temp / MANIFEST_FILE).write_text(json.dumps(complete, ensure_ascii=False, indent=2) + "\n", "utf-8")
    os.replace(temp, final)
    return Artifact(manifest=complete, model_text=model_text)


def _read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST_FILE
    if not path.is_file():
        raise ChurnArtifactError(f"model {folder.name} has no {MANIFEST_FILE} at {path}: refusing to load it")
    try:
        manifest = json.loads(path.read_text("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ChurnArtifactError(f"{path} is not valid JSON ({exc}): refusing to load the model") from None
    if not isinstance(manifest, dict) or "model_sha256" not in manifest or "features" not in manifest:
        raise ChurnArtifactError(f"{path} lacks the model hash or feature list: refusing to load the model")
    return manifest


def list_versions(directory: Path) -> list[dict[str, Any]]:
    """Manifests of every saved version, oldest first (unreadable ones are reported by ``load``, not here)."""
    if not directory.is_dir():
        return []
    found = []
    for folder in sorted(p for p in directory.iterdir() if p.is_dir() and not p.name.startswith(".")):
        try:
            found.append(_read_manifest(folder))
        except ChurnArtifactError:
            continue
    return sorted(found, key=lambda m: (m.get("created_at", ""), m["version"]))


def load(directory: Path, version: str | None = None) -> Artifact:
    """The given version, or the newest one; its model file must hash to what the manifest recorded."""
    if version is None:
        known = list_versions(directory)
        if not known:
            raise ChurnArtifactError(
                f"no churn model in {directory}: train one first with `lottocrm churn train --as-of DATE`"
            )
        version = str(known[-1]["version"])
    if not VERSION_PATTERN.match(version):
        raise ChurnArtifactError(f"{version!r} is not a model version (letters, digits, '.', '_', '-')")
    folder = directory / version
    if not folder.is_dir():
        known_names = ", ".join(str(m["version"]) for m in list_versions(directory)) or "none"
        raise ChurnArtifactError(f"unknown churn model version {version!r} (known: {known_names})")
    manifest = _read_manifest(folder)
    model_path = folder / str(manifest.get("model_file", MODEL_FILE))
    if not model_path.is_file():
        raise ChurnArtifactError(f"model {version}: {model_path} is missing: refusing to load it")
    body = model_path.read_bytes()  # hashed and parsed from the same bytes: no swap between check and use
    actual = hashlib.sha256(body).hexdigest()
    if actual != manifest["model_sha256"]:
        raise ChurnArtifactError(
            f"model {version}: {model_path} has SHA-256 {actual}, but its manifest recorded "
            f"{manifest['model_sha256']}; the file was changed after training, refusing to load it"
        )
    return Artifact(manifest=manifest, model_text=body.decode("utf-8"))
