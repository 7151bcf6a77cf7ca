"""Every case of issue 13's "Why" list, table-driven: exit status, the one-line message, and the disk.

Each case builds its files under ``tmp_path``, snapshots the whole tree (names, types, modes, sizes, content
hashes, mtimes), runs ``lbtheory`` in-process with the working directory inside ``tmp_path``, and checks:
the exit status; that stderr is exactly the expected lines (errors: one line, ``lbtheory: error: ...``, no
traceback); and that the tree after equals the tree before, except for the paths the case says may change.
The expected messages are the documented ones (written here, not read from the code under test).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from lbtheory import cli
from lbtheory.cli import check_run_size, main
from lbtheory.model import ClusterConfig
from lbtheory.outdir import MARKER, OutputDirError, atomic_output_dir, check_destination
from lbtheory.workloads import Workload

REPO = Path(__file__).resolve().parents[2]
SIM = ["simulate", "--workload", "synthetic", "--requests", "10", "--workers", "2", "--slots", "2",
       "--policy", "fcfs", "--quiet"]
NEW_FILES = {"summary.json", "config.json", "steps.csv", "requests.csv", MARKER}


def snapshot(root: Path) -> dict[str, tuple]:
    """Every path under root (hidden ones included) -> (type, mode, size, sha1, mtime_ns)."""
    out: dict[str, tuple] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            st = p.lstat()
            rel = str(p.relative_to(root))
            if p.is_symlink():
                out[rel] = ("link", os.readlink(p))
            elif p.is_dir():
                out[rel] = ("dir", st.st_mode)
            else:
                out[rel] = ("file", st.st_mode, st.st_size, hashlib.sha1(p.read_bytes()).hexdigest(),
                            st.st_mtime_ns)
    return out


def old_output(d: Path, files: dict[str, str], extra: dict[str, str] | None = None) -> None:
    """An earlier lbtheory output directory: ``files`` listed in the marker, ``extra`` added by the user."""
    d.mkdir(parents=True)
    for n, text in {**files, **(extra or {})}.items():
        (d / n).write_text(text)
    (d / MARKER).write_text(json.dumps({"kind": "lbtheory-output", "command": "simulate",
                                        "files": sorted(files)}))


def write_trace(p: Path, rows: list[tuple[int, int]]) -> Path:
    p.write_text("input_length,output_length\n" + "".join(f"{s},{o}\n" for s, o in rows))
    return p


@dataclass
class Case:
    """One row of the table.

    setup(tmp) builds the files and returns the arguments (after ``lbtheory``); ``rc`` the exit status;
    ``err``: regexes, one per expected stderr line, in order; ``changed``: top-level names under tmp that
    may change; ``check(tmp, stdout)`` further assertions on the result; ``cwd``: where to run, under tmp.
    """

    id: str
    setup: Callable[[Path], list[str]]
    rc: int
    err: list[str]
    changed: set[str] = field(default_factory=set)
    check: Callable[[Path, str], None] | None = None
    cwd: str = "."
    skip: str | None = None


def _user_project(t: Path) -> list[str]:
    proj = t / "proj"
    (proj / "src").mkdir(parents=True)
    (proj / "src" / "main.py").write_text("print('hi')\n")
    (proj / "thesis.tex").write_text("\\documentclass{article}\n")
    (proj / "summary.json").write_text("{}\n")
    return [*SIM, "--out", "proj"]


def _dot_in_old_output(t: Path, force: bool) -> list[str]:
    old_output(t / "old", {"summary.json": "{}", "steps.csv": "x"}, {"mydata.txt": "mine"})
    return [*SIM, "--out", ".", *(["--force"] if force else [])]


def _rerun_no_force(t: Path) -> list[str]:
    old_output(t / "o", {"summary.json": "{}", "steps.csv": "x"}, {"mynotes.txt": "notes"})
    return [*SIM, "--out", "o"]


def _rerun_force(t: Path) -> list[str]:
    old_output(t / "o", {"summary.json": "{}", "steps.csv": "x", "stale.csv": "old"}, {"mynotes.txt": "notes"})
    return [*SIM, "--out", "o", "--force"]


def _check_rerun_force(t: Path, out: str) -> None:
    o = t / "o"
    assert (o / "mynotes.txt").read_text() == "notes"  # the user's file is kept, untouched
    assert not (o / "stale.csv").exists()  # an lbtheory file the new run did not write is gone
    assert {p.name for p in o.iterdir()} == NEW_FILES | {"mynotes.txt"}
    assert json.loads((o / "summary.json").read_text())["steps"] > 0
    assert json.loads((o / MARKER).read_text())["files"] == sorted(NEW_FILES - {MARKER})


def _force_clean(t: Path) -> list[str]:
    old_output(t / "o", {"summary.json": "{}", "old.csv": "x"})
    return [*SIM, "--out", "o", "--force"]


def _check_force_clean(t: Path, out: str) -> None:
    assert {p.name for p in (t / "o").iterdir()} == NEW_FILES
    assert [p.name for p in t.iterdir() if p.name.startswith(".")] == []


def _check_new_output(t: Path, out: str, name: str = "o") -> None:
    o = t / name
    assert {p.name for p in o.iterdir()} == NEW_FILES
    assert f"wrote {name}/summary.json" in out


def _forged_marker(t: Path) -> list[str]:
    """A marker that lists a path outside the directory is not a valid marker: nothing is deleted."""
    (t / "victim.txt").write_text("keep")
    d = t / "o"
    d.mkdir()
    (d / MARKER).write_text(json.dumps({"kind": "lbtheory-output", "files": ["../victim.txt"]}))
    return [*SIM, "--out", "o", "--force"]


def _parent_is_file(t: Path) -> list[str]:
    (t / "afile").write_text("x")
    return [*SIM, "--out", "afile/sub/o"]


def _out_is_file(t: Path) -> list[str]:
    (t / "results.txt").write_text("x")
    return [*SIM, "--out", "results.txt"]


def _symlink_out(t: Path) -> list[str]:
    (t / "real").mkdir()
    (t / "link").symlink_to(t / "real")
    return [*SIM, "--out", "link"]


def _trace(t: Path, rows: list[tuple[int, int]], *flags: str, workers: int = 2, name: str = "t.csv"
           ) -> list[str]:
    write_trace(t / name, rows)
    return ["simulate", "--trace", name, "--workers", str(workers), "--slots", "2", "--policy", "fcfs",
            "--quiet", "--out", "o", *flags]


def _gzip_trace(t: Path) -> list[str]:
    rows = [(10, 3), (20, 4), (30, 2), (5, 6)]
    write_trace(t / "t.csv", rows)
    (t / "t.csv.gz").write_bytes(gzip.compress((t / "t.csv").read_bytes()))
    (t / "t.csv").unlink()
    return ["simulate", "--trace", "t.csv.gz", "--workers", "2", "--slots", "2", "--policy", "fcfs", "--quiet",
            "--out", "o"]


def _check_gzip(t: Path, out: str) -> None:
    s = json.loads((t / "o" / "config.json").read_text())
    assert s["workload"]["n_requests"] == 4
    steps = (t / "o" / "steps.csv").read_text().splitlines()
    assert steps[1].split(",")[2] == "35"  # FCFS, step 0: 10 + 20 on worker 0, 30 + 5 on worker 1


def _check_requests(n: int) -> Callable[[Path, str], None]:
    def check(t: Path, out: str) -> None:
        rows = (t / "o" / "requests.csv").read_text().splitlines()
        assert len(rows) == 1 + n
    return check


def _read_only_parent(t: Path) -> list[str]:
    (t / "ro").mkdir()
    (t / "ro").chmod(0o555)
    return [*SIM, "--out", "ro/o"]


def _check_window_note(t: Path, out: str) -> None:
    assert "nan" not in out
    assert "window: the steady-state window is empty: the last admission was at step 0" in out
    s = json.loads((t / "o" / "summary.json").read_text())
    assert s["window_steps"] == 0 and "no steady state" in s["window_note"]
    assert s["window"]["tpot_s"] is None and s["whole_run"]["tpot_s"] > 0


def _binary_log(t: Path) -> list[str]:
    (t / "power.csv").write_bytes(b"\x7fELF\x02\x01\x01\x00\x00\x00" + bytes(range(256)))
    return ["profile", "--power-log", "power.csv"]


def _write_profile_exists(t: Path) -> list[str]:
    (t / "mine.json").write_text("{}")
    log = REPO / "tests" / "data" / "nvidia_smi_synthetic.csv"
    return ["profile", "--power-log", str(log), "--write-profile", "mine.json"]


E = r"lbtheory: error: "
CASES = [
    # --- data loss
    Case("user project holding summary.json", _user_project, 2,
         [E + r"--out proj exists and was not written by lbtheory \(no valid \.lbtheory-output marker\); "
              r"nothing was changed"]),
    Case("--out . inside an old output directory", lambda t: _dot_in_old_output(t, False), 2,
         [E + r"--out \. is the working directory"], cwd="old"),
    Case("--out . --force inside an old output directory", lambda t: _dot_in_old_output(t, True), 2,
         [E + r"--out \. is the working directory"], cwd="old"),
    Case("--out .. (an ancestor of the working directory)", lambda t: (t / "w").mkdir() or [*SIM, "--out", ".."],
         2, [E + r"--out \.\. is an ancestor of the working directory"], cwd="w"),
    Case("--out /", lambda t: [*SIM, "--out", "/"], 2, [E + r"--out / is the file-system root"]),
    Case("--out home", lambda t: [*SIM, "--out", str(Path.home())], 2, [E + r"--out .* is your home directory"]),
    Case("rerun into an output directory without --force", _rerun_no_force, 2,
         [E + r"--out o holds an earlier lbtheory output; pass --force to replace it"]),
    Case("rerun with --force keeps the user's files", _rerun_force, 0,
         [r"lbtheory: warning: kept 1 file\(s\) in o that lbtheory did not write: mynotes\.txt"],
         changed={"o"}, check=_check_rerun_force),
    Case("rerun with --force, only lbtheory files: swapped whole", _force_clean, 0, [], changed={"o"},
         check=_check_force_clean),
    Case("a forged marker naming ../victim.txt is not a marker", _forged_marker, 2,
         [E + r"--out o exists and was not written by lbtheory"]),
    Case("an existing empty directory is used", lambda t: (t / "o").mkdir() or [*SIM, "--out", "o"], 0, [],
         changed={"o"}, check=_check_new_output),
    Case("a new nested directory is created", lambda t: [*SIM, "--out", "a/b/o"], 0, [], changed={"a"},
         check=lambda t, out: _check_new_output(t, out, "a/b/o")),
    # --- checks before work, OS errors as one line
    Case("--out in a read-only directory", _read_only_parent, 2,
         [E + r"--out ro/o: cannot create it, .*ro is not writable"],
         skip="root ignores permissions" if os.geteuid() == 0 else None),
    Case("--out under a file", _parent_is_file, 2, [E + r"--out afile/sub/o: .*afile is a file, not a directory"]),
    Case("--out is a file", _out_is_file, 2, [E + r"--out results\.txt exists and is not a directory"]),
    Case("--out is a symbolic link", _symlink_out, 2, [E + r"--out link is a symbolic link"]),
    Case("--trace is a directory", lambda t: (t / "d").mkdir() or ["simulate", "--trace", "d", "--workers", "1",
         "--slots", "1", "--policy", "fcfs", "--out", "o"], 2, [E + r"--trace d is a directory"]),
    Case("--trace does not exist", lambda t: ["simulate", "--trace", "nope.csv", "--workers", "1", "--slots",
         "1", "--policy", "fcfs", "--out", "o"], 2, [E + r"--trace nope\.csv: no such file"]),
    Case("a usage error is one line", lambda t: ["simulate", "--workload", "synthetic"], 2,
         [E + r"the following arguments are required: .*--out.* \(see `lbtheory simulate --help`\)"]),
    # --- values that crash or lie
    Case("--seed -5", lambda t: [*SIM, "--seed", "-5", "--out", "o"], 2,
         [E + r"--seed must be an integer in 0\.\.9223372036854775807, got -5"]),
    Case("--seed 2^63", lambda t: [*SIM, "--seed", str(2**63), "--out", "o"], 2, [E + r"--seed must be"]),
    Case("output_length 1e12 refused before allocating", lambda t: _trace(t, [(10, 10**12)]), 2,
         [E + r"this run needs about .*TiB of memory \(at least 1000000000000 steps.*lower --requests or the "
              r"trace's output lengths"]),
    Case("--workers 10^9 refused before allocating", lambda t: [*SIM[:5], "--workers", str(10**9), *SIM[7:],
         "--out", "o"], 2, [E + r"this run needs at least .* of memory, .*; lower --workers/--slots"]),
    Case("--requests 10^11 refused before generating", lambda t: [*SIM[:3], "--requests", str(10**11),
         *SIM[5:], "--out", "o"], 2, [E + r"this run needs at least .*TiB of memory.*; lower --requests"]),
    Case("prompt of 2^53 tokens with G=2048 overflows int64", lambda t: _trace(t, [(2**53, 1), (5, 5)],
         workers=2048), 2, [E + r"loads could reach 3\.689e\+19 tokens .*request 0 of t has s\+o = "
                                r"9007199254740993\), beyond int64"]),
    Case("bounds --set G=-3", lambda t: ["bounds", "--set", "G=-3"], 2, [E + r"--set G=-3: G must be > 0"]),
    Case("bounds --set B=2.5", lambda t: ["bounds", "--set", "B=2.5"], 2, [E + r"--set B=2\.5: B must be an "
                                                                             r"integer"]),
    Case("bounds --set nope=1", lambda t: ["bounds", "--set", "nope=1"], 2, [E + r"--set nope=1: unknown parameter 'nope'; choose from: B, C, G"]),
    Case("bounds --set G=inf", lambda t: ["bounds", "--set", "G=inf"], 2, [E + r"--set G=inf: G must be finite"]),
    Case("profile --power-log on a binary file", _binary_log, 2,
         [E + r"--power-log power\.csv: a binary file \(NUL byte at offset 7\), not a text CSV log"]),
    Case("profile --write-profile onto an existing file", _write_profile_exists, 2,
         [E + r"--write-profile mine\.json exists; pass --force to replace it"]),
    # --- options users need
    Case("zero output lengths, default: the error names --zero-output", lambda t: _trace(t, [(10, 0), (5, 2)]),
         2, [E + r"t\.csv, line 2, field 'output_length': output length is 0 .*--zero-output clamp\|drop"]),
    Case("--zero-output clamp", lambda t: _trace(t, [(10, 0), (5, 2), (7, 3)], "--zero-output", "clamp"), 0,
         [r"lbtheory: warning: t\.csv: 1 request\(s\) with output length 0 clamped to 1"], changed={"o"},
         check=_check_requests(3)),
    Case("--zero-output drop", lambda t: _trace(t, [(10, 0), (5, 2), (7, 3)], "--zero-output", "drop"), 0,
         [r"lbtheory: warning: t\.csv: 1 request\(s\) with output length 0 dropped"], changed={"o"},
         check=_check_requests(2)),
    Case("--requests larger than the trace", lambda t: _trace(t, [(10, 2), (5, 2)], "--requests", "5"), 2,
         [E + r"--requests 5 exceeds the 2 requests of t\.csv; pass --trace-order resampled"]),
    Case("--trace-order resampled draws --requests", lambda t: _trace(t, [(10, 2), (5, 2)], "--requests", "5",
         "--trace-order", "resampled"), 0, [], changed={"o"}, check=_check_requests(5)),
    Case("--trace-order resampled needs --requests", lambda t: _trace(t, [(10, 2)], "--trace-order",
         "resampled"), 2, [E + r"--trace-order resampled needs --requests"]),
    Case("gzip trace read transparently", _gzip_trace, 0, [], changed={"o"}, check=_check_gzip),
    Case("--noise-delta with exact predictions warns", lambda t: [*SIM, "--noise-delta", "0.2", "--out", "o"], 0,
         [r"lbtheory: warning: --noise-delta 0\.2 has no effect with --predictions exact"], changed={"o"}),
    Case("a 2-request run explains its empty window", lambda t: [*SIM[:3], "--requests", "2", *SIM[5:], "--out",
         "o"], 0, [], changed={"o"}, check=_check_window_note),
    Case("--zero-output with a generated workload warns", lambda t: [*SIM, "--zero-output", "drop", "--out",
         "o"], 0, [r"lbtheory: warning: --zero-output drop has no effect with --workload"], changed={"o"}),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
              ) -> None:
    if case.skip:
        pytest.skip(case.skip)
    root = tmp_path / "root"
    root.mkdir()
    args = case.setup(root)
    before = snapshot(root)
    monkeypatch.chdir(root / case.cwd)
    rc = main(args)
    cap = capsys.readouterr()
    lines = [ln for ln in cap.err.splitlines() if ln.strip()]
    assert rc == case.rc, cap.err
    assert len(lines) == len(case.err), cap.err
    for line, pattern in zip(lines, case.err, strict=True):
        assert re.fullmatch(pattern + ".*", line), (pattern, line)
    assert "Traceback" not in cap.err
    after = snapshot(root)
    keep = {k: v for k, v in before.items() if k.split(os.sep)[0] not in case.changed}
    assert {k: v for k, v in after.items() if k.split(os.sep)[0] not in case.changed} == keep
    if case.check is not None:
        case.check(root, cap.out)


# --------------------------------------------------------------------------- beyond the table


def test_no_window_note_when_there_is_a_window(tmp_path: Path) -> None:
    assert main(["simulate", "--workload", "synthetic", "--requests", "20", "--workers", "2", "--slots", "2",
                 "--policy", "fcfs", "--quiet", "--out", str(tmp_path / "p")]) == 0
    assert "window_note" not in json.loads((tmp_path / "p" / "summary.json").read_text())


def test_resampling_is_seeded(tmp_path: Path) -> None:
    write_trace(tmp_path / "t.csv", [(10 * i + 1, 1 + i % 4) for i in range(8)])
    base = ["simulate", "--trace", str(tmp_path / "t.csv"), "--requests", "30", "--trace-order", "resampled",
            "--workers", "2", "--slots", "2", "--policy", "fcfs", "--quiet", "--out"]
    for name, seed in (("a", "1"), ("b", "1"), ("c", "2")):
        assert main([*base, str(tmp_path / name), "--seed", seed]) == 0
    steps = {n: (tmp_path / n / "steps.csv").read_bytes() for n in "abc"}
    assert steps["a"] == steps["b"] and steps["a"] != steps["c"]


def test_output_modes_follow_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        with atomic_output_dir(tmp_path / "x" / "o") as d:
            (d / "f.txt").write_text("1")
    finally:
        os.umask(old)
    assert (tmp_path / "x").stat().st_mode & 0o777 == 0o750
    assert (tmp_path / "x" / "o").stat().st_mode & 0o777 == 0o750
    assert (tmp_path / "x" / "o" / "f.txt").stat().st_mode & 0o777 == 0o640


def test_a_failed_run_leaves_nothing(tmp_path: Path) -> None:
    before = snapshot(tmp_path)
    with pytest.raises(RuntimeError), atomic_output_dir(tmp_path / "a" / "b" / "o") as d:
        (d / "f.txt").write_text("1")
        raise RuntimeError("the simulation failed")
    assert snapshot(tmp_path) == before  # the scratch directory and the parents it made are gone


def test_a_concurrent_writer_gets_a_clean_error(tmp_path: Path) -> None:
    """Two stagings of one destination (nested: deterministic): the first to commit wins."""
    dest = tmp_path / "o"
    with pytest.raises(OutputDirError, match="written meanwhile by another lbtheory run; pass --force"):
        with atomic_output_dir(dest) as a:
            (a / "who.txt").write_text("a")
            with atomic_output_dir(dest) as b:
                (b / "who.txt").write_text("b")
    assert (dest / "who.txt").read_text() == "b"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o"]  # a's scratch directory is gone
    with atomic_output_dir(dest, force=True) as a:  # with force, the later commit replaces it
        (a / "who.txt").write_text("a")
        with atomic_output_dir(dest, force=True) as b:
            (b / "who.txt").write_text("b")
    assert (dest / "who.txt").read_text() == "a"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o"]


_WRITER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from lbtheory.outdir import atomic_output_dir
    from lbtheory.errors import LbtheoryError
    dest, tag, force, pause = Path(sys.argv[1]), sys.argv[2], sys.argv[3] == "1", float(sys.argv[4])
    try:
        with atomic_output_dir(dest, force=force) as d:
            for i in range(50):
                (d / f"f{i}.txt").write_text(tag)
            print("staged", flush=True)
            time.sleep(pause)
    except LbtheoryError as e:
        print("error:", e)
        sys.exit(2)
""")


