"""Your own text: upload files or paste, see what was loaded, or read one sentence on why not.

A thin view over :mod:`playground.live_corpus`: the encoding policy is stated on screen, the
size limit is checked before a byte is decoded, and a refused file leaves the pasted text and
the last good corpus exactly as they were.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import ipywidgets as w

from playground.corpora import Corpus
from playground.live_corpus import (
    ENCODING_POLICY,
    UploadedFile,
    from_paste,
    from_uploads,
    summarize,
)
from widgets._common import Notice, ShowsFigures, guarded

ACCEPT = ".txt,.md,.py,.abc,.csv,.tex,.rst,.html,.json,text/*"


class UploadWidget(ShowsFigures, w.VBox):
    """Upload one or more text files, or paste text, to train on.

    Attributes
    ----------
    corpus:
        The last text that was accepted (``None`` until then).
    summary:
        The :class:`playground.live_corpus.Summary` of it.
    """

    def __init__(self, **kwargs: Any) -> None:
        self.corpus: Corpus | None = None
        self.summary: Any = None
        self._listeners: list[Callable[[Corpus], None]] = []
        self.notice = Notice()
        self.files = w.FileUpload(accept=ACCEPT, multiple=True, description="Upload text files")
        self.paste = w.Textarea(placeholder="...or paste text here (at least 500 characters)",
                                layout=w.Layout(width="100%", height="140px"))
        self.use_paste = w.Button(description="Use pasted text", icon="check")
        self.policy = w.HTML(f"<small>{ENCODING_POLICY}</small>")
        self.info = w.HTML("<i>Nothing loaded yet.</i>")
        super().__init__([w.HBox([self.files]), self.policy, self.paste, self.use_paste, self.notice,
                          self.info], **kwargs)
        self.add_class("np-upload")
        self.files.observe(self._on_files, names="value")
        self.use_paste.on_click(lambda _: self.load_paste())

    def on_corpus(self, fn: Callable[[Corpus], None]) -> None:
        """Call ``fn(corpus)`` each time a text is accepted."""
        self._listeners.append(fn)

    def _on_files(self, change: dict[str, Any]) -> None:
        if change["new"]:
            self.load_files(change["new"])

    def load_files(self, value: Any) -> None:
        """Load what ``FileUpload.value`` holds: a tuple of dicts with name, size and content."""
        with guarded(self.notice):
            items = [UploadedFile(str(d.get("name", "file")), int(d.get("size") or 0), d.get("content", b""))
                     for d in value]
            corpus, encodings = from_uploads(items)
            self._accept(corpus, encodings)

    def load_paste(self) -> None:
        """Use the pasted text (the box keeps it either way)."""
        with guarded(self.notice):
            self._accept(from_paste(self.paste.value), ())

    def _accept(self, corpus: Corpus, encodings: tuple[str, ...]) -> None:
        self.summary = summarize(corpus, encodings)
        self.corpus = corpus
        names = ", ".join(d.title for d in corpus.documents[:5]) + (" ..." if len(corpus) > 5 else "")
        self.info.value = f"<b>Loaded</b> {html.escape(names)}: {html.escape(self.summary.sentence())}"
        for fn in list(self._listeners):
            fn(corpus)
