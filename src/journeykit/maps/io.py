"""Loading, saving and formatting map files.

Loading always validates; saving writes the canonical form of a model; formatting re-indents a
user's file in the house style while keeping its comments, key order and quoting.
"""

from __future__ import annotations

from pathlib import Path

from journeykit.maps import yamlio
from journeykit.maps.model import JourneyMap
from journeykit.maps.validate import validate_map_file, validate_map_text


def load_map(path: Path | str) -> JourneyMap:
    """The validated map in ``path``; raises ``MapInvalid`` naming every problem."""
    return validate_map_file(path)


def map_to_yaml(journey_map: JourneyMap, header: str | None = None) -> str:
    """The canonical YAML text of a map (defaults left out), with an optional comment header."""
    text = yamlio.dump(journey_map.to_data())
    if header:
        comment = "".join(f"# {line}".rstrip() + "\n" for line in header.splitlines())
        text = comment + text
    return text


def save_map(journey_map: JourneyMap, path: Path | str, header: str | None = None) -> Path:
    """Write a map in canonical form; returns the path written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(map_to_yaml(journey_map, header), encoding="utf-8")
    return path


def format_map_text(text: str, file: str = "<map>") -> str:
    """A user's map text in house style; comments, order and quoting are kept.

    The map must be valid first, so formatting never hides or moves a problem.
    """
    validate_map_text(text, file)
    return yamlio.dump(yamlio.parse(text, file))
