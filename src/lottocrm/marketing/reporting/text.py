"""A campaign's results, and the global holdout's month, as text for the console: a per-arm (per-group) table,
then one line per lift with its interval."""

from __future__ import annotations

from lottocrm.marketing.reporting.holdout import HoldoutReport
from lottocrm.marketing.reporting.schemas import CampaignResults
from lottocrm.marketing.results.lift import Lift


def _rubles(kopecks: float | None) -> str:
    return "—" if kopecks is None else f"{kopecks / 100:,.2f} ₽"


def _points(share: float) -> str:
    return f"{share * 100:+.2f} pp"


def _lift_line(label: str, lift: Lift | None, *, money: bool) -> str | None:
    if lift is None:
        return None
    low, high = lift.absolute_interval.low, lift.absolute_interval.high
    if money:
        line = f"{label}: {_rubles(lift.absolute)} per player [{_rubles(low)}, {_rubles(high)}]"
        line += f"; incremental revenue {_rubles(lift.incremental)}"
    else:
        line = f"{label}: {_points(lift.absolute)} [{_points(low)}, {_points(high)}]"
        line += f"; incremental responders {lift.incremental:,.1f}"
    if lift.relative is not None and lift.relative_interval is not None:
        relative = lift.relative_interval
        line += f"; relative {lift.relative:+.1%} [{relative.low:+.1%}, {relative.high:+.1%}]"
    return line + f" (p = {lift.p_value:.3g})"


def summary_lines(results: CampaignResults) -> tuple[str, list[tuple[str, ...]], list[str]]:
    """The title, the per-arm table (header first) and the lines under it."""
    m = results.measurement
    state = (
        "PRELIMINARY: the response window ends " + str(results.window_ends_at) if results.preliminary else ""
    )
    title = f"campaign {results.campaign_id} «{results.campaign_name}», runs {list(results.run_ids)} {state}"
    arms: list[tuple[str, ...]] = [
        ("arm", "players", "sent", "delivered", "responders", "response rate", "spend per player")
    ]
    for summary, delivery in zip((m.treatment, m.control), results.delivery, strict=True):
        arms.append(
            (
                summary.arm,
                f"{summary.n:,}",
                f"{delivery.sent:,}",
                "—" if delivery.delivered is None else f"{delivery.delivered:,}",
                f"{summary.responders:,}",
                f"{summary.response_rate:.3%}",
                _rubles(summary.spend_per_player),
            )
        )
    lines = [
        line
        for line in (
            _lift_line("response lift", m.response, money=False),
            _lift_line("spend lift", m.spend, money=True),
            _lift_line("spend lift (CUPED)", m.spend_cuped, money=True),
        )
        if line
    ]
    srm = m.sample_ratio
    if results.control_share_basis == "observed":
        lines.append("sample ratio: not checked (the intended control share is unknown)")
    else:
        verdict = "ALERT: the arms are not in the intended ratio" if srm.alert else "ok"
        lines.append(f"sample ratio: χ² = {srm.chi_square:.3g}, p = {srm.p_value:.3g} — {verdict}")
    if m.roi is not None and m.roi_interval is not None:
        lines.append(f"ROI: {m.roi:+.1%} [{m.roi_interval.low:+.1%}, {m.roi_interval.high:+.1%}]")
    for segment in m.segments.segments if m.segments else ():
        line = _lift_line(f"  segment {segment.segment}", segment.response, money=False)
        lines.append(line or f"  segment {segment.segment}: {segment.note}")
    for variant in results.variants:
        line = _lift_line(f"  variant {variant.variant}", variant.response, money=False)
        lines.append(line or f"  variant {variant.variant}: {variant.note}")
    return title, arms, lines


def holdout_lines(report: HoldoutReport) -> tuple[str, list[tuple[str, ...]], list[str]]:
    """The global holdout's month as text: the title, the per-group table (header first), the lift lines."""
    state = "PRELIMINARY: the month is not over or the lake is behind" if report.preliminary else ""
    title = f"global holdout {report.holdout_percent} % ({report.salt}), {report.month} {state}"
    month = report.this_month
    groups: list[tuple[str, ...]] = [("group", "players", "buyers", "response rate", "spend per player")]
    for summary in (month.marketed, month.holdout):
        groups.append(
            (
                summary.arm,
                f"{summary.n:,}",
                f"{summary.responders:,}",
                f"{summary.response_rate:.2%}",
                _rubles(summary.spend_per_player),
            )
        )
    lines = []
    for label, window in (("month", month), ("year to date", report.year_to_date)):
        lines.append(_lift_line(f"{label}, response", window.response, money=False) or "")
        lines.append(_lift_line(f"{label}, spend", window.spend, money=True) or "")
    lines.append(
        f"spend from the lake (tickets by sale moment), loaded through {report.lake_through or '—'}; "
        f"population: players {report.population}"
    )
    return title, groups, lines
