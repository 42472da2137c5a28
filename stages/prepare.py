"""DVC stage `prepare`: load results, mark failures, sample them per (model, dataset)."""

from __future__ import annotations

from errormap.data import accuracy_table, load_results, mark_failures, sample_failures, success_thresholds
from errormap.stage import log, stage_context, write_csv, write_json, write_parquet

RESULTS = "data/prepared/results.parquet"
FAILURES = "data/prepared/failures.parquet"
METRICS = "metrics/prepare.json"
ACCURACY_PLOT = "plots/accuracy.csv"


def main() -> None:
    with stage_context("prepare") as (params, tracker):
        data, sampling = params["data"], params["sampling"]
        threshold = data.get("success_threshold") or {}
        results = load_results(data["input_dir"])
        thresholds = success_thresholds(
            results, threshold.get("per_dataset"), threshold.get("default"), float(threshold.get("mean_ratio", 0.7))
        )
        marked = mark_failures(results, thresholds)
        sampled = sample_failures(
            marked,
            ratio=float(sampling.get("ratio", 1.0)),
            max_per_group=sampling.get("max_per_group"),
            seed=int(params["seed"]),
            models=(params.get("models") or {}).get("include"),
        )
        accuracy = accuracy_table(marked)
        write_parquet(RESULTS, marked)
        write_parquet(FAILURES, sampled)
        write_csv(ACCURACY_PLOT, accuracy)
        metrics = {
            "rows": len(marked),
            "datasets": int(marked["dataset"].nunique()),
            "models": int(marked["model"].nunique()),
            "failures": int(marked["is_failure"].sum()),
            "sampled_failures": len(sampled),
            "thresholds": thresholds,
            "accuracy": {
                model: {r.dataset: round(float(r.accuracy), 4) for r in rows.itertuples()}
                for model, rows in accuracy.groupby("model")
            },
        }
        write_json(METRICS, metrics)
        tracker.log_metrics(metrics)
        log.info(
            "prepare: %d rows, %d failures, %d sampled for analysis", len(marked), metrics["failures"], len(sampled)
        )


if __name__ == "__main__":
    main()
