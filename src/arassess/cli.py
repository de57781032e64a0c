"""The ``arassess`` command line: a thin layer over the library.

Errors the user can act on (the project's :class:`~arassess.errors.ArassessError` family) print
one paragraph and exit 1 (2 for usage errors); ``--debug`` anywhere on the command line, or
ARASSESS_DEBUG=1, shows the full traceback instead. Any other exception is a bug: its traceback is
printed with how to report it, exit 3.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import sys
import traceback
from pathlib import Path

import click
import pandas as pd

from arassess.config.client import ClientConfig, load_config
from arassess.display.format import money_text
from arassess.errors import ArassessError, RejectionLimitError, writing
from arassess.inputs.intake import as_of_notes, load_ledger
from arassess.kpi.benchmarks import benchmark_set
from arassess.kpi.engine import compute_kpis
from arassess.kpi.scorecard import aging_text, scorecard, scorecard_text, totals_text
from arassess.ledger.quality import summarize_problems
from arassess.serving import CULL_IDLE_SECONDS, DEBUG_ENV, debug_wanted, voila_command
from arassess.tempdirs import exit_on_sigterm, sweep

DEBUG_FLAG = "--debug"
REPORT_BUG = ("This is a bug in arassess, not a problem with your data. Please report it with the "
              "traceback above, the command you ran and, if you can, a small export that shows it.")


def _debug_wanted(args: list[str]) -> bool:
    """``--debug`` anywhere before a ``--`` on the command line, or ARASSESS_DEBUG=1 (or true/yes)."""
    cut = args.index("--") if "--" in args else len(args)
    return DEBUG_FLAG in args[:cut] or debug_wanted()


class _Group(click.Group):
    """Turns the project's errors (ArassessError) into one clear paragraph; anything else is a
    bug: its traceback is shown with how to report it. ``--debug`` (anywhere on the command line)
    or ARASSESS_DEBUG=1 shows the traceback of the project's errors too."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta["debug"] = _debug_wanted(args)
        cut = args.index("--") if "--" in args else len(args)
        args = [a for a in args[:cut] if a != DEBUG_FLAG] + args[cut:]
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context):  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except ArassessError as exc:
            if ctx.meta.get("debug"):
                raise
            click.echo(f"Error: {exc}", err=True)
            if isinstance(exc, RejectionLimitError):
                click.echo("\nControl totals:\n" + totals_text(exc.report), err=True)
            sys.exit(1)
        except (click.exceptions.Exit, click.ClickException, click.exceptions.Abort, KeyboardInterrupt):
            raise
        except Exception:  # noqa: BLE001 - not one of ours: a bug, shown whole
            traceback.print_exc()
            click.echo(f"\n{REPORT_BUG}", err=True)
            sys.exit(3)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True,
              help="Show full tracebacks on errors (also anywhere after the command, or ARASSESS_DEBUG=1).")
@click.version_option(package_name="arassess")
def main(debug: bool) -> None:
    """arassess: accounts-receivable assessment from a client's ledger export.

    A CLIENT_DIR holds client.yaml and the data files it names
    (see templates/client/ for the intake kit).
    """
    exit_on_sigterm()  # a SIGTERM closes kernels, Chromium and temporary folders like Ctrl-C does
    sweep()  # temporary folders of arassess processes killed outright (SIGKILL)


def check_settings(config: ClientConfig) -> None:
    """Every section of client.yaml read by a later notebook, checked now (ConfigError naming the
    key): costs: (notebook 02), goals: (03), questionnaire: (01). The other sections are checked
    when client.yaml is read."""
    from arassess.assessment.maturity import load_questionnaire, score_maturity
    from arassess.costs.assumptions import assumptions_from_config
    from arassess.goals.targets import parse_overrides

    assumptions_from_config(config.costs)
    parse_overrides(config.goals, config.root / "client.yaml")
    if config.questionnaire:
        score_maturity(load_questionnaire(), config.questionnaire)


def _as_of(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"expected a date as YYYY-MM-DD, got {value!r}") from None


@main.command()
@click.argument("client_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--export", "export_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write every problem (file, row, column, value, problem) to this CSV.")
@click.option("--rejected-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Write each file's rejected rows, as read, with their problems to DIR/<file>.rejected.csv.")
@click.option("--max-rejected-share", type=click.FloatRange(0, 1), default=None,
              help="Override validation.max_rejected_share for this check.")
