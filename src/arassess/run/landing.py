"""The landing page of ``arassess serve``: the client folders found, and one card per dashboard with
its headline figure, in the consultancy's colours — no file names.

Voila serves it: ``arassess serve`` uses the Voila template ``arassess`` (``templates/jupyter/voila/
templates/arassess``), whose tree page (the server's root) shows ``page_config["arassess_landing"]``;
:func:`page_config_hook` (Voila's ``VoilaConfiguration.page_config_hook``, set in
``templates/jupyter/voila.py``) puts this module's HTML there. Headline figures come from the
client's latest complete run under ``runs/`` of the folder serve was started in (the summaries that
``arassess assess`` writes); a client not yet run says the dashboard computes them when opened.

A dashboard page is titled "Client — Dashboard" in the browser: :func:`page_config_hook` gives the
page the notebook's title and the client names (:func:`page_titles`), and the template's script
picks the one its ``?client=`` names. (Voila's prelaunch hook, which sees the request, cannot be
used: Voila refuses it together with preheated kernels, ``arassess serve --preheat``.)
"""

from __future__ import annotations

import ast
import datetime as dt
import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, select_autoescape

from arassess.config.client import ClientConfig, load_config
from arassess.costs.words import STRATEGY_WORDS, strategy_words
from arassess.display.style import BRAND_COLOR, DEFAULT_COLORS
from arassess.errors import ArassessError
from arassess.paths import NOTEBOOKS_DIR, TEMPLATES_DIR, find_clients, resolve_client_dir, workspace

INCOMPLETE = "INCOMPLETE"  # marker file of a run that did not finish (arassess.run.pipeline)


@lru_cache(maxsize=8)
def notebook_title(notebook: str) -> str:
    """A notebook's title, written once in its metadata (``title``: Voila's page title too)."""
    try:
        return str(json.loads((NOTEBOOKS_DIR / notebook).read_text(encoding="utf-8"))["metadata"]["title"])
    except (OSError, ValueError, KeyError):
        return notebook.removesuffix(".ipynb")


@dataclass(frozen=True)
class Dashboard:
    """One dashboard: its notebook and what it answers; its title is the notebook's."""

    key: str
    notebook: str
    question: str

    @property
    def title(self) -> str:
        return notebook_title(self.notebook)


DASHBOARDS: tuple[Dashboard, ...] = (
    Dashboard("assess", "01_assess_current_process.ipynb",
              "How healthy is collection today: DSO, CEI, aging, payment behaviour, maturity."),
    Dashboard("costs", "02_inhouse_vs_agency.ipynb",
              "Collect overdue invoices in-house or hand them to an agency, and from when."),
    Dashboard("goals", "03_set_goals.ipynb",
              "Measurable targets with deadlines and owners, and the cash they free."),
    Dashboard("plan", "04_action_plan.ipynb",
              "What to do next: actions, the dunning ladder, the worklist and letters."),
    Dashboard("monthly", "05_monthly_review.ipynb",
              "Each month: progress against the goals and the actions that are late."),
)


@dataclass(frozen=True)
class ClientCard:
    """A client folder as the landing page shows it: name, date, and a headline per dashboard."""

    folder: str
    name: str
    as_of: str
    problem: str = ""
    headlines: Mapping[str, str] = field(default_factory=dict)
    run_date: str = ""


