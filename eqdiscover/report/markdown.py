"""Markdown report of one fit.

The formula is display math between ``$$`` lines, which GitHub, GitLab and
Jupyter render with MathJax or KaTeX. Tables are pipe tables, and figures are
linked by their path relative to the document.
"""

from ..formula import latex_symbol
from .document import (
    Code,
    Equation,
    Figure,
    Heading,
    Items,
    Paragraph,
    Strong,
    Table,
    WarningBlock,
)
from .latex import equation_latex, signed_terms

__all__ = ["render_markdown"]

# Characters that Markdown would read as markup in plain text.
_MARKUP = set("\\`*_[]<>|")


def _escape(text):
    return "".join("\\" + c if c in _MARKUP else c for c in str(text))


def _code(text):
    """Format text as inline code, so that ``*`` and ``|`` stay literal in tables.

    Text that contains a backtick, such as a quoted column name, is fenced with
    two backticks and spaces.
    """
    text = str(text).replace("|", "\\|")
    return f"`` {text} ``" if "`" in text else f"`{text}`"


def _spans(text):
    parts = []
    for span in text:
        if isinstance(span, Code):
            parts.append(_code(span.text))
        elif isinstance(span, Strong):
            parts.append(f"**{_escape(span.text)}**")
        else:
            parts.append(_escape(span))
    return "".join(parts)


def _table(block):
    align = [
        " ---: |" if j in block.numeric else " --- |" for j in range(len(block.header))
    ]
    lines = [
        "| " + " | ".join(_escape(h) for h in block.header) + " |",
        "|" + "".join(align),
    ]
    lines += [
        "| " + " | ".join(_spans(cell) for cell in row) + " |" for row in block.rows
    ]
    return "\n".join(lines)


def _equation(block):
    left, terms = equation_latex(block, symbol=latex_symbol)
    right = " ".join(signed_terms(terms))
    return f"$$\n{left} = {right}\n$$\n\n```text\n{block.text}\n```"


def _block(block):
    if isinstance(block, Heading):
        return "#" * block.level + " " + _escape(block.text)
    if isinstance(block, Paragraph):
        return _spans(block.text)
    if isinstance(block, WarningBlock):
        return "> **Warning:** " + _spans(block.text)
    if isinstance(block, Items):
        return "\n".join("- " + _spans(item) for item in block.items)
    if isinstance(block, Equation):
        return _equation(block)
    if isinstance(block, Table):
        return _table(block)
    if isinstance(block, Figure):
        alt = "".join(s if isinstance(s, str) else s.text for s in block.caption)
        return f"![{_escape(alt)}]({block.path})\n\n*{_spans(block.caption)}*"
    raise TypeError(f"Unknown report block {type(block).__name__}.")


def render_markdown(blocks):
    """Return the Markdown document of the report blocks."""
    return "\n\n".join(_block(block) for block in blocks) + "\n"