def _writer(dest: Path, tag: str, force: bool, pause: float) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", _WRITER, str(dest), tag, "1" if force else "0", str(pause)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)


@pytest.mark.parametrize("force", [False, True])
def test_concurrent_processes_never_crash_or_leave_scratch(tmp_path: Path, force: bool) -> None:
    for trial in range(3):
        dest = tmp_path / f"o{trial}"
        procs = [_writer(dest, tag, force, 0.5) for tag in "ab"]  # both stage, then both commit
        results = [(p.wait(60), *p.communicate()) for p in procs]
        for rc, out, err in results:
            assert "Traceback" not in err, err
            clean = "written meanwhile by another lbtheory run" in out or "holds an earlier lbtheory" in out
            assert rc == 0 or (rc == 2 and not force and clean), (rc, out, err)
        assert sum(rc == 0 for rc, _, _ in results) >= 1
        files = {p.read_text() for p in dest.glob("f*.txt")}
        assert len(files) == 1  # one writer's files, never a mix
        assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_while_writing_removes_the_scratch(tmp_path: Path, sig: signal.Signals) -> None:
    p = _writer(tmp_path / "a" / "o", "x", False, 30.0)
    assert p.stdout is not None
    assert p.stdout.readline().strip() == "staged"
    p.send_signal(sig)
    rc = p.wait(30)
    assert rc != 0
    assert list(tmp_path.iterdir()) == []  # neither the scratch directory nor the parent it created


