"""Per-user flood control: past the burst one "slow down", then silence until the pause ends; others unaffected."""

from __future__ import annotations

import pytest

from bot.core.flood import BURST, PAUSE, SWEEP_ABOVE, WINDOW, Decision, FloodGuard, Verdict, slow_down
from bot.core.languages import LANGUAGES, Lang


def test_a_burst_is_answered_then_one_slow_down_then_silence() -> None:
    guard = FloodGuard()
    verdicts = [guard.check(7, now=i * 0.1).verdict for i in range(BURST + 5)]
    assert verdicts[:BURST] == [Verdict.ANSWER] * BURST
    assert verdicts[BURST] is Verdict.SLOW_DOWN
    assert verdicts[BURST + 1 :] == [Verdict.IGNORE] * 4


def test_the_pause_ends_when_the_answer_said() -> None:
    guard = FloodGuard()
    for i in range(BURST):
        guard.check(7, now=i * 0.1)
    decision = guard.check(7, now=1.0)
    assert decision == Decision(Verdict.SLOW_DOWN, int(PAUSE))
    assert guard.check(7, now=1.0 + PAUSE - 0.01).verdict is Verdict.IGNORE
    assert guard.check(7, now=1.0 + PAUSE).verdict is Verdict.ANSWER


def test_another_user_is_not_affected() -> None:
    guard = FloodGuard()
    for i in range(BURST * 3):
        guard.check(7, now=i * 0.01)
    assert guard.check(8, now=0.5).verdict is Verdict.ANSWER


def test_a_steady_conversation_is_never_paused() -> None:
    guard = FloodGuard()
    step = WINDOW / BURST + 0.01  # just under the burst rate, for a long time
    assert all(guard.check(7, now=i * step).verdict is Verdict.ANSWER for i in range(500))


def test_quiet_users_are_forgotten() -> None:
    guard = FloodGuard()
    for user in range(20 * SWEEP_ABOVE):
        guard.check(user, now=user * 0.1)
    assert guard.users_tracked <= SWEEP_ABOVE + WINDOW / 0.1 + 1


def test_with_more_users_active_than_the_threshold_memory_stays_within_twice_them() -> None:
    guard = FloodGuard()
    active = 3 * SWEEP_ABOVE  # users writing within one window
    for user in range(20 * SWEEP_ABOVE):
        guard.check(user, now=user * WINDOW / active)
    assert SWEEP_ABOVE < guard.users_tracked <= 2 * (active + 1) + 1


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_answer_says_when(lang: Lang) -> None:
    assert "30" in slow_down(30, lang).text
