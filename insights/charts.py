"""The page's charts as inline SVG drawn by matplotlib: nothing to load from elsewhere.

Each chart is drawn from the same table the page shows and the CSV holds, so a chart never
says something the numbers don't.
"""

from __future__ import annotations

import io
import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from insights.measures import Insights  # noqa: E402

BLUE, ORANGE, GREEN, RED, GREY = "#1f6fb2", "#e07b24", "#2e8b57", "#c0392b", "#8a8a8a"
plt.rcParams.update({"font.size": 9, "svg.fonttype": "none", "svg.hashsalt": "insights"})


def svg(figure: Figure, label: str) -> str:
    """The figure as an <svg> element that scales to its container, with a text label."""
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(figure)
    text = buffer.getvalue()
    text = text[text.index("<svg") :]
    text = re.sub(r'<svg([^>]*?) width="[^"]*" height="[^"]*"', r"<svg\1", text, count=1)
    return text.replace("<svg", f'<svg role="img" aria-label="{label}" class="chart"', 1)


def trend(insights: Insights) -> str:
    rows = insights.table("daily").rows
    days = [row[0][5:] for row in rows]
    figure, axis = plt.subplots(figsize=(7, 2.6))
    axis.plot(days, [row[1] for row in rows], marker="o", color=BLUE, label="conversations")
    axis.plot(days, [row[2] for row in rows], marker="s", color=ORANGE, label="messages")
    axis.set_title("Per day (UTC)")
    axis.legend(loc="upper left", frameon=False)
    axis.grid(axis="y", alpha=0.3)
    step = max(1, len(days) // 10)
    axis.set_xticks(range(0, len(days), step), [days[i] for i in range(0, len(days), step)])
    return svg(figure, "Conversations and messages per day")


def topic_funnel(insights: Insights) -> str:
    """One bar group per topic: started, then the conversations that reached each step."""
    rows = insights.table("funnel").rows
    topics: dict[str, list[tuple[str, int]]] = {}
    for topic, number, _name, reached, *_ in rows:
        label = "started" if number == 0 else f"step {number or '·'}"
        topics.setdefault(topic, []).append((label, int(reached)))
    height = max(2.2, 0.2 * sum(len(v) for v in topics.values()) + 0.8)
    figure, axis = plt.subplots(figsize=(7, height))
    labels, values, colours = [], [], []
    for topic, stages in topics.items():
        for index, (label, reached) in enumerate(stages):
            labels.append(f"{topic} · {label}" if index == 0 else label)
            values.append(reached)
            colours.append(BLUE if index == 0 else GREEN)
    positions = list(range(len(values)))[::-1]
    axis.barh(positions, values, color=colours, height=0.75)
    axis.set_yticks(positions, labels, fontsize=7)
    axis.set_ylim(-0.6, len(values) - 0.4)
    for position, value in zip(positions, values, strict=False):
        axis.text(value, position, f" {value}", va="center", fontsize=7)
    axis.set_title("Funnel per topic: conversations reaching each step")
    axis.set_xlabel("conversations")
    return svg(figure, "Funnel per topic")


def step_heatmap(insights: Insights) -> str:
    """Topics by step number, coloured by the share of "did that work?" answered yes."""
    rows = [row for row in insights.table("steps").rows if row[1] != ""]
    topics = list(dict.fromkeys(row[0] for row in rows)) or ["(none)"]
    width = max([int(row[1]) for row in rows] or [1])
    grid = [[float("nan")] * width for _ in topics]
    notes = [[""] * width for _ in topics]
    for topic, number, _name, asked, solved, *_ in rows:
        grid[topics.index(topic)][int(number) - 1] = solved / asked if asked else float("nan")
        notes[topics.index(topic)][int(number) - 1] = f"{solved}/{asked}"
    figure, axis = plt.subplots(figsize=(7, 0.42 * len(topics) + 1.2))
    image = axis.imshow(grid, cmap="RdYlGn", vmin=0, vmax=1, aspect="auto")
    axis.set_yticks(range(len(topics)), topics)
    axis.set_xticks(range(width), [f"step {n + 1}" for n in range(width)])
    for y, line in enumerate(notes):
        for x, note in enumerate(line):
            if note:
                axis.text(x, y, note, ha="center", va="center", fontsize=8)
    figure.colorbar(image, ax=axis, label="solved share")
    axis.set_title("Which step solves it: yes answers / times asked")
    return svg(figure, "Step resolution heat map")


def code_funnel(insights: Insights) -> str:
    rows = insights.table("codes").rows
    figure, axis = plt.subplots(figsize=(7, 2.4))
    colours = [BLUE, BLUE, BLUE, GREEN, RED, ORANGE, GREY] + [GREY] * len(rows)
    names = [row[0] for row in rows]
    values = [row[1] for row in rows]
    axis.bar(names, values, color=colours[: len(rows)])
    for index, value in enumerate(values):
        axis.text(index, value, str(value), ha="center", va="bottom")
    axis.set_title("One-time code: conversations at each stage")
    axis.set_ylabel("conversations")
    return svg(figure, "One-time code funnel")


def all_charts(insights: Insights) -> dict[str, str]:
    return {
        "trend": trend(insights),
        "funnel": topic_funnel(insights),
        "heatmap": step_heatmap(insights),
        "codes": code_funnel(insights),
    }