def test_sigterm_during_a_cli_run_leaves_nothing(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    p = subprocess.Popen([sys.executable, "-m", "lbtheory", "simulate", "--workload", "synthetic", "--requests",
                          "200000", "--workers", "8", "--slots", "8", "--policy", "fcfs", "--quiet", "--out",
                          str(tmp_path / "o")], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env=env, cwd=tmp_path)
    deadline = time.monotonic() + 120
    while not any(".lbtheory-tmp." in q.name for q in tmp_path.iterdir()):
        assert p.poll() is None, p.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    p.send_signal(signal.SIGTERM)
    _, err = p.communicate(timeout=120)
    assert p.returncode == 128 + signal.SIGTERM, err
    assert err.strip().splitlines()[-1] == ("lbtheory: interrupted by SIGTERM; nothing written (temporary files "
                                            "removed)")
    assert list(tmp_path.iterdir()) == []


def test_unexpected_exceptions_are_one_line_and_reraised_on_request(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    def boom(args: object) -> int:
        raise RuntimeError("kaput\nsecond line")

    monkeypatch.setattr(cli, "_cmd_policies", boom)
    monkeypatch.delenv("LBTHEORY_TRACEBACK", raising=False)
    assert main(["policies"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("lbtheory: internal error: RuntimeError: kaput second line (a bug: please report it")
    monkeypatch.setenv("LBTHEORY_TRACEBACK", "1")
    with pytest.raises(RuntimeError, match="kaput"):
        main(["policies"])


def test_memory_estimate_names_the_flag() -> None:
    """The issue's G = 100,000 with 50 requests: about 2,700 steps × 100,000 loads × 8 B, several copies."""
    w = Workload(np.full(50, 100, np.int64), np.full(50, 2700, np.int64))
    cluster = ClusterConfig(100_000, 2)
    with pytest.raises(cli.ConfigError, match="pass --no-worker-loads"):
        check_run_size(w, cluster, True, available=4 << 30)
    check_run_size(w, cluster, False, available=4 << 30)  # without the (K, G) loads it fits
    # the estimate is at least the (K, G) int64 record the engine allocates: 2,700 × 100,000 × 8 B = 2.16 GB
    with pytest.raises(cli.ConfigError):
        check_run_size(w, cluster, True, available=2_160_000_000)


def test_int64_guard_is_tight() -> None:
    """G·B·max(s+o) < 2^63 passes, one more token does not."""
    G, B = 1024, 4
    top = (2**63 - 1) // (G * B)
    ok = Workload(np.array([top - 1], np.int64), np.array([1], np.int64))
    check_run_size(ok, ClusterConfig(G, B), False, available=1 << 60)
    bad = Workload(np.array([top], np.int64), np.array([1], np.int64))
    with pytest.raises(cli.ConfigError, match="beyond int64"):
        check_run_size(bad, ClusterConfig(G, B), False, available=1 << 60)


def test_protected_destinations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for p in (".", "/", str(Path.home()), "..", str(tmp_path)):
        with pytest.raises(OutputDirError):
            check_destination(p, force=True)
    assert check_destination("new").state == "absent"


def test_scratch_of_a_killed_run_is_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()
    (tmp_path / f".o.lbtheory-tmp.{dead}.abcd1234").mkdir()
    (tmp_path / f".o.lbtheory-tmp.{os.getpid()}.abcd1234").mkdir()  # alive: not reported
    assert main([*SIM, "--out", str(tmp_path / "o")]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err == [f"lbtheory: warning: 1 temporary directory of killed lbtheory runs beside {tmp_path / 'o'}, "
                   f"safe to delete: .o.lbtheory-tmp.{dead}.abcd1234"]
    assert (tmp_path / f".o.lbtheory-tmp.{dead}.abcd1234").is_dir()  # reported, never removed


def test_first_run_says_it_compiles_and_later_runs_do_not(tmp_path: Path) -> None:
    """A fresh numba cache: the first process compiles (and says so once); the second loads the cache.

    LBTHEORY_JIT=1 forces compiled kernels (the CLI would run so small a run interpreted, see test_jit)."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "NUMBA_CACHE_DIR": str(tmp_path / "cache"), "LBTHEORY_JIT": "1"}
    errs = []
    for name in ("a", "b"):
        r = subprocess.run([sys.executable, "-m", "lbtheory", *SIM, "--out", str(tmp_path / name)], env=env,
                           capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr
        errs.append(r.stderr)
    assert errs[0].splitlines() == ["lbtheory: compiling kernels, first run only"]
    assert errs[1] == ""
