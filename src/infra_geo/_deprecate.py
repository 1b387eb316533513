"""Deprecation helpers: old call styles keep working for one release, with a warning.

``renamed_keyword`` maps an old keyword to its new name; ``positional_deprecated`` lets
options that became keyword-only still be passed by position. Both warn with
:class:`DeprecationWarning` naming the keyword to use.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def warn_deprecated(message: str, *, stacklevel: int = 3) -> None:
    """Warn ``message`` as a :class:`DeprecationWarning` at the caller of the public function."""
    warnings.warn(message, DeprecationWarning, stacklevel=stacklevel)


def renamed_keyword(old: str, new: str) -> Callable[[F], F]:
    """Accept ``old=`` as ``new=`` for one release, warning; passing both is an error.

    Parameters
    ----------
    old, new : str
        The keyword's old and new names.

    Returns
    -------
    callable
        A decorator.
    """

    def deco(func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if old in kwargs:
                from .errors import InputError

                if kwargs.get(new) is not None:
                    raise InputError(f"Pass {new}= only ({old}= is its deprecated old name).")
                warn_deprecated(
                    f"{func.__name__}({old}=...) is deprecated: use {new}=... "
                    f"({old}= will be removed in the next release)."
                )
                kwargs[new] = kwargs.pop(old)
            return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return deco


def positional_deprecated(n_positional: int, names: tuple[str, ...]) -> Callable[[F], F]:
    """Let the options ``names`` (now keyword-only) still come by position, warning.

    Parameters
    ----------
    n_positional : int
        How many leading arguments stay positional (the data arguments).
    names : tuple of str
        The keyword-only options, in their old positional order.

    Returns
    -------
    callable
        A decorator.
    """

    def deco(func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if len(args) > n_positional:
                extra = args[n_positional:]
                if len(extra) > len(names):
                    raise TypeError(
                        f"{func.__name__}() takes at most {n_positional + len(names)} "
                        f"positional arguments ({len(args)} given)"
                    )
                moved = names[: len(extra)]
                for name, value in zip(moved, extra, strict=True):
                    if name in kwargs:
                        raise TypeError(f"{func.__name__}() got multiple values for {name!r}")
                    kwargs[name] = value
                warn_deprecated(
                    f"passing {', '.join(moved)} to {func.__name__}() by position is "
                    f"deprecated: pass {', '.join(f'{m}=' for m in moved)} by keyword."
                )
                args = args[:n_positional]
            return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return deco
