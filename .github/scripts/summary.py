#!/usr/bin/env python3
"""The job summaries of authdb's workflows, in markdown, from what `cargo xtask` wrote.

Each section reads the reports a workflow step left (JSON from `--json`, the text of a command,
the log of `.ci/run`), appends markdown to the file named by $GITHUB_STEP_SUMMARY (stdout when it
is unset) and prints GitHub annotations (`::error ...::`) on stdout, so that a failure is named at
the top of the run without opening a log. It never decides whether a step passed: the step's own
exit code does; this only says what happened. Python's standard library only, so it runs on
GitHub's runners and on a fresh machine alike.

    summary.py lint LINT_JSON LINT_STDERR STATUS
    summary.py tests CI_RUN_LOG
    summary.py migrate REPORTS_DIR            (migrate.json, migrate.stderr, status.json)
    summary.py verify REPORTS_DIR STATUS      (verify.txt)
    summary.py rollback-plan REPORTS_DIR STATUS
    summary.py rollback REPORTS_DIR STATUS    (rollback.txt, status.json)
    summary.py rehearse REPORTS_DIR STATUS|absent FROM
"""

import json
import os
import re
import sys
from pathlib import Path


def main(argv):
    if not argv or argv[0] not in SECTIONS:
        sys.exit(f"usage: summary.py {{{'|'.join(SECTIONS)}}} ARGS...")
    section, args = SECTIONS[argv[0]], argv[1:]
    markdown = section(*args)
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as out:
            out.write(markdown)
    else:
        sys.stdout.write(markdown)


# ---- reading what the tools left ----------------------------------------------------------


def read_text(path):
    """The file's text, or "" when the step that writes it never ran that far."""
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return ""


def read_json(path):
    """The JSON document in the file, or None when it is missing, empty or cut short."""
    text = read_text(path).strip()
    if not text:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return None


def tool_error(stderr):
    """The tool's error paragraph from its stderr (`error: ...`), else its last line."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    for line in reversed(lines):
        if line.startswith("error: "):
            return line[len("error: "):]
    return lines[-1] if lines else ""


def annotate(level, title, message, **where):
    """A GitHub annotation: shown on the run's page and, with a file, on the pull request."""
    escaped = message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    place = "".join(f"{key}={value}," for key, value in where.items())
    print(f"::{level} {place}title={title}::{escaped}")


def fenced(text, lang="text"):
    fence = "```"
    while fence in text:
        fence += "`"
    return f"{fence}{lang}\n{text.rstrip()}\n{fence}\n"


