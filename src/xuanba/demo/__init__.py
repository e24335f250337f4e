"""Bundled demo data: a generated sales log and side tables, so the main job runs with nothing else."""
