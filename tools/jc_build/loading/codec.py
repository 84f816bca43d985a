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
    if not isinstance(value, hint):
        raise CodecError(f"{value!r} is not a {hint}")
    return value


def decode(data: Any, hint: Any, where: str = "$") -> Any:
    """The value of type ``hint`` that ``data`` encodes; CodecError naming where it does not fit."""
    return _decoder(hint)(data, where)


Decoder = Callable[[Any, str], Any]


@lru_cache(maxsize=None)
def _decoder(hint: Any) -> Decoder:
    """A function decoding values of ``hint``, built once per type (a cache file holds thousands)."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if dataclasses.is_dataclass(hint):
        return _dataclass_decoder(hint)
    if origin in (Union, types.UnionType):
        return _union_decoder(hint, [_decoder(a) for a in args])
    if origin is tuple and args and args[-1] is not Ellipsis:
        return _fixed_tuple_decoder([_decoder(a) for a in args])
    if origin in (list, tuple) or hint in (list, tuple):
        item, make = _decoder(args[0] if args else Any), tuple if tuple in (origin, hint) else list

        def sequence(data: Any, where: str) -> Any:
            if not isinstance(data, list):
                raise CodecError(f"{where}: expected a list")
            return make(item(v, f"{where}[{i}]") for i, v in enumerate(data))
        return sequence
    if origin is dict or hint is dict:
        value = _decoder(args[1] if args else Any)

        def mapping(data: Any, where: str) -> Any:
            if not isinstance(data, dict):
                raise CodecError(f"{where}: expected an object")
            return {k: value(v, f"{where}.{k}") for k, v in data.items()}
        return mapping
    if hint is Any:
        return lambda data, where: _plain(data)
    return _scalar_decoder(hint)


def _dataclass_decoder(cls: Any) -> Decoder:
    fields = {f.name: f for f in dataclasses.fields(cls)}
    required = {n for n, f in fields.items()
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING}
    hints = _hints(cls)

    def dataclass(data: Any, where: str) -> Any:
        if not isinstance(data, dict) or not data.keys() <= fields.keys():
            raise CodecError(f"{where}: expected the fields of {cls.__name__}")
        if not required <= data.keys():
            raise CodecError(f"{where}: missing {', '.join(sorted(required - data.keys()))}")
        values = {n: _decoder(hints[n])(v, f"{where}.{n}") for n, v in data.items()}
        try:
            return cls(**values)
        except (TypeError, ValueError) as exc:  # the dataclass's own validation
            raise CodecError(f"{where}: {exc}") from None
    return dataclass


def _union_decoder(hint: Any, members: list[Decoder]) -> Decoder:
    def union(data: Any, where: str) -> Any:
        for member in members:
            try:
                return member(data, where)
            except CodecError:
                continue
        raise CodecError(f"{where}: fits none of {hint}")
    return union


def _fixed_tuple_decoder(items: list[Decoder]) -> Decoder:
    def fixed(data: Any, where: str) -> Any:
        if not isinstance(data, list) or len(data) != len(items):
            raise CodecError(f"{where}: expected {len(items)} items")
        return tuple(item(v, f"{where}[{i}]") for i, (v, item) in enumerate(zip(data, items)))
    return fixed


def _scalar_decoder(hint: Any) -> Decoder:
    name = getattr(hint, "__name__", str(hint))

    def scalar(data: Any, where: str) -> Any:
        if hint is float and isinstance(data, int) and not isinstance(data, bool):
            return float(data)
        if not isinstance(data, hint) or (hint is int and isinstance(data, bool)):
            raise CodecError(f"{where}: expected {name}")
        return data
    return scalar


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
