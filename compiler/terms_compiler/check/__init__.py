"""The check runtime: load and verify a bundle, answer a decision, explain the answer.

Standard library only, and nothing from the compile stages: this is all a tool that checks
bundles needs (`pip install terms-compiler` without the `build` extra).
"""
