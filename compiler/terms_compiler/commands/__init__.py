"""The commands besides validate, build and check, each running the pipeline: status and
translated (translation freshness), serve (the live preview) and diff (two editions)."""
