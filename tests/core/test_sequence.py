from pathlib import Path

import pytest

from tinct.core.errors import SequenceError, TinctError
from tinct.core.sequence import (
    SINGLE_FILE_FRAME,
    Sequence,
    find_gaps,
    format_frame_ranges,
    parse_frame_range,
    parse_sequence,
    resolve_frames,
)


def touch(folder: Path, *names: str) -> None:
    for name in names:
        (folder / name).write_bytes(b"")


class TestParseSequence:
    def test_smoke(self):
        seq = parse_sequence("/shots/sh010/plate.####.exr")
        assert seq == Sequence("/shots/sh010/plate.####.exr", Path("/shots/sh010"), "plate.", ".exr", 4)
        assert not seq.is_single_file
        assert seq.path(1001) == Path("/shots/sh010/plate.1001.exr")
        assert seq.display() == "/shots/sh010/plate.####.exr"

    @pytest.mark.parametrize("pattern", ["sh010.####.exr", "sh010.%04d.exr", "sh010.$F4.exr", "sh010.@@@@.exr"])
    def test_every_syntax_gives_the_same_paths(self, pattern):
        seq = parse_sequence(Path("/s") / pattern)
        assert seq.padding == 4
        assert seq.path(7) == Path("/s/sh010.0007.exr")
        assert seq.path(12345) == Path("/s/sh010.12345.exr")
        assert seq.path(-1) == Path("/s/sh010.-001.exr")
        assert seq.display() == "/s/sh010.####.exr"

    @pytest.mark.parametrize("pattern", ["a.%d.exr", "a.$F.exr", "a.#.exr"])
    def test_unpadded_syntaxes(self, pattern):
        seq = parse_sequence(pattern)
        assert seq.padding == 1
        assert seq.path(7) == Path("a.7.exr")
        assert seq.path(1001) == Path("a.1001.exr")
        assert seq.display() == "a.#.exr"

    def test_token_anywhere_in_the_name(self):
        seq = parse_sequence("/s/####_plate.dpx")
        assert (seq.prefix, seq.suffix) == ("", "_plate.dpx")
        assert seq.path(3) == Path("/s/0003_plate.dpx")

    def test_folders_are_literal(self):
        seq = parse_sequence("/jobs/take#2/plate.%03d.exr")
        assert seq.directory == Path("/jobs/take#2")
        assert seq.path(5) == Path("/jobs/take#2/plate.005.exr")

    def test_single_file(self):
        seq = parse_sequence("/stills/key_A.1001.exr")
        assert seq.is_single_file
        assert seq.padding is None
        assert seq.path(1) == seq.path(1050) == Path("/stills/key_A.1001.exr")
        assert seq.display() == "/stills/key_A.1001.exr"

    @pytest.mark.parametrize("text", ["a.####.%04d.exr", "a.##.v@@.exr", "$F4_a.####.exr", "a.%d_%02d.exr"])
    def test_two_tokens_is_an_error(self, text):
        with pytest.raises(SequenceError, match="More than one frame token") as info:
            parse_sequence(text)
        assert "sh010.####.exr" in str(info.value)

    @pytest.mark.parametrize("text", ["", "   ", "/shots/sh010/"])
    def test_not_a_file_is_an_error(self, text):
        with pytest.raises(SequenceError, match="Not a file pattern"):
            parse_sequence(text)

    def test_existing_frames_matches_padding_and_negatives(self, tmp_path):
        touch(
            tmp_path,
            "p.0998.exr",
            "p.1001.exr",
            "p.1003.exr",
            "p.12345.exr",
            "p.-001.exr",
            "p.01002.exr",  # more zeros than #### writes: not frame 1002
            "p.-0005.exr",  # likewise
            "p.999.exr",  # fewer digits than the padding
            "p.1004.exr.tmp",
            "q.1005.exr",
            ".p.1006.exr.123-ab.exr",
        )
        (tmp_path / "p.1007.exr").mkdir()
        seq = parse_sequence(tmp_path / "p.####.exr")
        assert seq.existing_frames() == [-1, 998, 1001, 1003, 12345]
        assert all(seq.path(f).is_file() for f in seq.existing_frames())

    def test_existing_frames_unpadded(self, tmp_path):
        touch(tmp_path, "p.1.exr", "p.10.exr", "p.01.exr", "p.-3.exr")
        assert parse_sequence(tmp_path / "p.%d.exr").existing_frames() == [-3, 1, 10]

    def test_existing_frames_of_a_missing_folder(self, tmp_path):
        assert parse_sequence(tmp_path / "nowhere" / "p.####.exr").existing_frames() == []

    def test_existing_frames_of_a_single_file(self, tmp_path):
        touch(tmp_path, "still.png")
        assert parse_sequence(tmp_path / "still.png").existing_frames() == [SINGLE_FILE_FRAME]
        assert parse_sequence(tmp_path / "other.png").existing_frames() == []


