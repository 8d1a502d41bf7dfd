"""The two probability thresholds of a run, checked once: a pair at or above ``certain`` links two
registrations without a person looking; a pair at or above ``probable`` (and below ``certain``) goes to the
review queue; below ``probable`` it is dropped."""

from __future__ import annotations

from dataclasses import dataclass

from lottocrm.identity.errors import IdentitySettingsError

# Chosen on the simulator's planted duplicates and FEBRL (bench/identity_scale.py, bench/identity_febrl.py):
# no false link down to 0.8 there, recall rising from 0.955 at 0.995 to 0.977 at 0.98; a bigger store has
# more look-alikes, so "certain" keeps a margin and the band below it goes to people.
DEFAULT_CERTAIN, DEFAULT_PROBABLE = 0.98, 0.8


@dataclass(frozen=True)
class Thresholds:
    certain: float = DEFAULT_CERTAIN
    probable: float = DEFAULT_PROBABLE

    def __post_init__(self) -> None:
        for name, value in (("certain", self.certain), ("probable", self.probable)):
            if not 0.0 < value <= 1.0:
                raise IdentitySettingsError(
                    "the %(name)s threshold must be a probability above 0 and at most 1, not %(value)s",
                    name=name,
                    value=str(value),
                )
        if self.probable >= self.certain:
            raise IdentitySettingsError(
                "the probable threshold (%(probable)s) must be below the certain threshold (%(certain)s): "
                "pairs between them go to review",
                probable=str(self.probable),
                certain=str(self.certain),
            )

    def band(self, probability: float) -> str | None:
        if probability >= self.certain:
            return "certain"
        return "probable" if probability >= self.probable else None
