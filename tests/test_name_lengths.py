"""Every accepted length of package name and slug bakes code ruff leaves alone."""

from collections.abc import Callable

import pytest
from conftest import BakedProject, Refusal, ruff_problems

PACKAGE_NAME_LIMIT = 30
SLUG_LIMIT = 63


@pytest.mark.parametrize(
    "answers",
    [
        {"package_name": "a"},
        {"package_name": "a" * PACKAGE_NAME_LIMIT},
        # Sorts after the tests package, whose imports must still come last.
        {"package_name": "z" * PACKAGE_NAME_LIMIT},
        {"project_slug": "s" * SLUG_LIMIT, "package_name": "shop"},
    ],
    ids=["package-1", "package-30", "package-30-after-tests", "slug-63"],
)
def test_longest_and_shortest_names_bake_code_ruff_accepts(
    bake: Callable[..., BakedProject], answers: dict[str, str]
) -> None:
    project = bake(**answers)

    problems = ruff_problems([project.path])

    assert not problems, problems


def test_package_name_over_the_limit_is_refused_in_one_line(
    refused_bake: Callable[..., Refusal],
) -> None:
    too_long = "a" * (PACKAGE_NAME_LIMIT + 1)

    refusal = refused_bake(package_name=too_long)

    refusal.assert_one_clear_error(
        f"is {len(too_long)} characters; keep it to {PACKAGE_NAME_LIMIT}"
    )


def test_widest_accepted_project_name_bakes_code_ruff_accepts(
    bake: Callable[..., BakedProject],
) -> None:
    # Thirty wide characters take sixty columns, as ruff counts line length.
    project = bake(project_name="日" * 30, project_slug="wide")

    problems = ruff_problems([project.path])

    assert not problems, problems


def test_project_name_wider_than_the_limit_is_refused_in_one_line(
    refused_bake: Callable[..., Refusal],
) -> None:
    refusal = refused_bake(project_name="日" * 31, project_slug="wide")

    refusal.assert_one_clear_error("is 62 columns wide; keep it to 60")
