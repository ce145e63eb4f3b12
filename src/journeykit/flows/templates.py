"""Message templates in the workspace: where each part lives and how it is rendered.

A template is a folder ``templates/<id>/`` with one file per locale and part:
``<locale>.subject.j2`` (email subject, push title), ``<locale>.txt.j2`` (plain text: email, SMS,
push body) and ``<locale>.html.j2`` (email HTML, auto-escaped). They render in Jinja2's
``SandboxedEnvironment`` with undefined variables as errors, so a template cannot reach into
Python and a typo in a variable name fails loudly instead of sending a blank.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from journeykit.flows.model import MessageChannel

if TYPE_CHECKING:
    from jinja2.sandbox import SandboxedEnvironment

PARTS: dict[MessageChannel, tuple[str, ...]] = {
    MessageChannel.EMAIL: ("subject", "txt", "html"),
    MessageChannel.SMS: ("txt",),
    MessageChannel.PUSH: ("subject", "txt"),
}


def template_name(template_id: str, locale: str, part: str) -> str:
    """The file name of one part, relative to ``templates/``: ``cart-reminder/de.html.j2``."""
    return f"{template_id}/{locale}.{part}.j2"


def missing_parts(
    templates_dir: Path, template_id: str, locale: str, channel: MessageChannel
) -> list[str]:
    """The part files a send on ``channel`` needs that are not in ``templates_dir``."""
    return [
        template_name(template_id, locale, part)
        for part in PARTS[channel]
        if not (templates_dir / template_name(template_id, locale, part)).is_file()
    ]


def environment(templates_dir: Path) -> SandboxedEnvironment:
    """The sandbox every message renders in: HTML parts escaped, undefined variables errors.

    Jinja2 is imported here, not at module level, so `journeykit --help` does not pay for it.
    """
    from jinja2 import FileSystemLoader, StrictUndefined, select_autoescape
    from jinja2.sandbox import SandboxedEnvironment

    return SandboxedEnvironment(
        loader=FileSystemLoader(templates_dir),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )


def render_message(
    templates_dir: Path,
    template_id: str,
    locale: str,
    channel: MessageChannel,
    context: Mapping[str, Any],
) -> dict[str, str]:
    """Every part of a message for one locale, e.g. ``{"subject": …, "txt": …, "html": …}``."""
    env = environment(templates_dir)
    return {
        part: env.get_template(template_name(template_id, locale, part)).render(context)
        for part in PARTS[channel]
    }
