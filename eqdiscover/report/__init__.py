"""Reports of a fit, for people to read."""

from .markdown import render_markdown, write_markdown

__all__ = ["render_markdown", "write_markdown"]
