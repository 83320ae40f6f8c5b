"""`newsroom ask`: the same answer text as in Discord, from the local database."""

from __future__ import annotations

from pathlib import Path

from bot.config import load_settings
from bot.database import Database
from bot.questions.setup import build_questions
from tests.unit.test_cli import newsroom

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "articles"
FIXTURE = FIXTURES / "iran_russia_plaintext.txt"


async def test_ask_prints_the_answer_the_bot_would_post(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'newsroom.db'}"
    ingested = newsroom(tmp_path, "ingest", str(FIXTURE), DATABASE_URL=url)
    assert ingested.returncode == 0, ingested.stderr

    result = newsroom(tmp_path, "ask", "Did the US strike Iran?", DATABASE_URL=url)
    assert result.returncode == 0, result.stderr
    assert "**What we know**" in result.stdout
    assert "the United States launched airstrikes on several Iranian nuclear sites" in result.stdout

    database = Database(url)
    try:
        service = build_questions(load_settings(None, DATABASE_URL=url), database, None)
        await service.load()
        answer = await service.ask("Did the US strike Iran?", guild_id=1, source="slash")
    finally:
        await database.dispose()
    assert result.stdout == answer.text + "\n"


def test_ask_declines_out_of_scope_and_refuses_empty(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'newsroom.db'}"
    assert newsroom(tmp_path, "ingest", str(FIXTURE), DATABASE_URL=url).returncode == 0
    declined = newsroom(tmp_path, "ask", "Who won the cricket world cup?", DATABASE_URL=url)
    assert declined.returncode == 0
    assert "We have no reporting on that yet." in declined.stdout
    empty = newsroom(tmp_path, "ask", "   ", DATABASE_URL=url)
    assert empty.returncode == 1
    assert "Ask me a question about the news" in empty.stderr
    assert "Traceback" not in empty.stderr
