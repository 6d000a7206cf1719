from __future__ import annotations

from crmind.api.ratelimit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_key_gets_its_limit_per_minute_then_waits() -> None:
    clock = Clock()
    limiter = RateLimiter(clock)
    assert all(limiter.allow("k", 60) == 0 for _ in range(60))
    wait = limiter.allow("k", 60)
    assert 0.9 <= wait <= 1.0


def test_tokens_come_back_with_time_and_keys_are_separate() -> None:
    clock = Clock()
    limiter = RateLimiter(clock)
    for _ in range(10):
        limiter.allow("a", 10)
    assert limiter.allow("a", 10) > 0
    assert limiter.allow("b", 10) == 0
    clock.now += 6.0  # 10 per minute: one token per 6 s
    assert limiter.allow("a", 10) == 0
    assert limiter.allow("a", 10) > 0
