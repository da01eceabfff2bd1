"""Whole-file reads under a limit ask for the file's size, not for the limit."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from platecheck.boundedread import read_at_most
from platecheck.cache import read_regular
from platecheck.errors import FileTooLarge
from platecheck.yamlio import read_bytes


class _Recording(io.BytesIO):
    """A stream that remembers how much each read asked for."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.asked: list[int] = []

    def read(self, size: int | None = -1) -> bytes:
        self.asked.append(-1 if size is None else size)
        return super().read(size)


def test_a_small_file_is_read_with_its_size() -> None:
    stream = _Recording(b"abc")
    assert read_at_most(stream, 3, 32 << 20) == b"abc"
    assert stream.asked == [4]


@pytest.mark.parametrize("reported", [0, 2])  # a special file reports 0; a file that grew
def test_a_file_holding_more_than_its_size_said_is_read_to_the_limit(reported: int) -> None:
    assert read_at_most(_Recording(b"abcdef"), reported, 100) == b"abcdef"
    assert read_at_most(_Recording(b"abcdef"), reported, 4) == b"abcde"  # limit + 1: too large


def test_a_file_over_the_limit_gives_one_byte_more() -> None:
    assert read_at_most(_Recording(b"x" * 10), 10, 6) == b"x" * 7


def test_readers_give_whole_files_and_refuse_large_ones(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    small = tmp_path / "small.yaml"
    small.write_bytes(b"a: 1\n")
    assert read_bytes(small, "small.yaml") == b"a: 1\n"
    assert read_regular(small, 5) == b"a: 1\n"
    assert read_regular(small, 4) is None
    monkeypatch.setattr("platecheck.yamlio.MAX_FILE_SIZE", 4)
    with pytest.raises(FileTooLarge) as raised:
        read_bytes(small, "small.yaml")
    assert raised.value.file == "small.yaml"
