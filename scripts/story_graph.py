"""`make story-graph`: draws one section's stories as Rasa's `rasa visualize` builds them.

`rasa visualize` writes an HTML page that loads its drawing library from a CDN; this
takes the same graph (Rasa's `visualize_stories`) and draws it with networkx and
matplotlib into a PNG, top to bottom in story order.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import networkx as nx  # noqa: E402
from rasa.shared.core.domain import Domain  # noqa: E402
from rasa.shared.core.training_data.story_reader.yaml_story_reader import (  # noqa: E402
    YAMLStoryReader,
)
from rasa.shared.core.training_data.visualization import visualize_stories  # noqa: E402


def layered_positions(graph: nx.MultiDiGraph) -> dict[int, tuple[float, float]]:
    """Nodes by their distance from the start, each layer spread across."""
    depth = nx.single_source_shortest_path_length(graph, 0)
    layers: dict[int, list[int]] = {}
    for node in graph.nodes:
        layers.setdefault(depth.get(node, max(depth.values()) + 1), []).append(node)
    positions: dict[int, tuple[float, float]] = {}
    for level, nodes in layers.items():
        for index, node in enumerate(sorted(nodes)):
            positions[node] = (index - (len(nodes) - 1) / 2, -level)
    return positions


def draw(stories: Path, output: Path) -> None:
    domain = Domain.load("domain.yml")
    steps = YAMLStoryReader(domain).read_from_file(str(stories))
    graph = visualize_stories(steps, domain, output_file=None, max_history=2)
    positions = layered_positions(graph)
    labels = {node: data.get("label", "") for node, data in graph.nodes(data=True)}
    width = max(x for x, _ in positions.values()) - min(x for x, _ in positions.values())
    height = -min(y for _, y in positions.values())
    figure = plt.figure(figsize=(6 + 3 * width, 1.2 + 0.9 * height))
    nx.draw_networkx_edges(graph, positions, arrows=True, edge_color="#888888")
    edge_labels = {
        (u, v): data.get("label", "") for u, v, data in graph.edges(data=True) if data.get("label")
    }
    nx.draw_networkx_edge_labels(graph, positions, edge_labels=edge_labels, font_size=8)
    nx.draw_networkx_labels(
        graph,
        positions,
        labels=labels,
        font_size=9,
        bbox={"boxstyle": "round", "facecolor": "#eef3fb", "edgecolor": "#4a6fa5"},
    )
    plt.axis("off")
    plt.title(f"Stories of {stories}")
    figure.tight_layout()
    output.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(output, dpi=90)
    print(f"wrote {output}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stories", default="data/stories/login.yml", type=Path)
    parser.add_argument("--out", default="docs/images/stories-login.png", type=Path)
    args = parser.parse_args()
    draw(args.stories, args.out)


if __name__ == "__main__":
    main()
