"""`lstmtune check`: validate a space file, and a CSV against it, without TensorFlow.

It runs the same planning as `search` (the same rules and messages), without a run directory.
"""

from __future__ import annotations

from lstmtune.errors import OptionError
from lstmtune.plan import SearchRequest, _given, flag, plan_search


def check_inputs(request: SearchRequest) -> list[str]:
    """Validate as `search` would; return lines describing what was found."""
    if request.data_path is None:
        given = [flag(k) for group in (request.columns, request.options) for k, v in group.items() if _given(v)]
        given += [flag(k) for k, v in request.data_flags.items() if v is not None]
        if given:
            raise OptionError(f"{', '.join(given)} only apply with the DATA argument")
    plan = plan_search(request)
    search, space = plan.search, plan.space
    tunable = [p.name for p in space.tunable]
    lines = [
        f"{request.space_path}: valid for --task {plan.task.name}; {len(tunable)} tunable hyperparameter{'s' if len(tunable) != 1 else ''} "
        f"({', '.join(tunable) or 'none'}); tuner {search.tuner}, {_count(search.max_trials, 'trial')} of up to "
        f"{_count(search.epochs, 'epoch')}, patience {search.patience}"
    ]
    lines += list(plan.notices)  # e.g. what --gpu-fast fixes
    if plan.prepared is not None:
        lines.append(f"{request.data_path}: valid; {plan.prepared.summary()}")
        lines += [f"  {line}" for line in plan.prepared.check_lines(space)]
        lines += [f"warning: {warning}" for warning in plan.warnings]
    return lines


def _count(number: int, word: str) -> str:
    return f"{number} {word}{'s' if number != 1 else ''}"
