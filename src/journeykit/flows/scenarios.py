"""The ten ready-made flows, one per journey situation, in German and English.

Each scenario is a flow file shipped as package data (``scenarios/<lang>/<scenario>.yaml``) with
the message templates it sends (``scenarios/<lang>/templates.yaml``). ``create_flow`` copies one
into a workspace under the user's name, on a stage its maps know, and writes its templates into
``templates/`` — keeping any template the user already has, so their edits are never lost.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Any

from journeykit.errors import JourneykitError
from journeykit.flows.model import Flow, MessageChannel
from journeykit.flows.templates import PARTS, template_name
from journeykit.flows.tracking import SURVEYS
from journeykit.flows.validate import FlowContext, validate_flow_text
from journeykit.maps import yamlio
from journeykit.maps.validate import slugify
from journeykit.maps.yamlload import load


class Scenario(StrEnum):
    """The ready-made flows (`journeykit flows new NAME --scenario …`)."""

    RETARGETING_EXPORT = "retargeting-export"
    BROWSE_ABANDONMENT = "browse-abandonment"
    WELCOME_SERIES = "welcome-series"
    ABANDONED_CART = "abandoned-cart"
    NPS_SURVEY = "nps-survey"
    REVIEW_REQUEST = "review-request"
    CROSS_SELL = "cross-sell"
    LOYALTY_MILESTONE = "loyalty-milestone"
    WIN_BACK = "win-back"
    RE_ENGAGEMENT = "re-engagement"


# The stage each scenario serves, then stand-ins from the other presets, in order of preference:
# five-stage (experience), six-stage (after-sales, engagement), ecommerce (retention, advocacy).
STAGES: dict[Scenario, tuple[str, ...]] = {
    Scenario.RETARGETING_EXPORT: ("awareness",),
    Scenario.BROWSE_ABANDONMENT: ("consideration", "interest"),
    Scenario.WELCOME_SERIES: ("consideration", "interest"),
    Scenario.ABANDONED_CART: ("purchase", "decision"),
    Scenario.NPS_SURVEY: ("experience", "after-sales", "retention"),
    Scenario.REVIEW_REQUEST: ("experience", "after-sales", "advocacy", "retention"),
    Scenario.CROSS_SELL: ("retention", "engagement"),
    Scenario.LOYALTY_MILESTONE: ("retention", "engagement"),
    Scenario.WIN_BACK: ("retention", "engagement"),
    Scenario.RE_ENGAGEMENT: ("retention", "engagement"),
}
LANGUAGES = ("de", "en")
SAMPLE_CONTEXT: dict[str, Any] = {
    "profile": {"first_name": "Anna", "email": "anna@example.org", "loyalty_tier": "gold"},
    "event": {"product": "Halbleinen-Bettwäsche natur", "category": "bettwaesche-halbleinen"},
    "shop": {"name": "Lumen & Linen", "url": "https://www.lumen-linen.de"},
    "unsubscribe_url": "https://www.lumen-linen.de/u/preview",
    "track_click": lambda url: url,
    "survey_url": lambda score, survey="nps": (
        f"https://www.lumen-linen.de/t/s/preview?score={score}"
    ),
}
_FOOTER = {
    "de": "Sie erhalten diese E-Mail von {{ shop.name }}. Abmelden: {{ unsubscribe_url }}",
    "en": "You receive this email from {{ shop.name }}. Unsubscribe: {{ unsubscribe_url }}",
}
_JINJA = re.compile(r"(\{\{.*?\}\}|\{%.*?%\})")
_SCALE_LEGEND = {
    "nps": {
        "de": "0 = unwahrscheinlich · 10 = äußerst wahrscheinlich",
        "en": "0 = not at all likely · 10 = extremely likely",
    },
    "csat": {
        "de": "1 = sehr unzufrieden · 5 = sehr zufrieden",
        "en": "1 = very dissatisfied · 5 = very satisfied",
    },
}


@dataclass(frozen=True)
class NewFlow:
    """What ``create_flow`` did: the flow file, and the template files written or kept."""

    path: Path
    flow: Flow
    written: list[Path]
    kept: list[Path]


def _data_file(language: str, name: str) -> str:
    folder = resources.files("journeykit.flows").joinpath("scenarios", language)
    return folder.joinpath(name).read_text(encoding="utf-8")


def _language(language: str) -> str:
    if language not in LANGUAGES:
        raise JourneykitError(f"'{language}' is not a language — use 'de' or 'en'")
    return language


def scenario_text(scenario: Scenario, language: str) -> str:
    """The scenario's flow file as shipped (with its comments)."""
    return _data_file(_language(language), f"{scenario.value}.yaml")


def scenario_templates(language: str) -> dict[str, dict[str, Any]]:
    """The scenario templates of one language: id → channel, subject, paragraphs, button."""
    data = load(_data_file(_language(language), "templates.yaml"), f"templates.{language}.yaml")
    return dict(data)


def template_files(template_id: str, language: str) -> dict[str, str]:
    """The files of one scenario template: name relative to ``templates/`` → Jinja2 source."""
    spec = scenario_templates(language)[template_id]
    channel = MessageChannel(spec["channel"])
    parts = _parts(spec, channel, language)
    return {template_name(template_id, language, part): parts[part] for part in PARTS[channel]}


