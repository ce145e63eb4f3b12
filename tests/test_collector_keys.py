"""Write keys: ``journeykit keys create|list|revoke`` and what the store keeps of them."""

from __future__ import annotations

import json
import sqlite3

from typer.testing import CliRunner

from journeykit.cli import app
from journeykit.errors import JourneykitError
from journeykit.events.collector import collector_engine, create_key, list_keys, revoke_key
from journeykit.events.collector.keys import hash_key, source_of
from journeykit.workspace import Workspace

runner = CliRunner()


def keys_cli(workspace: Workspace, *args: str) -> tuple[int, str, str]:
    """Exit code, stdout and stderr; a user error's report stands in for stderr, as ``main``
    prints it there (CliRunner calls the app without ``main``)."""
    result = runner.invoke(app, ["--workspace", str(workspace.root), "keys", *args])
    error = result.exception
    if isinstance(error, JourneykitError):
        return 1, result.stdout, error.report()
    return result.exit_code, result.stdout, result.stderr


def test_create_prints_only_the_key_and_stores_only_its_hash(workspace: Workspace) -> None:
    code, out, err = keys_cli(workspace, "create", "web-shop")
    key = out.strip()
    assert code == 0
    assert out == key + "\n"
    assert key.startswith("jk_") and len(key) == 35
    assert "store it now" in err
    with sqlite3.connect(workspace.data_dir / "ops.sqlite") as connection:
        stored = connection.execute("SELECT key_hash, key_prefix FROM collector_keys").fetchall()
    connection.close()
    assert stored == [(hash_key(key), key[:11])]


def test_list_and_revoke(workspace: Workspace) -> None:
    keys_cli(workspace, "create", "web-shop")
    keys_cli(workspace, "create", "app")
    code, out, _ = keys_cli(workspace, "list", "--json")
    assert code == 0
    assert [entry["name"] for entry in json.loads(out)] == ["app", "web-shop"]
    assert keys_cli(workspace, "revoke", "app")[0] == 0
    listed = {
        entry["name"]: entry for entry in json.loads(keys_cli(workspace, "list", "--json")[1])
    }
    assert listed["app"]["revoked_at"] is not None
    assert listed["web-shop"]["revoked_at"] is None


def test_key_errors_say_what_and_how_to_fix(workspace: Workspace) -> None:
    keys_cli(workspace, "create", "web-shop")
    code, _, err = keys_cli(workspace, "create", "web-shop")
    assert code == 1
    assert "a write key named 'web-shop' already exists — choose another name" in err
    code, _, err = keys_cli(workspace, "revoke", "web-shp")
    assert code == 1
    assert "no write key named 'web-shp' — did you mean 'web-shop'?" in err
    code, _, err = keys_cli(workspace, "create", "web shop")
    assert code == 1
    assert "'web shop' is not a valid key name" in err


def test_only_active_keys_identify_a_source(workspace: Workspace) -> None:
    engine = collector_engine(workspace)
    try:
        key = create_key(engine, "shop")
        assert source_of(engine, key) == "shop"
        assert source_of(engine, key + "x") is None
        revoke_key(engine, "shop")
        assert source_of(engine, key) is None
        assert not list_keys(engine)[0].active
    finally:
        engine.dispose()


def test_the_collector_api_is_pinned() -> None:
    """What ``journeykit.events.collector`` exports; a change here is a deliberate one."""
    import journeykit.events.collector as collector

    assert sorted(collector.__all__) == [
        "Collector",
        "CollectorConfig",
        "CollectorRequestError",
        "InvalidRequest",
        "KeyProblem",
        "PayloadTooLarge",
        "Unauthorized",
        "WriteKey",
        "build_collector",
        "collector_engine",
        "collector_router",
        "create_collector_app",
        "create_key",
        "list_keys",
        "revoke_key",
    ]
    for name in collector.__all__:
        assert hasattr(collector, name), name
