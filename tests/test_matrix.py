"""Every combination of the optional components bakes a valid, consistent project."""

from pathlib import Path
from typing import Any

import pytest
from conftest import (
    ALL_ON,
    COMPONENTS,
    BakedProject,
    bake_into,
    ruff_findings,
    traces_of_removed,
)

PYTHON_VERSIONS = ("3.12", "3.13")
LICENSES = ("MIT", "Apache-2.0", "BSD-3-Clause", "Proprietary")


def combination(number: int) -> dict[str, Any]:
    """The answers of one combination: bit i of the number switches component i.

    The Python version and the license vary too, spread so that each of them
    meets every component both on and off (32 or 64 bakes each).
    """
    switches = {name: bool(number >> bit & 1) for bit, name in enumerate(COMPONENTS)}
    return {
        **switches,
        "python_version": PYTHON_VERSIONS[number.bit_count() % 2],
        "open_source_license": LICENSES[(number + number.bit_count()) % len(LICENSES)],
    }


def combination_id(number: int) -> str:
    answers = combination(number)
    on = [name for name in COMPONENTS if answers[name]] or ["none"]
    return "+".join(on)


COMBINATIONS = range(2 ** len(COMPONENTS))


@pytest.fixture(scope="module")
def files_of_each_component(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[set[str], dict[str, set[str]]]:
    """The files of the full project, and those that go with each component.

    A component's files are the ones missing when only it is switched off, so
    the table in the post-generation hook is read from its effect.
    """
    root = tmp_path_factory.mktemp("reference")
    everything = bake_into(root / "all", ALL_ON).relative_files()
    owned = {}
    for name in COMPONENTS:
        without = bake_into(root / name, {**ALL_ON, name: False}).relative_files()
        assert without <= everything, (
            f"switching {name} off adds {without - everything}"
        )
        owned[name] = everything - without
    return everything, owned


@pytest.fixture(scope="module")
def baked_matrix(tmp_path_factory: pytest.TempPathFactory) -> dict[int, BakedProject]:
    root = tmp_path_factory.mktemp("matrix")
    return {
        number: bake_into(root / f"{number:03d}", combination(number))
        for number in COMBINATIONS
    }


@pytest.fixture(scope="module")
def ruff_report(baked_matrix: dict[int, BakedProject]) -> dict[Path, list[str]]:
    """One ruff run over every combination instead of one per combination."""
    return ruff_findings([project.path for project in baked_matrix.values()])


@pytest.mark.parametrize("number", COMBINATIONS, ids=combination_id)
def test_combination_is_valid(
    baked_matrix: dict[int, BakedProject],
    ruff_report: dict[Path, list[str]],
    number: int,
) -> None:
    project = baked_matrix[number]

    problems = project.validity_problems() + ruff_report[project.path]

    assert not problems, "\n".join(problems)
    assert (
        project.read(".python-version").strip() == combination(number)["python_version"]
    )


@pytest.mark.parametrize("number", COMBINATIONS, ids=combination_id)
def test_combination_mentions_no_switched_off_component(
    baked_matrix: dict[int, BakedProject], number: int
) -> None:
    project = baked_matrix[number]

    traces = traces_of_removed(project)

    assert not traces, "\n".join(traces)


@pytest.mark.parametrize("number", COMBINATIONS, ids=combination_id)
def test_combination_has_exactly_the_files_of_its_components(
    baked_matrix: dict[int, BakedProject],
    files_of_each_component: tuple[set[str], dict[str, set[str]]],
    number: int,
) -> None:
    everything, owned = files_of_each_component
    answers = combination(number)
    expected = everything - set().union(
        *(owned[name] for name in COMPONENTS if not answers[name])
    )

    files = baked_matrix[number].relative_files()

    assert sorted(files - expected) == [], "files no component explains"
    assert sorted(expected - files) == [], "files of switched-on components missing"
