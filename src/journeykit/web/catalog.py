"""The workspace's maps as the web app sees them: every file an entry, valid or not.

Files change while the server runs, so the catalog looks at the maps folder on every request and
reloads only the files whose modification stamp changed. A broken file still becomes an entry (with
its problems), so the index lists it instead of failing; a second file claiming an id that is taken
gets a problem instead of shadowing the first.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from fastapi import Request

from journeykit.errors import JourneykitError, Problem, suggestion
from journeykit.maps import yamlio
from journeykit.maps.io import load_map
from journeykit.maps.model import ID_PATTERN, JourneyMap
from journeykit.workspace import Workspace

Stamp = tuple[int, int]


@dataclass(frozen=True)
class MapEntry:
    """One map file: its id (from the file, else its name), the map if it loads, its problems."""

    id: str
    path: Path
    journey_map: JourneyMap | None
    problems: tuple[Problem, ...] = ()

    @property
    def valid(self) -> bool:
        return self.journey_map is not None and not self.problems


class MapNotFound(JourneykitError):
    """No map has the id asked for; ``hint`` names the closest id or the known ones."""

    def __init__(self, map_id: str, known: list[str]) -> None:
        self.map_id = map_id
        self.hint = suggestion(map_id, known) if known else "the workspace has no maps yet"
        super().__init__(f"no map with id '{map_id}'")


class MapCatalog:
    """The maps of one workspace, reloaded when their files change."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self._cache: dict[Path, tuple[Stamp, MapEntry]] = {}
        self._lock = threading.Lock()

    def entries(self) -> list[MapEntry]:
        """Every map file in name order; later files reusing a taken id carry a problem."""
        loaded = [self._entry(path) for path in self.workspace.map_files()]
        return _flag_duplicates(loaded, self.workspace.root)

    def find(self, map_id: str) -> MapEntry:
        """The first entry with ``map_id``; raises ``MapNotFound`` with a "did you mean" hint."""
        entries = self.entries()
        for entry in entries:
            if entry.id == map_id:
                return entry
        raise MapNotFound(map_id, list(dict.fromkeys(entry.id for entry in entries)))

    def relative(self, path: Path | str) -> str:
        """A path as shown to people: relative to the workspace when inside it."""
        return relative_path(path, self.workspace.root)

    def _entry(self, path: Path) -> MapEntry:
        try:
            status = path.stat()
        except OSError:
            return _load(path)
        stamp = (status.st_mtime_ns, status.st_size)
        with self._lock:
            cached = self._cache.get(path)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        entry = _load(path)
        with self._lock:
            self._cache[path] = (stamp, entry)
        return entry


def _load(path: Path) -> MapEntry:
    try:
        journey_map = load_map(path)
    except JourneykitError as error:
        return MapEntry(
            _raw_id(path), path, None, tuple(error.problems or [_as_problem(error, path)])
        )
    return MapEntry(journey_map.id, path, journey_map)


def _as_problem(error: JourneykitError, path: Path) -> Problem:
    """A file-level error (unreadable, not UTF-8) in the shape of a located problem."""
    what, _, hint = str(error).removeprefix(f"{path}: ").partition(" — ")
    return Problem(str(path), None, None, "", what, hint or None)


def _raw_id(path: Path) -> str:
    """The id written in a broken file when it can be read, so its URL stays the same once fixed."""
    try:
        data = yamlio.parse(yamlio.read_text(path), str(path))
    except JourneykitError:
        return path.stem
    value = data.get("id") if isinstance(data, Mapping) else None
    if isinstance(value, str) and re.match(ID_PATTERN, value):
        return value
    return path.stem


def _flag_duplicates(entries: list[MapEntry], root: Path) -> list[MapEntry]:
    first: dict[str, MapEntry] = {}
    result = []
    for entry in entries:
        owner = first.setdefault(entry.id, entry)
        if owner is not entry:
            entry = replace(entry, problems=(*entry.problems, _duplicate(entry, owner, root)))
        result.append(entry)
    return result


def _duplicate(entry: MapEntry, owner: MapEntry, root: Path) -> Problem:
    taken_by = relative_path(owner.path, root)
    return Problem(
        str(entry.path),
        _id_line(entry.path),
        None,
        "id",
        f"the id '{entry.id}' is already used by {taken_by}",
        "give this map another id",
    )


def _id_line(path: Path) -> int | None:
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    return next((n for n, line in enumerate(lines, start=1) if line.startswith("id:")), None)


def relative_path(path: Path | str, root: Path) -> str:
    """``path`` relative to ``root`` in forward slashes, or unchanged when outside it."""
    path = Path(path)
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)


def catalog_from(request: Request) -> MapCatalog:
    """FastAPI dependency: the catalog the app was created with."""
    catalog = request.app.state.catalog
    if not isinstance(catalog, MapCatalog):
        raise TypeError("the app has no map catalog; build it with create_app(workspace)")
    return catalog
