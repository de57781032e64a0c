"""The action log (actions.yaml): round trip with a dated backup of every earlier file, checks that
name the file, the action and the key, `arassess action`, and what the monthly review does with it."""

from __future__ import annotations

import datetime as dt
import shutil

import pandas as pd
import pytest
from click.testing import CliRunner

from arassess.cli import main
from arassess.errors import ConfigError
from arassess.monthly.review import actions_due
from arassess.paths import SAMPLE_DATA_DIR
from arassess.plan.store import ACTIONS_FILE, ActionStatus, read_action_log, save_action_status

NOW = dt.datetime(2026, 11, 23, 14, 20)


def test_a_status_round_trips_and_every_save_keeps_the_previous_file(tmp_path):
    assert read_action_log(tmp_path) == {}
    path, backup = save_action_status(tmp_path, "clean_contact_data", "done", "2026-11-20", now=NOW)
    assert backup is None and path == tmp_path / ACTIONS_FILE
    first = path.read_text(encoding="utf-8")
    path, backup = save_action_status(tmp_path, "agency_selection", "dropped", "2026-11-21",
                                      "Board keeps collections in-house", now=NOW)
    assert backup == tmp_path / "actions.20261123-142000.yaml" and backup.read_text(encoding="utf-8") == first
    log = read_action_log(tmp_path)
    assert log == {"agency_selection": ActionStatus("dropped", pd.Timestamp("2026-11-21"),
                                                    "Board keeps collections in-house"),
                   "clean_contact_data": ActionStatus("done", pd.Timestamp("2026-11-20"), "")}
    _, again = save_action_status(tmp_path, "clean_contact_data", "started", "2026-11-19", now=NOW)
    assert again.name == "actions.20261123-142000-2.yaml"  # same second: a new name, nothing overwritten
    assert read_action_log(tmp_path)["clean_contact_data"].status == "started"


@pytest.mark.parametrize("text, message", [
    ("actions:\n  a1: {status: finished, date: 2026-11-01}\n",
     r"actions.yaml: actions.a1.status must be one of planned, started, done, dropped, got 'finished'"),
    ("actions:\n  a1: {status: done}\n", r"actions.yaml: actions.a1.date is needed for status 'done'"),
    ("actions:\n  a1: {status: dropped, date: 2026-11-01}\n", r"actions.a1.note must give the reason"),
    ("actions:\n  a1: {status: done, date: someday}\n", r"actions.a1.date must be a date YYYY-MM-DD, got 'someday'"),
    ("actions:\n  a1: {status: done, date: 2026-11-01, by: me}\n", r"unknown key\(s\) \['by'\] at 'actions.a1'"),
    ("action:\n  a1: {status: done}\n", r"unknown key\(s\) \['action'\] at the top level"),
    ("actions: [a1]\n", r"actions must map each action id to its status"),
])
def test_a_bad_log_names_the_file_the_action_and_the_key(tmp_path, text, message):
    (tmp_path / ACTIONS_FILE).write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        read_action_log(tmp_path)


def test_done_and_dropped_actions_leave_the_late_list():
    plan = pd.DataFrame({
        "id": ["a", "b", "c", "d", "e"], "title": ["A", "B", "C", "D", "E"], "owner": ["o"] * 5,
        "start": pd.to_datetime(["2026-02-01"] * 5),
        "due": pd.to_datetime(["2026-03-01", "2026-02-28", "2026-02-15", "2026-03-31", "2026-04-01"]),
    })
    log = {"b": ActionStatus("done", pd.Timestamp("2026-03-05")),
           "c": ActionStatus("dropped", pd.Timestamp("2026-03-10"), "no longer needed"),
           "e": ActionStatus("done", pd.Timestamp("2026-03-20")),          # done before it was due
           "a": ActionStatus("done", pd.Timestamp("2026-04-02"))}          # done after the month: still open then
    got = actions_due(plan, "2026-03-31", log)
    assert got[["id", "status", "days_late"]].values.tolist() == [
        ["a", "due this month", 0], ["d", "due this month", 0], ["b", "done", 0], ["e", "done", 0],
        ["c", "dropped", 0]]
    assert got.loc[got["id"] == "c", "note"].item() == "no longer needed"
    assert actions_due(plan, "2026-03-31")["status"].tolist().count("late") == 2  # without the log


def test_cli_action_writes_the_log_and_refuses_a_drop_without_reason(tmp_path):
    client = tmp_path / "voltline"
    shutil.copytree(SAMPLE_DATA_DIR / "voltline", client)
    runner = CliRunner()
    ok = runner.invoke(main, ["action", str(client), "clean_contact_data", "--status", "done", "--date", "2026-11-20"])
    assert ok.exit_code == 0, ok.output
    assert "clean_contact_data: done" in ok.output
    assert read_action_log(client)["clean_contact_data"].date == pd.Timestamp("2026-11-20")
    bad = runner.invoke(main, ["action", str(client), "agency_selection", "--status", "dropped"])
    assert bad.exit_code != 0 and "note must give the reason" in bad.output
    assert "Traceback" not in bad.output
    assert list(read_action_log(client)) == ["clean_contact_data"]  # the refused change wrote nothing
