"""Name resolution, the same rules as the SDK's NameIndex (packages/sdk/src/name-index.ts):
`<module>.<name>` always works; a bare name or alias when exactly one module defines it; a
collision is an error listing the qualified names; an unknown name suggests near names."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Generic, Iterable, List, Tuple, TypeVar

from .errors import MeshError

T = TypeVar("T")


@dataclass(frozen=True)
class NamedEntry(Generic[T]):
    kind: str
    module: str
    name: str
    aliases: Tuple[str, ...]
    target: T = field(compare=False)

    @property
    def qualified(self) -> str:
        return f"{self.module}.{self.name}"


class NameIndex(Generic[T]):
    def __init__(self, entries: Iterable[NamedEntry[T]]) -> None:
        self._qualified: Dict[Tuple[str, str], NamedEntry[T]] = {}
        self._bare: Dict[Tuple[str, str], List[NamedEntry[T]]] = {}
        for e in entries:
            self._qualified[(e.kind, e.qualified)] = e
            for n in dict.fromkeys((e.name, *e.aliases)):
                same = self._bare.setdefault((e.kind, n), [])
                if not any(x.module == e.module and x.name == e.name for x in same):
                    same.append(e)

    def resolve(self, kind: str, name: str) -> NamedEntry[T]:
        hit = self._qualified.get((kind, name))
        if hit is not None:
            return hit
        bare = self._bare.get((kind, name), [])
        if len(bare) == 1:
            return bare[0]
        if len(bare) > 1:
            options = [e.qualified for e in bare]
            raise MeshError(
                "FAILED_PRECONDITION",
                f'{kind} "{name}" is defined by several modules ({", ".join(e.module for e in bare)}); '
                f'call one of {", ".join(options)}',
                suggestions=options,
            )
        suggestions = near_names(name, self.names(kind))
        hint = f"; did you mean {', '.join(suggestions)}?" if suggestions else ""
        raise MeshError("NOT_FOUND", f'no {kind} named "{name}"{hint}', suggestions=suggestions)

    def names(self, kind: str) -> List[str]:
        """Every callable name of a kind: unique bare names and aliases, plus all qualified names."""
        out = {n for (k, n), same in self._bare.items() if k == kind and len(same) == 1}
        out.update(n for (k, n) in self._qualified if k == kind)
        return sorted(out)

    def entries(self, kind: str) -> List[NamedEntry[T]]:
        return [e for (k, _), e in self._qualified.items() if k == kind]


def near_names(name: str, candidates: Iterable[str]) -> List[str]:
    """Up to three names within a small edit distance, closest first."""
    limit = max(2, len(name) // 3)
    scored = []
    for c in candidates:
        d = 1 if (name in c or c in name) else _edit_distance(name, c)
        if d <= limit:
            scored.append((d, c))
    return [c for _, c in sorted(scored)[:3]]


def _edit_distance(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i]
        for j in range(1, len(b) + 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])))
        prev = cur
    return prev[len(b)]
