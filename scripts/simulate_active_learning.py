#!/usr/bin/env python3
"""Simulate active learning on labeled data: does uncertainty sampling beat random sampling?

The labels of the Made With ML projects are hidden and revealed only when a strategy asks for
them. Each repeat splits the labeled projects into a test set (stratified) and a pool, starts
from the same small seed set (one random project per tag, then random ones), and for each
round fits the project's baseline classifier (``plugins/labeling_ml.py``, the one behind
``label_issues`` and ``active_learning_queue``) on the labeled set, scores it on the test set,
and asks for the labels of ``--batch-size`` more projects:

* ``random``: a random batch from the pool;
* ``least_confidence``, ``margin``, ``entropy``: the pool projects the classifier is least sure
  about, as the ``active_learning_queue`` model ranks them (ties broken by project id).

All strategies of one repeat share the split and the seed set, so they are compared on equal
terms. Writes ``learning_curve.csv`` (one row per strategy, repeat and round) and
``learning_curve.png`` (mean macro F1 against the number of labels, min-max band over
repeats) to ``--out-dir`` and prints a summary.

Examples (from the project folder)::

    python scripts/extract.py --from ../shared/data/madewithml    # or: make real
    python scripts/simulate_active_learning.py
    python scripts/simulate_active_learning.py --raw-dir data/sample --seed-size 12 \\
        --batch-size 4 --rounds 3 --out-dir /tmp/al
"""

from __future__ import annotations

import argparse
import csv
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
from sklearn.metrics import f1_score

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "plugins"))
import labeling_ml  # noqa: E402  (the project's classifier; installed too, by pip install -e .)

STRATEGIES = ("random", "least_confidence", "margin", "entropy")


@dataclass(frozen=True)
class Dataset:
    """The labeled projects: ids, texts and tags, in id order."""

    ids: np.ndarray
    texts: np.ndarray
    labels: np.ndarray


def load(raw_dir: Path) -> Dataset:
    """Read projects.csv and tags.csv as the pipeline types them; keep projects with a tag."""
    for name in ("projects.csv", "tags.csv"):
        if not (raw_dir / name).is_file():
            raise SystemExit(
                f"simulate_active_learning: {raw_dir / name} not found; run `make real` (or "
                "scripts/extract.py) first, or pass --raw-dir"
            )
    con = duckdb.connect()
    rows = con.execute(
        """
        select p.id, p.title, p.description, t.tag
        from read_csv(?, header = true, columns = {'id': 'bigint', 'created_on': 'timestamp',
                      'title': 'varchar', 'description': 'varchar'}) as p
        inner join read_csv(?, header = true, columns = {'id': 'bigint', 'tag': 'varchar'}) as t
            on p.id = t.id
        where t.tag is not null and t.tag <> ''
        order by p.id
        """,
        [str(raw_dir / "projects.csv"), str(raw_dir / "tags.csv")],
    ).fetchall()
    return Dataset(
        ids=np.array([r[0] for r in rows]),
        texts=np.array([labeling_ml.project_text(r[1], r[2]) for r in rows], dtype=object),
        labels=np.array([r[3] for r in rows], dtype=object),
    )


def uncertainty(probabilities: np.ndarray, strategy: str) -> np.ndarray:
    """Higher = more uncertain: 1 - top probability, -(top - second), or entropy in nats."""
    ordered = np.sort(probabilities, axis=1)[:, ::-1]
    if strategy == "least_confidence":
        return 1 - ordered[:, 0]
    if strategy == "margin":
        second = ordered[:, 1] if ordered.shape[1] > 1 else np.zeros(len(ordered))
        return -(ordered[:, 0] - second)
    if strategy == "entropy":
        with np.errstate(divide="ignore", invalid="ignore"):
            logs = np.where(probabilities > 0, np.log(probabilities), 0.0)
        return -(probabilities * logs).sum(axis=1)
    raise ValueError(f"unknown strategy {strategy!r}")


def macro_f1(truth: np.ndarray, predicted: np.ndarray) -> float:
    """Unweighted mean of the per-tag F1 over the tags of the test set."""
    return float(f1_score(truth, predicted, labels=np.unique(truth), average="macro", zero_division=0))


