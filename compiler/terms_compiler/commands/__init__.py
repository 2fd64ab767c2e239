"""The commands besides validate and build: init (a new corpus, from the package's scaffold/),
status and translated (translation freshness), serve (the live preview) and diff (two editions),
which run the pipeline but init; check (answers from a bundle), keygen (a key pair that signs
bundles), verify (a bundle's digest and signature) and fetch (download, verify and swap in a
published bundle), which need only the check runtime and, to sign or check signatures, the
`sign` extra."""
