"""The ten scenarios: valid in both languages, on the right stage, with templates that render."""

from __future__ import annotations

from pathlib import Path

import pytest
from jinja2.exceptions import SecurityError, UndefinedError

from journeykit.datasets.generator.catalog import EVENT_NAMES
from journeykit.flows.model import EventTrigger, MessageChannel
from journeykit.flows.scenarios import (
    LANGUAGES,
    SAMPLE_CONTEXT,
    STAGES,
    Scenario,
    choose_stage,
    create_flow,
    scenario_templates,
    scenario_text,
)
from journeykit.flows.templates import render_message
from journeykit.flows.validate import FlowContext, validate_flow_file, validate_flow_text

FIVE_STAGE = frozenset({"awareness", "consideration", "purchase", "experience", "retention"})
ECOMMERCE = frozenset({"awareness", "consideration", "purchase", "retention", "advocacy"})


def _events_named(data: object) -> set[str]:
    """Every value of an 'event' key anywhere in parsed flow data."""
    found: set[str] = set()
    if isinstance(data, dict):
        for key, value in data.items():
            if key == "event" and isinstance(value, str):
                found.add(value)
            found |= _events_named(value)
    elif isinstance(data, list):
        for item in data:
            found |= _events_named(item)
    return found


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("scenario", list(Scenario))
def test_scenario_is_valid_and_its_templates_render(
    tmp_path: Path, scenario: Scenario, language: str
) -> None:
    context = FlowContext(tmp_path / "templates", FIVE_STAGE, tmp_path / "maps")
    made = create_flow(f"My {scenario.value}", scenario, language, tmp_path / "flows", context)
    checked = validate_flow_file(made.path, context)
    flow = checked.flow
    assert checked.warnings == []
    assert flow.stage == STAGES[scenario][0]
    assert flow.locales == [language]
    assert flow.name == f"My {scenario.value}"
    assert _events_named(flow.model_dump(mode="json")) <= set(EVENT_NAMES)
    if isinstance(flow.trigger, EventTrigger):
        assert flow.trigger.event in EVENT_NAMES
    assert flow.goals, "every scenario names what counts as converted"
    for template_id, channel in flow.templates():
        parts = render_message(
            tmp_path / "templates", template_id, language, channel, SAMPLE_CONTEXT
        )
        assert "Anna" in parts["txt"]
        assert "{{" not in "".join(parts.values())
        if channel is MessageChannel.EMAIL:
            assert "Lumen &amp; Linen" in parts["html"] or "Anna" in parts["html"]
            assert "https://www.lumen-linen.de/u/preview" in parts["txt"]
            assert parts["html"].startswith(f'<!DOCTYPE html>\n<html lang="{language}">')


def test_scenarios_keep_their_comments_and_language() -> None:
    german = scenario_text(Scenario.ABANDONED_CART, "de")
    english = scenario_text(Scenario.ABANDONED_CART, "en")
    assert "# Warenkorbabbruch (Kauf)" in german and "name: Warenkorbabbruch" in german
    assert "# Abandoned cart (purchase)" in english
    assert validate_flow_text(german).flow.locales == ["de"]


def test_every_shipped_template_is_used_by_a_scenario() -> None:
    for language in LANGUAGES:
        used = {
            template_id
            for scenario in Scenario
            for template_id, _ in validate_flow_text(
                scenario_text(scenario, language)
            ).flow.templates()
        }
        assert used == set(scenario_templates(language))


@pytest.mark.parametrize(
    ("scenario", "stages", "expected"),
    [
        (Scenario.NPS_SURVEY, FIVE_STAGE, "experience"),
        (Scenario.NPS_SURVEY, ECOMMERCE, "retention"),
        (Scenario.REVIEW_REQUEST, ECOMMERCE, "advocacy"),
        (Scenario.ABANDONED_CART, frozenset({"decision", "after-sales"}), "decision"),
        (Scenario.CROSS_SELL, None, "retention"),
    ],
)
def test_stage_falls_back_to_what_the_maps_have(
    scenario: Scenario, stages: frozenset[str] | None, expected: str
) -> None:
    assert choose_stage(scenario, stages) == expected


