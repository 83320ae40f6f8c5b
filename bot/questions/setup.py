"""Build the QuestionService from the settings and the shared resources."""

from __future__ import annotations

import aiohttp

from bot.articles.announcements import AnnouncementService
from bot.config import Settings
from bot.database import Database
from bot.questions.cooldown import Cooldown
from bot.questions.generative import ChatAnswerWriter
from bot.questions.service import QuestionService


def build_questions(
    settings: Settings, database: Database, http: aiohttp.ClientSession | None
) -> QuestionService:
    """Wire the cooldown and, when configured, the generative writer."""
    writer = None
    if settings.answer_llm_url and http is not None:
        writer = ChatAnswerWriter(
            http,
            settings.answer_llm_url,
            settings.answer_llm_model,
            settings.answer_llm_key,
            timeout_seconds=settings.answer_llm_timeout_seconds,
        )
    return QuestionService(
        database,
        AnnouncementService(database),
        cooldown=Cooldown(settings.questions_per_window, settings.question_window_seconds),
        max_length=settings.question_max_length,
        writer=writer,
    )