class TestFrameRanges:
    @pytest.mark.parametrize(
        "text, frames",
        [
            ("1001", [1001]),
            ("1001-1005", [1001, 1002, 1003, 1004, 1005]),
            ("1001-1009x4", [1001, 1005, 1009]),
            ("1001-1010x4", [1001, 1005, 1009]),
            ("1-3,7,10-20x5", [1, 2, 3, 7, 10, 15, 20]),
            (" 1 - 3 , 2 , 10 - 14 x 2 ", [1, 2, 3, 10, 12, 14]),
            ("-5--3", [-5, -4, -3]),
            ("-2-1", [-2, -1, 0, 1]),
            ("5,3,5,1", [1, 3, 5]),
            ("1-5X2", [1, 3, 5]),
        ],
    )
    def test_parse_frame_range(self, text, frames):
        assert parse_frame_range(text) == frames

    @pytest.mark.parametrize(
        "text, bad",
        [
            ("", "''"),
            ("abc", "'abc'"),
            ("1001-", "'1001-'"),
            ("1001,,1005", "''"),
            ("1001 1005", "'1001 1005'"),
            ("1001x2", "'1001x2'"),
            ("1100-1001", "ends before it starts"),
            ("1-10x0", "step below 1"),
            ("1-2-3", "'1-2-3'"),
        ],
    )
    def test_bad_frame_range(self, text, bad):
        with pytest.raises(SequenceError, match="Cannot read a frame range") as info:
            parse_frame_range(text)
        message = str(info.value)
        assert bad in message
        assert "1001-1100x2" in message  # shows valid examples

    @pytest.mark.parametrize(
        "frames, text",
        [
            ([], ""),
            ([1001], "1001"),
            ([1001, 1002], "1001-1002"),
            ([1001, 1003], "1001, 1003"),
            ([1001, 1003, 1005], "1001-1005x2"),
            (list(range(1001, 1011)) + [1012] + list(range(1020, 1031, 2)), "1001-1010, 1012, 1020-1030x2"),
            ([1, 3, 4, 5, 6], "1, 3-6"),
            ([5, 1, 3, 3], "1-5x2"),
            ([-3, -2, -1, 0], "-3-0"),
            ([-10, -5], "-10, -5"),
        ],
    )
    def test_format_frame_ranges(self, frames, text):
        assert format_frame_ranges(frames) == text
        assert frames == [] or parse_frame_range(text) == sorted(set(frames))

    @pytest.mark.parametrize(
        "frames, gaps",
        [
            ([], []),
            ([1001], []),
            ([1001, 1002, 1003], []),
            ([1001, 1003, 1004, 1010], [(1002, 1002), (1005, 1009)]),
            ([1010, 1001, 1001], [(1002, 1009)]),
            ([-2, 2], [(-1, 1)]),
        ],
    )
    def test_find_gaps(self, frames, gaps):
        assert find_gaps(frames) == gaps


class TestResolveFrames:
    def test_resolve_all_existing_frames_with_gaps(self, tmp_path):
        touch(tmp_path, "p.1001.exr", "p.1002.exr", "p.1005.exr")
        seq = parse_sequence(tmp_path / "p.####.exr")
        assert resolve_frames(seq, None) == [1001, 1002, 1005]
        assert find_gaps(resolve_frames(seq, None)) == [(1003, 1004)]

    def test_resolve_requested_frames(self, tmp_path):
        touch(tmp_path, *(f"p.{f}.exr" for f in range(1001, 1011)))
        seq = parse_sequence(tmp_path / "p.%04d.exr")
        assert resolve_frames(seq, [1005, 1003, 1005]) == [1003, 1005]

    def test_resolve_missing_frames_names_pattern_and_frames(self, tmp_path):
        touch(tmp_path, *(f"p.{f}.exr" for f in [*range(1001, 1006), 1010]))
        seq = parse_sequence(tmp_path / "p.$F4.exr")
        with pytest.raises(SequenceError) as info:
            resolve_frames(seq, parse_frame_range("1001-1012"), role="keyframes")
        error = info.value
        message = str(error)
        assert isinstance(error, TinctError)
        assert "Missing frames (keyframes)" in message
        assert str(tmp_path / "p.####.exr") in message
        assert "6 missing: 1006-1009, 1011-1012" in message
        assert "on disk: 1001-1005, 1010" in message
        assert "--frames" in error.repair

    def test_resolve_missing_frames_message_stays_short(self, tmp_path):
        touch(tmp_path, "p.0001.exr")
        seq = parse_sequence(tmp_path / "p.####.exr")
        with pytest.raises(SequenceError) as info:
            resolve_frames(seq, list(range(1, 1000, 7)) + list(range(2, 1000, 11)))
        assert "more ranges)" in str(info.value)
        assert len(str(info.value)) < 1000

    def test_resolve_nothing_on_disk_hints_at_the_folder(self, tmp_path):
        touch(tmp_path, "plate_v2.1001.exr", "notes.txt")
        seq = parse_sequence(tmp_path / "plate.####.exr")
        with pytest.raises(SequenceError, match=r"No frames found \(source\)") as info:
            resolve_frames(seq, None)
        message = str(info.value)
        assert str(tmp_path / "plate.####.exr") in message
        assert "holds 2 entries, nearest: plate_v2.1001.exr, notes.txt" in message

    def test_resolve_missing_folder(self, tmp_path):
        seq = parse_sequence(tmp_path / "gone" / "plate.####.exr")
        with pytest.raises(SequenceError, match="does not exist"):
            resolve_frames(seq, None)

    def test_resolve_single_file(self, tmp_path):
        touch(tmp_path, "key.exr")
        seq = parse_sequence(tmp_path / "key.exr")
        assert resolve_frames(seq, None) == [SINGLE_FILE_FRAME]
        assert resolve_frames(seq, [1010, 1001]) == [1001, 1010]
        with pytest.raises(SequenceError, match=r"File not found \(keyframes\)"):
            resolve_frames(parse_sequence(tmp_path / "other.exr"), [1001], role="keyframes")
