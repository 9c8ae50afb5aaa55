"""Blocks of a report, shared by the Markdown and LaTeX writers.

The sections of a report are built once as these blocks, and each writer turns
them into its own markup, so that both documents carry the same content. Text
is a tuple of spans: plain ``str``, :class:`Code` for formula text and column
names, and :class:`Strong` for emphasis.
"""

from dataclasses import dataclass, field

__all__ = [
    "Code",
    "Equation",
    "Figure",
    "Heading",
    "Items",
    "Paragraph",
    "Strong",
    "Table",
    "WarningBlock",
    "spans",
]


@dataclass(frozen=True)
class Code:
    """Literal text, such as a formula or a column name, set in monospace."""

    text: str


@dataclass(frozen=True)
class Strong:
    """Emphasized plain text."""

    text: str


def spans(*parts):
    """Return text as a tuple of spans; ``None`` parts are left out."""
    return tuple(part for part in parts if part is not None and part != "")


@dataclass(frozen=True)
class Heading:
    """Section heading; level 1 is the title."""

    text: str
    level: int = 2


@dataclass(frozen=True)
class Paragraph:
    """One paragraph of text spans."""

    text: tuple


@dataclass(frozen=True)
class WarningBlock:
    """A paragraph that must stand out, such as the misfit warning."""

    text: tuple


@dataclass(frozen=True)
class Items:
    """Bulleted list; each item is a tuple of spans."""

    items: tuple


@dataclass(frozen=True)
class Equation:
    """The formula ``target = expr`` in display math and as plain text.

    ``columns`` maps each symbol of ``expr`` to its column name, from which
    each writer makes a symbol that its math renderer prints correctly.
    """

    target: str
    expr: object
    columns: dict
    text: str


@dataclass(frozen=True)
class Table:
    """Table with a header row; each cell is a tuple of spans.

    ``numeric`` lists the columns that hold numbers, which are set flush right.
    """

    header: tuple
    rows: tuple
    numeric: frozenset = field(default_factory=frozenset)


@dataclass(frozen=True)
class Figure:
    """An image file of the report folder, with its caption."""

    path: str
    caption: tuple