def validate(client_dir: Path, export_path: Path | None, rejected_dir: Path | None,
             max_rejected_share: float | None) -> None:
    """Check CLIENT_DIR's data and print the data-quality report.

    Exit code 0 when every row is accepted, 1 when any row is rejected or the
    data cannot be loaded.
    """
    config = load_config(client_dir)
    check_settings(config)  # a typo under costs:, goals: or questionnaire: is found now, not in a notebook
    try:
        ledger = load_ledger(config, max_rejected_share=max_rejected_share)
        report, stopped = ledger.quality, None
    except RejectionLimitError as exc:
        report, stopped = exc.report, str(exc).split("\n")[0]
    click.echo(f"Data quality: {config.name} ({client_dir})\n")
    click.echo("Control totals (rows and amounts read = accepted + rejected):")
    click.echo(totals_text(report))
    for note in report.notes:
        click.echo(f"note: {note}")
    click.echo(f"\n{len(report.problems):,} problem(s) on "
               f"{sum(t.rows_rejected for t in report.totals):,} rejected row(s)")
    if not report.problems.empty:
        click.echo(summarize_problems(report.problems, limit=30))
    if export_path is not None:
        report.export(export_path)
        click.echo(f"\nAll problems written to {export_path}")
    if rejected_dir is not None:
        for path in report.export_rejected(rejected_dir):
            click.echo(f"Rejected rows written to {path}")
    if stopped:
        click.echo(f"\nLoad stopped: {stopped}")
    sys.exit(0 if report.ok and not stopped else 1)


@main.command()
@click.argument("client_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--as-of", "as_of", help="Assessment date YYYY-MM-DD (default: as_of in client.yaml).")
@click.option("--window", "window_days", type=click.IntRange(1, 3660), default=None,
              help="Window N in days for DSO, CEI and settlement KPIs (default: kpis.window_days, 90).")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table",
              show_default=True, help="Output format.")
def kpis(client_dir: Path, as_of: str | None, window_days: int | None, fmt: str) -> None:
    """Print the KPI scorecard of CLIENT_DIR at an as-of date, with control totals."""
    config = load_config(client_dir)
    date = _as_of(as_of) or config.as_of
    if date is None:
        raise click.UsageError("no --as-of given and client.yaml has no as_of")
    ledger = load_ledger(config)
    window = window_days or config.window_days
    table = compute_kpis(ledger, pd.Timestamp(date), window_days=window, aging_edges=config.aging_edges)
    warnings = as_of_notes(ledger.invoices, ledger.shape, pd.Timestamp(date), config.currency)
    for warning in warnings:
        click.echo(warning, err=True)
    if fmt == "table":
        click.echo(f"{config.name}: KPI scorecard at {date:%Y-%m-%d} "
                   f"(window {window} days, amounts in {config.currency}, "
                   f"{'full ledger' if ledger.shape == 'ledger' else 'open-items export'})\n")
        click.echo("Control totals (rows and amounts read = accepted + rejected):")
        click.echo(totals_text(ledger.quality))
        if not ledger.quality.problems.empty:
            click.echo(f"{len(ledger.quality.problems):,} problem(s) on rejected rows; "
                       f"see `arassess validate {client_dir}`.")
        click.echo("\nKPIs:")
        click.echo(scorecard_text(table, benchmarks=benchmark_set(config.industry, config.region)))
        click.echo("\nAging of open AR:")
        click.echo(aging_text(table))
        return
    card = scorecard(table, benchmarks=benchmark_set(config.industry, config.region))
    if fmt == "csv":
        click.echo(card.to_csv(index=False), nl=False)
        return
    payload = {
        "client": config.name,
        "as_of": f"{date:%Y-%m-%d}",
        "window_days": window,
        "currency": config.currency,
        "shape": ledger.shape,
        "warnings": warnings,
        "control_totals": ledger.quality.totals_frame().to_dict(orient="records"),
        "kpis": [{k: (None if isinstance(v, float) and pd.isna(v) else v) for k, v in rec.items()}
                 for rec in card.to_dict(orient="records")],
        "aging": {k: float(v) for k, v in table.aging.iloc[-1].items()},
    }
    click.echo(json.dumps(payload, indent=2, default=str))


