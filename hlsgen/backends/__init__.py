"""Backends: a lowered graph -> the files of a project (see registry)."""
