"""The crosspost budget: 10 per hour per channel, sliding."""

from bot.articles.crosspost import SlidingBudget


def test_budget_allows_ten_then_waits_for_the_oldest_to_expire() -> None:
    budget = SlidingBudget(limit=10, window=3600)
    for minute in range(10):
        assert budget.wait_time(1, minute * 60.0) == 0
        budget.spend(1, minute * 60.0)
    assert budget.wait_time(1, 600.0) == 3000.0
    assert budget.wait_time(2, 600.0) == 0, "channels have separate budgets"
    assert budget.wait_time(1, 3600.0) == 0, "the first use has slid out of the window"