def cell(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


# ---- CI: lint and tests -------------------------------------------------------------------


def lint(json_path, stderr_path, status):
    out = ["## Lint (`cargo xtask lint`)\n\n"]
    report = read_json(json_path)
    if report is None or "findings" not in report:
        # No report, or the JSON error object of a lint that could not run.
        error = (report or {}).get("error") or tool_error(read_text(stderr_path)) or (
            "no report (see the log of this step)"
        )
        out.append(f"lint did not run to the end (exit code {status}): {error}\n\n")
        annotate("error", "lint", error)
        return "".join(out)
    findings = report.get("findings", [])
    scope = f"{report.get('files', '?')} files, {report.get('statements', '?')} statements"
    if not findings:
        out.append(f"{scope}: no findings.\n\n")
        return "".join(out)
    out.append(f"{scope}: **{len(findings)} finding{'s' if len(findings) != 1 else ''}**\n\n")
    out.append("| where | rule | what, why, and what to do instead |\n|---|---|---|\n")
    for f in findings:
        # Paths are relative to the migrations folder, which the report gives once.
        path = os.path.join(report.get("folder") or "", f["file"])
        where = f"{path}:{f['line']}:{f['col']}"
        out.append(f"| `{where}` | `{f['rule']}` | {cell(f['message'])} |\n")
        annotate("error", f"lint {f['rule']}", f["message"], file=path, line=f["line"], col=f["col"])
    out.append("\n")
    return "".join(out)


TALLY = re.compile(r"^test-db: (\d+) passed, (\d+) failed, (\d+) ignored\s*$")
AGAINST = re.compile(r"^testing against (\S+)\s*$")
FAILED = re.compile(r"^test (\S+) \.\.\. FAILED\s*$")


def tests(log_path):
    """Each `cargo xtask test-db` run in the log: its image, its tally, its failed tests."""
    out = ["## Tests (`cargo xtask test-db`)\n\n"]
    log = read_text(log_path)
    runs, image, failed = [], "the default image", []
    for line in log.splitlines():
        if m := AGAINST.match(line):
            image, failed = m.group(1), []
        elif m := FAILED.match(line):
            failed.append(m.group(1))
        elif m := TALLY.match(line):
            runs.append((image, *map(int, m.groups()), failed))
            image, failed = "the default image", []
    if not runs:
        tail = "\n".join(log.splitlines()[-40:]) or "(the log is empty)"
        out.append(
            "No test run finished: `.ci/run` stopped before the tests (formatting, clippy, lint"
            " or the build failed). The end of its log:\n\n" + fenced(tail)
        )
        return "".join(out)
    out.append("| PostgreSQL image | passed | failed | ignored |\n|---|---|---|---|\n")
    for image, passed, nfailed, ignored, _ in runs:
        out.append(f"| `{image}` | {passed} | {nfailed} | {ignored} |\n")
    out.append("\n")
    for image, _, _, _, names in runs:
        if names:
            out.append(f"Failed on `{image}`:\n\n")
            out.extend(f"- `{name}`\n" for name in names)
            out.append("\n")
            annotate("error", f"tests on {image}", ", ".join(names))
    return "".join(out)


# ---- deploying: migrate, verify, rollback -------------------------------------------------

MIGRATION_FILE = re.compile(r"(\S*?\d+_[A-Za-z0-9_]+\.sql)(:\d+(?::\d+)?)?")


def version_text(version):
    return "none" if version is None else str(version)


def database_state(status):
    """One sentence on what the database holds, from `cargo xtask status --json`."""
    if status is None or "migrations" not in status:
        return None  # status did not run, or reported an error object
    entries = status.get("migrations", [])
    states = ["applied", "pending", "modified", "missing"]
    states += sorted({e.get("state") for e in entries} - set(states) - {None})
    counts = ", ".join(
        f"{sum(1 for e in entries if e.get('state') == s)} {s}" for s in states
    )
    # Every state but pending is a version the database records.
    recorded = [e["version"] for e in entries if e.get("state") != "pending"]
    latest = max(recorded) if recorded else None
    sentence = f"the database is at version {version_text(latest)} ({counts})"
    if status.get("refusal"):
        sentence += f"; migrate will refuse to run: {status['refusal']}"
    return sentence


def state_table(status):
    rows = ["| migration | state | applied at |\n|---|---|---|\n"]
    for e in status.get("migrations", []):
        rows.append(f"| `{e.get('name')}` | {e.get('state')} | {e.get('applied_at') or ''} |\n")
    return "".join(rows)


def migrate(reports):
    reports = Path(reports)
    result = read_json(reports / "migrate.json")
    status = read_json(reports / "status.json")
    out = ["## Migrate (`cargo xtask migrate`)\n\n"]
    if result is not None and result.get("database"):
        out.append(f"Database: `{result['database']}` ({result.get('server_version', '?')})\n\n")
    if result is not None and result.get("ok"):
        report = result["report"]
        steps = report.get("steps", [])
        if not steps:
            out.append(f"Already up to date at version {version_text(report.get('to_version'))}.\n\n")
        else:
            out.append(
                f"Applied {len(steps)} migration{'s' if len(steps) != 1 else ''} in "
                f"{report.get('duration_ms', 0):.0f} ms: version "
                f"{version_text(report.get('from_version'))} -> "
                f"{version_text(report.get('to_version'))}.\n\n"
                "| migration | ms |\n|---|---|\n"
            )
            out.extend(f"| `{s['name']}` | {s['duration_ms']:.1f} |\n" for s in steps)
            out.append("\n")
        return "".join(out)

    # A failure: which migration, and what the database holds now.
    if result is not None:
        error = result.get("error", "")
    else:
        # No report: migrate stopped before it ran anything (the folder, the URL, connecting).
        error = tool_error(read_text(reports / "migrate.stderr")) or "migrate reported nothing"
    found = MIGRATION_FILE.search(error)
    which = found.group(0) if found else None
    state = database_state(status)
    if state is None:
        # Without a database, migrate never connected (the folder, the URL): nothing ran.
        stopped_early = result is None or not result.get("database")
        state = (
            "nothing was applied: migrate stopped before it ran any migration"
            if stopped_early
            else "its state could not be read (status failed too): see the error above"
        )
    out.append("**Migrate failed.**\n\n")
    out.append(f"- Migration: `{which}`\n" if which else "- Migration: none ran\n")
    out.append(f"- Error: {error}\n")
    out.append(f"- Now: {state}.\n\n")
    if status is not None:
        out.append(state_table(status) + "\n")
    if "no database URL" in error:
        out.append(
            "The `DATABASE_URL` secret is not set for this job: add it to the environment's"
            " secrets (docs/deploying.md, \"Setting it up\").\n\n"
        )
    named = error if not which or error.startswith(which) else f"{which}: {error}"
    annotate("error", "migrate failed", f"{named.rstrip('.')}. Now: {state}.")
    return "".join(out)


def verify(reports, status):
    text = read_text(Path(reports) / "verify.txt")
    out = ["## Verify (`cargo xtask verify`)\n\n", fenced(text or "(no output)"), "\n"]
    if status != "0":
        last = [line for line in text.splitlines() if line.strip()]
        annotate("error", "verify failed", last[-1] if last else "verify failed")
    return "".join(out)


def rollback_plan(reports, status):
    text = read_text(Path(reports) / "rollback-plan.txt")
    out = ["## Rollback plan (`cargo xtask rollback --dry-run`)\n\n", fenced(text or "(no output)")]
    if status == "0":
        out.append(
            "\nNothing was changed. Review the plan, then approve the **rollback** job to run it"
            " (or reject it to stop here).\n\n"
        )
    else:
        out.append("\nNo plan: the rollback will not run.\n\n")
        annotate("error", "rollback plan", tool_error(text) or "the plan failed")
    return "".join(out)


def rollback(reports, status):
    reports = Path(reports)
    text = read_text(reports / "rollback.txt")
    state = read_json(reports / "status.json")
    out = ["## Rollback (`cargo xtask rollback --yes`)\n\n", fenced(text or "(no output)"), "\n"]
    sentence = database_state(state) or "its state could not be read"
    out.append(f"Now {sentence}.\n\n")
    if state is not None:
        out.append(state_table(state) + "\n")
    if status != "0":
        annotate("error", "rollback failed", f"{tool_error(text).rstrip('.')}. Now {sentence}.")
    return "".join(out)


# ---- CI: rehearse -------------------------------------------------------------------------


def rehearse(reports, status, base):
    reports = Path(reports)
    added = [line for line in read_text(reports / "added.txt").splitlines() if line]
    out = ["## Rehearse (`cargo xtask rehearse`)\n\n"]
    out.append(f"Migrations this pull request adds, on top of version {base}:\n\n")
    out.extend(f"- `{name}`\n" for name in added)
    out.append("\n")
    if status == "absent":
        out.append(
            "Not rehearsed: this checkout has no `cargo xtask rehearse` yet (issue 14). The job"
            " runs it as soon as the command exists.\n\n"
        )
        return "".join(out)
    out.append(fenced(read_text(reports / "rehearse.txt") or "(no output)"))
    if status != "0":
        annotate("error", "rehearse", "a new migration would stall the auth service: see the summary")
    return "".join(out)


SECTIONS = {
    "lint": lint,
    "tests": tests,
    "migrate": migrate,
    "verify": verify,
    "rollback-plan": rollback_plan,
    "rollback": rollback,
    "rehearse": rehearse,
}

if __name__ == "__main__":
    main(sys.argv[1:])
