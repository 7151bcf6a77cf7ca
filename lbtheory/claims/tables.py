"""Tables from claims: the claims markdown, the README's generated blocks, and the fast-vs-full comparison.

README blocks sit between ``<!-- BEGIN GENERATED: name -->`` and ``<!-- END GENERATED: name -->``;
:func:`update_readme` rewrites them from ``results/full``, :func:`stale_blocks` names those that differ.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from lbtheory.claims.rule import AGGREGATION, RULE, intervals_agree, pct


def _cell(x: Any) -> str:
    return str(x).replace("|", "/").replace("\n", " ")


def _verdict(f: Mapping[str, Any]) -> str:
    return f["verdict"] + ("" if f.get("in_verdict", True) else " (beside, not in the verdict)")


def _ours(f: Mapping[str, Any]) -> str:
    return pct(f["ours"], f["ci95"], f.get("n"), f.get("unit", "change")) if f["ours"] is not None else "—"


def claims_markdown(rows: Sequence[Mapping[str, Any]]) -> str:
    """One line per figure under one line per claim, then the rule."""
    lines = ["| id | claim / figure | span | ours (95% CI, n seeds) | paper | reference run | verdict |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| **{r['id']}** | **{_cell(r['claim'])}** | | | | | **{r['verdict']}** |")
        if r.get("note"):
            lines.append(f"| | *{_cell(r['note'])}* | | | | | |")
        for f in r["figures"]:
            ref = pct(f["reference"], unit=f.get("unit", "change")) if f["reference"] is not None else "—"
            lines.append(f"| | {_cell(f['name'])} | {f['span']} | {_ours(f)} | {_cell(f['paper_text'])} | {ref} | "
                         f"{_verdict(f)} |")
    sources = sorted({f["reference_source"] for r in rows for f in r["figures"] if f["reference_source"]})
    lines += ["", f"Verdict rule. {RULE} {AGGREGATION}"]
    lines += [f"Reference figures: {s}" for s in sources]
    return "\n".join(lines) + "\n"


def readme_claims_block(rows: Sequence[Mapping[str, Any]]) -> str:
    """The README's claims table: one line per claim with its verdict and the count of figure verdicts."""
    lines = ["| id | claim | verdict | figures |", "|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['id']} | {_cell(r['claim'])} | **{r['verdict']}** | {_cell(r['why'])} |")
    lines += ["", f"{RULE} {AGGREGATION} Every figure: `results/full/claims.md`."]
    return "\n".join(lines)


def readme_findings_block(rows: Sequence[Mapping[str, Any]]) -> str:
    """The README's findings: per claim, each testable figure beside the paper's."""
    out = []
    for r in rows:
        figs = [f for f in r["figures"] if f["verdict"] != "not testable"]
        body = "; ".join(f"{f['name']} ({f['span']}) {_ours(f)} vs {f['paper_text']}: {_verdict(f)}" for f in figs)
        note = r.get("note") or ""
        text = f"{body}. {note}" if body else "no figure measured" + (f": {note.rstrip('.')}" if note else "") + "."
        out.append(f"- **{r['id']} ({r['verdict']}).** " + text.rstrip())
    return "\n".join(out)


BLOCK = re.compile(r"(<!-- BEGIN GENERATED: (?P<name>[\w-]+) -->\n)(?P<body>.*?)(\n<!-- END GENERATED: (?P=name) -->)",
                   re.S)


def render_blocks(rows: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    return {"claims": readme_claims_block(rows), "findings": readme_findings_block(rows)}


def update_readme(text: str, blocks: Mapping[str, str]) -> str:
    """``text`` with every generated block replaced by ``blocks[name]`` (unknown names left as they are)."""
    return BLOCK.sub(lambda m: m.group(1) + blocks.get(m.group("name"), m.group("body")) + m.group(4), text)


def stale_blocks(text: str, blocks: Mapping[str, str]) -> list[str]:
    """Names of the generated blocks of ``text`` that differ from ``blocks`` (or are missing)."""
    found = {m.group("name"): m.group("body") for m in BLOCK.finditer(text)}
    return [name for name, body in blocks.items() if found.get(name) != body]


def comparison(fast: Sequence[Mapping[str, Any]], full: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Per figure present in either tier: both tiers' values and verdicts, and whether they agree within
    their 95% intervals ([a ± ha] and [b ± hb] overlap)."""
    full_by = {(r["id"], f["name"]): f for r in full for f in r["figures"]}
    fast_by = {(r["id"], f["name"]): f for r in fast for f in r["figures"]}
    keys = list(dict.fromkeys([*fast_by, *full_by]))
    out = []
    for key in keys:
        a, b = fast_by.get(key), full_by.get(key)
        agree = None
        if a and b and a["ours"] is not None and b["ours"] is not None:
            agree = intervals_agree(a["ours"], a["ci95"], b["ours"], b["ci95"])
        out.append({"id": key[0], "name": key[1], "fast": a, "full": b, "agree": agree})
    return out


def comparison_markdown(fast: Sequence[Mapping[str, Any]], full: Sequence[Mapping[str, Any]]) -> str:
    lines = ["| id | figure | fast tier | full tier (committed) | agree within intervals | verdict fast / full |",
             "|---|---|---|---|---|---|"]
    for c in comparison(fast, full):
        a, b = c["fast"], c["full"]
        agree = {True: "yes", False: "NO", None: "—"}[c["agree"]]
        lines.append(f"| {c['id']} | {_cell(c['name'])} | {_ours(a) if a else 'absent'} | "
                     f"{_ours(b) if b else 'absent'} | {agree} | "
                     f"{a['verdict'] if a else '—'} / {b['verdict'] if b else '—'} |")
    n = [c["agree"] for c in comparison(fast, full) if c["agree"] is not None]
    lines += ["", f"{sum(n)} of {len(n)} figures measured in both tiers agree within their 95% intervals "
                  "(the tiers differ in seeds and grid; a disagreement is a difference to look at, not an error)."]
    return "\n".join(lines) + "\n"


def read_rows(path: Path) -> list[dict[str, Any]]:
    import json

    return list(json.loads(Path(path).read_text())["rows"]) if Path(path).is_file() else []
