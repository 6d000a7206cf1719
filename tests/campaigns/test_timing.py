from datetime import datetime, time, timedelta

from crmind.campaigns.timing import backoff, due_slot, quiet_until


def test_only_the_latest_missed_slot_is_due() -> None:
    since = datetime(2026, 11, 30, 0, 0)  # a Monday
    now = datetime(2026, 12, 3, 10, 0)
    assert due_slot("0 9 * * *", since, now, "UTC") == datetime(2026, 12, 3, 9, 0)
    assert due_slot("0 9 * * *", datetime(2026, 12, 3, 9, 30), now, "UTC") is None


def test_slots_are_read_in_the_business_time_zone() -> None:
    now = datetime(2026, 7, 1, 12, 0)
    # 09:00 in London in summer is 08:00 UTC
    assert due_slot("0 9 * * *", datetime(2026, 6, 30), now, "Europe/London") == datetime(
        2026, 7, 1, 8, 0
    )


def test_quiet_hours_wrap_midnight() -> None:
    quiet = (time(21, 0), time(8, 0))
    assert quiet_until(datetime(2026, 12, 3, 22, 0), quiet, "UTC") == datetime(2026, 12, 4, 8, 0)
    assert quiet_until(datetime(2026, 12, 4, 7, 59), quiet, "UTC") == datetime(2026, 12, 4, 8, 0)
    assert quiet_until(datetime(2026, 12, 4, 8, 0), quiet, "UTC") is None
    assert quiet_until(datetime(2026, 12, 4, 12, 0), (time(12, 0), time(13, 0)), "UTC") == (
        datetime(2026, 12, 4, 13, 0)
    )


def test_backoff_doubles_up_to_the_cap() -> None:
    waits = [backoff(attempt, 30) for attempt in (1, 2, 3)]
    assert waits == [timedelta(seconds=30), timedelta(seconds=60), timedelta(seconds=120)]
    assert backoff(20, 30) == timedelta(hours=1)
