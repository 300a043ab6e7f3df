"""What trials are ranked on and early-stopped by, and which way is better."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Direction(str, Enum):
    """Whether lower or higher values of an objective are better."""

    MIN = "min"
    MAX = "max"

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)


@dataclass(frozen=True)
class Objective:
    """A key of Keras' epoch logs (e.g. val_mse), its direction, and a label for people."""

    name: str
    direction: Direction
    label: str  # "validation MSE (scaled)"

    def __post_init__(self) -> None:
        object.__setattr__(self, "direction", Direction(self.direction))

    @property
    def maximised(self) -> bool:
        return self.direction is Direction.MAX

    def better(self, a: float, b: float) -> bool:
        return a > b if self.maximised else a < b

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "direction": self.direction.value, "label": self.label}


# What version 1 manifests (no schema_version) ranked on: forecasting's scaled validation MSE.
FORECAST_OBJECTIVE = Objective("val_mse", Direction.MIN, "validation MSE, scaled")
