"""`lstmtune check`: validate a space file, and a CSV against it, without TensorFlow.

It runs the same planning as `search` (the same rules and messages), without a run directory.
"""

from __future__ import annotations

from lstmtune.core.text import plural
from lstmtune.errors import OptionError
from lstmtune.plan import SearchRequest, flag, given, plan_search


def check_inputs(request: SearchRequest) -> list[str]:
    """Validate as `search` would; return lines describing what was found."""
    if request.data_path is None:
        named = [flag(k) for group in (request.columns, request.options) for k, v in group.items() if given(v)]
        named += [flag(k) for k, v in request.data_flags.items() if v is not None]
        if named:
            raise OptionError(f"{', '.join(named)} only apply with the DATA argument")
    plan = plan_search(request)
    search, space = plan.search, plan.space
    tunable = [p.name for p in space.tunable]
    lines = [
        f"{request.space_path}: valid for --task {plan.task.name}; {plural(len(tunable), 'tunable hyperparameter')} "
        f"({', '.join(tunable) or 'none'}); tuner {search.tuner}, {plural(search.max_trials, 'trial')} of up to "
        f"{plural(search.epochs, 'epoch')}, patience {search.patience}" + repeated(search)
    ]
    lines += list(plan.notices)  # e.g. what --gpu-fast fixes
    if plan.prepared is not None:
        lines.append(f"{request.data_path}: valid; {plan.prepared.summary()}")
        lines += [f"  {line}" for line in plan.prepared.check_lines(space)]
        lines += [f"warning: {warning}" for warning in plan.warnings]
    return lines


def repeated(search) -> str:
    """ ", each on 3 folds × 2 executions" for a search that fits each trial more than once."""
    parts = [plural(n, what) for n, what in ((search.folds, "fold"), (search.executions, "execution")) if n > 1]
    return f", each on {' × '.join(parts)}" if parts else ""
