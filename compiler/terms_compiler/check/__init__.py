"""The check runtime: load and verify a bundle, answer a decision, explain the answer.

Standard library only, and nothing from the compile stages: this is all a tool that checks
bundles needs (`pip install terms-compiler` without the `build` extra). Its modules, lowest first:

    dates             ISO dates <-> day numbers
    rules             the typed reader of a bundle's rules (their JSON AST -> frozen nodes)
    evaluate          a decision -> generated Python that answers fact sets
    describe          the words of an explanation, over a stage (walked or compiled)
    explain_compiler  a decision's explainer, compiled from the describer
    explain           the reasons for an answer, in a language
    signatures        trusted keys and a bundle folder's signature (pyca/cryptography when used)
    bundle            read and verify a bundle file; the API for tools
"""
