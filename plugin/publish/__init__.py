"""pyblish checks before anything renders: plugins/ (one per file, by stage), context (what they
share), api (run them, read failures, exit codes, repairs) and `tinct publish` (cli)."""
