"""Versioned model artifacts, shared by the analytics models: ``<data>/models/<kind>/<version>/model.txt``
(the model's text form, e.g. LightGBM's) and ``manifest.json`` (version, training window, rows, features,
metrics, versions, creation time and the SHA-256 of model.txt).

A version is written to a hidden folder and renamed into place, so a reader never sees half of one. Loading
recomputes the hash and refuses a model whose file is missing or differs from what the manifest recorded:
a tampered model must never score players. Each model binds an ``ArtifactStore`` with its own kind, the
command that trains it and the error its commands already turn into one readable line.
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

from lottocrm.analytics.errors import AnalyticsInputError

MODEL_FILE = "model.txt"
MANIFEST_FILE = "manifest.json"
VERSION_PATTERN = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]{0,63}$")


class ArtifactError(AnalyticsInputError):
    """A saved model is unknown, incomplete or was changed after it was saved; it is never loaded."""


@dataclass(frozen=True)
class Artifact:
    manifest: dict[str, Any]
    model_text: str

    @property
    def version(self) -> str:
        return str(self.manifest["version"])


@dataclass(frozen=True)
class ArtifactStore:
    kind: str  # the folder under <data>/models, and the word in messages: "churn model"
    train_command: str  # how to make a first version, named when there is none
    error: type[Exception] = ArtifactError

    def models_dir(self, data_dir: Path) -> Path:
        return data_dir / "models" / self.kind

    def save(
        self, directory: Path, *, model_text: str, manifest: dict[str, Any], created_at: dt.datetime
    ) -> Artifact:
        """Write a new version; ``manifest`` gets version, created_at, model file name and hash added."""
        body = model_text.encode("utf-8")
        sha = hashlib.sha256(body).hexdigest()
        version = f"{created_at:%Y%m%dT%H%M%SZ}-{sha[:8]}"
        final = directory / version
        if final.exists():
            # Training the same rows deterministically within one second gives the same version: keep it.
            existing = self.load(directory, version)
            if existing.manifest["model_sha256"] != sha:
                raise self.error(f"model version {version} already exists at {final} with another model")
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

    def _read_manifest(self, folder: Path) -> dict[str, Any]:
        path = folder / MANIFEST_FILE
        if not path.is_file():
            raise self.error(f"model {folder.name} has no {MANIFEST_FILE} at {path}: refusing to load it")
        try:
            manifest = json.loads(path.read_text("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise self.error(f"{path} is not valid JSON ({exc}): refusing to load the model") from None
        if not isinstance(manifest, dict) or "model_sha256" not in manifest or "features" not in manifest:
            raise self.error(f"{path} lacks the model hash or feature list: refusing to load the model")
        return manifest

    def list_versions(self, directory: Path) -> list[dict[str, Any]]:
        """Manifests of every saved version, oldest first (unreadable ones are reported by ``load``)."""
        if not directory.is_dir():
            return []
        found = []
        for folder in sorted(p for p in directory.iterdir() if p.is_dir() and not p.name.startswith(".")):
            try:
                found.append(self._read_manifest(folder))
            except self.error:
                continue
        return sorted(found, key=lambda m: (m.get("created_at", ""), m["version"]))

    def load(self, directory: Path, version: str | None = None) -> Artifact:
        """The given version, or the newest one; its model file must hash to what the manifest recorded."""
        if version is None:
            known = self.list_versions(directory)
            if not known:
                raise self.error(
                    f"no {self.kind} model in {directory}: train one first with `{self.train_command}`"
                )
            version = str(known[-1]["version"])
        if not VERSION_PATTERN.match(version):
            raise self.error(f"{version!r} is not a model version (letters, digits, '.', '_', '-')")
        folder = directory / version
        if not folder.is_dir():
            known_names = ", ".join(str(m["version"]) for m in self.list_versions(directory)) or "none"
            raise self.error(f"unknown {self.kind} model version {version!r} (known: {known_names})")
        manifest = self._read_manifest(folder)
        model_path = folder / str(manifest.get("model_file", MODEL_FILE))
        if not model_path.is_file():
            raise self.error(f"model {version}: {model_path} is missing: refusing to load it")
        body = model_path.read_bytes()  # hashed and parsed from the same bytes: no swap between check and use
        actual = hashlib.sha256(body).hexdigest()
        if actual != manifest["model_sha256"]:
            raise self.error(
                f"model {version}: {model_path} has SHA-256 {actual}, but its manifest recorded "
                f"{manifest['model_sha256']}; the file was changed after training, refusing to load it"
            )
        return Artifact(manifest=manifest, model_text=body.decode("utf-8"))
