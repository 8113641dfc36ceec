#!/usr/bin/env python3
"""Every C++ sample in the docs is a real, compiled program: each ```cpp block in README.md and
docs/*.md must appear verbatim in a file under examples/ (which the build compiles and the tests
run). Prints 'N passed, N failed'."""
import pathlib
import re
import sys

root = pathlib.Path(__file__).resolve().parents[2]
examples = {p: p.read_text() for p in (root / "examples").rglob("*.cpp")}
failed = passed = 0
for doc in [root / "README.md", *sorted((root / "docs").rglob("*.md"))]:
    for i, block in enumerate(re.findall(r"```cpp\n(.*?)```", doc.read_text(), re.S)):
        if any(block in text for text in examples.values()):
            passed += 1
        else:
            failed += 1
            print(f"{doc.relative_to(root)}: C++ sample {i + 1} is not in any file under examples/", file=sys.stderr)
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed or passed == 0 else 0)
