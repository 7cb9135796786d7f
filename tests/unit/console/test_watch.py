"""The console collects at full pace only while someone watches: the watchers' pace and wake-up, and the board's
run loop with a fake clock (no sleeping on the real one beyond a tick)."""
from __future__ import annotations

import threading

import pytest

from console_service.board import LiveBoard
from console_service.config import ConsoleSettings
from console_service.watch import Watchers
from faultline_kit.settings import SettingsError

from .fakes import observation, seen


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_nobody_has_watched_yet_so_the_pace_is_the_idle_one():
    watchers = Watchers(linger_s=20.0, clock=FakeClock())
    assert not watchers.watched() and watchers.pace(0.5, 5.0) == 5.0


def test_a_touch_keeps_the_full_pace_for_the_linger_and_no_longer():
    clock = FakeClock()
    watchers = Watchers(linger_s=20.0, clock=clock)
    watchers.touch()
    clock.now += 20.0
    assert watchers.watched() and watchers.pace(0.5, 5.0) == 0.5
    clock.now += 0.1
    assert not watchers.watched() and watchers.pace(0.5, 5.0) == 5.0


def test_the_first_touch_after_a_quiet_spell_ends_an_idle_sleep_at_once():
    watchers = Watchers(linger_s=20.0)
    stop, woke = threading.Event(), threading.Event()

    def sleeper():
        watchers.sleep(stop, 60.0)
        woke.set()

    thread = threading.Thread(target=sleeper)
    thread.start()
    watchers.touch()
    assert woke.wait(5.0), "an unwatched console's sleep must end when a page arrives"
    thread.join(5.0)


def test_touches_while_watched_do_not_cut_the_full_pace_short():
    clock = FakeClock()
    watchers = Watchers(linger_s=20.0, clock=clock)
    watchers.touch()
    watchers._woken.clear()   # the round that followed the first touch has run
    watchers.touch()          # the page's next long poll, a moment later
    assert not watchers._woken.is_set()


def test_a_stop_ends_a_long_sleep_within_a_tick():
    watchers = Watchers()
    stop = threading.Event()
    stop.set()
    watchers.sleep(stop, 3600.0)   # returns at once: the test would hang otherwise


def test_the_board_rounds_at_the_idle_pace_until_the_page_waits_on_it():
    clock = FakeClock()
    watchers = Watchers(linger_s=20.0, clock=clock)
    rounds = []
    obs = observation([seen("cart-1")])
    board = LiveBoard(lambda: rounds.append(clock.now) or obs, lambda: [], lambda view: {}, 0.5, watchers, 5.0)
    assert watchers.pace(board.interval_s, board.idle_interval_s) == 5.0
    board.refresh()
    version, payload = board.wait(0, timeout_s=0.1)
    assert version == 1 and payload is not None and rounds == [1000.0]
    assert watchers.pace(board.interval_s, board.idle_interval_s) == 0.5


def test_the_idle_interval_is_never_shorter_than_the_watched_one():
    board = LiveBoard(lambda: None, lambda: [], lambda view: {}, 2.0, Watchers(), 1.0)
    assert board.idle_interval_s == 2.0


def test_the_idle_interval_comes_from_the_environment_and_is_checked():
    assert ConsoleSettings.from_env({}).idle_interval_s == 5.0
    assert ConsoleSettings.from_env({"FAULTLINE_CONSOLE_IDLE_INTERVAL_S": "12"}).idle_interval_s == 12.0
    with pytest.raises(SettingsError):
        ConsoleSettings.from_env({"FAULTLINE_CONSOLE_IDLE_INTERVAL_S": "0.2"})


def test_the_slow_readings_read_everything_when_asked_and_every_third_round_otherwise():
    from console_service.adapters.collector import Collector
    from faultline_kit.membership import MembershipView

    reads = []
    collector = Collector(lambda: [], MembershipView("console"), None, None,
                          replication=lambda: reads.append(1) or {"kafka": {}, "redis": {}})
    for _ in range(4):
        collector.read_slow()
    assert len(reads) == 2            # rounds 0 and 3
    collector.read_slow(everything=True)
    assert len(reads) == 3
