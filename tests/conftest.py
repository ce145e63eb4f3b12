"""Shared fixtures: golden-file updates, example maps, a fresh workspace."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["postgres_server"]  # the session PostgreSQL server fixture

TESTS = Path(__file__).parent
GOLDEN = TESTS / "golden"
FIXTURES = TESTS / "fixtures"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="Rewrite golden files from the current output (review the diff before committing).",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture
def golden(update_golden: bool):  # type: ignore[no-untyped-def]
    """Compare text with ``tests/golden/NAME``; ``--update-golden`` rewrites the file instead."""

    def check(name: str, actual: str) -> None:
        path = GOLDEN / name
        if update_golden or not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(actual, encoding="utf-8")
            if not update_golden:
                pytest.fail(
                    f"golden file {path} was missing and has been written; review and rerun"
                )
        expected = path.read_text(encoding="utf-8")
        assert actual == expected, (
            f"output differs from {path}; rerun with --update-golden to accept"
        )

    return check


@pytest.fixture
def workspace(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A fresh German ecommerce workspace."""
    from journeykit.workspace import init_workspace

    return init_workspace(tmp_path / "ws")
