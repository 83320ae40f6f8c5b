"""Turn questions and stored text into search terms: tokens, stems, synonyms, and intent.

The same analysis runs over the question and over every fact, so "strikes", "struck" and
"airstrikes" meet "strike", and "U.S.", "US", "USA", "America" and "United States" meet as one
term. The synonym table is deliberately small: each entry folds words that the newsroom's
reporting uses interchangeably, and nothing that would blur two different stories.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import Stemmer

_STEMMER = Stemmer.Stemmer("english")

# "U.S.", "US", "USA", "U.S.A." written in capitals mean the United States, never the pronoun.
_COUNTRIES = re.compile(
    r"(?P<us>(?<![\w.])U\.?S\.?(?:A\.?)?(?!\w)|(?i:\bunited\s+states\b))"
    r"|(?P<uk>(?<![\w.])U\.?K\.?(?!\w)|(?i:\bunited\s+kingdom\b))"
    r"|(?P<un>(?<![\w.])U\.?N\.?(?!\w)|(?i:\bunited\s+nations\b))"
)
_ABBREVIATIONS = {"us": " unitedst ", "uk": " unitedkingdom ", "un": " unitednations "}
_WORD = re.compile(r"[0-9a-z]+(?:'[a-z]+)?")
# Discord mentions, channel links, custom emoji and web addresses say nothing about the subject.
_NOISE = re.compile(r"<(?:@[!&]?|#|a?:\w+:)\d+>|@(?:everyone|here)\b|https?://\S+")


def _word_set(text: str) -> frozenset[str]:
    """Make a set of the whitespace-separated words of `text`."""
    return frozenset(text.split())


STOPWORDS = _word_set(
    """
    a about above after again against all am an and any are aren as at be because been before
    being below between both but by can could couldn d did didn do does doesn doing don down
    during each else ever few for from further get got had hadn has hasn have haven having he her
    here hers herself him himself his how i if in into is isn it its itself just let ll m me
    more most much must my myself no nor not now of off on once only or other ought our ours
    ourselves out over own re s same shall she should shouldn so some such t than that the their
    theirs them themselves then there these they this those through to too under until up upon
    us ve very was wasn we were weren what when where which while who whom why will with won
    would wouldn y you your yours yourself yourselves tell know say said says anything something
    thing things really please also yet still ok okay hey hi hello bot newsroom whats hows
    wheres whos several many relationship relationships relation relations situation story
    stories info information detail details last week weeks month months year years day days
    ago yesterday
    """
)

# Words that say what kind of answer is wanted rather than what it is about.
LATEST_WORDS = _word_set(
    "latest newest recent recently current currently now today tonight update updates "
    "updated new news breaking"
)
NEXT_WORDS = _word_set(
    "next future expect expected expectation forecast outlook upcoming "
    "coming soon plan plans happen happens happening predict prediction tomorrow"
)
INTENT_WORDS = LATEST_WORDS | NEXT_WORDS

# Irregular forms the stemmer leaves alone: word -> its base form, before stemming.
IRREGULAR: dict[str, str] = {
    "sent": "send",
    "struck": "strike",
    "rose": "rise",
    "risen": "rise",
    "fell": "fall",
    "fallen": "fall",
    "met": "meet",
    "won": "win",
    "lost": "lose",
    "held": "hold",
    "led": "lead",
    "fought": "fight",
    "paid": "pay",
    "began": "begin",
    "begun": "begin",
    "took": "take",
    "taken": "take",
    "gave": "give",
    "given": "give",
    "brought": "bring",
    "bought": "buy",
    "sold": "sell",
    "shot": "shoot",
    "fled": "flee",
    "chose": "choose",
    "chosen": "choose",
    "spoke": "speak",
    "spoken": "speak",
    "flew": "fly",
    "flown": "fly",
    "killed": "kill",
}

# stem -> concept. Applied after stemming, on both sides.
SYNONYMS: dict[str, str] = {
    # attacks from the air or by missile: the reporting says all of these for one event
    "bomb": "strike",
    "bombard": "strike",
    "airstrik": "strike",
    "attack": "strike",
    "raid": "strike",
    "struck": "strike",
    "hit": "strike",
    # demonyms and capitals standing for their country
    "american": "unitedst",
    "america": "unitedst",
    "washington": "unitedst",
    "iranian": "iran",
    "tehran": "iran",
    "russian": "russia",
    "moscow": "russia",
    "kremlin": "russia",
    "israe": "israel",
    "isra": "israel",
    "jerusalem": "israel",
    "ukrainian": "ukrain",
    "kyiv": "ukrain",
    "kiev": "ukrain",
    "chines": "china",
    "beij": "china",
    "british": "unitedkingdom",
    "britain": "unitedkingdom",
    "london": "unitedkingdom",
    # troops and the like
    "soldier": "troop",
    "forc": "troop",
    "armi": "troop",
    # agreements
    "pact": "deal",
    "agreement": "deal",
    "accord": "deal",
    "treati": "deal",
    # sanctions and their verbs
    "sanction": "sanction",
    "embargo": "sanction",
    # elections
    "vote": "elect",
    "ballot": "elect",
}


class Intent(enum.StrEnum):
    """What kind of answer the question wants."""

    FACT = "fact"  # "Did the US strike Iran?"
    NEXT = "next"  # "What happens next?": prefer the outlook of the newest article
    LATEST = "latest"  # "What's the latest?": prefer the newest article


@dataclass(frozen=True, slots=True)
class AnalyzedQuestion:
    """A question reduced to its search terms and intent."""

    terms: tuple[str, ...]
    intent: Intent
    normalized: str

    @property
    def generic(self) -> bool:
        """Tell whether the question names no subject ("What happens next?")."""
        return not self.terms


def _abbreviation(match: re.Match[str]) -> str:
    """Spell a country abbreviation as one search word."""
    return _ABBREVIATIONS[match.lastgroup or "us"]


def fold(text: str) -> str:
    """Normalise typography: curly quotes and dashes, accents, and the country abbreviations."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
        text = text.replace("’", "'").replace("‘", "'")
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    if "<" in text or "@" in text or "://" in text:
        text = _NOISE.sub(" ", text)
    if "U" in text or "nited" in text:
        text = _COUNTRIES.sub(_abbreviation, text)
    return text.replace("`", "'").casefold()


