"""PURE rules: validating, sanitizing and deciding, with no Flask, no database and no clock.

Callers pass in what a rule needs (the request's fields, the compiled word lists, `now`),
so every case runs in microseconds in a table-driven test.
"""
