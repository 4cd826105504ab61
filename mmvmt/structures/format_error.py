"""The one error of the YouTube-VIS format: which file, which entry, what was expected."""
from typing import Any, Optional, Tuple


class YTVISFormatError(ValueError):
    """A YouTube-VIS-style file (annotations or results) that breaks the format.

    The message reads ``'<source>: <entry>: <expected>'``, e.g. ``'val.json: annotations[3]
    (id 12) segmentations[4]: RLE size [720, 1280] differs from the video size [480, 640]'``.

    Args:
        source (str): The file (or a name for an in-memory object).
        entry (str, optional): The entry inside it, e.g. ``'videos[2] (id 7)'``; None for
            the file as a whole.
        expected (str): What is wrong, saying what was expected.

    Attributes:
        source (str): As given.
        entry (str | None): As given.
        expected (str): As given.
    """

    def __init__(self, source: str, entry: Optional[str], expected: str) -> None:
        self.source = source
        self.entry = entry
        self.expected = expected
        where = f'{source}: {entry}' if entry else source
        super().__init__(f'{where}: {expected}')

    def __reduce__(self) -> Tuple[type, Tuple[str, Optional[str], str]]:
        # Raised in worker processes of the evaluation: pickle the three parts, not the
        # formatted message (ValueError's default would call __init__ with one argument).
        return type(self), (self.source, self.entry, self.expected)


def short_repr(value: Any, limit: int = 60) -> str:
    """``repr(value)`` cut to ``limit`` characters, to quote a bad value in a message."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + '...'


def json_kind(value: Any) -> str:
    """The JSON name of ``value``'s kind for messages: ``'null'``, else its Python type."""
    return 'null' if value is None else type(value).__name__
