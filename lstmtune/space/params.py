"""A validated search space: every hyperparameter fixed or searched, plus the file's settings sections."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import yaml


@dataclass(frozen=True)
class Param:
    """One hyperparameter: fixed, or an int / float range, or a choice."""

    name: str
    kind: str  # "fixed" | "int" | "float" | "choice"
    value: Any = None
    low: float | None = None
    high: float | None = None
    step: float | None = None
    log: bool = False
    values: tuple = ()

    @property
    def tunable(self) -> bool:
        return self.kind != "fixed"

    def candidates_min(self) -> Any:
        """The smallest value this parameter can take."""
        if self.kind == "fixed":
            return self.value
        if self.kind == "choice":
            return min(self.values)
        return self.low

    def candidates_max(self) -> Any:
        """The largest value this parameter can take."""
        if self.kind == "fixed":
            return self.value
        if self.kind == "choice":
            return max(self.values)
        return self.high

    def to_yaml(self) -> Any:
        if self.kind == "fixed":
            return self.value
        if self.kind == "choice":
            return {"choice": list(self.values)}
        out: dict[str, Any] = {self.kind: [self.low, self.high]}
        if self.step is not None:
            out["step"] = self.step
        if self.log:
            out["log"] = True
        return out


@dataclass(frozen=True)
class Space:
    """A validated search space: every known hyperparameter (defaults filled in) plus settings layers."""

    params: dict[str, Param]
    search: dict[str, Any] = field(default_factory=dict)  # validated search-section keys given in the file
    data: dict[str, Any] = field(default_factory=dict)  # validated data-section keys given in the file
    source: str = "<space>"
    task: str = "forecast"
    gate: tuple[str, ...] = ()  # rules `lstmtune gate` checks, e.g. "test.skill >= 0.1"

    @property
    def tunable(self) -> list[Param]:
        return [p for p in self.params.values() if p.tunable]

    def to_dict(self) -> dict[str, Any]:
        # A fixed None is "derived from the data" (text's sequence_length): left out, it reads back the same.
        out: dict[str, Any] = {
            "hyperparameters": {
                n: p.to_yaml() for n, p in self.params.items() if not (p.kind == "fixed" and p.value is None)
            }
        }
        if self.search:
            out["search"] = dict(self.search)
        if self.data:
            out["data"] = {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.data.items()}
        if self.gate:
            out["gate"] = list(self.gate)
        return out

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False)

    def typed(self, values: dict[str, Any]) -> dict[str, Any]:
        """A trial's values with the space's booleans as booleans: keras-tuner's Choice stores
        [false, true] as 0 and 1."""
        out = dict(values)
        for name, param in self.params.items():
            options = param.values if param.kind == "choice" else (param.value,)
            if name in out and options and all(isinstance(v, bool) for v in options):
                out[name] = bool(out[name])
        return out

    def with_fixed(self, values: dict[str, Any], **search: Any) -> Space:
        """This space with the hyperparameters named in `values` fixed (unknown names ignored)."""
        params = {n: Param(n, "fixed", value=values[n]) if n in values else p for n, p in self.params.items()}
        return replace(self, params=params, search={**self.search, **search})
