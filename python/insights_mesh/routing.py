"""The routing table: which nodes serve which analytics, resolved by the mesh's naming rules.
Immutable; the mesh swaps in a new one whenever the registry or a direct node changes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Tuple

from .names import NamedEntry, NameIndex

CALLABLE_KINDS = ("query", "view")


@dataclass(frozen=True)
class Replica:
    node_id: str
    address: str
    tls: bool
    idempotent: bool


@dataclass(frozen=True)
class AnalyticInfo:
    kind: str
    module: str
    name: str
    aliases: Tuple[str, ...]
    description: str
    params: Dict[str, Any]
    idempotent: bool
    replicas: Tuple[Replica, ...]

    @property
    def qualified(self) -> str:
        return f"{self.module}.{self.name}"

    def as_dict(self) -> Dict[str, Any]:
        return {
            "kind": self.kind,
            "module": self.module,
            "name": self.name,
            "aliases": list(self.aliases),
            "description": self.description,
            "params": self.params,
            "idempotent": self.idempotent,
            "nodes": [r.node_id for r in self.replicas],
        }


class RoutingTable:
    def __init__(self, nodes: Iterable[Dict[str, Any]]) -> None:
        self.nodes: List[Dict[str, Any]] = list(nodes)
        slots: Dict[Tuple[str, str, str], Dict[str, Any]] = {}
        for node in self.nodes:
            if node.get("state") == "draining":
                continue  # takes no new calls; its replicas take over
            for m in node.get("modules", []):
                if m.get("state") == "failed":
                    continue
                for a in m.get("analytics", []):
                    if a.get("kind") not in CALLABLE_KINDS:
                        continue
                    slot = slots.setdefault((a["kind"], m["name"], a["name"]), {"a": a, "replicas": []})
                    slot["replicas"].append(
                        Replica(node["id"], node["grpcAddress"], bool(node.get("tls")), bool(a.get("idempotent", True)))
                    )
        self.analytics: List[AnalyticInfo] = [
            AnalyticInfo(
                kind=kind,
                module=module,
                name=name,
                aliases=tuple(s["a"].get("aliases") or ()),
                description=s["a"].get("description") or "",
                params=s["a"].get("params") or {},
                idempotent=all(r.idempotent for r in s["replicas"]),
                replicas=tuple(s["replicas"]),
            )
            for (kind, module, name), s in sorted(slots.items())
        ]
        self.index: NameIndex[AnalyticInfo] = NameIndex(
            NamedEntry(a.kind, a.module, a.name, a.aliases, a) for a in self.analytics
        )
        self.modules = frozenset(a.module for a in self.analytics)
