#!/usr/bin/env python3
"""tests/progs/jget.py [--test] SOURCE EXPR [ARG...]: the tests' one JSON
reader (tests/lib.sh wraps it as `jget`).

SOURCE is the JSON text itself, `-` for the first JSON value on stdin (read
line by line only as far as that value ends, so a stream that goes on, such
as `keelctl --json ports --watch`, can be read), or @FILE. EXPR is a Python
expression (it may span lines) over the parsed value `d`, with `args` the
ARGs and json, sys and time at hand. Its value is printed as Python prints
it (True, None, ('a', 1), [...]); with --test nothing is printed and the
exit status is 0 when the value is true, else 1 with the value of d on
stderr. exit(N) inside EXPR ends with status N; bad JSON or a missing key
exits 1 with the traceback on stderr."""
import json
import sys
import time


def first_value(lines):
    """The first JSON value of an iterable of lines."""
    text = ""
    for line in lines:
        text += line
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            continue
    return json.loads(text)


def load(source):
    if source == "-":
        return first_value(sys.stdin)
    if source.startswith("@"):
        with open(source[1:]) as f:
            return json.load(f)
    return json.loads(source)


def main():
    argv = sys.argv[1:]
    test = argv[:1] == ["--test"]
    if test:
        argv = argv[1:]
    if len(argv) < 2:
        sys.exit("usage: jget.py [--test] SOURCE EXPR [ARG...]  (SOURCE: JSON, - or @FILE)")
    d = load(argv[0])
    # one namespace: comprehensions in EXPR see d and args too
    scope = {"json": json, "sys": sys, "time": time, "d": d, "args": argv[2:]}
    value = eval("(" + argv[1] + "\n)", scope)
    if not test:
        print(value)
    elif not value:
        sys.exit("jget: false: %s\nd = %s" % (argv[1], json.dumps(d)[:4000]))


if __name__ == "__main__":
    main()
