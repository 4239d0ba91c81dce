import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.logging_config import (
    configure_logging,
    request_id_var,
)


@pytest.fixture(autouse=True)
def restore_root_logger() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in root.handlers:
        if handler not in handlers:
            handler.close()
    root.handlers[:] = handlers
    root.setLevel(level)


def test_records_go_to_a_rotating_file_with_the_request_id(tmp_path: Path) -> None:
    configure_logging(logging.INFO, tmp_path, "service.log")
    token = request_id_var.set("abc123")
    try:
        logging.getLogger("example").info("order %s shipped", 7)
    finally:
        request_id_var.reset(token)

    text = (tmp_path / "service.log").read_text(encoding="utf-8")
    assert "INFO" in text
    assert "[abc123] order 7 shipped" in text


def test_configuring_twice_does_not_duplicate_lines(tmp_path: Path) -> None:
    configure_logging(logging.INFO, tmp_path, "service.log")
    configure_logging(logging.INFO, tmp_path, "service.log")

    logging.getLogger("example").info("once")

    text = (tmp_path / "service.log").read_text(encoding="utf-8")
    assert text.count("once") == 1


def test_level_filters_lower_records(tmp_path: Path) -> None:
    configure_logging(logging.WARNING, tmp_path, "service.log")

    logging.getLogger("example").info("quiet")
    logging.getLogger("example").warning("loud")

    text = (tmp_path / "service.log").read_text(encoding="utf-8")
    assert "quiet" not in text
    assert "loud" in text


def test_without_a_log_dir_nothing_is_written(tmp_path: Path) -> None:
    configure_logging(logging.INFO, None, "service.log")

    logging.getLogger("example").info("console only")

    assert list(tmp_path.iterdir()) == []


def test_debug_level_keeps_the_sdks_request_bodies_out(tmp_path: Path) -> None:
    configure_logging(logging.DEBUG, tmp_path, "service.log")

    logging.getLogger("openai._base_client").debug("Request options: {'json_data'}")
    logging.getLogger("example").debug("our own detail")

    text = (tmp_path / "service.log").read_text(encoding="utf-8")
    assert "json_data" not in text
    assert "our own detail" in text
