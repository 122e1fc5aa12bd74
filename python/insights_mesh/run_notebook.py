"""Runs a notebook top to bottom in this environment's kernel and saves it with its outputs:
`python -m insights_mesh.run_notebook docs/python-client.ipynb out.ipynb` (npm test runs the docs'
notebook this way). Exits non-zero, with the failing cell's error, when a cell raises."""

import sys

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError


def main(source: str, target: str) -> int:
    nb = nbformat.read(source, as_version=4)
    try:
        NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    except CellExecutionError as e:
        print(e, file=sys.stderr)
        return 1
    finally:
        nbformat.write(nb, target)
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print("usage: python -m insights_mesh.run_notebook <notebook.ipynb> <executed.ipynb>", file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1], sys.argv[2]))
