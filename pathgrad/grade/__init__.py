"""Grading: a hand-derived gradient read, compared with the paths, for one file, a table of
answers or a folder of submissions (``pathgrad check``).
"""