def _parts(spec: Mapping[str, Any], channel: MessageChannel, language: str) -> dict[str, str]:
    paragraphs: list[str] = list(spec["paragraphs"])
    button = spec.get("button")
    scale = spec.get("scale")
    text = "\n\n".join(paragraphs)
    if channel is MessageChannel.EMAIL:
        if scale:
            links = "\n".join(f"{n}: {{{{ survey_url({n}, '{scale}') }}}}" for n in _scores(scale))
            text += f"\n\n{links}\n({_SCALE_LEGEND[scale][language]})"
        if button:
            text += f"\n\n{button['label']}: {_tracked(button['url'])}"
        text += f"\n\n-- \n{_FOOTER[language]}"
    parts = {"subject": str(spec["subject"]) + "\n", "txt": text + "\n"}
    if channel is MessageChannel.EMAIL:
        parts["html"] = _html(paragraphs, button, scale, language)
    return parts


def _scores(scale: str) -> range:
    low, high = SURVEYS[scale]
    return range(low, high + 1)


def _tracked(url: str) -> str:
    """``url`` (text with Jinja2 expressions) as a click-tracked link: ``{{ track_click(…) }}``."""
    pieces = [piece for piece in _JINJA.split(url) if piece]
    terms = [piece[2:-2].strip() if _JINJA.fullmatch(piece) else _quoted(piece) for piece in pieces]
    return "{{ track_click(" + " ~ ".join(terms) + ") }}"


def _quoted(text: str) -> str:
    """A Jinja2 string literal in single quotes (the HTML attribute around it uses double)."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _html(
    paragraphs: list[str], button: Mapping[str, str] | None, scale: str | None, language: str
) -> str:
    """A small, inline-styled HTML body (mail clients ignore style sheets)."""
    body = "".join(f"    <p>{_escape(p)}</p>\n" for p in paragraphs)
    if scale:
        cells = "".join(
            f'<a href="{{{{ survey_url({n}, \'{scale}\') }}}}" style="display:inline-block;'
            f"width:34px;padding:8px 0;margin:0 2px 4px 0;text-align:center;background:#2f5d50;"
            f'color:#fff;border-radius:4px;text-decoration:none">{n}</a>'
            for n in _scores(scale)
        )
        legend = html.escape(_SCALE_LEGEND[scale][language])
        body += f'    <p>{cells}</p>\n    <p style="color:#555;font-size:12px">{legend}</p>\n'
    if button:
        body += (
            f'    <p><a href="{_tracked(button["url"])}" style="background:#2f5d50;color:#fff;'
            f'padding:10px 18px;border-radius:4px;text-decoration:none">'
            f"{_escape(button['label'])}</a></p>\n"
        )
    footer = _escape(_FOOTER[language]).replace(
        "{{ unsubscribe_url }}", '<a href="{{ unsubscribe_url }}">{{ unsubscribe_url }}</a>'
    )
    return (
        f'<!DOCTYPE html>\n<html lang="{language}">\n  <body style="font-family:sans-serif;'
        f'color:#222;max-width:560px">\n{body}'
        f'    <p style="color:#777;font-size:12px">{footer}</p>\n  </body>\n</html>\n'
    )


def _escape(text: str) -> str:
    """HTML-escape fixed text but not the Jinja2 expressions in it (those autoescape)."""
    return "".join(
        part if _JINJA.fullmatch(part) else html.escape(part, quote=True)
        for part in _JINJA.split(text)
    )


def choose_stage(scenario: Scenario, stage_ids: frozenset[str] | None) -> str:
    """The scenario's stage, or the first stand-in the workspace's maps have."""
    choices = STAGES[scenario]
    if stage_ids:
        for stage in choices:
            if stage in stage_ids:
                return stage
    return choices[0]


def scenario_flow_text(scenario: Scenario, language: str, name: str, stage: str) -> str:
    """The scenario's flow text renamed to ``name`` on ``stage``, comments kept."""
    data = yamlio.parse(scenario_text(scenario, language), f"{scenario.value}.yaml")
    data["id"] = slugify(name)
    data["name"] = name
    data["stage"] = stage
    return yamlio.dump(data)


def create_flow(
    name: str,
    scenario: Scenario,
    language: str,
    flows_dir: Path,
    context: FlowContext,
    *,
    force: bool = False,
) -> NewFlow:
    """Write a new flow from a scenario plus its missing templates; returns what was written."""
    if context.templates_dir is None:
        raise ValueError("create_flow needs a templates folder")
    path = flows_dir / f"{slugify(name)}.yaml"
    if path.exists() and not force:
        raise JourneykitError(f"{path}: exists already — choose another name or pass --force")
    text = scenario_flow_text(scenario, language, name, choose_stage(scenario, context.stage_ids))
    flow = validate_flow_text(text, str(path)).flow
    written, kept = [], []
    for template_id, _channel in flow.templates():
        for relative, source in template_files(template_id, language).items():
            target = context.templates_dir / relative
            if target.exists():
                kept.append(target)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(source, encoding="utf-8")
            written.append(target)
    flows_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return NewFlow(path, flow, written, kept)
