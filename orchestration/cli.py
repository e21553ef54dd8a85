"""`doudi`: run a period, generate a synthetic city, run the demo, open the Dagster UI.

`doudi run` executes the `monthly` job of orchestration.definitions in-process:
the same asset graph that `doudi ui` shows, never a second code path.
"""

from __future__ import annotations

import argparse
import gc
import subprocess
import sys
import time
from importlib.metadata import version
from pathlib import Path

from doudi_core.period import PeriodError, parse_period, shift
from doudi_core.settings import Paths


def _paths(args: argparse.Namespace) -> Paths:
    """The run's folders, published to the environment for Dagster and dbt (nothing written)."""
    paths = Paths.resolve(args.inbox, args.out)
    paths.export()
    return paths


class UsageError(ValueError):
    """A bad argument: exit status 2, nothing written."""


def _months(args: argparse.Namespace) -> list[str]:
    """--period .. --through, each a partition of the job (checked before anything is written)."""
    from orchestration.partitions import periods  # imports Dagster: only once the verb is run

    through = args.through or args.period
    try:
        parse_period(args.period)
        parse_period(through)
    except PeriodError as error:
        raise UsageError(str(error)) from error
    if through < args.period:
        raise UsageError(f"--through {through} is before --period {args.period}")
    first, last = periods.get_first_partition_key(), periods.get_last_partition_key()
    for month in (args.period, through):
        if not first <= month <= last:
            raise UsageError(f"period {month} is outside the periods doudi runs: {first} to {last}")
    months = [args.period]
    while months[-1] < through:
        months.append(shift(months[-1], 1))
    return months


def _runner():
    """The runner, imported with Python's cycle collector paused, its objects then frozen.

    Dagster, dbt and Great Expectations are millions of long-lived objects, which the
    collector would otherwise scan again and again while importing, at every full
    collection of the run, and once more at exit (`gc.freeze` is meant for such objects).
    """
    gc.disable()
    try:
        from orchestration.runner import run_periods
    finally:
        gc.freeze()
        gc.enable()
    return run_periods


def cmd_run(args: argparse.Namespace) -> int:
    try:
        months = _months(args)
    except UsageError as error:
        print(f"doudi run: {error}", file=sys.stderr)
        return 2
    paths = _paths(args)
    from orchestration import preflight

    try:  # before the runner's imports (seconds): a refusal comes at once
        preflight.check_inputs(paths.inbox, months)
    except preflight.Refused as refused:
        for problem in refused.problems:
            print(f"doudi run: {problem}", file=sys.stderr)
        return refused.status
    run_periods = _runner()
    return run_periods(months, paths, replace=args.replace, recompute=args.recompute)


def cmd_generate(args: argparse.Namespace) -> int:
    from synth.generate import generate

    inbox = Path(args.out or "data/inbox").resolve()
    result = generate(args.period, args.scale, args.seed, inbox, months=args.months)
    print(
        f"\nGenerated {len(result.periods)} period(s) {result.periods[0]}..{result.periods[-1]} "
        f"in {result.seconds:.1f}s.\n  inbox: {result.inbox}\n  truth: {result.truth} (never read by the pipeline)"
    )
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from doudi_core.pseudonym import load_key
    from synth.generate import generate

    key = load_key(create=True)
    print(
        f"pseudonym key: {key.origin} (development key, owner-only; set DOUDI_PSEUDONYM_KEY in production)"
    )
    root = Path(args.dir).resolve()
    inbox, out = root / "inbox", root / "out"
    result = generate(args.period, args.scale, args.seed, inbox, months=args.months)
    args.inbox, args.out = str(inbox), str(out)
    paths = _paths(args)
    status = _runner()(result.periods, paths)
    print(
        f"\nDemo finished. Look at:\n  warehouse: {paths.warehouse}\n  outputs:   {paths.out}\n"
        f"  truth:     {result.truth}\n  the UI:    doudi ui --out {paths.out}"
    )
    return status


