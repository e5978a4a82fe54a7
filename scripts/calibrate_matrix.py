"""Sweep the matrix floors over judged comparison tasks: fit on half the tasks, report on the other half too."""

from __future__ import annotations

import argparse
import itertools
import json
from pathlib import Path

from broker.comparison.evaluation import evaluate_compare, load_compare_tasks
from broker.comparison.matrix import Floors
from broker.search import Engine
from core.settings import Settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--tasks", type=Path, default=Path("corpus/compare.jsonl"))
    args = parser.parse_args()
    engine = Engine(Settings(data_dir=args.data))
    tasks = load_compare_tasks(args.tasks)
    fit, held = tasks[1::2], tasks[0::2]
    rows = []
    for aspect, topic, margin in itertools.product(
        (1.0, 1.5, 2.0, 2.5), (0.76, 0.78, 0.80, 0.82, 0.84, 0.86), (0.02, 0.04, 0.06, 0.08, 1.0)
    ):
        floors = Floors(aspect, topic, margin)
        a, b = evaluate_compare(engine, fit, floors), evaluate_compare(engine, held, floors)
        rows.append(
            {
                "floors": [aspect, topic, margin],
                "fit": [a["cell_precision"], a["cell_recall"], a["empty_accuracy"]],
                "held": [b["cell_precision"], b["cell_recall"], b["empty_accuracy"]],
            }
        )
        print(json.dumps(rows[-1]), flush=True)


if __name__ == "__main__":
    main()
