#!/usr/bin/env python3
"""The Lambda deployment package that `lambda_zip` builds: `bootstrap` at the root of the zip,
executable (provided.al2023 execs it), an ELF binary for Linux, nothing else in the archive, and
well under Lambda's 50 MB limit for a direct upload. Prints 'N passed, N failed'.
Usage: check_lambda_zip.py build/<preset>/examples/lambda/agents-lambda.zip"""
import pathlib
import stat
import sys
import zipfile

passed = failed = 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"ok   {name}")
    else:
        failed += 1
        print(f"FAIL {name}: {detail}", file=sys.stderr)


path = pathlib.Path(sys.argv[1])
check("the zip exists (built by the default build)", path.is_file(), f"{path} is missing")
if path.is_file():
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        check("bootstrap is the only entry, at the root", names == ["bootstrap"], names)
        if "bootstrap" in names:
            info = z.getinfo("bootstrap")
            mode = info.external_attr >> 16
            check("bootstrap is executable", mode & stat.S_IXUSR and mode & stat.S_IXOTH, oct(mode))
            check("bootstrap is a regular file", stat.S_ISREG(mode), oct(mode))
            head = z.read("bootstrap")[:4]
            check("bootstrap is an ELF binary", head == b"\x7fELF", head)
            check("the archive is under 50 MB", path.stat().st_size < 50 * 1024 * 1024, path.stat().st_size)
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed or passed == 0 else 0)
