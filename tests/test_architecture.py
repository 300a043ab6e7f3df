"""The package's import contract, read from the source alone (no module is imported).

- No import circles between lstmtune's modules, counting imports inside functions too (only those under
  `if TYPE_CHECKING:` are left out: they never run).
- Dependencies point one way: each part of the package may import only the parts listed in LAYERS.
- TensorFlow, Keras and keras-tuner are imported only where training or loading a model happens.
- core/ needs the standard library alone.
- No comparison of a value to a task's name outside tasks/: what differs by task is the task's own.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "lstmtune"

# Each part of the package and the parts it may import (besides itself). The faces (cli, api, check)
# are imported by no part; the package root names the API lazily.
LAYERS: dict[str, set[str]] = {
    "version": set(),
    "errors": set(),
    "core": {"errors"},
    "data": {"core", "errors"},
    "space": {"core", "data", "errors"},
    "run": {"core", "errors"},
    "tasks": {"core", "data", "space", "errors"},
    "plan": {"core", "data", "space", "tasks", "run", "errors"},
    "tuning": {"core", "data", "space", "tasks", "run", "plan", "errors", "version"},
    "report": {"core", "data", "space", "tasks", "run", "errors"},
    "predict": {"core", "data", "tasks", "run", "tuning", "errors"},
    "progress": {"core", "tuning", "errors"},
    "check": {"core", "plan", "errors"},
    "api": {"core", "plan", "run", "report", "tuning", "predict", "progress", "errors"},
    "cli": {
        "core",
        "data",
        "space",
        "tasks",
        "run",
        "plan",
        "tuning",
        "report",
        "predict",
        "progress",
        "check",
        "api",
        "errors",
        "version",
    },
    "__main__": {"cli"},
    "__init__": {"api", "predict", "errors", "version"},
}
HEAVY = {"tensorflow", "keras", "keras_tuner", "tf_keras", "grpc"}


def heavy_allowed(module: str) -> bool:
    """Where TensorFlow, Keras and keras-tuner may be imported: training, the Keras half of each task,
    and loading a saved model."""
    parts = module.split(".")
    if len(parts) < 2:
        return False
    return (
        parts[1] == "tuning"
        or module
        in (
            "lstmtune.predict",
            "lstmtune.tasks.heads",
            "lstmtune.tasks.layers",
            "lstmtune.tasks.augment",
            "lstmtune.tasks.gradient_noise",
        )
        or (parts[1] == "tasks" and parts[-1] == "keras_io")
    )


TASK_NAMES = ("forecast", "text", "sequence", "autoencoder")


def module_name(path: Path) -> str:
    relative = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports(path: Path, known: dict[str, Path]) -> set[str]:
    """Every module `path` imports at run time (lstmtune's by full name, others by their top package)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            found.add(base)
            for alias in node.names:  # `from lstmtune.run import records` imports a module
                if f"{base}.{alias.name}" in known:
                    found.add(f"{base}.{alias.name}")
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "import_module" and node.args:
            argument = node.args[0]
            if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                found.add(argument.value)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def graph() -> dict[str, set[str]]:
    known = modules()
    edges: dict[str, set[str]] = {}
    for name, path in known.items():
        targets = set()
        for imported in imports(path, known):
            if imported.split(".")[0] != "lstmtune":
                continue
            while imported not in known and "." in imported:  # a name imported from a module
                imported = imported.rpartition(".")[0]
            if imported != name:
                targets.add(imported)
        edges[name] = targets
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in edges.get(node, ()):
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in edges:
        if node not in index:
            connect(node)
    return found


def part(module: str) -> str:
    """The part of the package a module belongs to: lstmtune.run.table -> run, lstmtune -> __init__."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_the_package_has_no_import_circles():
    assert cycles(graph()) == []


def test_dependencies_point_one_way():
    wrong = []
    for module, targets in graph().items():
        mine = part(module)
        assert mine in LAYERS, f"{module}: a new part of the package; give it its place in LAYERS"
        for target in sorted(targets):
            if part(target) != mine and part(target) not in LAYERS[mine]:
                wrong.append(f"{module} imports {target}")
    assert wrong == []


def test_tensorflow_keras_and_keras_tuner_are_imported_only_to_train_or_load_a_model():
    known = modules()
    wrong = [
        f"{name} imports {imported}"
        for name, path in known.items()
        if not heavy_allowed(name)
        for imported in sorted(imports(path, known))
        if imported.split(".")[0] in HEAVY
    ]
    assert wrong == []


def test_core_needs_the_standard_library_alone():
    known = modules()
    allowed = set(sys.stdlib_module_names) | {"lstmtune", "__future__"}
    wrong = [
        f"{name} imports {imported}"
        for name, path in known.items()
        if part(name) == "core"
        for imported in sorted(imports(path, known))
        if imported.split(".")[0] not in allowed
    ]
    assert wrong == []


def task_name_comparisons(path: Path) -> list[int]:
    lines = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Compare):
            for operand in (node.left, *node.comparators):
                values = operand.elts if isinstance(operand, (ast.Tuple, ast.List, ast.Set)) else [operand]
                if any(isinstance(v, ast.Constant) and v.value in TASK_NAMES for v in values):
                    lines.append(node.lineno)
    return lines


def test_no_task_name_is_compared_outside_tasks():
    wrong = [
        f"{path.relative_to(PACKAGE.parent)}:{line}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if "tasks" not in path.relative_to(PACKAGE).parts
        for line in task_name_comparisons(path)
    ]
    assert wrong == []


@pytest.mark.parametrize(
    "planted, broken",
    [
        ("core/text.py", "from lstmtune.run.layout import RunDir\n"),
        ("run/layout.py", "def late():\n    from lstmtune.report.model import build_report\n"),
        ("space/specs.py", "import keras\n"),
    ],
)
def test_the_contract_fails_on_a_planted_import(tmp_path, monkeypatch, planted, broken):
    """The checks above are not vacuous: a copy of the package with one bad import fails them."""
    import shutil

    copy = tmp_path / "lstmtune"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    (copy / planted).write_text((copy / planted).read_text() + "\n" + broken)
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", copy)
    failures = 0
    for check in (
        test_the_package_has_no_import_circles,
        test_dependencies_point_one_way,
        test_tensorflow_keras_and_keras_tuner_are_imported_only_to_train_or_load_a_model,
        test_core_needs_the_standard_library_alone,
    ):
        try:
            check()
        except AssertionError:
            failures += 1
    assert failures >= 1
