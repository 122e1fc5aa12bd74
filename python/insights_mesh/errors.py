"""Mesh errors as Python exceptions: the same codes as the TypeScript SDK (packages/sdk/src/errors.ts)."""

from __future__ import annotations

import json
from typing import Optional, Sequence, Tuple

import grpc

#: Mesh code -> numeric gRPC status: the one table at this wire boundary.
GRPC_STATUS = {
    "CANCELLED": 1,
    "INVALID_ARGUMENT": 3,
    "DEADLINE_EXCEEDED": 4,
    "NOT_FOUND": 5,
    "ALREADY_EXISTS": 6,
    "PERMISSION_DENIED": 7,
    "RESOURCE_EXHAUSTED": 8,
    "FAILED_PRECONDITION": 9,
    "UNIMPLEMENTED": 12,
    "INTERNAL": 13,
    "UNAVAILABLE": 14,
    "UNAUTHENTICATED": 16,
}
_CODE_FOR_STATUS = {status: code for code, status in GRPC_STATUS.items()}

#: Failures another replica may not have: an idempotent call moves on to the next one.
RETRYABLE_CODES = frozenset({"UNAVAILABLE"})

#: Trailer carrying the structured error (JSON ErrorDetail) of a failed unary call.
ERROR_TRAILER = "insights-error-bin"


class MeshError(Exception):
    """A failed mesh call. `code` is the mesh code (`PERMISSION_DENIED`, `INVALID_ARGUMENT`, ...);
    `parameter` names the argument at fault; `suggestions` lists names the caller may have meant."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        parameter: Optional[str] = None,
        suggestions: Sequence[str] = (),
        analytic: Optional[str] = None,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code if code in GRPC_STATUS else "INTERNAL"
        self.message = message
        self.parameter = parameter or None
        self.suggestions: Tuple[str, ...] = tuple(suggestions)
        self.analytic = analytic or None

    @property
    def grpc_status(self) -> int:
        return GRPC_STATUS[self.code]

    @property
    def retryable(self) -> bool:
        return self.code in RETRYABLE_CODES


def code_for_status(status: int) -> str:
    return _CODE_FOR_STATUS.get(status, "INTERNAL")


def from_detail(detail: dict) -> MeshError:
    """An ErrorDetail (trailer JSON or stream result) as a MeshError."""
    code = detail.get("code") or code_for_status(int(detail.get("grpcStatus") or 13))
    return MeshError(
        code,
        str(detail.get("message", "")),
        parameter=detail.get("parameter") or None,
        suggestions=detail.get("suggestions") or (),
        analytic=detail.get("analytic") or None,
    )


def from_rpc_error(e: grpc.RpcError, address: str = "") -> MeshError:
    """A gRPC failure as a MeshError: the node's structured trailer when it sent one, else the status."""
    trailers = e.trailing_metadata() if hasattr(e, "trailing_metadata") else None
    for key, value in trailers or ():
        if key == ERROR_TRAILER:
            try:
                raw = value.decode() if isinstance(value, bytes) else value
                return from_detail(json.loads(raw))
            except (ValueError, AttributeError):
                break  # a malformed trailer must not hide the status itself
    status = e.code() if hasattr(e, "code") else None
    code = code_for_status(status.value[0]) if status is not None else "UNAVAILABLE"
    details = e.details() if hasattr(e, "details") else str(e)
    where = f" (node {address})" if address and code == "UNAVAILABLE" else ""
    return MeshError(code, f"{details or code}{where}")
