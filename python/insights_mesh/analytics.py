"""Analytics written in Python: a module declared with decorators, parameters typed with Python
annotations and published as JSON Schema, like the SDK's zod parameters.

    stats = Module("pystats", description="Statistics with numpy")

    @stats.query
    def mean(values: list, trim: float = 0.0) -> float:
        "Mean of values."
"""

from __future__ import annotations

import inspect
import typing
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional

from .errors import MeshError

_JSON_TYPES = {str: "string", int: "integer", float: "number", bool: "boolean", list: "array", dict: "object"}


@dataclass
class PyAnalytic:
    kind: str
    name: str
    fn: Callable[..., Any]
    description: str
    params: Dict[str, Any]
    idempotent: bool = True
    aliases: List[str] = field(default_factory=list)

    def validate(self, args: Dict[str, Any]) -> Dict[str, Any]:
        props = self.params["properties"]
        for name in args:
            if name not in props:
                raise MeshError("INVALID_ARGUMENT", f'{self.name}: unknown parameter "{name}"', parameter=name)
        for name in self.params["required"]:
            if name not in args:
                raise MeshError("INVALID_ARGUMENT", f'{self.name}: parameter "{name}" is required', parameter=name)
        for name, value in args.items():
            want = props[name].get("type")
            if want and not _is_type(value, want):
                raise MeshError("INVALID_ARGUMENT", f'{self.name}: parameter "{name}" must be of type {want}', parameter=name)
        return args


def _is_type(v: Any, t: str) -> bool:
    if t == "integer":
        return isinstance(v, int) and not isinstance(v, bool)
    if t == "number":
        return isinstance(v, (int, float)) and not isinstance(v, bool)
    return isinstance(v, {"string": str, "boolean": bool, "array": list, "object": dict}[t])


def schema_of(fn: Callable[..., Any]) -> Dict[str, Any]:
    """JSON Schema of a function's keyword parameters from its annotations and defaults."""
    props: Dict[str, Any] = {}
    required: List[str] = []
    hints = typing.get_type_hints(fn)  # resolves string annotations (from __future__ import annotations)
    for p in inspect.signature(fn).parameters.values():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        s: Dict[str, Any] = {}
        hint = hints.get(p.name)
        t = _JSON_TYPES.get(typing.get_origin(hint) or hint)
        if t:
            s["type"] = t
        if p.default is inspect.Parameter.empty:
            required.append(p.name)
        else:
            s["default"] = p.default
        props[p.name] = s
    return {"type": "object", "properties": props, "required": required, "additionalProperties": False}


class Module:
    def __init__(self, name: str, *, version: str = "0.1.0", description: str = "") -> None:
        self.name = name
        self.version = version
        self.description = description
        self.analytics: List[PyAnalytic] = []

    def _declare(self, kind: str, fn: Optional[Callable[..., Any]], **options: Any):
        def add(f: Callable[..., Any]) -> Callable[..., Any]:
            self.analytics.append(
                PyAnalytic(kind, options.get("name") or f.__name__, f, inspect.getdoc(f) or "", schema_of(f),
                           options.get("idempotent", True), list(options.get("aliases") or []))
            )
            return f

        return add(fn) if fn is not None else add

    def query(self, fn: Optional[Callable[..., Any]] = None, **options: Any):
        """Declares a query (JSON result). Options: name, aliases, idempotent."""
        return self._declare("query", fn, **options)

    def view(self, fn: Optional[Callable[..., Any]] = None, **options: Any):
        """Declares a view: return HTML (str or Html), Svg, Png or Table from insights_mesh."""
        return self._declare("view", fn, **options)

    def find(self, kind: str, name: str) -> PyAnalytic:
        short = name[len(self.name) + 1 :] if name.startswith(self.name + ".") else name
        for a in self.analytics:
            if a.kind == kind and (a.name == short or short in a.aliases):
                return a
        raise MeshError("NOT_FOUND", f'no {kind} named "{name}" in {self.name}')
