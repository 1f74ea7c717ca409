"""Every private Rasa name rasa_addons relies on still exists in the installed Rasa, with
the parameters the patches and subclasses expect; an upgrade that renames one fails here."""

from __future__ import annotations

import ast
import importlib
import inspect
import textwrap
from pathlib import Path
from typing import Any

import pytest

from rasa_addons.private_api import LOGGERS, RELIED_ON, RasaName
from stack.processes import ROOT

# Our own attributes on Rasa's objects start with this; Rasa has none of that name.
OURS_ON_RASA_OBJECTS = "_kept_"
MISSING = object()


def set_in_init(owner: type, attribute: str) -> bool:
    """Whether the class's `__init__` assigns `self.<attribute>` (annotated or not)."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(vars(owner)["__init__"])))
    return any(
        isinstance(target, ast.Attribute)
        and isinstance(target.value, ast.Name)
        and target.value.id == "self"
        and target.attr == attribute
        for node in ast.walk(tree)
        if isinstance(node, (ast.Assign, ast.AnnAssign))
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
    )


def resolve(name: RasaName) -> Any:
    """The named attribute; one set in `__init__` is found in the source that sets it."""
    found: Any = importlib.import_module(name.module)
    for part in name.attribute.split("."):
        owner, found = found, getattr(found, part, MISSING)
        if found is MISSING and name.on_instances:
            assert set_in_init(owner, part), f"{owner.__qualname__}.__init__ sets no {part}"
            found = part
        assert found is not MISSING, f"{name.module} has no {name.attribute}"
    return found


@pytest.mark.parametrize("name", RELIED_ON, ids=lambda name: f"{name.module}.{name.attribute}")
def test_relied_on_name_exists_with_its_signature(name: RasaName) -> None:
    found = resolve(name)
    if name.parameters is not None:
        assert tuple(inspect.signature(found).parameters) == name.parameters, name.used_by


@pytest.mark.parametrize("module", LOGGERS)
def test_rasa_logs_action_failures_under_the_module_name(module: str) -> None:
    source = inspect.getsource(importlib.import_module(module))
    assert "logging.getLogger(__name__)" in source


def private_rasa_attributes(path: Path) -> set[str]:
    """`._name` attributes read or set in a module that imports Rasa (own `self._x` aside)."""
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr.startswith("_"):
            if not node.attr.startswith("__"):
                names.add(node.attr)
    return names


def own_definitions(path: Path) -> set[str]:
    """Names the module defines: its functions and classes, and the attributes its own
    classes set on `self`, and the `_kept_…` attributes it keeps on Rasa's objects (a name
    Rasa doesn't use). An attribute set on anything else (a Rasa tracker's `_paused` in a
    copy) is Rasa's, and must be declared."""
    tree = ast.parse(path.read_text())
    defined = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defined.add(node.name)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            defined.add(node.target.id)
    for cls in (node for node in ast.walk(tree) if isinstance(node, ast.ClassDef)):
        for node in ast.walk(cls):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.ctx, ast.Store)
                and isinstance(node.value, ast.Name)
                and node.value.id == "self"
            ):
                defined.add(node.attr)
    kept = {
        node.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr.startswith(OURS_ON_RASA_OBJECTS)
    }
    return defined | kept


def rasa_addons_modules() -> list[Any]:
    package = ROOT / "rasa_addons"
    names = [
        ".".join(path.relative_to(ROOT).with_suffix("").parts)
        for path in sorted(package.rglob("*.py"))
        if path.name != "__init__.py"
    ]
    return [importlib.import_module(name) for name in names]


def test_every_overridden_private_rasa_method_is_declared() -> None:
    """A subclass that overrides a private method of a Rasa base relies on its name too."""
    declared = {name.attribute.rsplit(".", 1)[-1] for name in RELIED_ON}
    undeclared = []
    for module in rasa_addons_modules():
        for cls in vars(module).values():
            if not inspect.isclass(cls) or cls.__module__ != module.__name__:
                continue
            rasa_bases = [
                base for base in cls.__mro__[1:] if base.__module__.split(".")[0] == "rasa"
            ]
            for attribute, value in vars(cls).items():
                if not inspect.isfunction(value):
                    continue  # e.g. ABCMeta's _abc_impl
                private = attribute.startswith("_") and not attribute.startswith("__")
                inherited = any(hasattr(base, attribute) for base in rasa_bases)
                if private and inherited and attribute not in declared:
                    undeclared.append(f"{cls.__qualname__}.{attribute}")
    assert not undeclared


def test_every_private_rasa_name_used_is_declared() -> None:
    """A private attribute used in rasa_addons is either defined there or listed in
    private_api, so the list cannot fall behind the code."""
    declared = {part for name in RELIED_ON for part in name.attribute.split(".")}
    package = ROOT / "rasa_addons"
    undeclared = {}
    for path in package.rglob("*.py"):
        if "import rasa" not in path.read_text() and "from rasa." not in path.read_text():
            continue
        unknown = private_rasa_attributes(path) - own_definitions(path) - declared
        if unknown:
            undeclared[str(path.relative_to(ROOT))] = sorted(unknown)
    assert not undeclared


def test_our_attributes_on_rasa_objects_are_names_rasa_does_not_use() -> None:
    import rasa

    rasa_source = Path(rasa.__file__).parent
    used = {path for path in rasa_source.rglob("*.py") if OURS_ON_RASA_OBJECTS in path.read_text()}
    assert not used
