"""Errors a user can trigger, and how they render a source location.

Every error raised while transforming a function is a `TransformError` (or a
subclass) carrying a `SourceSpan`. It prints as

    path:line:col: message
        the source line
        ^^^^^
    hint: what to do instead

so that editors and terminals can jump to the place.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SourceSpan:
    """Where a construct sits in the user's file (1-based lines, 0-based columns)."""

    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    text: str  # the full source line at `line`

    def render(self) -> str:
        """The line followed by a caret line under the construct."""
        line = self.text.rstrip("\n")
        stop = self.end_column if self.end_line == self.line else len(line)
        width = max(1, stop - self.column)
        return f"    {line}\n    {' ' * self.column}{'^' * width}"


class TangentSrcError(Exception):
    """Base class of every error tangent_src reports to its users."""


class TransformError(TangentSrcError):
    """A function could not be differentiated: unsupported construct, missing rule, bad wrt."""

    default_hint = "see the README's list of what is supported"

    def __init__(self, message: str, span: SourceSpan | None = None, hint: str | None = None):
        self.message = message
        self.span = span
        self.hint = hint or self.default_hint
        super().__init__(self._format())

    def _format(self) -> str:
        parts = []
        if self.span is not None:
            where = f"{self.span.path}:{self.span.line}:{self.span.column + 1}"
            parts.append(f"{where}: {self.message}")
            parts.append(self.span.render())
        else:
            parts.append(self.message)
        if self.hint:
            parts.append(f"hint: {self.hint}")
        return "\n".join(parts)


class UnsupportedSyntax(TransformError):
    """A statement or expression the transformer does not handle (yet)."""

    default_hint = ("write it with what is supported: assignments, arithmetic operators, numpy calls "
                    "and array methods (the README lists them)")


class MissingRule(TransformError):
    """A call of a function that has no derivative rule and is not marked non-differentiable."""


class NonDifferentiableInput(TransformError):
    """A value that depends on a differentiated input reaches a non-differentiable argument."""


class BadWrt(TransformError):
    """`wrt` names no parameter of the function, or a parameter that cannot be differentiated."""

    default_hint = "pass wrt as a parameter index, a parameter name, or a tuple of distinct ones"


class BadResult(TransformError):
    """A result that cannot be differentiated as asked: not a scalar under grad, or not a number."""

    default_hint = "grad needs one scalar result; pass has_aux=True to return other values beside it"


class InternalError(TransformError):
    """A bug in tangent_src itself; please report it with the function that triggered it."""

