"""When: schedule slots (cron), quiet hours, and the back-off between delivery attempts.

Times in the store are naive UTC; cron expressions and quiet hours are read in the business's
time zone (``default_timezone``).
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from croniter import croniter


def _local(moment_utc: datetime, zone: str) -> datetime:
    return moment_utc.replace(tzinfo=UTC).astimezone(ZoneInfo(zone))


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def due_slot(cron: str, since: datetime, now: datetime, zone: str) -> datetime | None:
    """The latest slot of ``cron`` after ``since`` and at or before ``now`` (naive UTC), if any.

    Only the latest: a runner that was down for three slots sends once, not three times.
    """
    latest = croniter(cron, _local(now + timedelta(microseconds=1), zone)).get_prev(datetime)
    slot = _utc(latest)
    return slot if since < slot <= now else None


def quiet_until(now: datetime, quiet_hours: tuple[time, time] | None, zone: str) -> datetime | None:
    """When the quiet hours containing ``now`` end (naive UTC), or None outside them.

    ``(21:00, 08:00)`` wraps midnight; equal start and end mean no quiet hours.
    """
    if quiet_hours is None:
        return None
    start, end = quiet_hours
    if start == end:
        return None
    local = _local(now, zone)
    clock = local.time().replace(tzinfo=None)
    inside = start <= clock < end if start < end else clock >= start or clock < end
    if not inside:
        return None
    end_day = local.date()
    if start > end and clock >= start:
        end_day += timedelta(days=1)
    local_end = datetime.combine(end_day, end, tzinfo=local.tzinfo)
    return _utc(local_end)


def backoff(attempt: int, base_seconds: float, cap_seconds: float = 3600.0) -> timedelta:
    """Wait before attempt ``attempt + 1``: ``base * 2 ** (attempt - 1)``, at most ``cap``."""
    return timedelta(seconds=min(cap_seconds, base_seconds * 2 ** max(0, attempt - 1)))
