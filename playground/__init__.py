"""Neural Playground's engine: data, models, training and sampling.

The engine never imports a UI library (ipywidgets, plotly, IPython); the views in
``widgets/`` are built on top of it.
"""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["__version__"]