@main.command("risk")
@click.argument("client_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--as-of", "as_of", help="Scoring date YYYY-MM-DD (default: as_of in client.yaml).")
@click.option("--top", type=click.IntRange(1, 10_000), default=15, show_default=True,
              help="How many of the riskiest customers to list.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def risk_command(client_dir: Path, as_of: str | None, top: int, fmt: str) -> None:
    """Fit, validate and print the late-payment risk scores of CLIENT_DIR.

    The model (risk: in client.yaml; method in arassess.risk.model) is trained on invoices due before a
    cut-off and tested on those due after it against each customer's past late share; the scores
    come from whichever of the two predicted better. Nothing is written.
    """
    from arassess.risk import tables as risktables
    from arassess.risk.model import assess_risk

    config = load_config(client_dir)
    date = _as_of(as_of) or config.as_of
    if date is None:
        raise click.UsageError("no --as-of given and client.yaml has no as_of")
    result = assess_risk(load_ledger(config), pd.Timestamp(date), config.risk)
    if fmt == "json":
        click.echo(json.dumps({"client": config.name, "as_of": f"{date:%Y-%m-%d}", **result.summary(top)},
                              indent=2, default=str))
        return
    click.echo(f"{config.name}: late-payment risk at {date:%Y-%m-%d} "
               f"(late = paid more than {config.risk.threshold_days} days after the due date)\n")
    if not result.available:
        click.echo(f"Not available: {result.reason}")
        return
    split = result.split
    click.echo(f"{result.reason}\nCut-off {split['cutoff']:%Y-%m-%d}: {split['train_rows']:,} invoices to train, "
               f"{split['test_rows']:,} to test; fitted in {result.fit_seconds:.1f} s.\n")
    click.echo(risktables.validation_table(result.validation).to_string(index=False))
    if len(result.age_check):
        click.echo("\nInvoices still unpaid some days after their due date (test period): probability at issue, "
                   "after the age update, and the share paid late")
        click.echo(risktables.age_table(result.age_check).to_string(index=False))
    click.echo("\nCustomers by band:")
    click.echo(_text_table(risktables.band_table(result.band_counts(), config.currency)))
    c = risktables.customer_table(result.customers, config.currency, top)
    click.echo(f"\nThe {len(c)} riskiest customers:")
    click.echo(_text_table(c))


def _text_table(frame: pd.DataFrame) -> str:
    """A frame as plain text for the terminal: whole numbers with thousands separators, text
    columns left-aligned (numbers right-aligned)."""
    text = frame.select_dtypes(include=["object", "string"]).columns
    left = {c: f"{{:<{max([len(str(c)), *frame[c].astype(str).str.len()])}}}".format for c in text}
    return frame.to_string(index=False, float_format=lambda v: money_text(v, ""), formatters=left,
                           justify="left", na_rep="")


@main.command("forecast")
@click.argument("client_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--as-of", "as_of", help="Forecast date YYYY-MM-DD (default: as_of in client.yaml).")
@click.option("--weeks", type=click.IntRange(1, 13), default=13, show_default=True, help="Weeks to show.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
def forecast_command(client_dir: Path, as_of: str | None, weeks: int, fmt: str) -> None:
    """Print the receipts expected from the open invoices of CLIENT_DIR, week by week.

    Each open invoice is expected when its customer usually pays, given how late it already is; the
    forecast is tested at the last 12 month-ends against what came in, and where it does not beat
    both naive methods (due dates; the last 13 weeks repeated) the better of those is shown instead
    (method in arassess.forecast.model). With forecast.include_new_sales: true in client.yaml the
    receipts from invoices not yet issued are added, with their own backtest. Nothing is written.
    """
    from arassess.forecast import tables as forecasttables
    from arassess.forecast.model import forecast

    config = load_config(client_dir)
    date = _as_of(as_of) or config.as_of
    if date is None:
        raise click.UsageError("no --as-of given and client.yaml has no as_of")
    result = forecast(load_ledger(config), pd.Timestamp(date), config.currency,
                      include_new_sales=config.include_new_sales)
    table = forecasttables.weeks_table(result, weeks)
    if fmt == "json":
        payload = result.summary()
        payload["weeks"] = payload["weeks"][:weeks]
        click.echo(json.dumps({"client": config.name, **payload}, indent=2, default=str))
        return
    if fmt == "csv":
        click.echo(table.to_csv(index=False, date_format="%Y-%m-%d"), nl=False)
        return
    click.echo(f"{config.name}: receipts expected from the {money_text(result.open_total, config.currency)} "
               f"open at {date:%Y-%m-%d}\n")
    click.echo(f"{result.reason}\n")
    if len(result.accuracy):
        click.echo(_text_table(forecasttables.accuracy_table(result)) + "\n")
    shown = table.assign(From=table["From"].dt.strftime("%Y-%m-%d"), To=table["To"].dt.strftime("%Y-%m-%d"))
    click.echo(_text_table(shown))
    click.echo(f"\nTotal in {weeks} week(s): {money_text(float(table.iloc[:, 3].sum()), config.currency)}")


@main.command()
@click.argument("notebook", type=click.Choice(["assess", "costs", "goals", "plan"]))
@click.argument("client_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--as-of", "as_of", help="Assessment date YYYY-MM-DD (default: as_of in client.yaml).")
@click.option("--scenario", metavar="NAME", default=None,
              help="costs only: re-run a scenario saved from the dashboard (CLIENT_DIR/scenarios/NAME.yaml).")
@click.option("-p", "--parameter", "params", type=(str, str), multiple=True, metavar="NAME VALUE",
              help="Set a notebook parameter (repeatable); VALUE is read as YAML, as papermill does.")
@click.option("--runs-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("runs"),
              show_default=True, help="Where run folders are created.")
def run(notebook: str, client_dir: Path, as_of: str | None, scenario: str | None,
        params: tuple[tuple[str, str], ...], runs_dir: Path) -> None:
    """Execute a notebook for CLIENT_DIR into a new run folder, with an HTML copy (code hidden).

    NOTEBOOK: assess = 01_assess_current_process, costs = 02_inhouse_vs_agency
    (with --scenario NAME, a scenario saved from the dashboard), goals =
    03_set_goals, plan = 04_action_plan (writes worklist.xlsx and letters/).
    Earlier runs are never overwritten; a failing cell keeps the executed notebook
    in the run folder. `arassess assess` runs all four and builds the report.
    """
    import yaml

    from arassess.run.notebooks import run_notebook

    date = _as_of(as_of)
    parameters = {name: yaml.safe_load(value) for name, value in params}
    click.echo(f"Running {notebook} for {client_dir} ...", err=True)
    result = run_notebook(notebook, client_dir, as_of=date.isoformat() if date else None,
                          parameters=parameters, runs_dir=runs_dir, progress=True, scenario=scenario)
    click.echo(f"Run folder: {result.run_dir}")
    click.echo(f"Notebook:   {result.notebook}")
    click.echo(f"HTML:       {result.html}")


@main.command("assess")
@click.argument("client_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--as-of", "as_of", help="Assessment date YYYY-MM-DD (default: as_of in client.yaml).")
@click.option("--paper", type=click.Choice(["A4", "Letter"]), default="A4", show_default=True,
              help="Page size of the PDF report.")
@click.option("--no-pdf", is_flag=True, help="Write the HTML report only (no Chromium needed).")
@click.option("--runs-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("runs"),
              show_default=True, help="Where run folders are created.")
def assess_command(client_dir: Path, as_of: str | None, paper: str, no_pdf: bool, runs_dir: Path) -> None:
    """The main job: notebooks 01-04 for CLIENT_DIR into one new run folder, then the
    client-ready report (HTML with charts embedded, and PDF), the Excel worklist and the
    letters. Prints the paths at the end; an earlier run is never touched."""
    from tqdm import tqdm

    from arassess.run.pipeline import STEP_LABELS, STEPS, run_assessment

    date = _as_of(as_of)
    steps = list(STEPS)
    with tqdm(total=len(steps), desc="arassess assess", unit="step", file=sys.stderr,
              bar_format="{desc}: {n}/{total} {bar} {elapsed}") as bar:
        def step(name: str) -> None:
            if bar.n or name != steps[0]:
                bar.update(1)
            bar.set_description(f"arassess assess: {STEP_LABELS[name]}")

        result = run_assessment(client_dir, as_of=date.isoformat() if date else None, runs_dir=runs_dir,
                                paper=paper, pdf=not no_pdf, on_step=step)
        bar.update(1)
        bar.set_description("arassess assess: done")
    for line in result.lines():
        click.echo(line)


@main.command()
@click.option("--port", type=click.IntRange(1024, 65535), default=8866, show_default=True,
              help="Port on 127.0.0.1.")
@click.option("--notebook", type=click.Choice(["all", "assess", "costs", "goals"]), default="all",
              show_default=True,
              help="Serve one notebook as the dashboard, or the notebooks folder to choose from.")
@click.option("--open-browser/--no-browser", default=False, help="Open a browser tab.")
@click.option("--cull-idle", type=click.IntRange(0, 86_400), default=CULL_IDLE_SECONDS, show_default=True,
              help="Stop a dashboard's kernel this many seconds after its page was closed (each holds ~300 MB); "
                   "0 keeps kernels until the server stops.")
@click.option("--preheat", type=click.IntRange(0, 64), default=0, show_default=True,
              help="Keep this many kernels per dashboard served (with --notebook all: each of the five) started ahead "
                   "of the pages, each ~220 MB while it waits: a page opens on a kernel that has already started "
                   "and imported everything. For a workshop, about the number of people who open it at once.")
def serve(port: int, notebook: str, open_browser: bool, cull_idle: int, preheat: int) -> None:
    """Serve the dashboards with Voila on 127.0.0.1 (code hidden): by default a landing page with the
    client folders of this folder and a card per dashboard. Ctrl-C or SIGTERM stops it and every
    kernel. Uploads up to 200 MB are accepted (UPLOAD_LIMIT_MB). With --debug the dashboards also
    show their own timings. For a workshop, --notebook assess --preheat 20 lets twenty people open
    the assessment at once (bench/README.md has the measurements)."""
    from arassess.paths import NOTEBOOKS_DIR, WORKSPACE_ENV
    from arassess.run.notebooks import notebook_path

    target = NOTEBOOKS_DIR if notebook == "all" else notebook_path(notebook)
    click.echo(f"Serving {target} at http://127.0.0.1:{port}/ (sources hidden). Ctrl-C to stop.", err=True)
    if preheat:
        count = preheat * (len(list(NOTEBOOKS_DIR.glob("*.ipynb"))) if notebook == "all" else 1)
        # measured on 2 cores: 21 kernels of notebook 01 started and imported in 76 s
        click.echo(f"Starting {count} kernel(s) ahead of the pages ({preheat} per dashboard, ~220 MB each); on a "
                   f"2-core machine allow about {math.ceil(count * 4 / 60)} minute(s) before the first people "
                   "arrive.", err=True)
    command = voila_command(target, port, open_browser=open_browser, cull_idle=cull_idle, preheat=preheat)
    # the dashboards list the client folders of the folder serve was started in (WORKSPACE_ENV)
    os.environ.setdefault(WORKSPACE_ENV, str(Path.cwd()))
    if click.get_current_context().meta.get("debug"):
        os.environ[DEBUG_ENV] = "1"  # the kernels show their timings
    os.chdir(NOTEBOOKS_DIR)
    # this process becomes Voila: a SIGTERM to its PID stops Voila, which stops its kernels (a child
    # process would be orphaned, still holding the port and the kernels)
    os.execv(command[0], command)




@main.command()
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder to write the client into (must be new or hold only a previous sample).")
@click.option("--seed", type=int, default=7, show_default=True, help="Random seed (same seed, same files).")
@click.option("--invoices", "n_invoices", type=click.IntRange(100, 5_000_000), default=24000,
              show_default=True, help="Number of invoices.")
@click.option("--customers", "n_customers", type=click.IntRange(20, 200_000), default=150, show_default=True,
              help="Number of customers.")
@click.option("--open-items", is_flag=True, help="Write the small open-items sample instead of a full ledger.")
def sample(out_dir: Path, seed: int, n_invoices: int, n_customers: int, open_items: bool) -> None:
    """Generate a realistic sample client folder (client.yaml + CSV files)."""
    from arassess.inputs.sample import write_open_items_client, write_sample_client

    with writing(out_dir, "the sample client"):
        if open_items:
            path = write_open_items_client(out_dir, seed=seed)
        else:
            path = write_sample_client(out_dir, seed=seed, n_invoices=n_invoices, n_customers=n_customers)
    click.echo(f"Sample client written to {path}")


@main.command()
@click.argument("client_dir", type=click.Path(file_okay=False, path_type=Path))
def init(client_dir: Path) -> None:
    """Start a client folder: write the intake kit into CLIENT_DIR (client.yaml with comments to fill
    in, and README.md listing the files to request from the client). Nothing is written over."""
    from arassess.paths import TEMPLATES_DIR

    kit = TEMPLATES_DIR / "client"
    names = ("client.yaml", "README.md")
    taken = [client_dir / n for n in names if (client_dir / n).exists()]
    if taken:
        raise click.ClickException(f"{taken[0]} already exists; arassess init never writes over a file. "
                                   "Choose a new folder.")
    with writing(client_dir, "the client folder"):
        client_dir.mkdir(parents=True, exist_ok=True)
        for name in names:
            with (client_dir / name).open("x", encoding="utf-8") as handle:
                handle.write((kit / name).read_text(encoding="utf-8"))
    click.echo(f"Intake kit written to {client_dir}: fill in client.yaml, put the client's export files "
               f"next to it (README.md lists them), then run `arassess validate {client_dir}`.")


def _workspace_paths(client_dir: Path, workspace: Path | None, store: Path | None,
                     runs_dir: Path | None) -> tuple[Path, Path, Path]:
    """A client's workspace (default: its folder's parent), store (default WORKSPACE/history.sqlite)
    and run folders (default WORKSPACE/runs)."""
    from arassess.monthly.batch import RUNS_DIR, default_store

    ws = workspace if workspace is not None else client_dir.resolve().parent
    return ws, store if store is not None else default_store(ws), runs_dir if runs_dir is not None else ws / RUNS_DIR


@main.command("monthly")
@click.argument("client_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--month", metavar="YYYY-MM", help="The month to review (its month-end is the snapshot date).")
@click.option("--backfill", nargs=2, metavar="FROM TO", default=None,
              help="Instead of a review: store the snapshots of every month-end FROM..TO (YYYY-MM each), "
                   "computed point-in-time from the ledger, so a new client starts with a history.")
@click.option("--workspace", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Workspace folder (default: the client folder's parent).")
@click.option("--store", "store", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="History store (default: WORKSPACE/history.sqlite).")
@click.option("--runs-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where run folders are created (default: WORKSPACE/runs).")
def monthly_command(client_dir: Path, month: str | None, backfill: tuple[str, str] | None,
                    workspace: Path | None, store: Path | None, runs_dir: Path | None) -> None:
    """One client's monthly review, or a backfill of its history.

    With --month: notebook 05 (monthly review) for CLIENT_DIR into a new run folder
    RUNS/<client>/<month-end>_<stamp>/ — the notebook, its HTML, the monthly report and the
    updated worklist — after recording the month's KPI snapshot in the history store
    (re-running a month replaces that month's snapshot only).

    With --backfill FROM TO: no notebook; every month-end from FROM to TO is computed from
    the ledger as it stood on that date, in one pass, and written to the store in one
    transaction (earlier snapshots of those months are replaced; the count is printed).
    """
    if (month is None) == (backfill is None):
        raise click.UsageError("give either --month YYYY-MM or --backfill FROM TO")
    ws, store_path, runs = _workspace_paths(client_dir, workspace, store, runs_dir)
    if backfill is not None:
        _backfill(client_dir, backfill, store_path)
        return
    from arassess.monthly.batch import run_client_month
    from arassess.monthly.review import month_end

    end = month_end(month)
    click.echo(f"Monthly review {end:%Y-%m} for {client_dir} ...", err=True)
    result = run_client_month(client_dir, f"{end:%Y-%m}", ws, store_path, runs, progress=True)
    click.echo(f"Run folder: {result.run_dir}")
    click.echo(f"Notebook:   {result.notebook}")
    click.echo(f"HTML:       {result.html}")
    for label, name in (("Report:", "monthly_report.html"), ("Report PDF:", "monthly_report.pdf"),
                        ("Worklist:", "worklist.xlsx")):
        if (result.run_dir / name).is_file():
            click.echo(f"{label:<11} {result.run_dir / name}")
    click.echo(f"Store:      {store_path}")


def _backfill(client_dir: Path, months: tuple[str, str], store_path: Path) -> None:
    """``arassess monthly --backfill``: snapshots of every month-end in the range, one write."""
    from tqdm import tqdm

    from arassess.assessment.case import load
    from arassess.monthly.review import backfill_snapshots, month_end
    from arassess.monthly.store import HistoryStore

    first, last = month_end(months[0]), month_end(months[1])
    if first > last:
        raise click.BadParameter(f"FROM ({months[0]}) is after TO ({months[1]})", param_hint="--backfill")
    run_id = f"backfill_{dt.datetime.now():%Y%m%d-%H%M%S}"
    with tqdm(total=3, desc="arassess backfill: load ledger", unit="step", file=sys.stderr,
              bar_format="{desc}: {n}/{total} {bar} {elapsed}") as bar:
        config, ledger = load(client_dir)
        bar.update(1)
        bar.set_description(f"arassess backfill: compute {first:%Y-%m}..{last:%Y-%m}")
        snapshots = backfill_snapshots(config, ledger, first, last, run_id)
        bar.update(1)
        bar.set_description(f"arassess backfill: write {store_path.name}")
        store = HistoryStore(store_path)
        earlier = set(store.months(config.slug))
        store.write_many(snapshots)
        bar.update(1)
        bar.set_description("arassess backfill: done")
    replaced = sum(s.month_end in earlier for s in snapshots)
    click.echo(f"{len(snapshots)} month(s) written for {config.slug} ({first:%Y-%m} to {last:%Y-%m}, "
               f"run {run_id}) into {store_path}"
               + (f"; {replaced} replaced earlier snapshots of the same months" if replaced else ""))


@main.command("action")
@click.argument("client_dir", type=click.Path(file_okay=False, path_type=Path))
@click.argument("action_id")
@click.option("--status", type=click.Choice(["planned", "started", "done", "dropped"]), required=True)
@click.option("--date", "when", metavar="YYYY-MM-DD", default=None, help="When it became so (default: today).")
@click.option("--note", default="", help="A remark (required for a dropped action: its reason).")
def action_command(client_dir: Path, action_id: str, status: str, when: str | None, note: str) -> None:
    """Record what became of ACTION_ID (an id of the action plan) in CLIENT_DIR/actions.yaml.

    The previous actions.yaml is kept as actions.<date-time>.yaml. The monthly review reads the
    log: done and dropped actions leave its "late" list, a dropped one shows its reason.
    """
    from arassess.plan.store import save_action_status

    load_config(client_dir)  # a client folder, before anything is written into it
    path, backup = save_action_status(client_dir, action_id, status, _as_of(when) if when else None, note)
    click.echo(f"{action_id}: {status} — written to {path}" + (f" (previous file kept as {backup.name})" if backup
                                                              else ""))


@main.command("batch")
@click.argument("workspace", type=click.Path(file_okay=False, path_type=Path))
@click.option("--month", required=True, metavar="YYYY-MM", help="The month to review.")
@click.option("--workers", type=click.IntRange(1, 256), default=None,
              help="Local worker processes (default: the number of CPUs).")
@click.option("--scheduler", metavar="ADDRESS", default=None,
              help="Run on an existing Dask distributed cluster instead, e.g. tcp://host:8786 "
                   "(needs the 'dask' extra; workers must see WORKSPACE at the same path).")
@click.option("--store", "store", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="History store (default: WORKSPACE/history.sqlite).")
@click.option("--runs-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where run folders are created (default: WORKSPACE/runs).")
@click.option("--cell-timeout", "cell_timeout", type=click.FloatRange(1, None), default=1800.0, show_default=True,
              metavar="SECONDS", help="Stop a notebook cell that runs longer than this; its client fails, the others "
                                      "finish.")
def batch_command(workspace: Path, month: str, workers: int | None, scheduler: str | None,
                  store: Path | None, runs_dir: Path | None, cell_timeout: float) -> None:
    """The monthly review of every client folder in WORKSPACE (its sub-folders holding
    client.yaml), in parallel: local processes, or a Dask cluster with --scheduler.

    Each client gets a new run folder and its snapshot in the shared history store. One
    client's failure never stops the others. A table at the end lists each client's status,
    run folder and error; the exit code is 1 if any client failed.
    """
    from arassess.monthly.batch import run_batch, summary_table
    from arassess.monthly.review import month_end

    if workers is not None and scheduler:
        raise click.UsageError("--workers is for local processes; with --scheduler the cluster's workers "
                               "run the clients")
    month = f"{month_end(month):%Y-%m}"  # a bad month stops here, before the log header
    started = dt.datetime.now()
    target = f"Dask scheduler {scheduler}" if scheduler else f"{workers or os.cpu_count()} local worker(s)"
    click.echo(f"arassess batch {workspace} --month {month}: started {started:%Y-%m-%d %H:%M:%S} on {target}")
    results = run_batch(workspace, month, workers=workers, scheduler=scheduler, store_path=store,
                        runs_dir=runs_dir, progress=True, cell_timeout=cell_timeout)
    click.echo(summary_table(results))
    click.echo(f"finished {dt.datetime.now():%Y-%m-%d %H:%M:%S} "
               f"({(dt.datetime.now() - started).total_seconds():.0f} s)")
    sys.exit(0 if all(r.ok for r in results) else 1)


@main.command("schedule")
@click.argument("workspace", type=click.Path(file_okay=False, path_type=Path), default=Path("."))
@click.option("--format", "fmt", type=click.Choice(["all", "cron", "systemd"]), default="all",
              show_default=True, help="What to print: both, only the crontab line, or only the units.")
@click.option("--day", type=click.IntRange(1, 28), default=2, show_default=True, help="Day of the month.")
@click.option("--time", "at", default="06:00", show_default=True, metavar="HH:MM", help="Time of day.")
@click.option("--workers", type=click.IntRange(1, 256), default=None, help="Passed to arassess batch.")
@click.option("--scheduler", metavar="ADDRESS", default=None, help="Passed to arassess batch.")
def schedule_command(workspace: Path, fmt: str, day: int, at: str, workers: int | None,
                     scheduler: str | None) -> None:
    """Print a ready crontab line and a systemd service + timer pair that run
    `arassess batch WORKSPACE` (default: the current folder) every month for the month
    just ended, with this environment's arassess and its bin/ first on PATH, output
    appended to WORKSPACE/logs/arassess-batch.log. Default: 06:00 on the 2nd.

    \b
    Install the crontab line (cron, as your user):
      (crontab -l 2>/dev/null; arassess schedule WORKSPACE --format cron) | crontab -
      crontab -l                      # check
    \b
    Or install the systemd units (user units; they run as you):
      mkdir -p ~/.config/systemd/user
      save the two units printed as ~/.config/systemd/user/arassess-batch.service
      and ~/.config/systemd/user/arassess-batch.timer, then
      systemctl --user daemon-reload
      systemctl --user enable --now arassess-batch.timer
      loginctl enable-linger $USER    # run even when you are not logged in
      systemctl --user list-timers    # next run
      systemctl --user start arassess-batch.service   # run once now, to test
    (System-wide: /etc/systemd/system/, add User= to [Service], and drop --user.)

    A run exits 1 when any client failed: cron mails its owner (if mail is set up),
    systemd marks the service failed. Read the log for the summary table.
    """
    from arassess.monthly.cron import crontab_line, log_path, systemd_units

    try:
        hour, minute = (int(part) for part in at.split(":"))
    except ValueError:
        raise click.BadParameter(f"expected HH:MM, got {at!r}", param_hint="--time") from None
    ws = workspace.resolve()
    when = {"day": day, "hour": hour, "minute": minute, "workers": workers, "scheduler": scheduler}
    line = crontab_line(ws, **when)
    service, timer = systemd_units(ws, **when)
    if fmt == "cron":
        click.echo(line)
        return
    if fmt == "systemd":
        click.echo(f"# arassess-batch.service\n{service}\n# arassess-batch.timer\n{timer}", nl=False)
        return
    click.echo(f"# Monthly arassess batch for {ws}; log: {log_path(ws)}\n")
    click.echo("# crontab line (crontab -e, or see arassess schedule --help):")
    click.echo(line + "\n")
    click.echo("# ~/.config/systemd/user/arassess-batch.service")
    click.echo(service)
    click.echo("# ~/.config/systemd/user/arassess-batch.timer")
    click.echo(timer, nl=False)


if __name__ == "__main__":  # pragma: no cover
    main()
