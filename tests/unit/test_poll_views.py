"""Poll buttons rebuild themselves from their custom_ids (what makes them survive restarts)."""

from __future__ import annotations

from typing import Any

import pytest

from cogs.polls._views import PickSelect, RemoveButton, SuggestButton, VoteButton


@pytest.mark.parametrize(
    ("item", "custom_id", "fields"),
    [
        (VoteButton(12, 3, label="Yes"), "poll:vote:12:3", {"poll_id": 12, "position": 3}),
        (RemoveButton(12), "poll:remove:12", {"poll_id": 12}),
        (PickSelect(7, ["a", "b"]), "poll:pick:7", {"poll_id": 7}),
        (SuggestButton(5, 1), "poll:suggest:5:1", {"announcement_id": 5, "index": 1}),
    ],
)
async def test_custom_id_round_trip(item: Any, custom_id: str, fields: dict[str, int]) -> None:
    assert item.custom_id == custom_id
    assert len(custom_id) <= 100
    match = type(item).__discord_ui_compiled_template__.fullmatch(custom_id)
    assert match is not None
    rebuilt = await type(item).from_custom_id(None, item.item, match)  # type: ignore[arg-type]
    assert rebuilt.custom_id == custom_id
    for name, value in fields.items():
        assert getattr(rebuilt, name) == value
