#!/usr/bin/env python3
"""scripts/check-includes on small trees: it accepts documented edges (direct, through another
module, util and the top-level headers), and names each undocumented one, a private header in a
public one, a module missing from the table, a top-level header that includes a module, and a
public header that does not compile on its own; it finds generated headers, rendered from their
template or in the directory CMake generated them in."""
import os
import subprocess
import sys
import tempfile
import unittest

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts", "check-includes")
README = """# x

| module | public headers | depends on |
| --- | --- | --- |
| core | `agents/core/a.hpp` | nothing |
| util (private) | none | OpenSSL only |
| http | `agents/http/h.hpp` | core, libcurl |
| model | `agents/model/m.hpp` | http |

after the table
"""


class CheckIncludes(unittest.TestCase):
    def tree(self, files):
        root = tempfile.mkdtemp()
        files = {"README.md": README, "include/agents/core/a.hpp": "#pragma once\n", **files}
        for rel, text in files.items():
            os.makedirs(os.path.dirname(os.path.join(root, rel)) or root, exist_ok=True)
            with open(os.path.join(root, rel), "w", encoding="utf-8") as f:
                f.write(text)
        return root

    def run_on(self, files, *args):
        env = dict(os.environ, AGENTS_CHECK_ROOT=self.tree(files))
        return subprocess.run([sys.executable, SCRIPT, *args], capture_output=True, text=True, env=env)

    def test_documented_edges_pass(self):
        run = self.run_on({
            "include/agents/http/h.hpp": '#pragma once\n#include "agents/core/a.hpp"\n',
            "src/model/m.cpp": '#include "agents/core/a.hpp"\n#include "util/u.hpp"\n#include "http/p.hpp"\n',
            "src/util/u.hpp": "#pragma once\n",
        })
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertIn("every include edge is documented", run.stdout)
        self.assertIn("2 public headers compile on their own", run.stdout)

    def test_each_undocumented_edge_is_named(self):
        run = self.run_on({
            "src/http/x.cpp": '#include "agents/model/m.hpp"\n',
            "include/agents/http/h.hpp": '#pragma once\n#include "util/u.hpp"\n',
            "src/lambda/l.cpp": "\n",
        }, "--no-compile")
        self.assertEqual(run.returncode, 1)
        self.assertIn('src/http/x.cpp:1: includes "agents/model/m.hpp": http may not depend on model', run.stderr)
        self.assertIn("include/agents/http/h.hpp:2: includes \"util/u.hpp\", a private header, from a public one",
                      run.stderr)
        self.assertIn("module 'lambda' is not in the README's module table", run.stderr)

    def test_top_level_and_generated_headers(self):
        files = {
            "CMakeLists.txt": "project(x VERSION 2.3.4 LANGUAGES CXX)\n",
            "cmake/version.hpp.in": '#pragma once\n#define V "@PROJECT_VERSION@"\n',
            "include/agents/export.hpp": "#pragma once\n#define API\n",
            "include/agents/http/h.hpp": ('#pragma once\n#include "agents/export.hpp"\n#include "agents/version.hpp"\n'
                                          'static_assert(sizeof(V) == 6);\n'),
        }
        run = self.run_on(files)
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertIn("4 public headers compile on their own", run.stdout)  # a.hpp, export, h, version
        generated = tempfile.mkdtemp()
        os.makedirs(os.path.join(generated, "agents"))
        with open(os.path.join(generated, "agents", "version.hpp"), "w", encoding="utf-8") as f:
            f.write('#pragma once\n#define V "x"\n')
        run = self.run_on(files, "--generated-include", generated)  # CMake's copy, not the template
        self.assertEqual(run.returncode, 1)
        self.assertIn("include/agents/http/h.hpp does not compile on its own", run.stderr)
        run = self.run_on({**files, "include/agents/export.hpp": '#pragma once\n#include "agents/core/a.hpp"\n'},
                          "--no-compile")
        self.assertEqual(run.returncode, 1)
        self.assertIn('include/agents/export.hpp:2: includes "agents/core/a.hpp": top level may not depend on core',
                      run.stderr)

    def test_a_header_that_needs_its_includer_fails(self):
        run = self.run_on({"include/agents/http/h.hpp": "#pragma once\ninline std::string f() { return {}; }\n"})
        self.assertEqual(run.returncode, 1)
        self.assertIn("include/agents/http/h.hpp does not compile on its own", run.stderr)


if __name__ == "__main__":
    unittest.main()