def cmd_repair_fit(args: argparse.Namespace) -> int:
    """Fit the identity-repair model again on one period's data (a new stored version; the
    next runs score with it)."""
    try:
        parse_period(args.period)
    except PeriodError as error:
        print(f"doudi repair-fit: {error}", file=sys.stderr)
        return 2
    paths = _paths(args)
    if not paths.warehouse.exists():
        print(
            f"doudi repair-fit: no warehouse at {paths.warehouse}; run a period first",
            file=sys.stderr,
        )
        return 2
    from doudi_core.config import load_config
    from doudi_core.warehouse import connect
    from repair.step import fit_model

    with connect(paths.warehouse) as con:
        version = fit_model(con, args.period, load_config().raw["repair"])
    print(f"identity-repair model {version} fitted on {args.period}; later runs score with it")
    return 0


def cmd_ui(args: argparse.Namespace) -> int:
    _paths(args).prepare_dagster_home()
    command = [
        sys.executable,
        "-m",
        "dagster",
        "dev",
        "-m",
        "orchestration.definitions",
        "-h",
        args.host,
        "-p",
        str(args.port),
    ]
    print("starting the Dagster UI: " + " ".join(command[2:]))
    return subprocess.call(command)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="doudi", description="兜底: the civil-affairs early-warning pipeline"
    )
    parser.add_argument("--version", action="version", version=f"doudi {version('doudi')}")
    verbs = parser.add_subparsers(dest="verb")

    run = verbs.add_parser("run", help="materialise every asset for one period")
    run.add_argument("--period", required=True, help="YYYY-MM")
    run.add_argument(
        "--through", default=None, help="backfill: run every month from --period to this one"
    )
    run.add_argument(
        "--inbox", default=None, help="inbox folder (default data/inbox or $DOUDI_INBOX)"
    )
    run.add_argument("--out", default=None, help="output folder (default data/out or $DOUDI_OUT)")
    run.add_argument(
        "--replace",
        action="store_true",
        help="republish a period already published even when this inbox delivers fewer sources "
        "than its published run had (their earlier snapshots stand in)",
    )
    run.add_argument(
        "--recompute",
        action="store_true",
        help="reuse nothing of earlier months' work (the snapshots' unchanged rows, the "
        "medical window's state): every row normalised and keyed again; the same results",
    )
    run.set_defaults(func=cmd_run)

    gen = verbs.add_parser("generate", help="write synthetic extracts and their ground truth")
    gen.add_argument("--period", required=True, help="last period to generate, YYYY-MM")
    gen.add_argument("--months", type=int, default=1, help="consecutive periods ending at --period")
    gen.add_argument(
        "--scale", choices=["tiny", "small", "quarter", "half", "city"], default="tiny"
    )
    gen.add_argument("--seed", type=int, default=2026)
    gen.add_argument("--out", default=None, help="inbox folder to write (default data/inbox)")
    gen.set_defaults(func=cmd_generate)

    demo = verbs.add_parser("demo", help="generate a sample city and run it end to end")
    demo.add_argument("--period", default="2026-10")
    demo.add_argument("--months", type=int, default=2)
    demo.add_argument(
        "--scale", choices=["tiny", "small", "quarter", "half", "city"], default="small"
    )
    demo.add_argument("--seed", type=int, default=2026)
    demo.add_argument("--dir", default="data/demo", help="where the demo inbox and outputs go")
    demo.set_defaults(func=cmd_demo)

    fit = verbs.add_parser(
        "repair-fit", help="fit the identity-repair model again on one period (new version)"
    )
    fit.add_argument("--period", required=True, help="YYYY-MM, a period already run")
    fit.add_argument("--inbox", default=None)
    fit.add_argument("--out", default=None, help="output folder (default data/out or $DOUDI_OUT)")
    fit.set_defaults(func=cmd_repair_fit)

    ui = verbs.add_parser("ui", help="the Dagster UI on this project")
    ui.add_argument("--inbox", default=None)
    ui.add_argument("--out", default=None)
    ui.add_argument("--host", default="127.0.0.1")
    ui.add_argument("--port", type=int, default=3000)
    ui.set_defaults(func=cmd_ui)

    args = parser.parse_args(argv)
    if args.verb is None:
        parser.print_help()
        return 2
    started = time.perf_counter()
    status = args.func(args)
    if args.verb != "ui":
        print(
            f"[doudi {args.verb}: {'ok' if status == 0 else 'FAILED'} in {time.perf_counter() - started:.1f}s]"
        )
    return status


if __name__ == "__main__":
    sys.exit(main())
