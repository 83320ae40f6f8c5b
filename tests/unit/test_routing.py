"""Category routing on both backends."""

import pytest

from bot.articles.routing import CategoryRoutes
from bot.database import Database
from bot.errors import InvalidInput, NotFound


async def test_routes_are_case_insensitive_replaceable_and_removable(database: Database) -> None:
    routes = CategoryRoutes(database)
    await routes.set(1, "World  News", 100)
    await routes.set(1, "world news", 101)
    await routes.set(2, "World News", 200)
    assert await routes.channel_for(1, "WORLD NEWS") == 101
    assert await routes.channel_for(1, None) is None
    assert await routes.all(1) == {"world news": 101}
    await routes.remove(1, "World News")
    assert await routes.channel_for(1, "World News") is None
    assert await routes.channel_for(2, "world news") == 200
    with pytest.raises(NotFound):
        await routes.remove(1, "World News")
    with pytest.raises(InvalidInput):
        await routes.set(1, "   ", 5)
