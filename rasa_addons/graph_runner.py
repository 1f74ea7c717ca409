"""Runs a loaded model's graph in a fixed order instead of through dask's scheduler.

Rasa runs the parsing graph and each prediction's graph with `dask.get`: every call builds
a dask graph, orders it and schedules its tasks one by one. The graphs are small (a dozen
nodes) and always the same, so the profile of a served turn showed the scheduler around
them as about 15 % of the Rasa server's CPU (docs/performance.md). Here the first run of
each set of targets and inputs goes through dask, which records the order it called the
nodes in; every later run calls the nodes in that order, with what dask would give them:

- a node gets each need as the `(name, output)` pair the node before it returned, an input
  as `(input name, value)`, and the bare name where nothing provides it (the node then
  logs and fails as under dask);
- an input named like a node replaces that node;
- a node dask would not call (no target needs it) is not called;
- a `RuntimeError` from a node becomes Rasa's `GraphRunError`, as in `DaskGraphRunner.run`.

The recording uses dask's callbacks, which are process-wide while registered: the Rasa
server runs its graphs one at a time on its event loop, so none of another run is recorded.
`install()` is called by the Rasa server of this project (`rasa_addons/server.py`); training
and evaluation run Rasa's own. tests/rasa_addons/test_graph_runner.py compares results with
dask's on the trained model, and `make bench-patches` measures what it saves.
"""

from __future__ import annotations

from typing import Any

from dask.callbacks import Callback
from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner

_ORDERS = "_kept_orders"

RASA_RUN = DaskGraphRunner.run


def _order_of_a_dask_run(
    runner: DaskGraphRunner, inputs: dict[str, Any] | None, targets: list[str]
) -> tuple[dict[str, Any], list[tuple[str, tuple[str, ...]]]]:
    """Dask's run, and the nodes in the order dask called them, each with what it needs."""
    called: list[str] = []
    with Callback(pretask=lambda key, graph, state: called.append(key)):
        results = RASA_RUN(runner, inputs, targets)
    nodes = runner._graph_schema.nodes
    order = [(name, tuple(nodes[name].needs.values())) for name in called if name in nodes]
    return results, order


def run_in_order(
    self: DaskGraphRunner,
    inputs: dict[str, Any] | None = None,
    targets: list[str] | None = None,
) -> dict[str, Any]:
    """Same contract as `DaskGraphRunner.run`: each target's name and output."""
    run_targets = targets if targets else self._graph_schema.target_names
    orders: dict[tuple[Any, ...], Any] = self.__dict__.setdefault(_ORDERS, {})
    key = (tuple(run_targets), tuple(sorted(inputs or {})))
    if key not in orders:
        results, orders[key] = _order_of_a_dask_run(self, inputs, run_targets)
        return results
    outputs: dict[str, Any] = {name: (name, value) for name, value in (inputs or {}).items()}
    try:
        for name, needs in orders[key]:
            if name not in outputs:
                node = self._instantiated_nodes[name]
                outputs[name] = node(*(outputs.get(need, need) for need in needs))
    except RuntimeError as error:
        raise GraphRunError("Error running runner.") from error
    return dict(outputs[target] for target in run_targets)


REPLACED: list[tuple[type, str, Any, Any]] = [
    (DaskGraphRunner, "run", RASA_RUN, run_in_order),
]


def install() -> None:
    DaskGraphRunner.run = run_in_order  # type: ignore[method-assign]


def uninstall() -> None:
    DaskGraphRunner.run = RASA_RUN  # type: ignore[method-assign]