def split(data: Dataset, test_fraction: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Stratified split of row positions into (pool, test): the fraction of every tag, rounded."""
    pool, test = [], []
    for tag in sorted(set(data.labels)):
        rows = rng.permutation(np.flatnonzero(data.labels == tag))
        n_test = int(round(len(rows) * test_fraction))
        test.extend(rows[:n_test])
        pool.extend(rows[n_test:])
    return np.sort(np.array(pool)), np.sort(np.array(test))


def seed_set(data: Dataset, pool: np.ndarray, size: int, rng: np.random.Generator) -> list[int]:
    """One random pool project of every tag, then random ones, up to ``size``."""
    chosen = [int(rng.choice(pool[data.labels[pool] == tag])) for tag in sorted(set(data.labels[pool]))]
    rest = [int(i) for i in rng.permutation(pool) if int(i) not in set(chosen)]
    return (chosen + rest)[: max(size, len(chosen))]


def simulate(data: Dataset, args: argparse.Namespace) -> list[dict[str, object]]:
    """Run every strategy for every repeat; one result row per strategy, repeat and round."""
    results: list[dict[str, object]] = []
    for repeat in range(args.repeats):
        rng = np.random.default_rng(args.seed + repeat)
        pool, test = split(data, args.test_fraction, rng)
        start = seed_set(data, pool, args.seed_size, rng)
        for strategy in args.strategies:
            strategy_rng = np.random.default_rng([args.seed, repeat])
            labeled = list(start)
            for round_ in range(args.rounds + 1):
                model = labeling_ml.make_classifier(args.seed).fit(data.texts[labeled], data.labels[labeled])
                predicted = model.predict(data.texts[test])
                results.append({
                    "strategy": strategy, "repeat": repeat, "round": round_, "n_labeled": len(labeled),
                    "accuracy": float(np.mean(predicted == data.labels[test])),
                    "macro_f1": macro_f1(data.labels[test], predicted),
                })
                if round_ == args.rounds:
                    break
                taken = set(labeled)
                remaining = np.array([i for i in pool if int(i) not in taken])
                if len(remaining) == 0:
                    break
                batch = min(args.batch_size, len(remaining))
                if strategy == "random":
                    picked = strategy_rng.choice(remaining, size=batch, replace=False)
                else:
                    scores = uncertainty(model.predict_proba(data.texts[remaining]), strategy)
                    # Most uncertain first; ties by project id, as the SQL queue breaks them.
                    order = np.lexsort((data.ids[remaining], -scores))
                    picked = remaining[order[:batch]]
                labeled.extend(int(i) for i in picked)
    return results


def write_csv(results: list[dict[str, object]], path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(results[0]), lineterminator="\n")
        writer.writeheader()
        for row in results:
            writer.writerow({k: (f"{v:.6f}" if isinstance(v, float) else v) for k, v in row.items()})


def summarize(results: list[dict[str, object]], strategies: list[str]) -> dict[str, dict[int, list[float]]]:
    """{strategy: {n_labeled: [macro F1 of each repeat]}}."""
    curves: dict[str, dict[int, list[float]]] = {s: {} for s in strategies}
    for row in results:
        curves[str(row["strategy"])].setdefault(int(row["n_labeled"]), []).append(float(row["macro_f1"]))
    return curves


def plot(curves: dict[str, dict[int, list[float]]], full: float, path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=110)
    for strategy, curve in curves.items():
        xs = sorted(curve)
        means = [np.mean(curve[x]) for x in xs]
        ax.plot(xs, means, marker="o", markersize=3, label=strategy,
                linestyle="--" if strategy == "random" else "-")
        ax.fill_between(xs, [min(curve[x]) for x in xs], [max(curve[x]) for x in xs], alpha=0.12)
    ax.axhline(full, color="grey", linewidth=1, linestyle=":", label="all pool labels")
    ax.set_xlabel("labeled projects")
    ax.set_ylabel("macro F1 on the held-out test set")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def full_pool_f1(data: Dataset, args: argparse.Namespace) -> float:
    """Mean macro F1 over the repeats when the whole pool is labeled: the ceiling."""
    scores = []
    for repeat in range(args.repeats):
        pool, test = split(data, args.test_fraction, np.random.default_rng(args.seed + repeat))
        model = labeling_ml.make_classifier(args.seed).fit(data.texts[pool], data.labels[pool])
        scores.append(macro_f1(data.labels[test], model.predict(data.texts[test])))
    return float(np.mean(scores))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--raw-dir", type=Path, default=ROOT / "data" / "madewithml",
                        help="folder with projects.csv and tags.csv (default: data/madewithml, the real data)")
    parser.add_argument("--seed-size", type=int, default=30, help="labels to start from (default 30)")
    parser.add_argument("--batch-size", type=int, default=30, help="labels asked for per round (default 30)")
    parser.add_argument("--rounds", type=int, default=15, help="rounds of asking (default 15)")
    parser.add_argument("--repeats", type=int, default=5,
                        help="repeats with different splits and seed sets (default 5)")
    parser.add_argument("--test-fraction", type=float, default=0.2,
                        help="fraction of every tag held out for scoring (default 0.2)")
    parser.add_argument("--strategies", nargs="+", choices=STRATEGIES, default=list(STRATEGIES),
                        help="strategies to compare (default: all four)")
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    parser.add_argument("--out-dir", type=Path, default=ROOT / "reports" / "active_learning",
                        help="where to write learning_curve.csv and .png (default reports/active_learning)")
    args = parser.parse_args(argv)
    if min(args.seed_size, args.batch_size, args.repeats) < 1 or args.rounds < 0:
        parser.error("--seed-size, --batch-size and --repeats must be at least 1, --rounds at least 0")
    if not 0 < args.test_fraction < 1:
        parser.error("--test-fraction must be between 0 and 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    data = load(args.raw_dir)
    if len(set(data.labels)) < 2:
        raise SystemExit(f"simulate_active_learning: {args.raw_dir} has fewer than two tags to learn")
    results = simulate(data, args)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    write_csv(results, args.out_dir / "learning_curve.csv")
    curves = summarize(results, args.strategies)
    full = full_pool_f1(data, args)
    title = (f"{len(data.ids)} labeled projects of {args.raw_dir.name}: seed {args.seed_size}, "
             f"batch {args.batch_size}, {args.repeats} repeats")
    plot(curves, full, args.out_dir / "learning_curve.png", title)

    print(f"{len(data.ids)} labeled projects, {args.repeats} repeats, test fraction {args.test_fraction}; "
          f"macro F1 with the whole pool labeled: {full:.3f}")
    print(f"{'strategy':<17} " + " ".join(f"{n:>6}" for n in sorted(next(iter(curves.values())))) + "   mean")
    for strategy, curve in curves.items():
        means = [float(np.mean(curve[n])) for n in sorted(curve)]
        print(f"{strategy:<17} " + " ".join(f"{m:6.3f}" for m in means) + f" {np.mean(means):6.3f}")
    print(f"wrote {args.out_dir / 'learning_curve.csv'} and {args.out_dir / 'learning_curve.png'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
