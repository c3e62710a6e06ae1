"""What counts as identifying in text, and how a finding shows it without spreading it.

The patterns follow the HIPAA Safe Harbor identifiers that can be written as text (names,
dates more precise than the year, telephone numbers, e-mail addresses, record, account and
other identifying numbers, device serial numbers) and the attributes DICOM PS3.15 Annex E's
Basic Application Level Confidentiality Profile removes (patient and physician names, birth
dates, IDs and accession numbers, institution names, UIDs). A value found is never shown:
`mask` gives its kind, first character and length instead.

The release's own image ids (IMG + seven digits) are not record numbers. This module imports
only the standard library, so that the runner's redaction costs nothing when nothing is found.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

_MONTHS = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DAY = r"(?:0?[1-9]|[12]\d|3[01])"
_MONTH = r"(?:0?[1-9]|1[0-2])"
_YEAR = r"(?:19|20)\d{2}"
_NAME_WORD = r"[A-Z][A-Za-z'\-]+"

# (kind, pattern): the order decides which kind a span is reported as where two overlap.
PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern)) for kind, pattern in (
        ("e-mail address", r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+"),
        ("DICOM UID", r"(?<![\d.])(?:1\.2\.840|1\.2\.826|1\.2\.276|1\.3\.6\.1|2\.25|2\.16\.840)"
                      r"(?:\.\d+)+|(?<![\d.])[012](?:\.\d+){5,}(?![\d.])"),
        ("date", rf"(?<![\d.])(?:{_YEAR}[-:/.]{_MONTH}[-:/.]{_DAY}"
                 rf"|{_DAY}[-/.]{_MONTH}[-/.](?:{_YEAR}|\d{{2}})"
                 rf"|{_MONTH}[-/.]{_DAY}[-/.]{_YEAR}"
                 rf"|{_YEAR}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]))(?![\d.])"),
        ("date", rf"(?i)\b(?:{_DAY}[ \-]?{_MONTHS}[ \-,]*{_YEAR}|{_MONTHS} {_DAY},? {_YEAR})\b"),
        ("date", r"(?i)\b(?:DOB|D\.O\.B\.?|date\s+of\s+birth|birth\s*date|born)\b[\s:=.]*"
                 r"[\w/.\-]*"),
        ("record number", r"(?i)\b(?:MRN|PID|patient[\s_]*id|record[\s_]*(?:no|number|#)|"
                          r"accession(?:[\s_]*(?:no|number))?|acc\.?[\s_]*no|case[\s_]*(?:no|#)|"
                          r"SSN|NHS[\s_]*(?:no|number)|study[\s_]*id)\b[\s:#.=\-]*[A-Za-z0-9\-]*"),
        ("record number", r"(?<![\w\-])\d{3}-\d{2}-\d{4}(?![\w\-])"),
        ("telephone number", r"(?<![\w.+])(?:\+\d{1,3}[\s.\-]?)?(?:\(\d{2,4}\)[\s.\-]?)?"
                             r"\d{2,4}[\s.\-]\d{3,4}[\s.\-]?\d{3,4}(?![\w.])"),
        ("telephone number", r"(?<![\w+])\+\d{9,14}(?!\w)"),
        ("record number", r"(?<!\d)\d{6,}(?!\d)"),
        ("person name", rf"(?:(?i:\b(?:patient(?:'s)?[\s_]*name|patientname|patient|pt|"
                        rf"(?:sur|first|last|given|family)[\s_]*name|name|dr|doctor|physician|"
                        rf"referring[\s_]*physician|radiologist|technologist|mr|mrs|ms|miss)\b)"
                        rf"\.?[\s:=]*{_NAME_WORD}(?:[ ,^]+{_NAME_WORD})*)"),
        ("person name", rf"\b{_NAME_WORD}\^{_NAME_WORD}(?:\^[A-Za-z'\-]*)*"),
        ("institution", r"\b(?:[A-Z][\w'.\-]*\s+){1,5}(?i:hospital|clinic|infirmary|"
                        r"medical\s+cent(?:er|re)|health(?:care)?\s+(?:system|trust)|"
                        r"radiology|imaging\s+cent(?:er|re))\b|(?i:\b(?:hospital|clinic)\s+of)"
                        r"\s+[A-Z][\w'\-]+"),
        ("user name", r"(?:^|[\\/])(?:home|Users|users|Documents and Settings)[\\/]"
                      r"(?!(?:runner|root|ubuntu|user|admin|jovyan|Public|Shared)[\\/])[^\\/]+"),
    )
)  # fmt: skip
# the release's image ids, any case (ASCII digits): no record number
RELEASE_ID = re.compile(r"IMG[0-9]{7}", re.IGNORECASE)
# What every pattern above needs somewhere in the text: a text without any of it (after the
# release's ids are set aside) holds no identifier, and one search says so.
_MAYBE = re.compile(r"\d\d|[@^]|\+\d|\b(?:patient|pt|(?:sur|first|last|given|family|patient|full)?"
                    r"[\s_]?names?|dr|doctor|physician|"
                    r"referring|radiologist|technologist|mr|mrs|ms|miss|dob|born|birth|mrn|pid|"
                    r"record|accession|acc|case|ssn|nhs|study|hospital|clinic|infirmary|medical|"
                    r"health|radiology|imaging|home|users|documents)\b|d\.o\.b")  # fmt: skip
# (searched in the lower-cased text)
# Words that are normal on a radiograph and never identify: side markers, views, units.
NORMAL_WORDS = frozenset({
    "l", "r", "left", "right", "lt", "rt", "ap", "pa", "lat", "lateral", "obl", "oblique",
    "ll", "rl", "axial", "frontal", "view", "cm", "mm", "in", "erect", "supine", "standing",
    "weight", "bearing", "wb", "portable", "port", "upright", "flex", "ext", "sin", "dx", "dex",
})  # fmt: skip


@dataclass(frozen=True)
class Found:
    """An identifier in a text: its kind and where it is."""

    kind: str
    start: int
    end: int


def find_identifiers(text: str) -> list[Found]:
    """The identifiers in `text`, without overlaps, in text order."""
    if not text:
        return []
    scanned = RELEASE_ID.sub(lambda m: "#" * len(m[0]), text) if "img" in text.lower() else text
    if not _MAYBE.search(scanned.lower()):
        return []
    taken: list[Found] = []
    for kind, pattern in PATTERNS:
        for match in pattern.finditer(scanned):
            start, end = match.span()
            value = text[start:end].strip(" /\\")
            if not value or any(f.start < end and start < f.end for f in taken):
                continue
            if kind == "telephone number" and sum(c.isdigit() for c in value) < 9:
                continue
            taken.append(Found(kind, start, end))
    return sorted(taken, key=lambda f: f.start)


def mask(value: str, kind: str) -> str:
    """How a finding shows a value: its kind, first character and length, never the value:
    `<date: 1…, 10 chars>`."""
    value = str(value).strip()
    first = value[:1] if value[:1].isprintable() else "?"
    return f"<{kind}: {first}…, {len(value)} chars>"


def masked_kinds(text: str) -> tuple[list[str], list[str]]:
    """The kinds of identifier in `text` and each one masked."""
    found = find_identifiers(text)
    return ([f.kind for f in found],
            [mask(text[f.start:f.end], f.kind) for f in found])  # fmt: skip


def secrets_of(value: str, found: Iterable[tuple[str, str, str]]) -> tuple[tuple[str, str], ...]:
    """What redaction must hide, as (text, mask): each identifier `identifying` found, and
    the whole value that holds them (masked as `text`)."""
    pairs = [(text, shown) for _, text, shown in found]
    value = str(value).strip()
    if pairs and all(text != value for text, _ in pairs):
        pairs.append((value, mask(value, "text")))
    return tuple((text, shown) for text, shown in pairs if len(text) >= 2)


def redact(text: str, secrets: dict[str, str]) -> str:
    """`text` with every secret (longest first) replaced by its mask."""
    for secret in sorted(secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, secrets[secret])
    return text


# What a named field holds by definition (metadata tags, annotation attributes): keywords of
# its name, lower case, without separators. DICOM Annex E removes the same kinds of attribute.
FIELD_KINDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("UID", ("imageuniqueid", "documentid", "instanceid", "uid")),
    ("device serial number", ("serial",)),
    ("station name", ("hostcomputer", "stationname", "station")),
    ("institution", ("institution", "organisation", "organization", "hospital", "clinic")),
    ("place", ("gps", "latitude", "longitude", "altitude", "city", "country", "provincestate",
               "state", "sublocation", "location", "address")),
    ("date", ("date", "birth", "dob")),
    ("owner name", ("copyright", "rights", "credit")),
    ("person name", ("artist", "author", "owner", "creator", "contributor", "byline", "writer",
                     "contact", "person", "patient", "physician", "doctor", "radiologist",
                     "operator", "annotator", "editor", "surname", "firstname", "lastname",
                     "givenname", "familyname", "fullname", "username")),
)  # fmt: skip
# technical fields whose names contain one of those words
_TECHNICAL = ("tool", "software", "subjectlocation", "subjectarea", "gpsversion", "gpsmapdatum",
              "marked", "orientation")  # fmt: skip
_SEPARATORS = re.compile(r"[^a-z0-9]+")


@lru_cache(maxsize=4096)
def field_kind(name: str) -> str | None:
    """The kind of identifier a field holds by its name (`Artist` -> person name,
    `GPS.GPSLatitude` -> place), or None for a field that holds none by definition."""
    key = _SEPARATORS.sub("", name.lower())
    if any(word in key for word in _TECHNICAL):
        return None
    for kind, words in FIELD_KINDS:
        if any(word in key for word in words):
            return kind
    return None


@lru_cache(maxsize=65536)
def identifying(field: str | None, value: str) -> tuple[tuple[str, str, str], ...]:
    """What identifies in the `value` of a field: (kind, the identifying text, its mask) for
    the whole value when the field's name says it identifies (a date field only when its value
    is a date more precise than the year; a name field only when its value has letters), and
    for each identifier the text holds otherwise."""
    value = str(value).strip()
    if not value:
        return ()
    kind = field_kind(field) if field else None
    found = find_identifiers(value)
    if kind == "date":
        kind = "date" if any(f.kind == "date" for f in found) else None
    elif kind in ("person name", "owner name", "institution", "station name"):
        kind = kind if any(c.isalpha() for c in value) else None
    if kind is not None:
        return ((kind, value, mask(value, kind)),)
    return tuple((f.kind, value[f.start:f.end].strip(), mask(value[f.start:f.end], f.kind))
                 for f in found)  # fmt: skip
