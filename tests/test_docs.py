"""The generated docs (docs/instance-format.md, docs/model.md) are what the code renders now."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from planner import docgen, schema

DOCS = Path(__file__).resolve().parent.parent / "docs"
HINT = "is out of date: run `python -m planner.docgen` (from the repository root) and commit the result"


@pytest.mark.parametrize("name", sorted(docgen.DOCS))
def test_generated_doc_is_current(name: str) -> None:
    path = DOCS / name
    assert path.exists(), f"docs/{name} is missing: run `python -m planner.docgen`"
    assert path.read_text(encoding="utf-8") == docgen.DOCS[name](), f"docs/{name} {HINT}"


def test_docs_dir_is_the_repository_docs() -> None:
    assert docgen.docs_dir() == DOCS


def test_check_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        docgen.main(["--check", "--docs", str(tmp_path)])
    assert exc.value.code == 1
    err = capsys.readouterr().err
    for name in docgen.DOCS:
        assert name in err
    docgen.main(["--docs", str(tmp_path)])
    for name, render in docgen.DOCS.items():
        assert (tmp_path / name).read_text(encoding="utf-8") == render()
    docgen.main(["--check", "--docs", str(tmp_path)])  # up to date: no exit
    (tmp_path / "model.md").write_text("stale\n", encoding="utf-8")
    with pytest.raises(SystemExit):
        docgen.main(["--check", "--docs", str(tmp_path)])
    assert "model.md" in capsys.readouterr().err


def test_instance_format_covers_the_schema() -> None:
    text = docgen.render_instance_format()
    for name in schema.SHEET_ORDER:
        assert f"\n## {name}\n" in text
    for spec in schema.TABLE_SHEETS:
        for c in spec.columns:
            assert f"| `{c.name}` |" in text, f"{spec.name}.{c.name}"
    for p in (*schema.SETTINGS, *schema.POLICY):
        assert f"| `{p.name}` |" in text


def test_model_doc_follows_the_families() -> None:
    from planner.model.build import FAMILIES

    text = docgen.render_model()
    headings = re.findall(r"^## (.+)$", text, flags=re.M)
    # + the policy-row rules (planner.cases), the two stages of a hedged plan, the feasibility frontier and the
    # closing table
    assert len(headings) == len(FAMILIES) + 4
    assert headings[-3].startswith("Two stages")
    assert headings[-2].startswith("Frontier")
    assert headings[0] == "Policy cases: which policy row applies"
    pos = 0
    for fn in FAMILIES:
        doc = inspect.getdoc(fn)
        assert doc, f"{fn.__name__} has no docstring"
        for block in re.findall(r"\$\$.*?\$\$", doc, flags=re.S):  # LaTeX kept verbatim
            at = text.find(block, pos)
            assert at >= 0, f"{fn.__name__}: formula missing or out of order"
            pos = at


def test_components_named_in_docstrings_exist() -> None:
    """Every v_/b_/c_/e_ name a family's docstring mentions is created in planner/model/."""
    from planner.model.build import FAMILIES

    source = "\n".join(p.read_text(encoding="utf-8") for p in (Path(docgen.__file__).parent / "model").rglob("*.py"))
    for fn in FAMILIES:
        for name in docgen.family_components(inspect.getdoc(fn) or ""):
            assert re.search(rf"m\.{name}\b|\"{name}\"", source), f"{fn.__name__} documents `{name}`, which no family creates"
