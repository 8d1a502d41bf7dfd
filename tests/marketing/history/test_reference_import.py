"""The issue's Done-when, end to end: each real experiment in tests/data/uplift imported as campaign history
(one player per row), then measured by the results service, gives the per-arm figures of its README and
intervals equal to an independent reference (scipy's Welch test; the delta method written out with
``statistics``) to 1e-9 — in the JSON result and in the CSV export alike."""

from __future__ import annotations

import csv
import io
import math
import statistics
from pathlib import Path

import pandas as pd
import pytest
from scipy import stats
from sqlalchemy import Engine

from helpers.factories import IMPORT
from lottocrm.db.engine import transaction
from lottocrm.lake.store import Lake
from lottocrm.marketing.history.service import import_history
from lottocrm.marketing.reporting.export import to_csv
from lottocrm.marketing.reporting.service import campaign_results
from lottocrm.settings import Settings

from .conftest import add_players, write_history

DATA = Path(__file__).parents[2] / "data" / "uplift"
TOLERANCE = 1e-9
# tests/data/uplift/README.md: (treated responders, treated n, control responders, control n).
README = {
    "starbucks_training.csv.gz": (721, 42_364, 319, 42_170),
    "starbucks_test.csv.gz": (339, 20_748, 141, 20_902),
    "voter-persuasion.csv.gz": (2_012, 5_000, 1_722, 5_000),
    "hair-care-product.csv.gz": (80, 4_976, 32, 5_024),
}


def _experiment(name: str) -> pd.DataFrame:
    """treated, responded and a segment label per row, read straight from the experiment's own columns."""
    frame = pd.read_csv(DATA / name)
    if name.startswith("starbucks"):
        treated, responded, segment = frame.Promotion == "Yes", frame.purchase == 1, frame.V1
    elif name.startswith("voter"):
        treated, responded, segment = frame.MESSAGE_A == 1, frame.MOVED_AD == "Y", frame.GENDER_F
    else:
        treated, responded, segment = frame.Promotion_ord == 1, frame.Purchase == 1, frame["U.S. Region"]
    return pd.DataFrame({"treated": treated, "responded": responded, "segment": segment.astype(str)})


def _reference(treated: list[int], control: list[int]) -> dict[str, float]:
    welch = stats.ttest_ind(treated, control, equal_var=False)
    interval = welch.confidence_interval(0.95)
    mean_t, mean_c = statistics.fmean(treated), statistics.fmean(control)
    var_t, var_c = statistics.variance(treated), statistics.variance(control)
    n_t, n_c = len(treated), len(control)
    relative = mean_t / mean_c - 1
    margin = stats.t.ppf(0.975, welch.df) * math.sqrt(
        var_t / (mean_c**2 * n_t) + var_c * mean_t**2 / (mean_c**4 * n_c)
    )
    return {
        "low": interval.low,
        "high": interval.high,
        "relative_low": relative - margin,
        "relative_high": relative + margin,
        "incremental_low": interval.low * n_t,
        "incremental_high": interval.high * n_t,
    }


def _measure(engine: Engine, settings: Settings, tmp_path: Path, name: str, frame: pd.DataFrame):  # type: ignore[no-untyped-def]
    add_players(engine, range(1, len(frame) + 1))
    rows = [
        {
            "player_id": index + 1,
            "campaign_code": name.split(".")[0],
            "campaign_name": name,
            "arm": "treatment" if treated else "control",
            "sent_at": "2026-06-01T12:00:00+03:00",
            "responded": "true" if responded else "false",
            "stratum": segment,
        }
        for index, (treated, responded, segment) in enumerate(frame.itertuples(index=False))
    ]
    path = write_history(tmp_path / f"{name}.csv", rows, tuple(rows[0]))
    lake = Lake(settings.lake_path)
    with transaction(engine) as session:
        done = import_history(
            session, actor=IMPORT, path=path, lake=lake, control_share=0.5, settings=settings
        )
    assert done.report.status == "loaded", done.report.describe()
    with transaction(engine) as session:
        return campaign_results(session, campaign_id=done.campaigns[0].campaign_id, lake=lake)


def _check(engine: Engine, settings: Settings, tmp_path: Path, name: str) -> None:
    frame = _experiment(name)
    results = _measure(engine, settings, tmp_path, name, frame)
    m = results.measurement
    assert (m.treatment.responders, m.treatment.n, m.control.responders, m.control.n) == README[name]
    assert results.preliminary is False and results.control_share_basis == "campaign"
    assert (results.delivery[0].sent, results.delivery[1].sent) == (README[name][1], 0)
    flags = frame.responded.astype(int)
    reference = _reference(flags[frame.treated].tolist(), flags[~frame.treated].tolist())
    response = m.response
    assert response.relative_interval is not None
    got = {
        "low": response.absolute_interval.low,
        "high": response.absolute_interval.high,
        "relative_low": response.relative_interval.low,
        "relative_high": response.relative_interval.high,
        "incremental_low": response.incremental_interval.low,
        "incremental_high": response.incremental_interval.high,
    }
    assert got == pytest.approx(reference, abs=TOLERANCE)
    counts = [README[name][1], README[name][3]]
    assert m.sample_ratio.p_value == pytest.approx(stats.chisquare(counts).pvalue, rel=TOLERANCE)
    # Lift per segment: Welch within each segment of the experiment.
    assert m.segments is not None
    for segment in m.segments.segments:
        inside = frame.segment == segment.segment
        welch = stats.ttest_ind(
            flags[inside & frame.treated], flags[inside & ~frame.treated], equal_var=False
        ).confidence_interval(0.95)
        assert segment.response is not None
        assert segment.response.absolute_interval.low == pytest.approx(welch.low, abs=TOLERANCE)
        assert segment.response.absolute_interval.high == pytest.approx(welch.high, abs=TOLERANCE)
    # The CSV export carries every digit: the same intervals read back from text.
    whole = next(csv.DictReader(io.StringIO(to_csv(results))))
    assert float(whole["response_lift_low"]) == pytest.approx(reference["low"], abs=TOLERANCE)
    assert float(whole["response_relative_high"]) == pytest.approx(reference["relative_high"], abs=TOLERANCE)
    assert int(whole["treatment_responders"]) == README[name][0]


@pytest.mark.parametrize("name", ["voter-persuasion.csv.gz", "hair-care-product.csv.gz"])
def test_the_dmba_experiments_reproduce_through_import_and_results(
    engine: Engine, settings: Settings, tmp_path: Path, name: str
) -> None:
    _check(engine, settings, tmp_path, name)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["starbucks_training.csv.gz", "starbucks_test.csv.gz"])
def test_the_starbucks_experiments_reproduce_through_import_and_results(
    engine: Engine, settings: Settings, tmp_path: Path, name: str
) -> None:
    _check(engine, settings, tmp_path, name)
