"""What can be said of a prompt version without a model (the seed's analysis_results): its
length, words and estimated tokens, its variables, its language (by script, then by common
words), the format it is written in (its format_type, else what it looks like: JSON, XML,
markdown or text) and whether it is well formed as such, with the line of the first problem.

AnalysisService.get reads a version's stored analysis, or analyses it there and then;
`store` keeps it (`promptdeck analyse`, and each version an eval runs)."""

from __future__ import annotations

import json
import math
import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import duckdb

from storage.db.database import Database
from storage.models import Record, Resolved
from storage.prompts import references as refs
from storage.prompts import templates

ANALYSIS_FORMATS = ("text", "json", "xml", "markdown")
_ROLE_LINE = re.compile(r'^\s*\{\{\s*role\s+"[^"\n]*"\s*\}\}\s*$', re.MULTILINE)
_VARIABLE = re.compile(r"\{\{[^{}\n]*\}\}")
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_TAG = re.compile(r"<([A-Za-z_][\w.-]*)[^<>]*>")
_MARKDOWN = re.compile(
    r"^(#{1,6} |\s*[-*+] |\s*\d+\. |```|> )|\*\*[^*]+\*\*|\[[^\]]+\]\([^)]+\)", re.MULTILINE
)
_SCRIPTS = (  # (language, first code point, last code point) for languages of their own script
    ("ja", 0x3040, 0x30FF),
    ("ko", 0xAC00, 0xD7AF),
    ("zh", 0x4E00, 0x9FFF),
    ("ru", 0x0400, 0x04FF),
    ("el", 0x0370, 0x03FF),
    ("he", 0x0590, 0x05FF),
    ("ar", 0x0600, 0x06FF),
    ("hi", 0x0900, 0x097F),
    ("th", 0x0E00, 0x0E7F),
)
_COMMON = {  # the commonest words of languages written in Latin letters
    "en": "the and of to a in is that for it you with as on be this are your or an",
    "fr": "le la les de des et un une est que pour dans en vous du au ce qui sur pas",
    "de": "der die das und ist nicht ein eine zu den mit sie es im für auf sich dem",
    "es": "el la los las de y que en un una es por para con no se su al lo como",
    "it": "il la di e che per un una non sono del della le gli con si da al come",
    "pt": "o a os as de e que em um uma para com não por se do da no na como",
    "nl": "de het een en van is dat niet je op te met voor zijn er aan die ook",
}
_COMMON_WORDS = {lang: frozenset(words.split()) for lang, words in _COMMON.items()}
_SAMPLE = 200_000  # characters looked at for the language


@dataclass(frozen=True, slots=True)
class Analysis(Record):
    prompt_id: str
    version: int
    length: int  # characters
    words: int
    tokens_estimated: int  # 4 characters a token
    variables: tuple[str, ...]
    language: str | None  # ISO 639-1; None: too little text to tell
    format: str  # text | json | xml | markdown
    valid: bool  # well formed as `format`
    problem: str | None  # why not, with its line
    analysed_at: datetime
    stored: bool = False  # read from analysis_results (else analysed just now)


def analyse(content: str, declared: str = "auto") -> dict[str, Any]:
    """The figures of `content` (a prompt's), as analysis_results columns. `declared` is the
    prompt's format_type: auto lets the content say what it is."""
    body = _VARIABLE.sub("0", _ROLE_LINE.sub("", content)).strip()
    fmt = declared if declared in ("markdown", "xml", "text") else _looks_like(body)
    problem = _problem(fmt, body)
    return {
        "length": len(content),
        "words": len(content.split()),
        "tokens_estimated": math.ceil(len(content) / 4),
        "variables": tuple(templates.variables(content)),
        "language": language(content[:_SAMPLE]),
        "format": fmt,
        "valid": problem is None,
        "problem": problem,
    }


