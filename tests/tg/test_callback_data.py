"""Button actions packed into Telegram callback data and unpacked again, refusing anything else."""

from __future__ import annotations

import pytest

from bot.core.views import ShowEntry, ShowMenu, ShowProgramme
from bot.tg.callback_data import MAX_BYTES, CallbackDataTooLong, pack, unpack


@pytest.mark.parametrize(
    ("action", "data"),
    [
        (ShowMenu(), "m"),
        (ShowMenu(below=True), "M"),
        (ShowEntry("mirai.age"), "e|mirai.age"),
        (ShowEntry("jet.belgian_eligibility"), "e|jet.belgian_eligibility"),
        (ShowEntry("bot.privacy"), "e|bot.privacy"),
        (ShowEntry("a"), "e|a"),
        (ShowEntry("x2.y_3.z"), "e|x2.y_3.z"),
        (ShowProgramme("mirai"), "p|mirai"),
        (ShowProgramme("jet"), "p|jet"),
    ],
)
def test_pack_and_unpack_round_trip(action, data):
    """Every action packs to a short prefixed string that unpacks to an equal action."""
    assert pack(action) == data
    assert unpack(data) == action


def test_the_longest_entry_id_that_fits_round_trips():
    """An entry id that fills the 64 bytes exactly still packs and unpacks."""
    action = ShowEntry("a" * (MAX_BYTES - len("e|")))

    data = pack(action)

    assert len(data.encode()) == MAX_BYTES
    assert unpack(data) == action


@pytest.mark.parametrize(
    "action",
    [
        ShowEntry("a" * (MAX_BYTES - 1)),
        ShowProgramme("p" * MAX_BYTES),
        ShowEntry("é" * 32),  # 32 characters, but 64 bytes of UTF-8 after the prefix
    ],
)
def test_pack_refuses_what_does_not_fit_in_64_bytes(action):
    """An action over Telegram's 64 bytes of callback data raises CallbackDataTooLong, counted in bytes."""
    with pytest.raises(CallbackDataTooLong, match="over 64 bytes"):
        pack(action)


def test_callback_data_too_long_is_a_value_error():
    """CallbackDataTooLong is a ValueError, so callers handling bad values catch it too."""
    assert issubclass(CallbackDataTooLong, ValueError)


@pytest.mark.parametrize(
    "data",
    [
        None,
        1,
        b"m",
        b"e|mirai.age",
        ["m"],
        ("e", "mirai.age"),
        ShowMenu(),
    ],
)
def test_unpack_refuses_what_is_not_a_string(data):
    """Callback data that is not a str (absent, bytes, a list…) unpacks to None."""
    assert unpack(data) is None


@pytest.mark.parametrize(
    "data",
    [
        "",
        "e",
        "e|",
        "p|",
        "|mirai.age",
        "e:mirai.age",
        "emirai.age",
        "m|",
        "mm",
        " m",
        "m ",
        "mM",
        "E|mirai.age",
        "e |mirai.age",
        "e| mirai.age",
        "e|mirai.age ",
        "e|Mirai.Age",
        "e|mirai-age",
        "e|mirai..age",
        "e|.mirai",
        "e|mirai.",
        "e|1mirai",
        "e|_mirai",
        "e|mïrai.âge",
        "p|JET",
    ],
)
def test_unpack_refuses_malformed_data(data):
    """Anything that is not exactly what pack produces (case, blanks, separators, id shape) unpacks to None."""
    assert unpack(data) is None


@pytest.mark.parametrize("prefix", ["x", "q", "a", "s", "ee", "pe", "menu"])
def test_unpack_refuses_unknown_prefixes(prefix):
    """A well-formed id behind a prefix pack never produces unpacks to None."""
    assert unpack(f"{prefix}|mirai.age") is None


@pytest.mark.parametrize(
    "data",
    [
        "e|mirai.age|extra",
        "e|mirai.age;DROP TABLE users",
        "e|../../etc/passwd",
        "e|mirai/age",
        "e|<b>mirai</b>",
        "e|mirai.age%00",
        "e|mirai.age\x00",
        "e|mirai.age\r",
        "e|mirai.age\u200b",
        "p|jet|e|mirai.age",
        "m|e|mirai.age",
        "e|{entry_id}",
        "e|__class__",
    ],
)
def test_unpack_refuses_injection_attempts(data):
    """Forged data carrying paths, markup, control characters or a second action unpacks to None."""
    assert unpack(data) is None


@pytest.mark.parametrize("data", ["e|mirai.age\n", "p|jet\n"])
def test_unpack_refuses_a_trailing_newline(data):
    """Data with a newline after the id is not what pack produces, and unpacks to None."""
    assert unpack(data) is None


@pytest.mark.parametrize(
    "data",
    [
        "e|" + "a" * (MAX_BYTES - 1),  # 65 bytes
        "e|" + "a" * 1000,
        "m" + " " * MAX_BYTES,
    ],
)
def test_unpack_refuses_oversized_data(data):
    """Data longer than Telegram's 64 bytes cannot have come from pack and unpacks to None."""
    assert len(data.encode()) > MAX_BYTES
    assert unpack(data) is None
