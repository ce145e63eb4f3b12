"""The demo data generator: configuration, determinism, public API, progress and the module CLI."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from pydantic import ValidationError
from rich.console import Console

import journeykit.datasets.generator as generator
from journeykit.datasets.generator import (
    DemoTruth,
    GeneratorConfig,
    generate_demo_files,
    simulate,
    terminal_progress,
    write_parquet,
)
from journeykit.datasets.generator.__main__ import main
from journeykit.events.schema import EVENT_SCHEMA

SMALL = GeneratorConfig(customers=250, chunk_customers=100, seed=11)


def _tree(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def test_public_api_is_pinned() -> None:
    assert sorted(generator.__all__) == [
        "DemoTruth",
        "Effect",
        "EffectsConfig",
        "Ga4Sink",
        "GeneratorConfig",
        "GermanCsvSink",
        "ParquetSink",
        "ProgressCallback",
        "SegmentSink",
        "ShopifyOrdersSink",
        "Simulation",
        "generate_demo_files",
        "mapping_yaml",
        "route",
        "simulate",
        "terminal_progress",
        "write_events",
        "write_german_csv",
        "write_parquet",
    ]
    for name in generator.__all__:
        assert hasattr(generator, name), name


def test_same_seed_gives_byte_identical_demo_files(tmp_path: Path) -> None:
    first = generate_demo_files(tmp_path / "a", SMALL)
    second = generate_demo_files(tmp_path / "b", SMALL)
    tree_a, tree_b = _tree(tmp_path / "a"), _tree(tmp_path / "b")
    assert tree_a.keys() == tree_b.keys()
    assert [name for name in tree_a if tree_a[name] != tree_b[name]] == []
    assert first == second
    assert {"truth.json", "crm/kundenereignisse.mapping.yaml"} <= set(tree_a)
    assert len([name for name in tree_a if name.startswith("ga4/events_2024")]) > 100


def test_same_seed_gives_byte_identical_parquet_and_another_seed_differs(tmp_path: Path) -> None:
    write_parquet(tmp_path / "a.parquet", SMALL)
    write_parquet(tmp_path / "b.parquet", SMALL)
    write_parquet(tmp_path / "c.parquet", SMALL.model_copy(update={"seed": 12}))
    assert (tmp_path / "a.parquet").read_bytes() == (tmp_path / "b.parquet").read_bytes()
    assert (tmp_path / "a.parquet").read_bytes() != (tmp_path / "c.parquet").read_bytes()


def test_batches_follow_the_event_schema_with_unique_ids() -> None:
    table = pq.read_table(io.BytesIO(_parquet_bytes(SMALL)))
    assert table.schema.equals(EVENT_SCHEMA)
    ids = table.column("event_id").to_pylist()
    assert len(ids) == len(set(ids))
    assert table.column("ts").null_count == 0
    assert table.column("name").null_count == 0


def _parquet_bytes(config: GeneratorConfig) -> bytes:
    buffer = io.BytesIO()
    writer = pq.ParquetWriter(buffer, EVENT_SCHEMA)
    for batch in simulate(config):
        writer.write_batch(batch)
    writer.close()
    return buffer.getvalue()


def test_progress_callback_reports_each_chunk() -> None:
    calls: list[tuple[int, int, int]] = []
    simulation = simulate(SMALL, lambda *args: calls.append(args))
    events = sum(batch.num_rows for batch in simulation)
    assert [(done, total) for _, done, total in calls] == [(100, 250), (200, 250), (250, 250)]
    assert calls[-1][0] == events == simulation.truth.counts["events"]


def test_truth_needs_a_finished_run() -> None:
    with pytest.raises(RuntimeError, match="iterate"):
        _ = simulate(SMALL).truth


def test_truth_json_round_trips_and_names_every_effect(tmp_path: Path) -> None:
    truth = write_parquet(tmp_path / "events.parquet", SMALL)
    assert truth.files == {
        "events.parquet": {
            "events": truth.counts["events"],
            "bytes": (tmp_path / "events.parquet").stat().st_size,
        }
    }
    path = truth.write(tmp_path / "truth.json")
    assert DemoTruth.read(path) == truth
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["format"] == 1
    assert data["config"]["seed"] == 11
    assert set(data["effects"]) == {
        "mobile_checkout_dropoff",
        "shipping_cost_abandonment",
        "email_campaign_lift",
    }
    for effect in data["effects"].values():
        assert effect["parameter"] and effect["realised"] and effect["definition"]


def test_config_is_validated_with_helpful_messages() -> None:
    with pytest.raises(ValidationError, match="unknown persona 'paul'"):
        GeneratorConfig(persona_mix={"paul": 1.0})
    with pytest.raises(ValidationError, match="unknown time zone"):
        GeneratorConfig(timezone="Mars/Olympus")
    with pytest.raises(ValidationError, match="before start"):
        GeneratorConfig(start="2024-05-01", end="2024-04-01")
    with pytest.raises(ValidationError):
        GeneratorConfig(customers=0)


def test_config_sized_by_events_lands_near_the_target() -> None:
    config = GeneratorConfig.for_events(60_000, seed=3)
    events = sum(batch.num_rows for batch in simulate(config))
    assert 0.8 * 60_000 < events < 1.2 * 60_000


def test_effects_parameters_are_recorded_as_configured() -> None:
    config = SMALL.model_copy(
        update={"effects": SMALL.effects.model_copy(update={"mobile_checkout_gap": 0.3})}
    )
    simulation = simulate(config)
    for _ in simulation:
        pass
    parameter = simulation.truth.effects["mobile_checkout_dropoff"].parameter
    assert parameter["gap_points"] == pytest.approx(30.0)
    assert parameter["completion_mobile"] == pytest.approx(0.72 - 0.3)


def test_terminal_progress_stays_silent_off_a_terminal() -> None:
    quiet = Console(file=io.StringIO(), force_terminal=False)
    with terminal_progress("demo", 10, quiet) as progress:
        assert progress is None
    screen = io.StringIO()
    loud = Console(file=screen, force_terminal=True, width=120)
    with terminal_progress("demo", 10, loud) as progress:
        assert progress is not None
        progress(500, 10, 10)
    assert "demo" in screen.getvalue()


def test_module_cli_writes_parquet_and_prints_the_truth(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "events.parquet"
    assert main([str(target), "--format", "parquet", "--customers", "120", "--seed", "5"]) == 0
    truth = json.loads(capsys.readouterr().out)
    assert truth["counts"]["events"] == pq.read_metadata(target).num_rows
    assert truth["config"]["customers"] == 120