def latest_run(runs_dir: Path, folder: str) -> Path | None:
    """The newest complete run of client ``folder`` under ``runs_dir`` (run folders are named
    ``<as_of>_<timestamp>``; newest by timestamp), None when there is none."""
    root = runs_dir / folder
    if not root.is_dir():
        return None
    done = [p for p in root.iterdir() if p.is_dir() and "_" in p.name and not (p / INCOMPLETE).exists()
            and (p / "summary.json").is_file()]
    return max(done, key=lambda p: p.name.rsplit("_", 1)[1], default=None)


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def headlines(run: Path) -> dict[str, str]:
    """One headline per dashboard from a run's summaries (missing pieces are left out):
    DSO and CEI; the recommendation; the DSO goal; the actions and the worklist."""
    out: dict[str, str] = {}
    kpis = _read(run / "summary.json").get("kpis") or {}
    dso, cei = _number(kpis.get("dso")), _number(kpis.get("cei"))
    if dso is not None:
        out["assess"] = f"DSO {dso:.1f} days" + (f" · CEI {cei:.1f}%" if cei is not None else "")
    costs = _read(run / "costs_summary.json")
    day = _number(costs.get("handoff_day"))
    if costs.get("strategy") in STRATEGY_WORDS:
        out["costs"] = strategy_words(costs["strategy"], "card", day)
    goals = [g for g in _read(run / "goals_summary.json").get("goals") or [] if isinstance(g, dict)]
    dso_goal = next((g for g in goals if g.get("key") == "dso" and _number(g.get("target")) is not None), None)
    if dso_goal is not None:
        out["goals"] = f"DSO to {_number(dso_goal['target']):.1f} days by {dso_goal.get('deadline', '')}".strip()
    elif goals:
        out["goals"] = f"{len(goals)} goal{'s' if len(goals) != 1 else ''}"
    plan = _read(run / "plan_summary.json")
    actions, invoices = plan.get("actions"), _number(plan.get("worklist_invoices"))
    if isinstance(actions, list) and invoices is not None:
        out["plan"] = f"{len(actions)} actions · {invoices:,.0f} invoices on the worklist"
    return out


def read_clients(clients: Mapping[str, Path] | None = None) -> dict[str, ClientConfig | str]:
    """Each client folder found (:func:`arassess.paths.find_clients`) with its client.yaml read once,
    or what is wrong with it (the folder's path replaced by its name: no path on the page)."""
    out: dict[str, ClientConfig | str] = {}
    for folder, path in (find_clients() if clients is None else clients).items():
        try:
            out[folder] = load_config(path)
        except ArassessError as exc:
            out[folder] = str(exc).replace(str(path), folder)
    return out


def client_cards(configs: Mapping[str, ClientConfig | str], runs_dir: Path | None = None) -> list[ClientCard]:
    """A card per client folder (:func:`read_clients`), with the headlines of its latest run under
    ``runs_dir`` (default ``runs/`` of the folder serve was started in). A folder whose client.yaml
    cannot be read gets a card saying what is wrong."""
    started = workspace() or Path.cwd()
    runs = runs_dir if runs_dir is not None else started / "runs"
    cards = []
    for folder, config in configs.items():
        if isinstance(config, str):
            cards.append(ClientCard(folder, folder, "", problem=config))
            continue
        run = latest_run(runs, folder)
        cards.append(ClientCard(folder, config.name, f"{config.as_of:%d %B %Y}" if config.as_of else "",
                                headlines=headlines(run) if run else {},
                                run_date=_run_date(run) if run else ""))
    return cards


def _run_date(run: Path) -> str:
    stamp = run.name.rsplit("_", 1)[1]
    try:
        return dt.datetime.strptime(stamp, "%Y%m%d-%H%M%S").strftime("%d %B %Y")
    except ValueError:
        return ""


def branding(configs: Mapping[str, ClientConfig | str]) -> dict[str, str]:
    """The consultancy's name and colours from the first client that names its consultant (client.yaml
    ``branding:``); a colour that is not #rgb/#rrggbb (display.style.BRAND_COLOR) falls back to the
    default, so the page always shows."""
    brand = next((c.branding for c in configs.values() if not isinstance(c, str) and c.branding.get("consultant")),
                 {})
    colours = {short: str(brand.get(key) or "") for key, short in (("primary_color", "primary"),
                                                                   ("accent_color", "accent"))}
    return {"consultant": str(brand.get("consultant") or ""),
            **{short: value if BRAND_COLOR.fullmatch(value) else DEFAULT_COLORS[f"{short}_color"]
               for short, value in colours.items()}}


def dashboard_url(base_url: str, dashboard: Dashboard, folder: str) -> str:
    """The link to ``dashboard`` for client ``folder``: Voila renders the notebook; the folder name
    travels in the query (``?client=``), read by :func:`arassess.paths.resolve_client_dir`."""
    return f"{base_url.rstrip('/')}/voila/render/{quote(dashboard.notebook)}?client={quote(folder)}"


