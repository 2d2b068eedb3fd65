"""Catalog maintenance, wired to Babel: extract message ids from the code, update every
language's .po files, compile them, and check that nothing is missing.

    python -m bot.i18n_tools extract   # locales/templates/<domain>.pot from the code
    python -m bot.i18n_tools update    # add new ids to every locales/<lang>/LC_MESSAGES/<domain>.po
    python -m bot.i18n_tools compile   # .po -> .mo (a syntax check; the bot reads the .po files)
    python -m bot.i18n_tools check     # exit 1 listing missing ids, empty or placeholder-broken texts
"""

from __future__ import annotations

import re
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from bot.i18n import LOCALES_DIR, placeholders

ROOT = LOCALES_DIR.parent
SOURCES = ("bot", "handlers", "web")
# Jinja templates call t("id") / tn("id", n): their ids are found by TEMPLATE_ID.
TEMPLATES = ("web/templates",)
LANGUAGES = ("en", "es", "fr", "pt_BR", "ar")
KEYWORDS: dict[str, tuple[int, ...] | None] = {
    "_": None,
    "t": None,
    "tn": None,
    "reply": None,
    "UserError": None,
    "ParseError": None,
}
PLURAL_KEYWORDS = {"tn"}
MESSAGE_ID = re.compile(r"^[a-z][a-z0-9_]*\.[a-z0-9_.]+$")
_LITERAL_ID = re.compile(r"""\b_\(\s*["']([a-z][a-z0-9_]*\.[a-z0-9_.]+)["']\s*\)""")
_TEMPLATE_ID = re.compile(r"""\b(tn?)\(\s*["']([a-z][a-z0-9_]*\.[a-z0-9_.]+)["']""")


@dataclass(frozen=True)
class Extracted:
    msgid: str
    plural: bool
    locations: tuple[tuple[str, int], ...]


def extract() -> dict[str, Extracted]:
    found: dict[str, tuple[bool, list[tuple[str, int]]]] = {}
    for source in SOURCES:
        for filename, lineno, message, _comments, _context in extract_from_dir(
            ROOT / source,
            method_map=[("**.py", "python")],
            keywords=KEYWORDS,
            options_map={"**.py": {}},
        ):
            msgid = message if isinstance(message, str) else message[0]
            if not msgid or not MESSAGE_ID.match(msgid):
                continue
            _plural, where = found.setdefault(msgid, (False, []))
            where.append((f"{source}/{filename}", lineno))
    # Babel's extractor does not look inside f-strings; ids written there are found here.
    for source in SOURCES:
        for path in sorted((ROOT / source).rglob("*.py")):
            for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                for msgid in _LITERAL_ID.findall(line):
                    if MESSAGE_ID.match(msgid) and msgid not in found:
                        found[msgid] = (False, [(str(path.relative_to(ROOT)), lineno)])
    for folder in TEMPLATES:
        for path in sorted((ROOT / folder).rglob("*.html")):
            for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                for _fn, msgid in _TEMPLATE_ID.findall(line):
                    if MESSAGE_ID.match(msgid) and msgid not in found:
                        found[msgid] = (False, [(str(path.relative_to(ROOT)), lineno)])
    plurals = _plural_ids()
    return {
        msgid: Extracted(msgid, msgid in plurals, tuple(where))
        for msgid, (_p, where) in sorted(found.items())
    }


def _plural_ids() -> set[str]:
    """Ids used with tn(): they need plural forms. Those passed to tn() through a variable are
    known by their English text, which has plural forms."""
    pattern = re.compile(r"\btn\(\s*(?:_\()?\"([a-z][a-z0-9_.]+)\"")
    ids: set[str] = set()
    for source in SOURCES:
        for path in (ROOT / source).rglob("*.py"):
            ids.update(pattern.findall(path.read_text(encoding="utf-8")))
    for folder in TEMPLATES:
        for path in (ROOT / folder).rglob("*.html"):
            text = path.read_text(encoding="utf-8")
            ids.update(msgid for fn, msgid in _TEMPLATE_ID.findall(text) if fn == "tn")
    for po in (LOCALES_DIR / "en" / "LC_MESSAGES").glob("*.po"):
        with po.open("rb") as fh:
            ids.update(m.id[0] for m in read_po(fh, locale="en") if m.pluralizable)
    return ids


