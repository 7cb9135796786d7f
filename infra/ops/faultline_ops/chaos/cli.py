"""`faultline chaos list` and `faultline chaos run EXPERIMENT [--backend local|k8s] [--short]`."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .. import settings as settings_module
from ..errors import StackError
from . import experiment as experiments


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="faultline chaos",
        description="Break the running stack on purpose, under load, and judge how it copes. Experiments live in "
                    "infra/chaos/experiments/; each run writes reports/chaos/<timestamp>-<experiment>/.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("list", help="the experiments and what each does")
    run = commands.add_parser("run", help="run one experiment and print its verdict (exit 0 PASS, 1 FAIL, 3 ABORTED)")
    run.add_argument("experiment", help="a name from `faultline chaos list`, or a path to a YAML file")
    run.add_argument("--backend", choices=("local", "k8s"), default="local",
                     help="local: the `make up` stack (supervisord, Toxiproxy); k8s: the current kube context")
    run.add_argument("--short", action="store_true", help="the short form (seconds per fault), as the tests run it")
    run.add_argument("--reports", type=Path, default=None, help="folder for report folders (default reports/chaos)")
    run.add_argument("--json", action="store_true", help="print the run's figures as JSON at the end")
    table = commands.add_parser("table", help="one markdown table across finished runs (their report folders)")
    table.add_argument("reports", nargs="+", type=Path,
                       help="report folders (reports/chaos/<timestamp>-<experiment>) or their summary.md")
    return parser


def _resolve(name: str, repo: Path) -> Path:
    path = Path(name)
    if path.suffix in (".yaml", ".yml") and path.exists():
        return path
    found = experiments.available(repo)
    if name not in found:
        raise experiments.ExperimentError(f"no experiment {name!r}; known: {', '.join(found) or 'none'}")
    return found[name]


def list_experiments(repo: Path, profile: str = "default") -> int:
    """The experiments the running profile can run on stdout (what `make chaos-all` runs); the others on stderr."""
    for name, path in experiments.available(repo).items():
        exp = experiments.load(path)
        if exp.profile in ("default", profile):
            print(f"{name:<18} {exp.title}")
        else:
            print(f"{name:<18} (needs the {exp.profile} profile: make up UP_ARGS=--{exp.profile}) {exp.title}",
                  file=sys.stderr)
    return 0


def table(paths: list[Path]) -> int:
    from . import report

    runs = []
    for path in paths:
        folder = path.parent if path.is_file() else path
        try:
            runs.append(json.loads((folder / "run.json").read_text()))
        except (OSError, ValueError) as error:
            print(f"faultline chaos table: {folder}: no readable run.json ({error})", file=sys.stderr)
            return 2
    print(report.runs_table(runs))
    return 0


def run(args: argparse.Namespace, stack) -> int:
    from . import report
    from .backends import backend_for
    from .phase import PhaseFile
    from .runner import Runner

    exp = experiments.load(_resolve(args.experiment, stack.repo), short=args.short)
    if args.backend == "local" and exp.profile == "ha" and not stack.ha:
        print(f"ABORTED: {exp.name} needs the HA profile (three Kafka nodes, Redis with Sentinels): "
              f"`make clean && make up UP_ARGS=--ha` first")
        return 3
    backend = backend_for(args.backend, stack)
    print(f"chaos: {exp.name} ({'short' if exp.short else 'full'} form, {args.backend} backend): {exp.title}",
          flush=True)
    phases = PhaseFile(stack.home / "chaos" / "current.json", exp.name, args.backend)
    result = Runner(stack, backend, exp, say=lambda line: print(line, flush=True), on_phase=phases).run()
    folder = report.write(result, args.reports or stack.reports / "chaos")
    figures = report.figures(result)
    phases.finish(result.verdict, f"report {folder / 'summary.md'}")
    print(f"\n{result.verdict}: {exp.name}; checkouts failed {figures['failed_checkouts']} of "
          f"{figures['checkouts']}, requests failed {figures['failed_requests']}, recovery "
          f"{report.seconds(result.recovery_s, 'n/a')}, first success "
          f"{report.seconds(figures['first_success_s'], 'n/a')}, backlog drained "
          f"{report.seconds(figures['backlog_drained_s'], 'n/a')}, orders lost "
          f"{figures['orders_lost']}, duplicated {figures['orders_duplicated']}")
    print(f"report: {folder / 'summary.md'}")
    if args.json:
        print(json.dumps({**figures, "report": str(folder)}, indent=2))
    return {"PASS": 0, "FAIL": 1}.get(result.verdict, 3)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        stack = settings_module.from_env()
        if args.command == "list":
            return list_experiments(stack.repo, stack.profile)
        if args.command == "table":
            return table(args.reports)
        return run(args, stack)
    except (experiments.ExperimentError, ValueError) as error:
        print(f"faultline chaos: {error}", file=sys.stderr)
        return 2
    except StackError as error:
        print(f"faultline chaos: {error}", file=sys.stderr)
        return 1
