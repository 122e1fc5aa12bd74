"""The gRPC stubs, generated from the repository's proto/ with grpcio-tools (never committed).

`stubs.generate()` generates them (bootstrap does, after installing the package);
importing the client generates them on first use when they are missing or older than the proto.
"""

from __future__ import annotations

import importlib
import os
import re
from pathlib import Path
from types import ModuleType
from typing import Tuple

_PACKAGE_DIR = Path(__file__).resolve().parent
GENERATED_DIR = _PACKAGE_DIR / "_generated"
PROTO_NAME = "insights.proto"


def proto_dir() -> Path:
    """Where insights.proto lives: $INSIGHTS_PROTO_DIR, or proto/insights/v1 of the repository."""
    override = os.environ.get("INSIGHTS_PROTO_DIR")
    if override:
        return Path(override)
    return _PACKAGE_DIR.parent.parent / "proto" / "insights" / "v1"


def _stale() -> bool:
    pb2 = GENERATED_DIR / "insights_pb2.py"
    grpc_file = GENERATED_DIR / "insights_pb2_grpc.py"
    if not pb2.exists() or not grpc_file.exists():
        return True
    source = proto_dir() / PROTO_NAME
    return source.exists() and source.stat().st_mtime > pb2.stat().st_mtime


def generate() -> Path:
    """Runs protoc (grpcio-tools) on insights.proto into insights_mesh/_generated."""
    from grpc_tools import protoc  # imported here: only generation needs grpcio-tools

    source_dir = proto_dir()
    if not (source_dir / PROTO_NAME).exists():
        raise RuntimeError(
            f"cannot generate the gRPC stubs: {source_dir / PROTO_NAME} not found "
            "(set INSIGHTS_PROTO_DIR to the folder holding insights.proto)"
        )
    GENERATED_DIR.mkdir(exist_ok=True)
    (GENERATED_DIR / "__init__.py").write_text("")
    include = str(Path(protoc.__file__).parent / "_proto")
    code = protoc.main(
        [
            "grpc_tools.protoc",
            f"-I{source_dir}",
            f"-I{include}",
            f"--python_out={GENERATED_DIR}",
            f"--grpc_python_out={GENERATED_DIR}",
            PROTO_NAME,
        ]
    )
    if code != 0:
        raise RuntimeError(f"protoc failed on {source_dir / PROTO_NAME} (exit {code})")
    # protoc writes an absolute import; the stubs live inside this package.
    grpc_file = GENERATED_DIR / "insights_pb2_grpc.py"
    text = re.sub(r"^import insights_pb2 as", "from . import insights_pb2 as", grpc_file.read_text(), flags=re.M)
    grpc_file.write_text(text)
    return GENERATED_DIR


def load() -> Tuple[ModuleType, ModuleType]:
    """(insights_pb2, insights_pb2_grpc), generating them first when needed."""
    if _stale():
        generate()
    pb2 = importlib.import_module("insights_mesh._generated.insights_pb2")
    pb2_grpc = importlib.import_module("insights_mesh._generated.insights_pb2_grpc")
    return pb2, pb2_grpc
