"""Read it aloud: a button that speaks text with the browser's own speech synthesis.

"The talk that writes itself" ends with a synthesiser reading the network's talk. Here the
browser does the reading (``window.speechSynthesis``, the Web Speech API): nothing is sent
anywhere and nothing is downloaded. The widget is a tiny anywidget whose ES module is inline,
so it works offline and under Voila; browsers without speech synthesis show a disabled button
and say why.
"""

from __future__ import annotations

from typing import Any

import anywidget
import traitlets as t

_ESM = r"""
function render({ model, el }) {
  const supported = typeof window !== "undefined" && "speechSynthesis" in window;
  const button = document.createElement("button");
  button.type = "button";
  button.className = "np-speak jupyter-button";
  const say = () => {
    const synth = window.speechSynthesis;
    synth.cancel();
    const utterance = new SpeechSynthesisUtterance(model.get("text"));
    utterance.rate = model.get("rate");
    utterance.pitch = model.get("pitch");
    utterance.lang = model.get("lang");
    utterance.onend = utterance.onerror = () => { model.set("speaking", false); model.save_changes(); };
    model.set("speaking", true);
    model.save_changes();
    synth.speak(utterance);
  };
  const hush = () => {
    window.speechSynthesis.cancel();
    model.set("speaking", false);
    model.save_changes();
  };
  const draw = () => {
    button.textContent = model.get("speaking") ? "\u25A0 Stop reading" : "\u{1F50A} " + model.get("label");
    button.disabled = !supported || !model.get("text");
    button.title = supported ? "Read the text aloud with your browser's voice"
                             : "This browser has no speech synthesis";
  };
  button.addEventListener("click", () => {
    if (!supported) return;
    model.get("speaking") ? hush() : say();
  });
  model.on("msg:custom", (msg) => {
    if (!supported) return;
    if (msg && msg.type === "speak") say();
    if (msg && msg.type === "stop") hush();
  });
  for (const name of ["label", "text", "speaking"]) model.on("change:" + name, draw);
  model.set("supported", supported);
  model.save_changes();
  draw();
  el.appendChild(button);
  return () => { if (supported && model.get("speaking")) window.speechSynthesis.cancel(); };
}
export default { render };
"""


class SpeakButton(anywidget.AnyWidget):
    """A button that reads ``text`` aloud in the browser.

    Parameters
    ----------
    text:
        What to read. The button is disabled while it is empty.
    label, rate, pitch, lang:
        The button's words; speaking rate (0.1 to 10, 1 is normal), pitch (0 to 2) and the
        language tag of the voice to prefer.

    ``speaking`` is True while the browser reads; ``supported`` is set by the browser (False
    where there is no speech synthesis, and until the button is first shown).
    """

    _esm = _ESM
    text = t.Unicode("").tag(sync=True)
    label = t.Unicode("Read it aloud").tag(sync=True)
    rate = t.Float(1.0).tag(sync=True)
    pitch = t.Float(1.0).tag(sync=True)
    lang = t.Unicode("en-GB").tag(sync=True)
    speaking = t.Bool(False).tag(sync=True)
    supported = t.Bool(False).tag(sync=True)

    def __init__(self, text: str = "", **kwargs: Any) -> None:
        super().__init__(text=text, **kwargs)

    @t.validate("rate")
    def _clamp_rate(self, proposal: Any) -> float:
        return float(min(max(proposal["value"], 0.1), 10.0))

    @t.validate("pitch")
    def _clamp_pitch(self, proposal: Any) -> float:
        return float(min(max(proposal["value"], 0.0), 2.0))

    def speak(self) -> None:
        """Ask the browser to read ``text`` now (browsers may wait for a first click on the page)."""
        self.send({"type": "speak"})

    def hush(self) -> None:
        """Stop reading."""
        self.send({"type": "stop"})