def language(text: str) -> str | None:
    """The language of `text`: a script of its own, else the commonest words of seven
    languages written in Latin letters; None for fewer than five words."""
    letters = [ord(c) for c in text if c.isalpha()]
    if not letters:
        return None
    for lang, low, high in _SCRIPTS:
        if sum(low <= c <= high for c in letters) > len(letters) * 0.3:
            return lang
    words = [w.casefold() for w in _WORD.findall(_VARIABLE.sub(" ", text))]
    if len(words) < 5:
        return None
    counts = Counter({lang: sum(w in seen for w in words) for lang, seen in _COMMON_WORDS.items()})
    best, hits = counts.most_common(1)[0]
    return best if hits >= 2 else None


def _looks_like(body: str) -> str:
    if body[:1] in ("{", "["):
        return "json"
    if body.startswith("<") and _TAG.match(body):
        return "xml"
    return "markdown" if _MARKDOWN.search(body) else "text"


def _problem(fmt: str, body: str) -> str | None:
    if fmt == "json":
        try:
            json.loads(body)
        except json.JSONDecodeError as error:
            return f"line {error.lineno}: {error.msg}"
    elif fmt == "xml":
        if "<!ENTITY" in body or "<!DOCTYPE" in body:
            return "declares a DTD or entities, which are not read"
        try:  # a prompt may hold several elements: read them under one root
            ET.fromstring(f"<prompt>{body}</prompt>")
        except ET.ParseError as error:
            line, _ = error.position
            return f"line {line}: {str(error).split(':')[0]}"
    elif fmt == "markdown":
        lines = enumerate(body.splitlines(), 1)
        fences = [n for n, line in lines if line.lstrip().startswith("```")]
        if len(fences) % 2:
            return f"line {fences[-1]}: code fence not closed"
    return None


class AnalysisService:
    def __init__(self, db: Database) -> None:
        self._db = db

    def get(self, ref: str) -> Analysis:
        """REF's analysis (REF@N: that version's): stored, else made now (not stored)."""
        with self._db.read() as con:
            resolved = refs.resolve(con, ref)
            kept = _stored(con, resolved.prompt.id, resolved.number)
        return kept or made(resolved, self._db.clock())

    def store(self, ref: str) -> Analysis:
        """Analyse REF's version (REF@N) and keep it, replacing what was kept."""
        for tx in self._db.write_attempts("store analysis"):
            with tx as con:
                resolved = refs.resolve(con, ref)
                analysis = made(resolved, self._db.clock())
                write(con, [analysis])
        return replace(analysis, stored=True)


def made(resolved: Resolved, now: datetime) -> Analysis:
    own = resolved.version.metadata if resolved.version else resolved.prompt.editable()
    figures = analyse(resolved.content, str(own.get("format_type") or "auto"))
    return Analysis(resolved.prompt.id, resolved.number, analysed_at=now, **figures)


def write(con: duckdb.DuckDBPyConnection, analyses: Sequence[Analysis]) -> None:
    """Keep analyses (inside the caller's transaction), replacing a version's earlier one."""
    for a in analyses:
        con.execute(
            "INSERT OR REPLACE INTO analysis_results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [a.prompt_id, a.version, a.length, a.words, a.tokens_estimated, list(a.variables),
             a.language, a.format, a.valid, a.problem, a.analysed_at],
        )  # fmt: skip


def _stored(con: duckdb.DuckDBPyConnection, prompt_id: str, version: int) -> Analysis | None:
    row = con.execute(
        "SELECT * FROM analysis_results WHERE prompt_id = ? AND version = ?", [prompt_id, version]
    ).fetchone()
    if row is None:
        return None
    *figures, analysed_at = row
    prompt, number, length, words, tokens, variables, lang, fmt, valid, problem = figures
    return Analysis(prompt, number, length, words, tokens, tuple(variables), lang, fmt, valid,
                    problem, analysed_at, stored=True)  # fmt: skip
