"""Tinct jobs as farm jobs: requests (job), chunking, the plan, and one writer per farm
(openjd: Open Job Description bundles for `openjd run` and AWS Deadline Cloud; deadline10;
opencue), the task runner of plan-based farms (task) and `tinct submit` (cli)."""
