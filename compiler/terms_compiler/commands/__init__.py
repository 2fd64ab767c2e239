"""The commands besides validate, build and check: init (a new corpus, from the package's
scaffold/), status and translated (translation freshness), serve (the live preview) and diff
(two editions); all but init run the pipeline."""
