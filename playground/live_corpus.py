"""What a live run learns from: a shipped corpus by name, or the user's own files and pasted text.

Uploads are checked in this order, each refusal one sentence naming the file and the limit:
size (before a byte is decoded), empty, encoding (a byte-order mark decides between UTF-8,
UTF-16 and UTF-32; otherwise strict UTF-8, then Windows-1252; bytes that decode to control
characters are "not text"), then too short or too varied (see :mod:`playground.corpora`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from playground import corpora
from playground.corpora import MAX_UPLOAD_BYTES, MIN_CHARS, Corpus, Document, Split
from playground.errors import TextInputError

#: The corpus names a live run offers; "user" is the uploaded or pasted text.
CHOICES = (*corpora.CORPORA, "user")
LABELS = {"shakespeare": "Shakespeare's plays", "python": "Python source", "folk": "Folk tunes (ABC)",
          "user": "Your own text"}
#: What the timeline's samples start from: a folk tune begins with its X: line.
PROMPTS = {"folk": "X:1\n"}

ENCODING_POLICY = (
    "A byte-order mark decides (UTF-8, UTF-16 or UTF-32); without one the file is read as UTF-8, "
    "and if that fails as Windows-1252. Files over "
    f"{MAX_UPLOAD_BYTES // 2**20} MB are refused before they are read; texts need at least "
    f"{MIN_CHARS:,} characters."
)


class Upload(Protocol):
    """One uploaded file as ipywidgets 8 reports it (name, declared size, content)."""

    name: str
    size: int
    content: bytes | memoryview


@dataclass(frozen=True)
class UploadedFile:
    """A plain :class:`Upload`: a file's name, declared size and bytes (or a memoryview of them)."""

    name: str
    size: int
    content: bytes | memoryview


@dataclass(frozen=True)
class Summary:
    """What was loaded, for the line under the upload box."""

    documents: int
    characters: int
    vocabulary: int
    train_characters: int
    valid_characters: int
    encodings: tuple[str, ...]

    def sentence(self) -> str:
        enc = f", read as {', '.join(sorted(set(self.encodings)))}" if self.encodings else ""
        docs = "1 document" if self.documents == 1 else f"{self.documents} documents"
        return (f"{docs}, {self.characters:,} characters, {self.vocabulary} distinct characters{enc}; "
                f"{self.train_characters:,} to train on, {self.valid_characters:,} held out for validation.")


def summarize(corpus: Corpus, encodings: Sequence[str] = ()) -> Summary:
    """Counts of a corpus and of the split a live run would use."""
    chars = sum(len(d.text) for d in corpus.documents)
    distinct = set().union(*(set(d.text) for d in corpus.documents))
    parts = corpora.split(corpus)
    return Summary(len(corpus), chars, len(distinct), len(parts.train_text), len(parts.valid_text),
                   tuple(encodings))


def _size_error(name: str, size: int) -> TextInputError:
    return TextInputError(
        f"{name}: this file is {size / 2**20:.1f} MB; the limit is {MAX_UPLOAD_BYTES // 2**20} MB."
    )


def from_uploads(files: Sequence[Upload]) -> tuple[Corpus, tuple[str, ...]]:
    """A corpus of uploaded files (one document each) and the encoding each was read with.

    The declared sizes and the content lengths are checked against ``MAX_UPLOAD_BYTES`` before
    anything is copied or decoded.

    Raises
    ------
    TextInputError
        No files, a file or all files together over the limit, an empty file, bytes that are not
        text, or text too short or too varied. The sentence names the file.
    """
    if not files:
        raise TextInputError("No file was uploaded.")
    sizes = [max(int(f.size or 0), len(f.content)) for f in files]  # len() of a memoryview copies nothing
    for f, size in zip(files, sizes):
        if size > MAX_UPLOAD_BYTES:
            raise _size_error(f.name, size)
    if sum(sizes) > MAX_UPLOAD_BYTES:
        raise TextInputError(f"These files hold {sum(sizes) / 2**20:.1f} MB together; the limit is "
                             f"{MAX_UPLOAD_BYTES // 2**20} MB.")
    docs: list[Document] = []
    encodings: list[str] = []
    for f in files:
        data = bytes(f.content)
        if not data:
            raise TextInputError(f"{f.name}: this file is empty; give at least {MIN_CHARS:,} characters of text.")
        try:
            text, encoding = corpora.decode(data)
            docs.append(corpora.from_user(text, f.name).documents[0])
        except TextInputError as err:
            raise TextInputError(f"{f.name}: {err}") from None
        encodings.append(encoding)
    return Corpus("user", tuple(docs)), tuple(encodings)


def from_paste(text: str, title: str = "pasted text") -> Corpus:
    """A corpus of pasted text (checked like a file: not empty, long enough, not too varied)."""
    return corpora.from_user(text, title)


def resolve(corpus: str | Corpus) -> Corpus:
    """A shipped corpus by name, or the given :class:`Corpus` as it is."""
    if isinstance(corpus, Corpus):
        if not corpus.documents:
            raise TextInputError("This corpus has no documents.")
        return corpus
    if corpus == "user":
        raise TextInputError("Upload or paste your text first, then choose it.")
    return corpora.load(corpus)


def split_for_training(corpus: Corpus) -> Split:
    """The train/validation split of a corpus (whole documents held out; one document is cut)."""
    return corpora.split(corpus)