def domain_of(msgid: str) -> str:
    return msgid.split(".", 1)[0]


def templates(messages: dict[str, Extracted]) -> dict[str, Catalog]:
    by_domain: dict[str, Catalog] = defaultdict(lambda: Catalog(project="cohortbot"))
    for msgid, info in messages.items():
        key: str | tuple[str, str] = (msgid, msgid) if info.plural else msgid
        by_domain[domain_of(msgid)].add(key, locations=list(info.locations))
    return dict(by_domain)


def po_path(lang: str, domain: str) -> Path:
    return LOCALES_DIR / lang / "LC_MESSAGES" / f"{domain}.po"


def write_templates() -> None:
    out = LOCALES_DIR / "templates"
    out.mkdir(parents=True, exist_ok=True)
    for domain, catalog in templates(extract()).items():
        with (out / f"{domain}.pot").open("wb") as fh:
            write_po(fh, catalog, omit_header=True, sort_output=True)


def update() -> None:
    for domain, template in templates(extract()).items():
        for lang in LANGUAGES:
            path = po_path(lang, domain)
            if path.exists():
                with path.open("rb") as fh:
                    catalog = read_po(fh, locale=lang)
            else:
                catalog = Catalog(locale=lang, project="cohortbot")
            created = catalog.creation_date
            catalog.update(template, no_fuzzy_matching=True)
            # A catalog changes only where its messages do: no source locations (they move with
            # every edit; the .pot templates have them) and its header date kept.
            catalog.creation_date = created
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("wb") as fh:
                write_po(
                    fh, catalog, omit_header=False, sort_output=True, width=100, no_location=True
                )


def compile_all(out_dir: Path | None = None) -> int:
    count = 0
    for po in sorted(LOCALES_DIR.glob("*/LC_MESSAGES/*.po")):
        with po.open("rb") as fh:
            catalog = read_po(fh)
        target = (out_dir or po.parent) / po.relative_to(LOCALES_DIR).with_suffix(".mo")
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("wb") as fh:
            write_mo(fh, catalog)
        count += 1
    return count


def problems(languages: tuple[str, ...] = LANGUAGES) -> list[str]:
    """Every id used in the code must have a non-empty text in every language, with the same
    placeholders as the English text."""
    found: list[str] = []
    used = extract()
    for lang in languages:
        texts: dict[str, str | tuple[str, ...] | list[str] | None] = {}
        for po in (LOCALES_DIR / lang / "LC_MESSAGES").glob("*.po"):
            with po.open("rb") as fh:
                for message in read_po(fh, locale=lang):
                    if message.id:
                        key = message.id if isinstance(message.id, str) else message.id[0]
                        texts[key] = message.string
        english = _english()
        for msgid, info in used.items():
            text = texts.get(msgid)
            if isinstance(text, list):
                text = tuple(text)
            variants = [text] if isinstance(text, str) else list(text or [])
            if not variants or not all(variants):
                found.append(f"{lang}: {msgid}: missing or empty")
                continue
            if info.plural and isinstance(text, str):
                found.append(f"{lang}: {msgid}: needs plural forms")
            reference = english.get(msgid)
            if reference is None:
                continue
            expected = placeholders(reference) - {"n"}
            for variant in variants:
                got = placeholders(variant) - {"n"}
                if got != expected:
                    found.append(
                        f"{lang}: {msgid}: placeholders {sorted(got)} differ from {sorted(expected)}"
                    )
    return found


def _english() -> dict[str, str]:
    texts: dict[str, str] = {}
    for po in (LOCALES_DIR / "en" / "LC_MESSAGES").glob("*.po"):
        with po.open("rb") as fh:
            for message in read_po(fh, locale="en"):
                if message.id:
                    key = message.id if isinstance(message.id, str) else message.id[0]
                    value = message.string
                    texts[key] = value if isinstance(value, str) else (value[-1] if value else "")
    return texts


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "check"
    if command == "extract":
        write_templates()
    elif command == "update":
        write_templates()
        update()
    elif command == "compile":
        print(f"compiled {compile_all()} catalogs")
    elif command == "check":
        issues = problems()
        for issue in issues:
            print(issue)
        return 1 if issues else 0
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
