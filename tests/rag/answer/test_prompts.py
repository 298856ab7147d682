"""Every prompt template loads and renders; broken templates are reported by name."""

from __future__ import annotations

import shutil

import pytest

from rag.answer.prompts import PLACEHOLDERS, PROMPTS_DIR, PromptError, load_prompts


@pytest.mark.parametrize("name", sorted(PLACEHOLDERS))
def test_every_template_renders(name):
    prompts = load_prompts()
    values = {p: f"<{p}-value>" for p in PLACEHOLDERS[name]}
    text = prompts.render(name, **values)
    for v in values.values():
        assert v in text
    assert "{" not in text.replace("{{", "")


def test_templates_keep_passages_inside_delimiters():
    prompts = load_prompts()
    for name in ("answer_user", "summarize_article", "summarize_topic"):
        text = prompts.render(name, **{p: "X" for p in PLACEHOLDERS[name]} | {"passages": "[1] data"})
        assert text.index("<passages>") < text.index("[1] data") < text.index("</passages>")


@pytest.mark.parametrize("edit,message", [
    (lambda t: t.replace("{question}", ""), "lacks placeholder.*question"),
    (lambda t: t + " {surprise}", "unknown placeholder.*surprise"),
    (lambda t: t + " {unclosed", "malformed"),
])
def test_broken_template_is_named(tmp_path, edit, message):
    folder = tmp_path / "prompts"
    shutil.copytree(PROMPTS_DIR, folder)
    path = folder / "answer_user.txt"
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(PromptError, match=message):
        load_prompts(folder)


def test_missing_template_is_named(tmp_path):
    folder = tmp_path / "prompts"
    shutil.copytree(PROMPTS_DIR, folder)
    (folder / "condense.txt").unlink()
    with pytest.raises(PromptError, match="condense.txt is missing"):
        load_prompts(folder)


def test_render_without_a_value_names_it():
    with pytest.raises(PromptError, match="question"):
        load_prompts().render("answer_user", passages="x")
