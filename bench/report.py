"""The measured table for ``docs/performance.md``, from the JSON of the latest full runs.

    python -m bench.report [--quick]

Reads ``bench/results/<benchmark>.json`` (``bench/results/quick/`` with ``--quick``; any other JSON file
there, such as a run with other flags saved under another name, comes after) and prints, in
Markdown, every figure against its target with the command that produced it, the machine's load
average when it finished, and each benchmark's own tables. Nothing is measured here.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from bench._common import out_dir

ORDER = ["browser", "render", "cold_start", "large_cluster", "tryout_overhead", "tryout_writes", "soak"]


def markdown(rows: list[list[Any]], header: list[str]) -> str:
    def cell(value: Any) -> str:
        return str(value).replace("|", "\\|").strip()

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def section(data: dict[str, Any]) -> str:
    load = ", ".join(f"{x:.2f}" for x in data["machine"]["load_average"])
    parts = [
        f"### {data['benchmark']}",
        "",
        f"`{data['command']}` — finished {data['finished'][:16].replace('T', ' ')} UTC after "
        f"{data['seconds'] / 60:.1f} min; load average at the end {load} ({data['machine']['cores']} cores)",
        "",
        markdown(
            [
                [t["figure"], t["measured"], t["target"], {True: "yes", False: "**no**", None: "—"}[t["met"]]]
                for t in data["targets"]
            ],
            ["figure", "measured", "target", "met"],
        ),
    ]
    for table in data["tables"]:
        parts += ["", markdown(table["rows"], table["header"])]
    return "\n".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="report the quick runs instead")
    opts = parser.parse_args()
    directory: Path = out_dir(opts.quick)
    sections = []
    for name in ORDER:
        path = directory / f"{name}.json"
        if path.exists():
            sections.append(section(json.loads(path.read_text())))
        else:
            sections.append(f"### {name}\n\nnot run yet: `python -m bench.{name}`")
    # runs kept under another name (e.g. a variant's flags), after the standard ones
    for path in sorted(directory.glob("*.json")):
        if path.stem not in ORDER:
            sections.append(section(json.loads(path.read_text())))
    print("\n\n".join(sections))


if __name__ == "__main__":
    main()
