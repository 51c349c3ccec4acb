"""Inputs: reading the bundled files and submissions, geography (dated versions), the datasets to
build and the registered publishers."""
