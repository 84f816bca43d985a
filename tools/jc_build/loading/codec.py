"""JSON for the model's dataclasses, driven by their type hints: encoding and validating decoding.

Nothing in the data chooses a type: a file can only fill fields the code declares, with values of
the declared types, so a cache file stays data. A new or renamed field changes ``fingerprint`` and
so invalidates files written by another model.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from functools import lru_cache
from collections.abc import Callable
from pathlib import Path
from typing import Any, Union

JSON_SCALARS = (str, int, float, bool, type(None))


class CodecError(ValueError):
    """A value that does not fit its declared type."""


@lru_cache(maxsize=None)
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def fingerprint(cls: type) -> str:
    """A text that changes whenever a field (or a field's type) of ``cls`` or a nested dataclass does."""
    seen: list[str] = []

    def visit(hint: Any) -> None:
        if dataclasses.is_dataclass(hint) and hint.__qualname__ not in seen:
            seen.append(hint.__qualname__)
            for name, sub in _hints(hint).items():
                seen.append(f"{hint.__qualname__}.{name}:{sub}")
                visit(sub)
        for arg in typing.get_args(hint):
            visit(arg)

    visit(cls)
    return ";".join(seen)


def encode(value: Any, hint: Any) -> Any:
    """``value`` (of type ``hint``) as JSON data; CodecError if it holds what JSON cannot say."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if dataclasses.is_dataclass(hint):
        return {f.name: encode(getattr(value, f.name), _hints(hint)[f.name]) for f in dataclasses.fields(hint)}
    if origin in (Union, types.UnionType):
        member = next((a for a in args if _is_instance(value, a)), None)
        if member is None:
            raise CodecError(f"{value!r} is none of {hint}")
        return encode(value, member)
    if origin in (list, tuple) or hint in (list, tuple):
        item = args[0] if args else Any
        if origin is tuple and args and args[-1] is not Ellipsis:
            return [encode(v, a) for v, a in zip(value, args)]
        return [encode(v, item) for v in value]
    if origin is dict or hint is dict:
        key, item = args or (str, Any)
        if not all(isinstance(k, str) for k in value):
            raise CodecError("only string keys can be stored")
        return {k: encode(v, item) for k, v in value.items()}
    if hint is Any:
        return _plain(value)
    if hint is Path and isinstance(value, Path):
        return str(value)
    if not isinstance(value, hint):
        raise CodecError(f"{value!r} is not a {hint}")
    return value


def decode(data: Any, hint: Any, where: str = "$") -> Any:
    """The value of type ``hint`` that ``data`` (as ``json.loads`` gives it) encodes; CodecError
    naming where it does not fit."""
    try:
        return _decoder(hint)(data)
    except _Misfit as exc:
        raise CodecError(f"{where}{''.join(reversed(exc.path))}: {exc.args[0]}") from None


class _Misfit(Exception):
    """A value that does not fit; ``path`` collects where, innermost first, as it propagates."""

    def __init__(self, message: str):
        super().__init__(message)
        self.path: list[str] = []

    def at(self, step: str) -> _Misfit:
        self.path.append(step)
        return self


Decoder = Callable[[Any], Any]


@lru_cache(maxsize=None)
def _decoder(hint: Any) -> Decoder:
    """A function decoding values of ``hint``, built once per type (a cache file holds thousands).
    Where a value sits is worked out only when it does not fit."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if dataclasses.is_dataclass(hint):
        return _dataclass_decoder(hint)
    if origin in (Union, types.UnionType):
        return _union_decoder(hint, [_decoder(a) for a in args])
    if origin is tuple and args and args[-1] is not Ellipsis:
        return _fixed_tuple_decoder([_decoder(a) for a in args])
    if origin in (list, tuple) or hint in (list, tuple):
        return _sequence_decoder(_decoder(args[0] if args else Any), tuple if tuple in (origin, hint) else list)
    if origin is dict or hint is dict:
        return _mapping_decoder(_decoder(args[1] if args else Any))
    if hint is Any:
        return lambda data: data  # JSON data is plain already: nothing else comes out of json.loads
    if hint is Path:
        return _path_decoder
    return _scalar_decoder(hint)


def _sequence_decoder(item: Decoder, make: type) -> Decoder:
    def sequence(data: Any) -> Any:
        if not isinstance(data, list):
            raise _Misfit("expected a list")
        try:
            return make([item(v) for v in data])
        except _Misfit as exc:
            raise exc.at(f"[{_failed_index(item, data)}]") from None
    return sequence


def _failed_index(item: Decoder, data: list[Any]) -> int:
    """The index of the first item that does not fit (looked for only after one did not)."""
    for i, value in enumerate(data):
        try:
            item(value)
        except _Misfit:
            return i
    return -1


def _mapping_decoder(value: Decoder) -> Decoder:
    def mapping(data: Any) -> Any:
        if not isinstance(data, dict):
            raise _Misfit("expected an object")
        key = None
        try:
            return {(key := k): value(v) for k, v in data.items()}
        except _Misfit as exc:
            raise exc.at(f".{key}") from None
    return mapping


def _dataclass_decoder(cls: Any) -> Decoder:
    fields = {f.name: f for f in dataclasses.fields(cls)}
    names = frozenset(fields)
    required = frozenset(n for n, f in fields.items()
                         if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING)
    hints = _hints(cls)
    decoders: dict[str, Decoder] = {}  # filled on first use: a field's type may be the class itself

    def dataclass(data: Any) -> Any:
        if type(data) is not dict or not names.issuperset(data):
            raise _Misfit(f"expected the fields of {cls.__name__}")
        if not required.issubset(data):
            raise _Misfit(f"missing {', '.join(sorted(required - data.keys()))}")
        if not decoders:
            decoders.update((n, _decoder(hints[n])) for n in fields)
        name = None
        try:
            values = {(name := n): decoders[n](v) for n, v in data.items()}
        except _Misfit as exc:
            raise exc.at(f".{name}") from None
        try:
            return cls(**values)
        except (TypeError, ValueError) as exc:  # the dataclass's own validation
            raise _Misfit(str(exc)) from None
    return dataclass


def _union_decoder(hint: Any, members: list[Decoder]) -> Decoder:
    def union(data: Any) -> Any:
        for member in members:
            try:
                return member(data)
            except _Misfit:
                continue
        raise _Misfit(f"fits none of {hint}")
    return union


def _fixed_tuple_decoder(items: list[Decoder]) -> Decoder:
    def fixed(data: Any) -> Any:
        if not isinstance(data, list) or len(data) != len(items):
            raise _Misfit(f"expected {len(items)} items")
        values = []
        for i, (v, item) in enumerate(zip(data, items)):
            try:
                values.append(item(v))
            except _Misfit as exc:
                raise exc.at(f"[{i}]") from None
        return tuple(values)
    return fixed


def _scalar_decoder(hint: Any) -> Decoder:
    name = getattr(hint, "__name__", str(hint))

    def scalar(data: Any) -> Any:
        if hint is float and isinstance(data, int) and not isinstance(data, bool):
            return float(data)
        if not isinstance(data, hint) or (hint is int and isinstance(data, bool)):
            raise _Misfit(f"expected {name}")
        return data
    return scalar


def _path_decoder(data: Any) -> Path:
    if not isinstance(data, str):
        raise _Misfit("expected a path string")
    return Path(data)


def _plain(value: Any) -> Any:
    """JSON values only (what attributes hold); a dataclass or other object is refused."""
    if isinstance(value, JSON_SCALARS):
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {k: _plain(v) for k, v in value.items()}
    raise CodecError(f"{type(value).__name__} values cannot be stored untyped")


def _is_instance(value: Any, hint: Any) -> bool:
    origin = typing.get_origin(hint) or hint
    return hint is Any or (isinstance(origin, type) and isinstance(value, origin))
