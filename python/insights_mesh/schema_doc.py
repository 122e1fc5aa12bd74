"""Signatures and docstrings from an analytic's JSON Schema, for help(), dir() and tab completion."""

from __future__ import annotations

import inspect
from typing import Any, Dict, List

_PY_TYPES = {"string": str, "integer": int, "number": float, "boolean": bool, "array": list, "object": dict}

#: Keyword arguments every call takes besides the analytic's own parameters.
CALL_OPTIONS = ("timeout", "as_frame")


def _type_name(schema: Dict[str, Any]) -> str:
    t = schema.get("type")
    if isinstance(t, list):
        return " | ".join(str(x) for x in t)
    if t == "array" and isinstance(schema.get("items"), dict):
        return f"array of {_type_name(schema['items'])}"
    if "enum" in schema:
        return " | ".join(repr(v) for v in schema["enum"])
    if "anyOf" in schema:
        return " | ".join(_type_name(s) for s in schema["anyOf"] if isinstance(s, dict))
    return str(t or "any")


def signature(params: Dict[str, Any]) -> inspect.Signature:
    props: Dict[str, Any] = params.get("properties") or {}
    required = set(params.get("required") or [])
    out: List[inspect.Parameter] = []
    for name, schema in props.items():
        if not name.isidentifier() or name in CALL_OPTIONS:
            continue  # still callable with mesh.call(..., args={...})
        schema = schema if isinstance(schema, dict) else {}
        default = inspect.Parameter.empty if name in required else schema.get("default", None)
        annotation = _PY_TYPES.get(schema.get("type"), inspect.Parameter.empty) if isinstance(schema.get("type"), str) else inspect.Parameter.empty
        out.append(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation))
    out.append(inspect.Parameter("timeout", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=float))
    out.append(inspect.Parameter("as_frame", inspect.Parameter.KEYWORD_ONLY, default=False, annotation=bool))
    return inspect.Signature(out)


def docstring(kind: str, qualified: str, description: str, params: Dict[str, Any], aliases: List[str], nodes: List[str]) -> str:
    lines = [description or f"The {kind} {qualified}.", ""]
    props: Dict[str, Any] = params.get("properties") or {}
    required = set(params.get("required") or [])
    if props:
        lines.append("Parameters")
        lines.append("----------")
        for name, schema in props.items():
            schema = schema if isinstance(schema, dict) else {}
            extra = "required" if name in required else f"default {schema['default']!r}" if "default" in schema else "optional"
            lines.append(f"{name} : {_type_name(schema)} ({extra})")
            if schema.get("description"):
                lines.append(f"    {schema['description']}")
    lines.append("timeout : float, optional")
    lines.append("    Deadline of the call, seconds.")
    lines.append("as_frame : bool, optional")
    lines.append("    Return a table or a list of records as a pandas DataFrame.")
    lines.append("")
    lines.append(f"{kind} {qualified}" + (f", also called {', '.join(aliases)}" if aliases else "") + f"; served by {', '.join(nodes) or 'no node right now'}.")
    return "\n".join(lines)
