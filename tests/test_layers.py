"""The layers stay as docs/architecture.md draws them (issue 11).

`lint-imports` (run by `make test`) checks that no module imports a higher layer, imports
inside functions included. These tests keep the escape hatch small: an import inside a
function hides a dependency from the reader, so there are at most 15, each with a
comment saying why (on its line or the line above).
"""

import ast
from pathlib import Path

import relais

MAX_IMPORTS_INSIDE_FUNCTIONS = 15
SOURCE = Path(relais.__file__).parent


def imports_inside_functions() -> list[tuple[Path, int, str, str]]:
    found = []
    for path in sorted(SOURCE.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        lines = path.read_text().splitlines()
        for function in ast.walk(ast.parse("\n".join(lines))):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(function):
                if isinstance(node, ast.Import | ast.ImportFrom):
                    line = lines[node.lineno - 1]
                    above = lines[node.lineno - 2] if node.lineno > 1 else ""
                    found.append((path.relative_to(SOURCE), node.lineno, line, above))
    return found


def test_few_imports_inside_functions():
    found = imports_inside_functions()
    listing = "\n".join(f"{path}:{line}: {text.strip()}" for path, line, text, _ in found)
    assert len(found) <= MAX_IMPORTS_INSIDE_FUNCTIONS, listing


def test_each_import_inside_a_function_says_why():
    unexplained = [f"{path}:{line}: {text.strip()}"
                   for path, line, text, above in imports_inside_functions()
                   if "why" not in text and "why" not in above]
    assert not unexplained, "\n".join(unexplained)