def test_user_templates_are_kept_and_existing_flows_need_force(tmp_path: Path) -> None:
    context = FlowContext(tmp_path / "templates", None, None)
    mine = tmp_path / "templates" / "cart-reminder" / "de.subject.j2"
    mine.parent.mkdir(parents=True)
    mine.write_text("Mein Betreff\n", encoding="utf-8")
    made = create_flow("Cart", Scenario.ABANDONED_CART, "de", tmp_path / "flows", context)
    assert mine in made.kept and mine.read_text(encoding="utf-8") == "Mein Betreff\n"
    assert len(made.written) == 5
    with pytest.raises(Exception, match="exists already — choose another name or pass --force"):
        create_flow("Cart", Scenario.ABANDONED_CART, "de", tmp_path / "flows", context)
    again = create_flow(
        "Cart", Scenario.ABANDONED_CART, "de", tmp_path / "flows", context, force=True
    )
    assert again.written == []


def test_templates_render_in_a_sandbox(tmp_path: Path) -> None:
    folder = tmp_path / "t" / "x"
    folder.mkdir(parents=True)
    (folder / "de.txt.j2").write_text("{{ profile.__class__.__mro__ }}", encoding="utf-8")
    with pytest.raises(SecurityError):
        render_message(tmp_path / "t", "x", "de", MessageChannel.SMS, SAMPLE_CONTEXT)
    (folder / "de.txt.j2").write_text("Hallo {{ profile.frist_name }}", encoding="utf-8")
    with pytest.raises(UndefinedError, match="frist_name"):
        render_message(tmp_path / "t", "x", "de", MessageChannel.SMS, SAMPLE_CONTEXT)


def test_html_escapes_profile_values(tmp_path: Path) -> None:
    context = FlowContext(tmp_path / "templates", None, None)
    create_flow("Cart", Scenario.ABANDONED_CART, "en", tmp_path / "flows", context)
    hostile = {**SAMPLE_CONTEXT, "profile": {"first_name": "<script>x</script>"}}
    parts = render_message(
        tmp_path / "templates", "cart-reminder", "en", MessageChannel.EMAIL, hostile
    )
    assert "<script>" not in parts["html"] and "&lt;script&gt;" in parts["html"]
    assert "<script>x</script>" in parts["txt"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_survey_mails_answer_in_one_click_and_buttons_are_tracked(
    tmp_path: Path, language: str
) -> None:
    context = FlowContext(tmp_path / "templates", None, None)
    create_flow("NPS", Scenario.NPS_SURVEY, language, tmp_path / "flows", context)
    create_flow("Review", Scenario.REVIEW_REQUEST, language, tmp_path / "flows", context)
    answers: list[tuple[int, str]] = []
    clicks: list[str] = []

    def survey_url(score: int, survey: str = "nps") -> str:
        answers.append((score, survey))
        return f"https://shop.test/t/s/x?score={score}"

    def track_click(url: str) -> str:
        clicks.append(url)
        return "https://shop.test/t/c/x"

    tracked = {**SAMPLE_CONTEXT, "survey_url": survey_url, "track_click": track_click}
    templates = tmp_path / "templates"
    nps = render_message(templates, "nps-survey", language, MessageChannel.EMAIL, tracked)
    assert [a for a in answers if a[1] == "nps"] == [(n, "nps") for n in range(11)] * 2  # txt, html
    for score in (0, 10):
        assert f'href="https://shop.test/t/s/x?score={score}"' in nps["html"]
        assert f"{score}: https://shop.test/t/s/x?score={score}" in nps["txt"]
    review = render_message(templates, "review-request", language, MessageChannel.EMAIL, tracked)
    assert clicks and all(url.startswith("https://www.lumen-linen.de/") for url in clicks)
    assert 'href="https://shop.test/t/c/x"' in review["html"]
