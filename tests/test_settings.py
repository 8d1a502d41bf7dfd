from pathlib import Path

import pytest

from lottocrm.settings import SettingsError, build_settings


def test_defaults_derive_store_and_lake_from_data_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("DATA_DIR", "DATABASE_URL", "LAKE_DIR"):
        monkeypatch.delenv(f"LOTTOCRM_{name}", raising=False)
    settings = build_settings()
    assert settings.data_dir == tmp_path / "lottocrm-data"
    assert settings.db_url == f"sqlite:///{tmp_path / 'lottocrm-data' / 'crm.sqlite3'}"
    assert settings.lake_path == tmp_path / "lottocrm-data" / "lake"


def test_plain_postgresql_url_uses_psycopg(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOTTOCRM_DATABASE_URL", "postgresql://u@h/db")
    assert build_settings().db_url == "postgresql+psycopg://u@h/db"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("LOTTOCRM_DATABASE_URL", "mysql://root@localhost/x"),
        ("LOTTOCRM_IMPORT_BATCH_ROWS", "ten"),
        ("LOTTOCRM_IMPORT_BATCH_ROWS", "5"),
        ("LOTTOCRM_TIMEZONE", "Mars/Olympus"),
    ],
)
def test_bad_value_names_the_variable(monkeypatch: pytest.MonkeyPatch, variable: str, value: str) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError, match=variable):
        build_settings()
