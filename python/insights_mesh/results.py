"""Results as Python values: JSON decoded, views as objects Jupyter displays, tables as DataFrames."""

from __future__ import annotations

import html as html_escape
import json
from dataclasses import dataclass, field
from typing import Any, List, Optional, Sequence

from .errors import MeshError

JSON = "application/json"
TABLE = "application/vnd.insights.table+json"
VEGA_LITE = "application/vnd.vegalite+json"


@dataclass(frozen=True)
class Html:
    """An HTML view; Jupyter renders it."""

    html: str

    def _repr_html_(self) -> str:
        return self.html

    def __str__(self) -> str:
        return self.html


@dataclass(frozen=True)
class Svg:
    """An SVG view (charts); Jupyter renders it."""

    svg: str

    def _repr_svg_(self) -> str:
        return self.svg

    def __str__(self) -> str:
        return self.svg


@dataclass(frozen=True)
class Png:
    """A PNG view; `data` is the file's bytes (`open('x.png', 'wb').write(view.data)`)."""

    data: bytes = field(repr=False)

    def _repr_png_(self) -> bytes:
        return self.data


@dataclass(frozen=True)
class VegaLite:
    """A Vega-Lite chart specification with its data inline."""

    spec: dict

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        return {"application/vnd.vegalite.v5+json": self.spec, "text/plain": f"<Vega-Lite chart {self.spec.get('title', '')}>"}


@dataclass(frozen=True)
class Table:
    """A table view: column names and rows. `to_frame()` makes a pandas DataFrame."""

    columns: List[str]
    rows: List[List[Any]]
    title: Optional[str] = None

    def to_frame(self):
        return _pandas().DataFrame(self.rows, columns=self.columns)

    def records(self) -> List[dict]:
        return [dict(zip(self.columns, row)) for row in self.rows]

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{html_escape.escape(str(c))}</th>" for c in self.columns)
        body = "".join(
            "<tr>" + "".join(f"<td>{html_escape.escape('' if v is None else str(v))}</td>" for v in row) + "</tr>"
            for row in self.rows
        )
        caption = f"<caption>{html_escape.escape(self.title)}</caption>" if self.title else ""
        return f"<table>{caption}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def decode(content_type: str, data: bytes) -> Any:
    """A node's result (content type + bytes) as a Python value."""
    base = content_type.split(";")[0].strip()
    if base == JSON:
        return json.loads(data) if data else None
    if base == "text/html":
        return Html(data.decode())
    if base == "image/svg+xml":
        return Svg(data.decode())
    if base == "image/png":
        return Png(bytes(data))
    if base == TABLE:
        t = json.loads(data)
        return Table(list(t["columns"]), [list(r) for r in t["rows"]], t.get("title"))
    if base == VEGA_LITE:
        return VegaLite(json.loads(data))
    raise MeshError("INTERNAL", f'unsupported result content type "{content_type}"')


def as_frame(value: Any):
    """A table, or a list of records (dicts), or a dict of columns, as a pandas DataFrame."""
    if isinstance(value, Table):
        return value.to_frame()
    pd = _pandas()
    if isinstance(value, list) and all(isinstance(r, dict) for r in value):
        return pd.DataFrame.from_records(value)
    if isinstance(value, dict) and all(isinstance(c, Sequence) and not isinstance(c, str) for c in value.values()):
        return pd.DataFrame(value)
    raise MeshError(
        "INVALID_ARGUMENT",
        f"as_frame: the result ({type(value).__name__}) is not a table, a list of records or a dict of columns",
        parameter="as_frame",
    )


def _pandas():
    try:
        import pandas
    except ImportError as e:  # pandas is an optional dependency
        raise MeshError(
            "FAILED_PRECONDITION", "as_frame needs pandas: pip install 'insights-mesh[pandas]'", parameter="as_frame"
        ) from e
    return pandas
