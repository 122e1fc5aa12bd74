"""Attribute access over the mesh's names: `mesh.query.hello_user(user="ada")`,
`mesh.query.examples.hello_user(...)` or `mesh.query["examples.hello_user"](...)`; dir() and tab
completion list what the mesh serves now, help() shows parameters from the JSON Schemas."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, List

from .errors import MeshError
from .schema_doc import docstring, signature

if TYPE_CHECKING:
    from .mesh import Mesh


class AnalyticNotFound(MeshError, AttributeError):
    """NOT_FOUND raised by attribute access (an AttributeError too, so hasattr() and getattr() work)."""


class Analytic:
    """One analytic as a callable: keyword arguments are its parameters, plus `timeout` (seconds)
    and `as_frame` (a pandas DataFrame for tables and lists of records)."""

    def __init__(self, mesh: "Mesh", kind: str, name: str) -> None:
        self._mesh = mesh
        self._kind = kind
        self._name = name
        info = mesh.resolve(kind, name)
        self.__name__ = info.name
        self.__qualname__ = info.qualified
        self.__doc__ = docstring(
            kind, info.qualified, info.description, info.params, list(info.aliases), [r.node_id for r in info.replicas]
        )
        self.__signature__ = signature(info.params)

    def __call__(self, *, timeout: Any = None, as_frame: bool = False, **args: Any) -> Any:
        return self._mesh.call(self._kind, self._name, args, timeout=timeout, as_frame=as_frame)

    def __repr__(self) -> str:
        return f"<{self._kind} {self.__qualname__}{self.__signature__}>"


class _Names:
    """Shared by KindProxy and ModuleProxy: names under a prefix as attributes and items."""

    def __init__(self, mesh: "Mesh", kind: str, prefix: str) -> None:
        object.__setattr__(self, "_mesh", mesh)
        object.__setattr__(self, "_kind", kind)
        object.__setattr__(self, "_prefix", prefix)

    def _lookup(self, name: str) -> Any:
        full = self._prefix + name
        try:
            return Analytic(self._mesh, self._kind, full)
        except MeshError as e:
            if e.code != "NOT_FOUND":
                raise
            if not self._prefix and name in self._mesh.table().modules:
                return ModuleProxy(self._mesh, self._kind, name)
            raise AnalyticNotFound(e.code, e.message, suggestions=e.suggestions) from None

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):  # Python and IPython probe dunder and _repr_ names
            raise AttributeError(name)
        return self._lookup(name)

    def __getitem__(self, name: str) -> Any:
        return self._lookup(name)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("the mesh proxy is read-only")

    def _names(self) -> List[str]:
        names = self._mesh.table().index.names(self._kind)
        return [n[len(self._prefix) :] for n in names if n.startswith(self._prefix)]

    def __dir__(self) -> List[str]:
        names = [n for n in self._names() if n.isidentifier()]
        if not self._prefix:
            names += [m for m in self._mesh.table().modules if m.isidentifier()]
        return sorted(set(names))

    def _ipython_key_completions_(self) -> List[str]:
        return self._names()

    def __iter__(self):
        return iter(self._names())

    def __contains__(self, name: str) -> bool:
        return name in self._names()


class KindProxy(_Names):
    """`mesh.query` or `mesh.view`."""

    def __init__(self, mesh: "Mesh", kind: str) -> None:
        super().__init__(mesh, kind, "")

    def __repr__(self) -> str:
        return f"<mesh.{self._kind}: {', '.join(self._names())}>"


class ModuleProxy(_Names):
    """`mesh.query.<module>`: the module's analytics by qualified name."""

    def __init__(self, mesh: "Mesh", kind: str, module: str) -> None:
        super().__init__(mesh, kind, module + ".")

    def __repr__(self) -> str:
        return f"<mesh.{self._kind}.{self._prefix[:-1]}: {', '.join(self._names())}>"