@lru_cache(maxsize=65_536)
def stem(word: str) -> str:
    """Stem one lower-case word and fold it onto its synonym concept."""
    word = IRREGULAR.get(word, word)
    stemmed = _STEMMER.stemWord(word)
    return SYNONYMS.get(stemmed, SYNONYMS.get(word, stemmed))


def words(text: str) -> list[str]:
    """Split folded text into lower-case words ("iran's" -> "iran", "what's" -> "what")."""
    return [word.split("'", 1)[0] for word in _WORD.findall(fold(text))]


def terms(text: str) -> list[str]:
    """Analyse stored text into its search terms (stopwords dropped), in order."""
    return [stem(word) for word in words(text) if word not in STOPWORDS and len(word) > 1]


def analyze_question(text: str) -> AnalyzedQuestion:
    """Analyse a question: its search terms, its intent and its normalised form."""
    found = [word for word in words(text) if len(word) > 1 or word.isdigit()]
    latest = any(word in LATEST_WORDS for word in found)
    opening = " ".join(found[:2])
    upcoming = any(word in NEXT_WORDS for word in found) or (
        opening.startswith("will ") or opening in ("how will", "what will", "who will")
    )
    intent = Intent.NEXT if upcoming else Intent.LATEST if latest else Intent.FACT
    content = [w for w in found if w not in STOPWORDS and w not in INTENT_WORDS]
    return AnalyzedQuestion(
        terms=tuple(stem(word) for word in content),
        intent=intent,
        normalized=normalize_question(text),
    )


def normalize_question(text: str) -> str:
    """Reduce a question to a key that groups rephrasings ("Will Moscow send troops?")."""
    seen = unique(stem(w) for w in words(text) if w not in STOPWORDS and len(w) > 1)
    return " ".join(seen)[:300]


def unique(items: Iterable[str]) -> list[str]:
    """Drop repeats, keeping the first occurrence's order."""
    return list(dict.fromkeys(items))
