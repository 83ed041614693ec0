"""Progress bars for pulls and builds, drawn with ``tqdm.auto``: a terminal
bar in a shell, a widget in Jupyter. ``Docker.pull(..., progress=True)`` and
``Docker.build(..., progress=True)`` use them; any callable taking the same
events works too."""

from __future__ import annotations

import re
import sys
from typing import Any, Dict

_STEP = re.compile(r"^Step (\d+)/(\d+) : (.*)$")


class PullBars:
    """One bar per layer, in bytes downloaded, with the layer's state
    (downloading, extracting, complete, already exists) beside it; the bars
    are closed when the pull ends."""

    def __init__(self) -> None:
        from tqdm.auto import tqdm  # type: ignore[import-untyped]

        self._tqdm = tqdm
        self._bars: Dict[str, Any] = {}

    def __call__(self, event: Dict[str, Any]) -> None:
        if event.get("kind") != "layer":
            text = event.get("text", "")
            if text:
                # Beside the bars, on standard error: standard output holds
                # only a command's result.
                self._tqdm.write(text, file=sys.stderr)
            return
        layer = event["layer"]
        bar = self._bars.get(layer)
        if bar is None:
            bar = self._tqdm(
                total=event.get("total") or None,
                desc=layer,
                unit="B",
                unit_scale=True,
                unit_divisor=1024,
                leave=True,
            )
            self._bars[layer] = bar
        total = event.get("total")
        if total and bar.total != total:
            bar.total = total
        done = int(event.get("downloaded") or 0)
        if done > bar.n:
            bar.update(done - bar.n)
        bar.set_postfix_str(event.get("state", ""), refresh=True)

    def close(self) -> None:
        for bar in self._bars.values():
            bar.close()
        self._bars.clear()


class BuildBar:
    """One bar over the build's steps (``Step 3/7 : RUN ...``)."""

    def __init__(self) -> None:
        from tqdm.auto import tqdm  # type: ignore[import-untyped]

        self._tqdm = tqdm
        self._bar: Any = None

    def __call__(self, line: str) -> None:
        match = _STEP.match(line)
        if not match:
            return
        step, total, instruction = int(match.group(1)), int(match.group(2)), match.group(3)
        if self._bar is None:
            self._bar = self._tqdm(total=total, unit="step", leave=True)
        if step > self._bar.n:
            self._bar.update(step - self._bar.n)
        self._bar.set_description_str(instruction[:60], refresh=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


__all__ = ["BuildBar", "PullBars"]
