"""A campaign's results as CSV: one row for the whole campaign, then one per segment and one per content
variant, both arms side by side with the lifts and their intervals, so a spreadsheet can chart them without
parsing JSON."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from lottocrm.marketing.reporting.schemas import CampaignResults
from lottocrm.marketing.results.lift import Lift

COLUMNS = (
    "campaign_id",
    "scope",
    "segment",
    "preliminary",
    "treatment_players",
    "control_players",
    "treatment_sent",
    "treatment_delivered",
    "treatment_responders",
    "control_responders",
    "treatment_response_rate",
    "control_response_rate",
    "response_lift",
    "response_lift_low",
    "response_lift_high",
    "response_relative_lift",
    "response_relative_low",
    "response_relative_high",
    "incremental_responders",
    "treatment_spend_per_player",
    "control_spend_per_player",
    "spend_lift",
    "spend_lift_low",
    "spend_lift_high",
    "incremental_revenue_kopecks",
    "spend_cuped_lift",
    "spend_cuped_lift_low",
    "spend_cuped_lift_high",
)


def _lift(prefix: str, lift: Lift | None, *, relative: bool = False) -> dict[str, Any]:
    if lift is None:
        return {}
    figures = {
        prefix: lift.absolute,
        f"{prefix}_low": lift.absolute_interval.low,
        f"{prefix}_high": lift.absolute_interval.high,
    }
    if relative and lift.relative_interval is not None:
        figures |= {
            "response_relative_lift": lift.relative,
            "response_relative_low": lift.relative_interval.low,
            "response_relative_high": lift.relative_interval.high,
        }
    return figures


def rows(results: CampaignResults) -> list[dict[str, Any]]:
    measurement = results.measurement
    treatment, control = measurement.treatment, measurement.control
    delivered = results.delivery[0]
    whole: dict[str, Any] = {
        "campaign_id": results.campaign_id,
        "scope": "campaign",
        "segment": "",
        "preliminary": results.preliminary,
        "treatment_players": treatment.n,
        "control_players": control.n,
        "treatment_sent": delivered.sent,
        "treatment_delivered": delivered.delivered,
        "treatment_responders": treatment.responders,
        "control_responders": control.responders,
        "treatment_response_rate": treatment.response_rate,
        "control_response_rate": control.response_rate,
        "incremental_responders": measurement.response.incremental,
        "treatment_spend_per_player": treatment.spend_per_player,
        "control_spend_per_player": control.spend_per_player,
        "incremental_revenue_kopecks": measurement.spend.incremental if measurement.spend else None,
        **_lift("response_lift", measurement.response, relative=True),
        **_lift("spend_lift", measurement.spend),
        **_lift("spend_cuped_lift", measurement.spend_cuped),
    }
    found = [whole]
    for segment in measurement.segments.segments if measurement.segments else ():
        row: dict[str, Any] = {
            "campaign_id": results.campaign_id,
            "scope": "segment",
            "segment": segment.segment,
            "preliminary": results.preliminary,
            "treatment_players": segment.treatment_n,
            "control_players": segment.control_n,
            "treatment_responders": segment.treatment_responders,
            "control_responders": segment.control_responders,
            **_lift("response_lift", segment.response, relative=True),
            **_lift("spend_lift", segment.spend),
        }
        if segment.response is not None:
            row["treatment_response_rate"] = segment.response.treatment_mean
            row["control_response_rate"] = segment.response.control_mean
            row["incremental_responders"] = segment.response.incremental
        if segment.spend is not None:
            row["treatment_spend_per_player"] = segment.spend.treatment_mean
            row["control_spend_per_player"] = segment.spend.control_mean
            row["incremental_revenue_kopecks"] = segment.spend.incremental
        found.append(row)
    for variant in results.variants:
        arm = variant.treatment
        found.append(
            {
                "campaign_id": results.campaign_id,
                "scope": "variant",
                "segment": variant.variant,
                "preliminary": results.preliminary,
                "treatment_players": arm.n if arm else None,
                "control_players": control.n,
                "treatment_responders": arm.responders if arm else None,
                "control_responders": control.responders,
                "treatment_response_rate": arm.response_rate if arm else None,
                "control_response_rate": control.response_rate,
                "incremental_responders": variant.response.incremental if variant.response else None,
                "treatment_spend_per_player": arm.spend_per_player if arm else None,
                "control_spend_per_player": control.spend_per_player,
                "incremental_revenue_kopecks": variant.spend.incremental if variant.spend else None,
                **_lift("response_lift", variant.response, relative=True),
                **_lift("spend_lift", variant.spend),
            }
        )
    return found


def to_csv(results: CampaignResults) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows(results):
        writer.writerow({name: _cell(row.get(name)) for name in COLUMNS})
    return out.getvalue()


def _cell(value: Any) -> Any:
    # repr keeps every digit of a float (the reference check compares to 1e-9); an empty cell is "unknown".
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else value


def write_csv(results: CampaignResults, path: Path) -> None:
    Path(path).write_text(to_csv(results), encoding="utf-8")
