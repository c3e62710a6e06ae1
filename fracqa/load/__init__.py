"""Loaders: each reads one source of the release into a pandas table, once, and records what
it could not read as problems for the rules to report."""