def landing_html(base_url: str = "/", runs_dir: Path | None = None) -> str:
    """The landing page's body (escaped: client names and folders are text, never markup)."""
    configs = read_clients()
    env = Environment(loader=FileSystemLoader(str(TEMPLATES_DIR)), autoescape=select_autoescape(default=True))
    template = env.get_template("landing.html.j2")
    cards = client_cards(configs, runs_dir)
    links = {c.folder: {d.key: dashboard_url(base_url, d, c.folder) for d in DASHBOARDS} for c in cards}
    return template.render(cards=cards, dashboards=DASHBOARDS, links=links, brand=branding(configs))


def default_client(notebook: Any) -> str | None:
    """The default ``client_dir`` of a notebook's ``parameters`` cell (``client_dir: str = "..."``),
    read without running it; None when the cell has no such plain assignment."""
    for cell in notebook.get("cells", []):
        if "parameters" not in cell.get("metadata", {}).get("tags", []):
            continue
        try:
            tree = ast.parse("".join(cell.get("source", "")))
        except SyntaxError:
            return None
        for node in tree.body:
            target = node.target if isinstance(node, ast.AnnAssign) else \
                node.targets[0] if isinstance(node, ast.Assign) and len(node.targets) == 1 else None
            value = getattr(node, "value", None)
            if isinstance(target, ast.Name) and target.id == "client_dir" and isinstance(value, ast.Constant):
                return str(value.value)
    return None


def page_titles(notebook: Any) -> dict[str, Any]:
    """What a dashboard page needs to title itself "Client — Dashboard": the notebook's ``title``
    (its metadata), the name (client.yaml) of each client folder found, and the name of the
    notebook's default client (its ``parameters`` cell) as the kernel resolves it
    (:func:`arassess.paths.resolve_client_dir`). Folders that cannot be read are left out; empty when
    the notebook has no title. The page picks the name of its ``?client=`` among ``clients``, else
    ``default`` — the choice :func:`arassess.paths.requested_client` makes in the kernel."""
    title = notebook.get("metadata", {}).get("title")
    if not title:
        return {}
    configs = read_clients()
    names = {folder: config.name for folder, config in configs.items() if isinstance(config, ClientConfig)}
    default = ""
    given = default_client(notebook)
    if given is not None:
        try:
            folder = resolve_client_dir(given)
            config = read_clients({folder.name: folder})[folder.name]
        except (ArassessError, OSError):
            config = ""
        default = config.name if isinstance(config, ClientConfig) else ""
    return {"title": str(title), "clients": names, "default": default}


def _notebook(path: str) -> dict[str, Any]:
    """The notebook Voila renders at ``path`` (as given, under the folder served, or by its name
    among the package's notebooks); {} when none can be read."""
    for candidate in (Path(path), Path.cwd() / path, NOTEBOOKS_DIR / Path(path).name):
        try:
            data = json.loads(candidate.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        return data if isinstance(data, dict) else {}
    return {}


def page_config_hook(page_config: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Voila's page_config_hook: on the tree page (a folder, not a notebook) add the landing page's
    HTML under ``arassess_landing``; on a dashboard page, :func:`page_titles` under ``arassess_page``
    (the ``arassess`` template's script titles the page from it). Voila's handlers use the dict it
    passed in. A page config is made before the request when the kernel is preheated, so the title
    is chosen in the browser, from the page's own address."""
    path = str(kwargs.get("notebook_path") or "")
    if path.endswith(".ipynb"):
        page_config["arassess_page"] = page_titles(_notebook(path))
    else:
        page_config["arassess_landing"] = landing_html(str(kwargs.get("base_url") or "/"))
    return page_config


__all__ = ["DASHBOARDS", "ClientCard", "Dashboard", "branding", "client_cards", "dashboard_url", "headlines",
           "default_client", "landing_html", "latest_run", "notebook_title", "page_config_hook", "page_titles",
           "read_clients"]
